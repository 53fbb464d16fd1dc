"""Mutations on organizations and their members."""

from __future__ import annotations

from typing import Annotated

import strawberry

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id, to_global_id
from renkei.graphql.types.locales import Locale, LocaleValue, stored_locale
from renkei.graphql.types.organizations import (
    Invitation,
    Membership,
    MembershipRole,
    Organization,
    OrganizationKind,
)
from renkei.identity.scopes import ORGANIZATIONS_WRITE
from renkei.organizations import service, verification


@strawberry.input(
    description="A new organization (a tenant): a local government, firm,"
    " university, bank, ...; you become its first owner."
)
class CreateOrganizationInput:
    slug: str = strawberry.field(description="Lower-case letters, digits, hyphens: e.g. gifu-pref.")
    name: str = strawberry.field(description="Its official name, e.g. 株式会社阿蘇精密 or 岐阜県.")
    kind: OrganizationKind = strawberry.field(  # type: ignore[valid-type]
        description="What kind of organization it is (産官学金労言士)."
    )
    home_prefecture_code: str = strawberry.field(description="JIS X 0401 code, 01 to 47.")
    corporate_number: str | None = strawberry.field(default=None, description="法人番号")
    local_government_code: str | None = strawberry.field(
        default=None, description="全国地方公共団体コード, required for local governments."
    )


def _locale_change(value: LocaleValue | None) -> dict[str, str | None]:
    """The default_locale argument of an update: none when the input left it out."""
    return {} if value is strawberry.UNSET else {"default_locale": stored_locale(value)}


@strawberry.type(description="The result of a mutation on an organization.")
class OrganizationPayload:
    organization: Organization | None = strawberry.field(
        description="The organization as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Changes to your organization (its owners and admins): only the"
    " fields given change."
)
class UpdateOrganizationInput:
    id: strawberry.ID = strawberry.field(description="The organization's global id.")
    slug: str | None = strawberry.field(
        default=None,
        description="A new slug (lower-case letters, digits, hyphens); unchanged if not given.",
    )
    name: str | None = strawberry.field(
        default=None, description="A new name; unchanged if not given."
    )
    home_prefecture_code: str | None = strawberry.field(
        default=None,
        description="A new home prefecture (JIS X 0401 code, 01 to 47); unchanged if not given.",
    )
    corporate_number: str | None = strawberry.field(
        default=None, description="A new 法人番号 (13 digits, checked); unchanged if not given."
    )
    local_government_code: str | None = strawberry.field(
        default=None,
        description="A new 全国地方公共団体コード (6 digits, checked); unchanged if not given.",
    )
    default_locale: Locale | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="The language its members read by default; null clears it (JA).",
    )


@strawberry.input(
    description="An email address to invite into an organization, with the role it will have."
)
class InviteMemberInput:
    organization_id: strawberry.ID = strawberry.field(
        description="The organization's global id; you must be one of its owners or admins."
    )
    email: str = strawberry.field(
        description="Where the invitation is sent; only a person signed in with this"
        " address may accept it, within 14 days."
    )
    role: MembershipRole = strawberry.field(  # type: ignore[valid-type]
        default=MembershipRole.MEMBER,
        description="The role the invitee gets on accepting (MEMBER by default).",
    )


@strawberry.type(description="The result of a mutation on an invitation.")
class InvitationPayload:
    invitation: Invitation | None = strawberry.field(
        description="The invitation as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The invitation you accept or decline.")
class AnswerInvitationInput:
    invitation_id: strawberry.ID = strawberry.field(
        description="The invitation's global id; it must be addressed to your email and PENDING."
    )


@strawberry.type(description="The result of a mutation on a membership.")
class MembershipPayload:
    membership: Membership | None = strawberry.field(
        description="The membership as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="A member and the role they get (the organization's owners and admins)."
)
class ChangeMemberRoleInput:
    membership_id: strawberry.ID = strawberry.field(description="The membership's global id.")
    role: MembershipRole = strawberry.field(  # type: ignore[valid-type]
        description="The new role; an organization keeps at least one OWNER."
    )


@strawberry.input(description="The membership to end (the organization's owners and admins).")
class RemoveMemberInput:
    membership_id: strawberry.ID = strawberry.field(description="The membership's global id.")
    confirm: bool = strawberry.field(
        default=False,
        description=(
            "Removing your own membership as an owner or admin takes two calls: the first "
            "answers CONFIRMATION_REQUIRED saying what will happen, the second sends true."
        ),
    )


@strawberry.input(
    description="A platform operator's verification of an organization and its codes."
)
class VerifyOrganizationInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization's global id.")
    verified: bool = strawberry.field(
        default=True, description="false withdraws the organization's verification."
    )


@strawberry.type(description="The result of removing a member.")
class RemoveMemberPayload:
    removed_membership_id: strawberry.ID | None = strawberry.field(
        description="The global id of the membership removed; null when nothing was removed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class OrganizationMutations:
    @strawberry.mutation(description="Create an organization; you become its first owner.")
    async def create_organization(
        self, info: Info, input: Annotated[CreateOrganizationInput, INPUT]
    ) -> OrganizationPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.create_organization(
                session,
                viewer,
                slug=input.slug,
                name=input.name,
                kind=input.kind,
                home_prefecture_code=input.home_prefecture_code,
                corporate_number=input.corporate_number,
                local_government_code=input.local_government_code,
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return OrganizationPayload(
            organization=Organization.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Change an organization's profile (owners and admins).")
    async def update_organization(
        self, info: Info, input: Annotated[UpdateOrganizationInput, INPUT]
    ) -> OrganizationPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.update_organization(
                session,
                viewer,
                organization_id=decode_id(input.id, "Organization"),
                slug=input.slug,
                name=input.name,
                home_prefecture_code=input.home_prefecture_code,
                corporate_number=input.corporate_number,
                local_government_code=input.local_government_code,
                **_locale_change(input.default_locale),
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return OrganizationPayload(
            organization=Organization.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Invite an email address to join your organization.")
    async def invite_member(
        self, info: Info, input: Annotated[InviteMemberInput, INPUT]
    ) -> InvitationPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.invite_member(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                email=input.email,
                role=input.role,
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return InvitationPayload(
            invitation=Invitation.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Accept an invitation sent to your address.")
    async def accept_invitation(
        self, info: Info, input: Annotated[AnswerInvitationInput, INPUT]
    ) -> MembershipPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.accept_invitation(
                session,
                viewer,
                invitation_id=decode_id(input.invitation_id, "Invitation", field="invitationId"),
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return MembershipPayload(
            membership=Membership.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Decline an invitation sent to your address.")
    async def decline_invitation(
        self, info: Info, input: Annotated[AnswerInvitationInput, INPUT]
    ) -> InvitationPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.decline_invitation(
                session,
                viewer,
                invitation_id=decode_id(input.invitation_id, "Invitation", field="invitationId"),
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return InvitationPayload(
            invitation=Invitation.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Change a member's role (owners and admins; owners for OWNER)."
    )
    async def change_member_role(
        self, info: Info, input: Annotated[ChangeMemberRoleInput, INPUT]
    ) -> MembershipPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.change_member_role(
                session,
                viewer,
                membership_id=decode_id(input.membership_id, "Membership", field="membershipId"),
                role=input.role,
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return MembershipPayload(
            membership=Membership.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Remove a member; an organization keeps at least one owner.")
    async def remove_member(
        self, info: Info, input: Annotated[RemoveMemberInput, INPUT]
    ) -> RemoveMemberPayload:
        removed, errors = await run_mutation(
            info,
            lambda session, viewer: service.remove_member(
                session,
                viewer,
                membership_id=decode_id(input.membership_id, "Membership", field="membershipId"),
                confirm=input.confirm,
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return RemoveMemberPayload(
            removed_membership_id=to_global_id("Membership", removed) if removed else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Verify an organization, or withdraw its verification (platform operators)."
    )
    async def verify_organization(
        self, info: Info, input: Annotated[VerifyOrganizationInput, INPUT]
    ) -> OrganizationPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: verification.verify_as_operator(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                verified=input.verified,
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return OrganizationPayload(
            organization=Organization.from_row(row) if row else None, user_errors=errors
        )
