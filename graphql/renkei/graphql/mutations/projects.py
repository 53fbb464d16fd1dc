"""Mutations on projects, their participants and their funding sources."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import UserError, run_mutation
from renkei.graphql.relay import decode_id, to_global_id
from renkei.graphql.types.projects import (
    FundingKind,
    FundingSource,
    ParticipantRole,
    Project,
    ProjectCategory,
    ProjectParticipant,
    ProjectStatus,
    ProjectVisibility,
)
from renkei.identity.scopes import PROJECTS_WRITE
from renkei.projects import models, service
from renkei.tenancy import Viewer


@strawberry.input
class CreateProjectInput:
    name: str
    category: ProjectCategory  # type: ignore[valid-type]
    summary: str = ""
    region_id: strawberry.ID | None = strawberry.field(
        default=None, description="The region it belongs to; your organization must be a member."
    )
    visibility: ProjectVisibility | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="REGION in a region, PARTICIPANTS otherwise, if not given."
    )
    prefecture_codes: list[str] | None = strawberry.field(
        default=None,
        description="JIS X 0401 codes: some of the region's (all of them if not given), or at "
        "least two for a project outside a region.",
    )
    starts_on: date | None = None
    ends_on: date | None = None


@strawberry.type
class ProjectPayload:
    project: Project | None
    user_errors: list[UserError]


@strawberry.input
class UpdateProjectInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read.")
    name: str | None = None
    summary: str | None = None
    category: ProjectCategory | None = None  # type: ignore[valid-type]
    visibility: ProjectVisibility | None = None  # type: ignore[valid-type]
    prefecture_codes: list[str] | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@strawberry.input
class ChangeProjectStatusInput:
    id: strawberry.ID
    status: ProjectStatus  # type: ignore[valid-type]
    version: int | None = strawberry.field(
        default=None, description="The version you read; a stale one conflicts."
    )


@strawberry.input
class InviteProjectParticipantInput:
    project_id: strawberry.ID
    organization_id: strawberry.ID
    role: ParticipantRole  # type: ignore[valid-type]


@strawberry.type
class ProjectParticipantPayload:
    participant: ProjectParticipant | None
    user_errors: list[UserError]


@strawberry.input
class AnswerProjectParticipationInput:
    participant_id: strawberry.ID
    accept: bool


@strawberry.input
class RemoveProjectParticipantInput:
    participant_id: strawberry.ID


@strawberry.type
class RemoveProjectParticipantPayload:
    removed_participant_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.input
class AddFundingSourceInput:
    project_id: strawberry.ID
    kind: FundingKind  # type: ignore[valid-type]
    name: str = strawberry.field(description="e.g. 新しい地方経済・生活環境創生交付金")
    amount_jpy: float = strawberry.field(description="In JPY: a whole number above 0.")
    fiscal_year: int | None = strawberry.field(default=None, description="年度, e.g. 2025.")
    funder_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The organization that provides it, if one does; for "
        "CORPORATE_HOMETOWN_TAX (企業版ふるさと納税), the donor firm.",
    )
    staff_secondment: bool = strawberry.field(
        default=False,
        description="A CORPORATE_HOMETOWN_TAX donation given as seconded staff (人材派遣型).",
    )


@strawberry.type
class FundingSourcePayload:
    funding_source: FundingSource | None
    user_errors: list[UserError]


@strawberry.input
class RemoveFundingSourceInput:
    funding_source_id: strawberry.ID


@strawberry.type
class RemoveFundingSourcePayload:
    removed_funding_source_id: strawberry.ID | None
    user_errors: list[UserError]


def _project_payload(row: models.Project | None, errors: list[UserError]) -> ProjectPayload:
    return ProjectPayload(project=Project.from_row(row) if row else None, user_errors=errors)


def _participant_payload(
    row: models.ProjectParticipant | None, errors: list[UserError]
) -> ProjectParticipantPayload:
    return ProjectParticipantPayload(
        participant=ProjectParticipant.from_row(row) if row else None, user_errors=errors
    )


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(
        description="Create a project led by your acting organization (its owners and admins); "
        "it starts PLANNED."
    )
    async def create_project(self, info: Info, input: CreateProjectInput) -> ProjectPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.Project:
            return await service.create_project(
                session,
                viewer,
                name=input.name,
                category=input.category,
                summary=input.summary,
                region_id=decode_id(input.region_id, "Region", field="regionId")
                if input.region_id
                else None,
                visibility=input.visibility,
                prefecture_codes=input.prefecture_codes,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
            )

        return _project_payload(*await run_mutation(info, work, scope=PROJECTS_WRITE))

    @strawberry.mutation(
        description="Change a project's description (its lead's owners and admins), carrying "
        "the version you read."
    )
    async def update_project(self, info: Info, input: UpdateProjectInput) -> ProjectPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.Project:
            return await service.update_project(
                session,
                viewer,
                project_id=decode_id(input.id, "Project"),
                version=input.version,
                name=input.name,
                summary=input.summary,
                category=input.category,
                visibility=input.visibility,
                prefecture_codes=input.prefecture_codes,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
            )

        return _project_payload(*await run_mutation(info, work, scope=PROJECTS_WRITE))

    @strawberry.mutation(
        description="Move a project to another status; see Project.allowedTransitions."
    )
    async def change_project_status(
        self, info: Info, input: ChangeProjectStatusInput
    ) -> ProjectPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.Project:
            return await service.change_project_status(
                session,
                viewer,
                project_id=decode_id(input.id, "Project"),
                status=input.status,
                version=input.version,
            )

        return _project_payload(*await run_mutation(info, work, scope=PROJECTS_WRITE))

    @strawberry.mutation(
        description="Invite an organization to take part; it joins when its admins accept."
    )
    async def invite_project_participant(
        self, info: Info, input: InviteProjectParticipantInput
    ) -> ProjectParticipantPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.ProjectParticipant:
            return await service.invite_participant(
                session,
                viewer,
                project_id=decode_id(input.project_id, "Project", field="projectId"),
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                role=input.role,
            )

        return _participant_payload(*await run_mutation(info, work, scope=PROJECTS_WRITE))

    @strawberry.mutation(
        description="Accept or decline your acting organization's invitation to a project."
    )
    async def answer_project_participation(
        self, info: Info, input: AnswerProjectParticipationInput
    ) -> ProjectParticipantPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.ProjectParticipant:
            return await service.answer_participation(
                session,
                viewer,
                participant_id=decode_id(
                    input.participant_id, "ProjectParticipant", field="participantId"
                ),
                accept=input.accept,
            )

        return _participant_payload(*await run_mutation(info, work, scope=PROJECTS_WRITE))

    @strawberry.mutation(description="Take an organization off a project; the lead stays.")
    async def remove_project_participant(
        self, info: Info, input: RemoveProjectParticipantInput
    ) -> RemoveProjectParticipantPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> strawberry.ID:
            removed = await service.remove_participant(
                session,
                viewer,
                participant_id=decode_id(
                    input.participant_id, "ProjectParticipant", field="participantId"
                ),
            )
            return to_global_id("ProjectParticipant", removed)

        removed_id, errors = await run_mutation(info, work, scope=PROJECTS_WRITE)
        return RemoveProjectParticipantPayload(
            removed_participant_id=removed_id, user_errors=errors
        )

    @strawberry.mutation(description="Record a source of the project's money (lead's admins).")
    async def add_funding_source(
        self, info: Info, input: AddFundingSourceInput
    ) -> FundingSourcePayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.FundingSource:
            return await service.add_funding_source(
                session,
                viewer,
                project_id=decode_id(input.project_id, "Project", field="projectId"),
                kind=input.kind,
                name=input.name,
                amount_jpy=input.amount_jpy,
                fiscal_year=input.fiscal_year,
                funder_organization_id=decode_id(input.funder_id, "Organization", field="funderId")
                if input.funder_id
                else None,
                staff_secondment=input.staff_secondment,
            )

        row, errors = await run_mutation(info, work, scope=PROJECTS_WRITE)
        return FundingSourcePayload(
            funding_source=FundingSource.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Remove a funding source (lead's admins).")
    async def remove_funding_source(
        self, info: Info, input: RemoveFundingSourceInput
    ) -> RemoveFundingSourcePayload:
        async def work(session: AsyncSession, viewer: Viewer) -> strawberry.ID:
            removed = await service.remove_funding_source(
                session,
                viewer,
                funding_source_id=decode_id(
                    input.funding_source_id, "FundingSource", field="fundingSourceId"
                ),
            )
            return to_global_id("FundingSource", removed)

        removed_id, errors = await run_mutation(info, work, scope=PROJECTS_WRITE)
        return RemoveFundingSourcePayload(removed_funding_source_id=removed_id, user_errors=errors)
