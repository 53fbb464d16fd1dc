"""Mutations on projects, their participants and their funding sources."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
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


@strawberry.input(description="A new project (プロジェクト) led by your acting organization.")
class CreateProjectInput:
    name: str = strawberry.field(
        description="The project's name, e.g. 「九州半導体サプライチェーン強靱化プロジェクト」."
    )
    category: ProjectCategory = strawberry.field(  # type: ignore[valid-type]
        description="What the project does (半導体, 共同研究・開発, 周遊型観光, ...)."
    )
    summary: str = strawberry.field(
        default="",
        description="What the project does and why, in a few sentences; empty by default.",
    )
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
    starts_on: date | None = strawberry.field(
        default=None, description="When the project starts; null if not decided."
    )
    ends_on: date | None = strawberry.field(
        default=None, description="When the project ends; null if not decided; not before startsOn."
    )


@strawberry.type(description="The result of a mutation on a project.")
class ProjectPayload:
    project: Project | None = strawberry.field(
        description="The project as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Changes to a project: only the fields given change.")
class UpdateProjectInput:
    id: strawberry.ID = strawberry.field(description="The project's global id.")
    version: int = strawberry.field(description="The version you read.")
    name: str | None = strawberry.field(
        default=None, description="A new name; unchanged if not given."
    )
    summary: str | None = strawberry.field(
        default=None, description="A new summary; unchanged if not given."
    )
    category: ProjectCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="A new category; unchanged if not given."
    )
    visibility: ProjectVisibility | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Who sees the project from now on; unchanged if not given."
    )
    prefecture_codes: list[str] | None = strawberry.field(
        default=None,
        description="The prefectures it covers, as JIS X 0401 codes, replacing the"
        " current ones; unchanged if not given.",
    )
    starts_on: date | None = strawberry.field(
        default=None, description="A new start date; unchanged if not given."
    )
    ends_on: date | None = strawberry.field(
        default=None, description="A new end date; unchanged if not given."
    )


@strawberry.input(description="A project and the status to move it to.")
class ChangeProjectStatusInput:
    id: strawberry.ID = strawberry.field(description="The project's global id.")
    status: ProjectStatus = strawberry.field(  # type: ignore[valid-type]
        description="The status wanted; it must be one of the project's allowedTransitions."
    )
    version: int | None = strawberry.field(
        default=None, description="The version you read; a stale one conflicts."
    )


@strawberry.input(description="An organization to invite to a project, and its role there.")
class InviteProjectParticipantInput:
    project_id: strawberry.ID = strawberry.field(description="The project's global id.")
    organization_id: strawberry.ID = strawberry.field(
        description="The invited organization's global id."
    )
    role: ParticipantRole = strawberry.field(  # type: ignore[valid-type]
        description="Its part in the project once it accepts."
    )


@strawberry.type(description="The result of a mutation on a project's participant.")
class ProjectParticipantPayload:
    participant: ProjectParticipant | None = strawberry.field(
        description="The participation as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Your acting organization's answer to an invitation to a project.")
class AnswerProjectParticipationInput:
    participant_id: strawberry.ID = strawberry.field(
        description="The invitation's global id (a ProjectParticipant that is INVITED)."
    )
    accept: bool = strawberry.field(description="true to join the project, false to decline.")


@strawberry.input(description="The participation to end.")
class RemoveProjectParticipantInput:
    participant_id: strawberry.ID = strawberry.field(
        description="The ProjectParticipant's global id; the lead cannot be removed."
    )


@strawberry.type(description="The result of taking an organization off a project.")
class RemoveProjectParticipantPayload:
    removed_participant_id: strawberry.ID | None = strawberry.field(
        description="The global id of the participation removed; null when nothing was removed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="A source of a project's money (財源).")
class AddFundingSourceInput:
    project_id: strawberry.ID = strawberry.field(description="The project's global id.")
    kind: FundingKind = strawberry.field(  # type: ignore[valid-type]
        description="Where the money comes from: 交付金, 補助金, 企業版ふるさと納税, a"
        " bank's loan, ..."
    )
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


@strawberry.type(description="The result of recording a funding source.")
class FundingSourcePayload:
    funding_source: FundingSource | None = strawberry.field(
        description="The funding source as recorded; null when nothing was recorded."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The funding source to remove.")
class RemoveFundingSourceInput:
    funding_source_id: strawberry.ID = strawberry.field(
        description="The FundingSource's global id."
    )


@strawberry.type(description="The result of removing a funding source.")
class RemoveFundingSourcePayload:
    removed_funding_source_id: strawberry.ID | None = strawberry.field(
        description="The global id of the funding source removed; null when nothing was removed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


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
    async def create_project(
        self, info: Info, input: Annotated[CreateProjectInput, INPUT]
    ) -> ProjectPayload:
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
    async def update_project(
        self, info: Info, input: Annotated[UpdateProjectInput, INPUT]
    ) -> ProjectPayload:
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
        self, info: Info, input: Annotated[ChangeProjectStatusInput, INPUT]
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
        self, info: Info, input: Annotated[InviteProjectParticipantInput, INPUT]
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
        self, info: Info, input: Annotated[AnswerProjectParticipationInput, INPUT]
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
        self, info: Info, input: Annotated[RemoveProjectParticipantInput, INPUT]
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
        self, info: Info, input: Annotated[AddFundingSourceInput, INPUT]
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
        self, info: Info, input: Annotated[RemoveFundingSourceInput, INPUT]
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
