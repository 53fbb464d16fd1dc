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


@strawberry.input
class CreateRegionInput:
    slug: str = strawberry.field(description="Lower-case letters, digits, hyphens: e.g. kyushu.")
    name: str
    prefecture_codes: list[str] = strawberry.field(
        description="JIS X 0401 codes of the prefectures it covers: at least two."
    )
    declaration_text: str = strawberry.field(default="", description="宣言: its text.")
    declared_on: date | None = None
    vision_text: str | None = strawberry.field(
        default=None, description="ビジョン, if one is adopted already (with visionAdoptedOn)."
    )
    vision_adopted_on: date | None = None


@strawberry.input
class UpdateRegionInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a stale one conflicts.")
    slug: str | None = None
    name: str | None = None
    prefecture_codes: list[str] | None = None
    declaration_text: str | None = None
    declared_on: date | None = None


@strawberry.input
class AdoptRegionVisionInput:
    region_id: strawberry.ID
    text: str
    adopted_on: date
    version: int | None = strawberry.field(
        default=None, description="The region's version you read, to refuse a stale adoption."
    )


@strawberry.type
class RegionPayload:
    region: Region | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input
class InviteRegionMemberInput:
    region_id: strawberry.ID
    organization_id: strawberry.ID
    role: RegionRole = models.RegionRole.MEMBER  # type: ignore[valid-type]
    is_signatory: bool = strawberry.field(
        default=False, description="Invite it to sign the declaration (宣言) too."
    )
    represented_by_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The body (a signatory of the region) that signed the declaration on its "
        "behalf, e.g. a 広域連合 for its member 府県 and 政令市; the member confirms it.",
    )


@strawberry.input
class ConfirmRegionRepresentationInput:
    region_member_id: strawberry.ID


@strawberry.input
class AnswerRegionInvitationInput:
    region_member_id: strawberry.ID
    accept: bool


@strawberry.input
class LeaveRegionInput:
    region_id: strawberry.ID
    confirm: bool = strawberry.field(
        default=False,
        description=(
            "Leaving takes two calls: the first answers CONFIRMATION_REQUIRED saying what will "
            "happen, the second sends true."
        ),
    )


@strawberry.type
class RegionMemberPayload:
    region_member: RegionMember | None
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
