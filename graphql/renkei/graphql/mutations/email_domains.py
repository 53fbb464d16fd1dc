"""Mutations on email domains (claim, check by DNS, operator approval) and the sign-in policy."""

from __future__ import annotations

from typing import Annotated

import strawberry

from renkei.email_domains import service as email_domains
from renkei.email_domains.dns_challenge import DnsChallenge
from renkei.errors import ErrorCode
from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.email_domains import DomainClaim
from renkei.graphql.types.organizations import Organization
from renkei.identity import sign_in_policy
from renkei.identity.scopes import ORGANIZATIONS_WRITE


@strawberry.input(description="An email domain your organization claims as its own.")
class ClaimEmailDomainInput:
    organization_id: strawberry.ID = strawberry.field(
        description="Your organization's global id; you must be one of its owners or admins."
    )
    domain: str = strawberry.field(description="The domain, e.g. pref.fukuoka.lg.jp; lower-cased.")


@strawberry.input(description="The domain claim whose DNS challenge to check now.")
class CheckEmailDomainInput:
    id: strawberry.ID = strawberry.field(description="The DomainClaim's id.")


@strawberry.input(description="An organization's email domain a platform operator approves.")
class VerifyEmailDomainInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization's global id.")
    domain: str = strawberry.field(description="The domain it claimed.")


@strawberry.type(description="The result of a mutation on a domain claim.")
class DomainClaimPayload:
    domain_claim: DomainClaim | None = strawberry.field(
        description="The claim as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="How your organization's members may sign in.")
class SetSignInPolicyInput:
    organization_id: strawberry.ID = strawberry.field(
        description="Your organization's global id; you must be one of its owners or admins."
    )
    require_own_provider: bool = strawberry.field(
        description="Members must sign in through this organization's own identity provider "
        "to act for it (switchOrganization from another sign-in is refused)."
    )


@strawberry.type(description="The result of setting the sign-in policy.")
class SetSignInPolicyPayload:
    organization: Organization | None = strawberry.field(
        description="The organization as it is now; null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def _wrap(row: object | None) -> DomainClaim | None:
    return DomainClaim.from_row(row) if row is not None else None  # type: ignore[arg-type]


@strawberry.type
class EmailDomainMutations:
    @strawberry.mutation(
        description="Claim an email domain for your organization (admins); it stays PENDING "
        "until you publish its challenge in DNS and check it, or an operator approves it."
    )
    async def claim_email_domain(
        self, info: Info, input: Annotated[ClaimEmailDomainInput, INPUT]
    ) -> DomainClaimPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await email_domains.claim_domain(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                domain=input.domain,
            )

        row, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return DomainClaimPayload(domain_claim=_wrap(row), user_errors=errors)

    @strawberry.mutation(
        description="Look up the claim's DNS challenge now; VERIFIED when the TXT record holds "
        "it. A failed check leaves the claim PENDING, says why, and keeps lastCheckError."
    )
    async def check_email_domain(
        self, info: Info, input: Annotated[CheckEmailDomainInput, INPUT]
    ) -> DomainClaimPayload:
        sign_in = info.context.sign_in
        dns = sign_in.dns if sign_in is not None else DnsChallenge()

        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await email_domains.check(
                session, viewer, claim_id=decode_id(input.id, "DomainClaim"), dns=dns
            )

        result, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        if result is None:
            return DomainClaimPayload(domain_claim=None, user_errors=errors)
        row, problem = result
        if problem is not None:
            errors = [UserError(field="id", code=ErrorCode.INVALID, message=problem)]
        return DomainClaimPayload(domain_claim=_wrap(row), user_errors=errors)

    @strawberry.mutation(
        description="Platform operators only: approve an organization's email domain without "
        "DNS (recorded in its audit log)."
    )
    async def verify_email_domain(
        self, info: Info, input: Annotated[VerifyEmailDomainInput, INPUT]
    ) -> DomainClaimPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await email_domains.verify_as_operator(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                domain=input.domain,
            )

        row, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return DomainClaimPayload(domain_claim=_wrap(row), user_errors=errors)

    @strawberry.mutation(
        description="Decide whether members must sign in through your own provider (admins)."
    )
    async def set_sign_in_policy(
        self, info: Info, input: Annotated[SetSignInPolicyInput, INPUT]
    ) -> SetSignInPolicyPayload:
        async def work(session, viewer):  # type: ignore[no-untyped-def]
            return await sign_in_policy.set_require_own_provider(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                required=input.require_own_provider,
            )

        row, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return SetSignInPolicyPayload(
            organization=Organization.from_row(row) if row is not None else None,
            user_errors=errors,
        )
