"""Mutations on identity providers, and switching the acting organization."""

from __future__ import annotations

from typing import Annotated

import strawberry

from renkei.errors import Invalid
from renkei.graphql.auth import SignInConfig
from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.identity import IdentityProvider
from renkei.graphql.types.organizations import MembershipRole, Organization
from renkei.i18n.messages import _
from renkei.identity import providers
from renkei.identity import service as identity
from renkei.identity.models import IdentityProvider as IdentityProviderRow
from renkei.identity.scopes import ORGANIZATIONS_READ, ORGANIZATIONS_WRITE
from renkei.tenancy import MembershipRole as Role


@strawberry.input
class RoleMappingInput:
    value: str = strawberry.field(description="A value of the role claim, e.g. a group name.")
    role: MembershipRole  # type: ignore[valid-type]


@strawberry.input
class RegisterIdentityProviderInput:
    organization_id: strawberry.ID
    name: str
    issuer: str = strawberry.field(
        description="Read from {issuer}/.well-known/openid-configuration."
    )
    client_id: str
    client_secret: str = strawberry.field(description="Stored encrypted; never returned.")
    email_domains: list[str] = strawberry.field(
        description="The domains this provider is for. Each is claimed for your organization "
        "and vouches for nobody until verified: see Organization.domainClaims."
    )
    jit_provisioning: bool = True
    role_claim: str | None = strawberry.field(default=None, description="e.g. groups or roles.")
    role_mapping: list[RoleMappingInput] = strawberry.field(default_factory=list)
    default_role: MembershipRole = Role.MEMBER  # type: ignore[valid-type]


@strawberry.input
class UpdateIdentityProviderInput:
    id: strawberry.ID
    name: str | None = None
    enabled: bool | None = None
    email_domains: list[str] | None = None
    client_secret: str | None = strawberry.field(
        default=None, description="A new secret (rotation); stored encrypted."
    )
    jit_provisioning: bool | None = None
    role_claim: str | None = None
    role_mapping: list[RoleMappingInput] | None = None
    default_role: MembershipRole | None = None  # type: ignore[valid-type]


@strawberry.type
class IdentityProviderPayload:
    identity_provider: IdentityProvider | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input
class SwitchOrganizationInput:
    organization_id: strawberry.ID


@strawberry.type
class SwitchOrganizationPayload:
    organization: Organization | None
    role: MembershipRole | None  # type: ignore[valid-type]
    access_token: str | None = strawberry.field(
        description="A token acting for the new organization, for clients that use bearer tokens."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def _config(info: Info) -> SignInConfig:
    config = info.context.sign_in
    if config is None:
        raise Invalid(_("sign-in is not configured on this server"))
    return config


def _mapping(entries: list[RoleMappingInput]) -> dict[str, Role]:
    return {entry.value: entry.role for entry in entries}


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(description="Register your organization's OpenID provider (admins).")
    async def register_identity_provider(
        self, info: Info, input: Annotated[RegisterIdentityProviderInput, INPUT]
    ) -> IdentityProviderPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            config = _config(info)
            row = await providers.register_provider(
                session,
                viewer,
                box=config.box,
                oidc=config.oidc,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                settings=providers.ProviderSettings(
                    name=input.name,
                    issuer=input.issuer,
                    client_id=input.client_id,
                    email_domains=input.email_domains,
                    jit_provisioning=input.jit_provisioning,
                    role_claim=input.role_claim,
                    role_mapping=_mapping(input.role_mapping),
                    default_role=input.default_role,
                ),
                client_secret=input.client_secret,
                allow_http_loopback=config.allow_http_loopback_issuers,
            )
            return row, config.public_url

        result, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return IdentityProviderPayload(
            identity_provider=await _wrap(info, result), user_errors=errors
        )

    @strawberry.mutation(description="Change, switch off, or rotate the secret of a provider.")
    async def update_identity_provider(
        self, info: Info, input: Annotated[UpdateIdentityProviderInput, INPUT]
    ) -> IdentityProviderPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            config = _config(info)
            row = await providers.update_provider(
                session,
                viewer,
                box=config.box,
                provider_id=decode_id(input.id, "IdentityProvider"),
                name=input.name,
                enabled=input.enabled,
                email_domains=input.email_domains,
                client_secret=input.client_secret,
                jit_provisioning=input.jit_provisioning,
                role_claim=input.role_claim,
                role_mapping=_mapping(input.role_mapping)
                if input.role_mapping is not None
                else None,
                default_role=input.default_role,
            )
            return row, config.public_url

        result, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return IdentityProviderPayload(
            identity_provider=await _wrap(info, result), user_errors=errors
        )

    @strawberry.mutation(description="Act for another of your organizations from now on.")
    async def switch_organization(
        self, info: Info, input: Annotated[SwitchOrganizationInput, INPUT]
    ) -> SwitchOrganizationPayload:
        context = info.context

        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await identity.switch_organization(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                browser_session_id=context.browser_session_id,
            )

        switched, errors = await run_mutation(info, work, scope=ORGANIZATIONS_READ)
        if switched is None or switched.organization_id is None:
            return SwitchOrganizationPayload(
                organization=None, role=None, access_token=None, user_errors=errors
            )
        context.viewer = switched
        row = await context.loaders.organization.load(switched.organization_id)
        token = (
            context.tokens.issue(
                user_id=switched.user_id,  # type: ignore[arg-type]
                organization_id=switched.organization_id,
                scopes=switched.scopes,
                # A token from a browser session ends with that session, as its first one did.
                session_id=context.browser_session_id or context.token_session_id,
            )
            if context.tokens
            else None
        )
        return SwitchOrganizationPayload(
            organization=Organization.from_row(row) if row else None,
            role=switched.role,
            access_token=token,
            user_errors=[],
        )


async def _wrap(
    info: Info, result: tuple[IdentityProviderRow, str] | None
) -> IdentityProvider | None:
    if result is None:
        return None
    # Its redirect URI is the server's address (config.public_url) and the organization's slug.
    return IdentityProvider.from_row(result[0])
