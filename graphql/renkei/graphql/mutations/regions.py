"""Mutations on regions: found, change, adopt a vision, invite, answer, leave."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.regions import Region, RegionMember, RegionRole
from renkei.identity.scopes import PROJECTS_WRITE
from renkei.regions import models, service


@strawberry.input(
    description="A new wide-area region (広域リージョン); your acting organization"
    " becomes its secretariat (事務局)."
)
class CreateRegionInput:
    slug: str = strawberry.field(description="Lower-case letters, digits, hyphens: e.g. kyushu.")
    name: str = strawberry.field(description="Its name, e.g. 九州広域リージョン.")
    prefecture_codes: list[str] = strawberry.field(
        description="JIS X 0401 codes of the prefectures it covers: at least two."
    )
    declaration_text: str = strawberry.field(default="", description="宣言: its text.")
    declared_on: date | None = strawberry.field(
        default=None, description="When the declaration (宣言) was made; null if not yet."
    )
    vision_text: str | None = strawberry.field(
        default=None, description="ビジョン, if one is adopted already (with visionAdoptedOn)."
    )
    vision_adopted_on: date | None = strawberry.field(
        default=None, description="When the vision was adopted; with visionText."
    )


@strawberry.input(
    description="Changes to a region (its secretariat's owners and admins): only"
    " the fields given change."
)
class UpdateRegionInput:
    id: strawberry.ID = strawberry.field(description="The region's global id.")
    version: int = strawberry.field(description="The version you read; a stale one conflicts.")
    slug: str | None = strawberry.field(
        default=None,
        description="A new slug (lower-case letters, digits, hyphens); unchanged if not given.",
    )
    name: str | None = strawberry.field(
        default=None, description="A new name; unchanged if not given."
    )
    prefecture_codes: list[str] | None = strawberry.field(
        default=None,
        description="The prefectures it covers (JIS X 0401 codes, at least two),"
        " replacing the current ones; unchanged if not given.",
    )
    declaration_text: str | None = strawberry.field(
        default=None, description="A new text of the declaration (宣言); unchanged if not given."
    )
    declared_on: date | None = strawberry.field(
        default=None, description="A new declaration date; unchanged if not given."
    )


@strawberry.input(
    description="A new version of a region's vision (ビジョン): projects, 役割分担, 実施体制."
)
class AdoptRegionVisionInput:
    region_id: strawberry.ID = strawberry.field(description="The region's global id.")
    text: str = strawberry.field(
        description="The vision's text; it replaces the one in force and its version"
        " goes up by one."
    )
    adopted_on: date = strawberry.field(description="When it was adopted.")
    version: int | None = strawberry.field(
        default=None, description="The region's version you read, to refuse a stale adoption."
    )


@strawberry.type(description="The result of a mutation on a region.")
class RegionPayload:
    region: Region | None = strawberry.field(
        description="The region as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="An organization the secretariat invites into a region.")
class InviteRegionMemberInput:
    region_id: strawberry.ID = strawberry.field(description="The region's global id.")
    organization_id: strawberry.ID = strawberry.field(
        description="The invited organization's global id."
    )
    role: RegionRole = strawberry.field(  # type: ignore[valid-type]
        default=models.RegionRole.MEMBER,
        description="Its part in the region once it accepts (MEMBER by default).",
    )
    is_signatory: bool = strawberry.field(
        default=False, description="Invite it to sign the declaration (宣言) too."
    )
    represented_by_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The body (a signatory of the region) that signed the declaration on its "
        "behalf, e.g. a 広域連合 for its member 府県 and 政令市; the member confirms it.",
    )


@strawberry.input(
    description="Your acting organization confirms that a signatory signed the"
    " declaration on its behalf."
)
class ConfirmRegionRepresentationInput:
    region_member_id: strawberry.ID = strawberry.field(
        description="Your organization's RegionMember global id in the region."
    )


@strawberry.input(description="Your acting organization's answer to an invitation into a region.")
class AnswerRegionInvitationInput:
    region_member_id: strawberry.ID = strawberry.field(
        description="The invitation's global id (a RegionMember that is INVITED)."
    )
    accept: bool = strawberry.field(description="true to join the region, false to decline.")


@strawberry.input(description="The region your acting organization leaves.")
class LeaveRegionInput:
    region_id: strawberry.ID = strawberry.field(description="The region's global id.")
    confirm: bool = strawberry.field(
        default=False,
        description=(
            "Leaving takes two calls: the first answers CONFIRMATION_REQUIRED saying what will "
            "happen, the second sends true."
        ),
    )


@strawberry.type(description="The result of a mutation on a region's member.")
class RegionMemberPayload:
    region_member: RegionMember | None = strawberry.field(
        description="The membership as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def _region_payload(row: models.Region | None, errors: list[UserError]) -> RegionPayload:
    return RegionPayload(region=Region.from_row(row) if row else None, user_errors=errors)


def _member_payload(
    row: models.RegionMember | None, errors: list[UserError]
) -> RegionMemberPayload:
    return RegionMemberPayload(
        region_member=RegionMember.from_row(row) if row else None, user_errors=errors
    )


@strawberry.type
class RegionMutations:
    @strawberry.mutation(
        description="Found a region; your organization becomes its secretariat (owners, admins)."
    )
    async def create_region(
        self, info: Info, input: Annotated[CreateRegionInput, INPUT]
    ) -> RegionPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.create_region(
                session,
                viewer,
                slug=input.slug,
                name=input.name,
                prefecture_codes=input.prefecture_codes,
                declaration_text=input.declaration_text,
                declared_on=input.declared_on,
                vision_text=input.vision_text,
                vision_adopted_on=input.vision_adopted_on,
            ),
            scope=PROJECTS_WRITE,
        )
        return _region_payload(row, errors)

    @strawberry.mutation(description="Change a region (its secretariat's owners and admins).")
    async def update_region(
        self, info: Info, input: Annotated[UpdateRegionInput, INPUT]
    ) -> RegionPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.update_region(
                session,
                viewer,
                region_id=decode_id(input.id, "Region"),
                version=input.version,
                slug=input.slug,
                name=input.name,
                prefecture_codes=input.prefecture_codes,
                declaration_text=input.declaration_text,
                declared_on=input.declared_on,
            ),
            scope=PROJECTS_WRITE,
        )
        return _region_payload(row, errors)

    @strawberry.mutation(description="Adopt a new version of a region's vision (its secretariat).")
    async def adopt_region_vision(
        self, info: Info, input: Annotated[AdoptRegionVisionInput, INPUT]
    ) -> RegionPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.adopt_vision(
                session,
                viewer,
                region_id=decode_id(input.region_id, "Region", field="regionId"),
                text=input.text,
                adopted_on=input.adopted_on,
                version=input.version,
            ),
            scope=PROJECTS_WRITE,
        )
        return _region_payload(row, errors)

    @strawberry.mutation(
        description="Invite an organization to a region (its secretariat); it joins only when "
        "its own admins accept."
    )
    async def invite_region_member(
        self, info: Info, input: Annotated[InviteRegionMemberInput, INPUT]
    ) -> RegionMemberPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.invite_region_member(
                session,
                viewer,
                region_id=decode_id(input.region_id, "Region", field="regionId"),
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                role=input.role,
                is_signatory=input.is_signatory,
                represented_by_organization_id=(
                    decode_id(input.represented_by_id, "Organization", field="representedById")
                    if input.represented_by_id is not None
                    else None
                ),
            ),
            scope=PROJECTS_WRITE,
        )
        return _member_payload(row, errors)

    @strawberry.mutation(
        description="Accept or decline your acting organization's invitation to a region."
    )
    async def answer_region_invitation(
        self, info: Info, input: Annotated[AnswerRegionInvitationInput, INPUT]
    ) -> RegionMemberPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.answer_region_invitation(
                session,
                viewer,
                region_member_id=decode_id(
                    input.region_member_id, "RegionMember", field="regionMemberId"
                ),
                accept=input.accept,
            ),
            scope=PROJECTS_WRITE,
        )
        return _member_payload(row, errors)

    @strawberry.mutation(
        description="Confirm that the body named as your acting organization's representative "
        "signed the region's declaration on its behalf."
    )
    async def confirm_region_representation(
        self, info: Info, input: Annotated[ConfirmRegionRepresentationInput, INPUT]
    ) -> RegionMemberPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.confirm_representation(
                session,
                viewer,
                region_member_id=decode_id(
                    input.region_member_id, "RegionMember", field="regionMemberId"
                ),
            ),
            scope=PROJECTS_WRITE,
        )
        return _member_payload(row, errors)

    @strawberry.mutation(description="Take your acting organization out of a region.")
    async def leave_region(
        self, info: Info, input: Annotated[LeaveRegionInput, INPUT]
    ) -> RegionMemberPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.leave_region(
                session,
                viewer,
                region_id=decode_id(input.region_id, "Region", field="regionId"),
                confirm=input.confirm,
            ),
            scope=PROJECTS_WRITE,
        )
        return _member_payload(row, errors)
