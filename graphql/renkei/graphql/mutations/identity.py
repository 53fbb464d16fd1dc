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


@strawberry.input(
    description="A value of the provider's role claim and the membership role it gives."
)
class RoleMappingInput:
    value: str = strawberry.field(description="A value of the role claim, e.g. a group name.")
    role: MembershipRole = strawberry.field(  # type: ignore[valid-type]
        description="The role a person with that claim value gets."
    )


@strawberry.input(
    description="Your organization's own OpenID Connect provider (e.g. Microsoft"
    " Entra ID), through which its people sign in."
)
class RegisterIdentityProviderInput:
    organization_id: strawberry.ID = strawberry.field(
        description="Your organization's global id; you must be one of its owners or admins."
    )
    name: str = strawberry.field(
        description="A name people recognize on the sign-in page, e.g. 福岡県庁 Entra ID."
    )
    issuer: str = strawberry.field(
        description="Read from {issuer}/.well-known/openid-configuration."
    )
    client_id: str = strawberry.field(
        description="The client id Renkei was registered under at the provider."
    )
    client_secret: str = strawberry.field(description="Stored encrypted; never returned.")
    email_domains: list[str] = strawberry.field(
        description="The domains this provider is for. Each is claimed for your organization "
        "and vouches for nobody until verified: see Organization.domainClaims."
    )
    jit_provisioning: bool = strawberry.field(
        default=True,
        description="Whether a first sign-in makes the person a member (with the mapped"
        " or default role); true by default.",
    )
    role_claim: str | None = strawberry.field(default=None, description="e.g. groups or roles.")
    role_mapping: list[RoleMappingInput] = strawberry.field(
        description="Role claim values and the roles they give; empty: everyone gets defaultRole.",
        default_factory=list,
    )
    default_role: MembershipRole = strawberry.field(  # type: ignore[valid-type]
        default=Role.MEMBER, description="The role when no mapping matches (MEMBER by default)."
    )


@strawberry.input(description="Changes to an identity provider: only the fields given change.")
class UpdateIdentityProviderInput:
    id: strawberry.ID = strawberry.field(description="The identity provider's global id.")
    name: str | None = strawberry.field(
        default=None, description="A new name; unchanged if not given."
    )
    enabled: bool | None = strawberry.field(
        default=None,
        description="false stops sign-ins through it, true allows them again; unchanged"
        " if not given.",
    )
    email_domains: list[str] | None = strawberry.field(
        default=None,
        description="The domains it is for, replacing the current ones (new ones are"
        " claimed unverified); unchanged if not given.",
    )
    client_secret: str | None = strawberry.field(
        default=None, description="A new secret (rotation); stored encrypted."
    )
    jit_provisioning: bool | None = strawberry.field(
        default=None, description="Whether first sign-ins become members; unchanged if not given."
    )
    role_claim: str | None = strawberry.field(
        default=None,
        description="A new claim to read roles from (e.g. groups); unchanged if not given.",
    )
    role_mapping: list[RoleMappingInput] | None = strawberry.field(
        default=None,
        description="A new mapping, replacing the current one; unchanged if not given.",
    )
    default_role: MembershipRole | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="A new default role; unchanged if not given."
    )


@strawberry.type(description="The result of a mutation on an identity provider.")
class IdentityProviderPayload:
    identity_provider: IdentityProvider | None = strawberry.field(
        description="The provider as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The organization you act for from now on.")
class SwitchOrganizationInput:
    organization_id: strawberry.ID = strawberry.field(
        description="The global id of an organization you are a member of."
    )


@strawberry.type(description="The result of switching the organization you act for.")
class SwitchOrganizationPayload:
    organization: Organization | None = strawberry.field(
        description="The organization you now act for; null when nothing changed."
    )
    role: MembershipRole | None = strawberry.field(  # type: ignore[valid-type]
        description="Your role there; null when nothing changed."
    )
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
                user_id=switched.user_id,
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
