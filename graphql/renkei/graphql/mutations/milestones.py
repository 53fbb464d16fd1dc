"""Mutations on milestones, their dependencies and the baselines of a project's plan."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.milestones import Baseline, Milestone, MilestoneStatus
from renkei.identity.scopes import PROJECTS_WRITE
from renkei.milestones import baselines, dependencies
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone as MilestoneRow
from renkei.milestones.models import MilestoneDependency
from renkei.tenancy import Viewer


@strawberry.input(
    description="A new milestone (マイルストーン) of a project's 工程表, owned by"
    " an active participant."
)
class CreateMilestoneInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project's global id; you must act for one of its active participants."
    )
    title: str = strawberry.field(description="What is reached, e.g. 「試作ライン稼働」.")
    due_on: date = strawberry.field(description="The day it is due.")
    horizon_years: int = strawberry.field(description="The 工程表 horizon: 1, 3 or 5 years.")
    description: str = strawberry.field(
        default="", description="Details in a few sentences; empty by default."
    )
    starts_on: date | None = strawberry.field(
        default=None,
        description="When the work starts; null if not planned. A predecessor must be due by then.",
    )
    owner_organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active participant; the acting organization by default."
    )
    counterpart_organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active participant that will sign off completion."
    )
    weight: float = strawberry.field(default=1.0, description="Above 0, two decimals at most.")
    evidence_links: list[str] = strawberry.field(default_factory=list, description="http(s) URLs.")


@strawberry.input(description="Only the fields given change; null clears startsOn and counterpart.")
class UpdateMilestoneInput:
    id: strawberry.ID = strawberry.field(description="The milestone's global id.")
    version: int = strawberry.field(description="The version you read.")
    title: str | None = strawberry.field(
        default=None, description="A new title; unchanged if not given."
    )
    description: str | None = strawberry.field(
        default=None, description="New details; unchanged if not given."
    )
    starts_on: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new start date; null clears it; unchanged if not given.",
    )
    due_on: date | None = strawberry.field(
        default=None, description="A new due date; unchanged if not given."
    )
    horizon_years: int | None = strawberry.field(
        default=None, description="A new 工程表 horizon (1, 3 or 5 years); unchanged if not given."
    )
    owner_organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A new owner, an active participant (its global id); unchanged if not given.",
    )
    counterpart_organization_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new counterpart that signs off completion (an active"
        " participant's global id); null removes it; unchanged if not"
        " given.",
    )
    weight: float | None = strawberry.field(
        default=None,
        description="A new weight in the progress formula, above 0, two decimals at"
        " most; unchanged if not given.",
    )
    evidence_links: list[str] | None = strawberry.field(
        default=None, description="http(s) URLs replacing the current ones; unchanged if not given."
    )


@strawberry.input(
    description="A status change or a progress report on a milestone (its owner's members)."
)
class ChangeMilestoneStatusInput:
    id: strawberry.ID = strawberry.field(description="The milestone's global id.")
    version: int = strawberry.field(description="The version you read.")
    status: MilestoneStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="The status wanted; unchanged if not given (progress on a"
        " NOT_STARTED milestone starts it). With a counterpart, DONE comes"
        " from its sign-off.",
    )
    progress: int | None = strawberry.field(
        default=None, description="0 to 100; with a counterpart, 100 asks it to sign off."
    )
    at_risk_reason: str | None = strawberry.field(
        default=None, description="Why, when marking it AT_RISK."
    )


@strawberry.input(
    description="The counterpart's sign-off of a milestone its owner reported at"
    " 100: it becomes DONE."
)
class SignOffMilestoneInput:
    id: strawberry.ID = strawberry.field(description="The milestone's global id.")
    version: int = strawberry.field(description="The version you read.")


@strawberry.input(description="Finish-to-start: the successor starts once the predecessor is due.")
class MilestoneDependencyInput:
    predecessor_id: strawberry.ID = strawberry.field(
        description="The global id of the milestone that must be due first."
    )
    successor_id: strawberry.ID = strawberry.field(
        description="The global id of the milestone that starts once the predecessor is"
        " due; of the same project."
    )


@strawberry.input(
    description="A baseline to take: a frozen copy of a project's milestones, to"
    " compare with later plans."
)
class CreateBaselineInput:
    project_id: strawberry.ID = strawberry.field(description="The project's global id.")
    name: str = strawberry.field(description="Unique in the project, e.g. ビジョン採択時.")


@strawberry.type(description="The result of a mutation on a milestone.")
class MilestonePayload:
    milestone: Milestone | None = strawberry.field(
        description="The milestone as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of adding or removing a dependency between milestones.")
class MilestoneDependencyPayload:
    predecessor: Milestone | None = strawberry.field(
        description="The predecessor as it is now; null when nothing changed."
    )
    successor: Milestone | None = strawberry.field(
        description="The successor as it is now; null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of taking a baseline.")
class BaselinePayload:
    baseline: Baseline | None = strawberry.field(
        description="The baseline taken; null when none was."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def _organization_id(global_id: strawberry.ID | None, field: str) -> uuid.UUID | None:
    return decode_id(global_id, "Organization", field=field) if global_id is not None else None


def _payload(row: MilestoneRow | None, errors: list[UserError]) -> MilestonePayload:
    return MilestonePayload(milestone=Milestone.from_row(row) if row else None, user_errors=errors)


async def _create(
    session: AsyncSession, viewer: Viewer, input: CreateMilestoneInput
) -> MilestoneRow:
    return await milestones.create_milestone(
        session,
        viewer,
        project_id=decode_id(input.project_id, "Project", field="projectId"),
        title=input.title,
        description=input.description,
        starts_on=input.starts_on,
        due_on=input.due_on,
        horizon_years=input.horizon_years,
        owner_organization_id=_organization_id(input.owner_organization_id, "ownerOrganizationId"),
        counterpart_organization_id=_organization_id(
            input.counterpart_organization_id, "counterpartOrganizationId"
        ),
        weight=input.weight,
        evidence_links=input.evidence_links,
    )


async def _update(
    session: AsyncSession, viewer: Viewer, input: UpdateMilestoneInput
) -> MilestoneRow:
    counterpart = input.counterpart_organization_id
    return await milestones.update_milestone(
        session,
        viewer,
        milestone_id=decode_id(input.id, "Milestone"),
        version=input.version,
        title=input.title,
        description=input.description,
        starts_on=milestones.KEEP if input.starts_on is strawberry.UNSET else input.starts_on,
        due_on=input.due_on,
        horizon_years=input.horizon_years,
        owner_organization_id=_organization_id(input.owner_organization_id, "ownerOrganizationId"),
        counterpart_organization_id=(
            milestones.KEEP
            if counterpart is strawberry.UNSET
            else _organization_id(counterpart, "counterpartOrganizationId")
        ),
        weight=input.weight,
        evidence_links=input.evidence_links,
    )


async def _dependency_payload(
    info: Info, found: MilestoneDependency | None, errors: list[UserError]
) -> MilestoneDependencyPayload:
    if found is None:
        return MilestoneDependencyPayload(predecessor=None, successor=None, user_errors=errors)
    loader = info.context.loaders.milestone
    predecessor, successor = await loader.load_many([found.predecessor_id, found.successor_id])
    return MilestoneDependencyPayload(
        predecessor=Milestone.from_row(predecessor) if predecessor else None,
        successor=Milestone.from_row(successor) if successor else None,
        user_errors=errors,
    )


def _ends(input: MilestoneDependencyInput) -> dict[str, uuid.UUID]:
    return {
        "predecessor_id": decode_id(input.predecessor_id, "Milestone", field="predecessorId"),
        "successor_id": decode_id(input.successor_id, "Milestone", field="successorId"),
    }


@strawberry.type
class MilestoneMutations:
    @strawberry.mutation(
        description="Add a milestone (members of the project's participating organizations)."
    )
    async def create_milestone(
        self, info: Info, input: Annotated[CreateMilestoneInput, INPUT]
    ) -> MilestonePayload:
        row, errors = await run_mutation(
            info, lambda session, viewer: _create(session, viewer, input), scope=PROJECTS_WRITE
        )
        return _payload(row, errors)

    @strawberry.mutation(
        description="Change a milestone's plan (its owner's or the project lead's members), from "
        "the version you read: a stale version gets a CONFLICT and nothing changes."
    )
    async def update_milestone(
        self, info: Info, input: Annotated[UpdateMilestoneInput, INPUT]
    ) -> MilestonePayload:
        row, errors = await run_mutation(
            info, lambda session, viewer: _update(session, viewer, input), scope=PROJECTS_WRITE
        )
        return _payload(row, errors)

    @strawberry.mutation(
        description="Move a milestone along its statuses and report progress. With a "
        "counterpart, progress 100 asks for its sign-off; DONE comes from signOffMilestone."
    )
    async def change_milestone_status(
        self, info: Info, input: Annotated[ChangeMilestoneStatusInput, INPUT]
    ) -> MilestonePayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: milestones.change_milestone_status(
                session,
                viewer,
                milestone_id=decode_id(input.id, "Milestone"),
                version=input.version,
                status=input.status,
                progress=input.progress,
                at_risk_reason=input.at_risk_reason,
            ),
            scope=PROJECTS_WRITE,
        )
        return _payload(row, errors)

    @strawberry.mutation(
        description="The counterpart organization confirms completion: the milestone is DONE."
    )
    async def sign_off_milestone(
        self, info: Info, input: Annotated[SignOffMilestoneInput, INPUT]
    ) -> MilestonePayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: milestones.sign_off_milestone(
                session,
                viewer,
                milestone_id=decode_id(input.id, "Milestone"),
                version=input.version,
            ),
            scope=PROJECTS_WRITE,
        )
        return _payload(row, errors)

    @strawberry.mutation(
        description="Make a milestone wait for another, in any project you see; cycles are "
        "refused. Dependents that can no longer start on time are flagged AT_RISK shortly after."
    )
    async def add_milestone_dependency(
        self, info: Info, input: Annotated[MilestoneDependencyInput, INPUT]
    ) -> MilestoneDependencyPayload:
        found, errors = await run_mutation(
            info,
            lambda session, viewer: dependencies.add_dependency(session, viewer, **_ends(input)),
            scope=PROJECTS_WRITE,
        )
        return await _dependency_payload(info, found, errors)

    @strawberry.mutation(description="Remove a dependency.")
    async def remove_milestone_dependency(
        self, info: Info, input: Annotated[MilestoneDependencyInput, INPUT]
    ) -> MilestoneDependencyPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> MilestoneDependency:
            ends = _ends(input)
            await dependencies.remove_dependency(session, viewer, **ends)
            return MilestoneDependency(**ends)

        found, errors = await run_mutation(info, work, scope=PROJECTS_WRITE)
        return await _dependency_payload(info, found, errors)

    @strawberry.mutation(
        description="Freeze the project's milestones under a name (its participants' members)."
    )
    async def create_baseline(
        self, info: Info, input: Annotated[CreateBaselineInput, INPUT]
    ) -> BaselinePayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: baselines.create_baseline(
                session,
                viewer,
                project_id=decode_id(input.project_id, "Project", field="projectId"),
                name=input.name,
            ),
            scope=PROJECTS_WRITE,
        )
        return BaselinePayload(baseline=Baseline.from_row(row) if row else None, user_errors=errors)
