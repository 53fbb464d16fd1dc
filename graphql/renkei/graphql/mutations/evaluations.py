"""Mutations of 効果検証 (evaluation rounds) and of KPI goals (calendar-year and relative
targets, national goals)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from renkei.evaluations import models, service
from renkei.graphql.context import Info
from renkei.graphql.mutations.base import UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.evaluations import EvaluationFinding, EvaluationRound, FindingKind
from renkei.graphql.types.kpis import Kpi
from renkei.identity.scopes import PROJECTS_WRITE
from renkei.kpis import goals

_INPUT = strawberry.argument(description="What to do: see the input type.")


def _optional(value: strawberry.ID | None, type_name: str, field: str):  # type: ignore[no-untyped-def]
    return None if value is None else decode_id(value, type_name, field=field)


@strawberry.input(description="A round of a region or a project: give exactly one of the two.")
class CreateEvaluationRoundInput:
    region_id: strawberry.ID | None = strawberry.field(
        default=None, description="For a region's round: its secretariat's admins open it."
    )
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="For a project's round: its lead organization's admins."
    )
    title: str = strawberry.field(description="e.g. 令和8年度 第1回 効果検証会議.")
    held_on: date = strawberry.field(description="The round's date: attainment is read at it.")
    summary: str = strawberry.field(default="", description="The round's summary (総括).")


@strawberry.input(description="An organization that took part in a round.")
class AddEvaluationParticipantInput:
    round_id: strawberry.ID = strawberry.field(description="The round's global id.")
    organization_id: strawberry.ID = strawberry.field(description="The organization's global id.")


@strawberry.input(
    description="A KPI the round reviews (of the region, its projects, or the project)."
)
class AddEvaluationKpiReviewInput:
    round_id: strawberry.ID = strawberry.field(description="The round's global id.")
    kpi_id: strawberry.ID = strawberry.field(description="The KPI's global id.")
    comment: str = strawberry.field(default="", description="What the round said of it.")


@strawberry.input(
    description="A finding, or an improvement (改善策) with an owner and a due date, which "
    "becomes a milestone of the project (the round's, or the chosen project of the region)."
)
class AddEvaluationFindingInput:
    round_id: strawberry.ID = strawberry.field(description="The round's global id.")
    kind: FindingKind = strawberry.field(description="FINDING or IMPROVEMENT.")  # type: ignore[valid-type]
    body: str = strawberry.field(description="What was found or decided.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organization that owns the improvement."
    )
    due_on: date | None = strawberry.field(default=None, description="When it is due.")
    project_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="For a region's round: the project whose plan the improvement joins.",
    )


@strawberry.input(description="A round to record (freeze) or publish.")
class EvaluationRoundActionInput:
    id: strawberry.ID = strawberry.field(description="The round's global id.")


@strawberry.input(description="Set or replace a KPI's target for one calendar year (暦年).")
class SetKpiCalendarTargetInput:
    kpi_id: strawberry.ID = strawberry.field(description="The KPI's global id.")
    year: int = strawberry.field(description="The calendar year, e.g. 2030 (ends 31 December).")
    value: float = strawberry.field(description="The value to reach by the end of the year.")


@strawberry.input(description="Set a KPI's target relative to a reference.")
class SetKpiRelativeTargetInput:
    kpi_id: strawberry.ID = strawberry.field(description="The KPI's global id.")
    reference_name: str = strawberry.field(description="e.g. 東京圏の水準.")
    reference_value: float = strawberry.field(description="The reference's value.")
    factor: float = strawberry.field(default=1.0, description="1 for the reference's level.")
    reference_on: date | None = strawberry.field(
        default=None, description="When the reference was measured."
    )
    source_url: str | None = strawberry.field(
        default=None, description="Where the reference is published."
    )
    description: str = strawberry.field(default="", description="The target in words.")


@strawberry.input(description="Link a KPI to the national goal it contributes to (or unlink).")
class LinkKpiNationalGoalInput:
    kpi_id: strawberry.ID = strawberry.field(description="The KPI's global id.")
    national_goal_id: strawberry.ID | None = strawberry.field(
        default=None, description="The NationalGoal's global id; null removes the link."
    )
    contribution: str = strawberry.field(default="", description="How the KPI contributes.")


@strawberry.type(description="The round after the change, or why nothing changed.")
class EvaluationRoundPayload:
    evaluation_round: EvaluationRound | None = strawberry.field(description="The round.")
    user_errors: list[UserError] = strawberry.field(description="What to fix; nothing changed.")


@strawberry.type(description="The finding or improvement added, or why nothing changed.")
class EvaluationFindingPayload:
    finding: EvaluationFinding | None = strawberry.field(description="The finding.")
    user_errors: list[UserError] = strawberry.field(description="What to fix; nothing changed.")


@strawberry.type(description="The KPI after the change, or why nothing changed.")
class KpiGoalPayload:
    kpi: Kpi | None = strawberry.field(description="The KPI.")
    user_errors: list[UserError] = strawberry.field(description="What to fix; nothing changed.")


def _round(row: models.EvaluationRound | None, errors: list[UserError]) -> EvaluationRoundPayload:
    return EvaluationRoundPayload(
        evaluation_round=EvaluationRound.from_row(row) if row else None, user_errors=errors
    )


@strawberry.type
class EvaluationMutations:
    @strawberry.mutation(
        description="Open an evaluation round (効果検証) of a region (secretariat's admins) or a "
        "project (lead's admins), as a draft."
    )
    async def create_evaluation_round(
        self, info: Info, input: Annotated[CreateEvaluationRoundInput, _INPUT]
    ) -> EvaluationRoundPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.create_round(
                session,
                viewer,
                region_id=_optional(input.region_id, "Region", "regionId"),
                project_id=_optional(input.project_id, "Project", "projectId"),
                title=input.title,
                held_on=input.held_on,
                summary=input.summary,
            ),
            scope=PROJECTS_WRITE,
        )
        return _round(row, errors)

    @strawberry.mutation(description="Record that an organization took part in a round.")
    async def add_evaluation_participant(
        self, info: Info, input: Annotated[AddEvaluationParticipantInput, _INPUT]
    ) -> EvaluationRoundPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.add_participant(
                session,
                viewer,
                round_id=decode_id(input.round_id, "EvaluationRound", field="roundId"),
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
            ),
            scope=PROJECTS_WRITE,
        )
        return _round(row, errors)

    @strawberry.mutation(description="Put a KPI on a draft round's agenda.")
    async def add_evaluation_kpi_review(
        self, info: Info, input: Annotated[AddEvaluationKpiReviewInput, _INPUT]
    ) -> EvaluationRoundPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.add_kpi_review(
                session,
                viewer,
                round_id=decode_id(input.round_id, "EvaluationRound", field="roundId"),
                kpi_id=decode_id(input.kpi_id, "Kpi", field="kpiId"),
                comment=input.comment,
            ),
            scope=PROJECTS_WRITE,
        )
        return _round(row, errors)

    @strawberry.mutation(
        description="Add a finding, or an improvement that becomes a milestone of the project."
    )
    async def add_evaluation_finding(
        self, info: Info, input: Annotated[AddEvaluationFindingInput, _INPUT]
    ) -> EvaluationFindingPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.add_finding(
                session,
                viewer,
                round_id=decode_id(input.round_id, "EvaluationRound", field="roundId"),
                kind=models.FindingKind(input.kind),
                body=input.body,
                owner_organization_id=_optional(input.owner_id, "Organization", "ownerId"),
                due_on=input.due_on,
                project_id=_optional(input.project_id, "Project", "projectId"),
            ),
            scope=PROJECTS_WRITE,
        )
        return EvaluationFindingPayload(
            finding=EvaluationFinding.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Record a round: the attainment of the KPIs it reviewed, at its date, is "
        "frozen; later observations do not change it."
    )
    async def record_evaluation_round(
        self, info: Info, input: Annotated[EvaluationRoundActionInput, _INPUT]
    ) -> EvaluationRoundPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.record_round(
                session, viewer, round_id=decode_id(input.id, "EvaluationRound")
            ),
            scope=PROJECTS_WRITE,
        )
        return _round(row, errors)

    @strawberry.mutation(
        description="Publish a round's report (recording the round first if it is a draft): "
        "anyone may then read it at its reportUrl, without signing in."
    )
    async def publish_evaluation_round(
        self, info: Info, input: Annotated[EvaluationRoundActionInput, _INPUT]
    ) -> EvaluationRoundPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.publish_round(
                session, viewer, round_id=decode_id(input.id, "EvaluationRound")
            ),
            scope=PROJECTS_WRITE,
        )
        return _round(row, errors)

    @strawberry.mutation(description="Set or replace a KPI's target for a calendar year (暦年).")
    async def set_kpi_calendar_target(
        self, info: Info, input: Annotated[SetKpiCalendarTargetInput, _INPUT]
    ) -> KpiGoalPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: goals.set_calendar_target(
                session,
                viewer,
                kpi_id=decode_id(input.kpi_id, "Kpi", field="kpiId"),
                year=input.year,
                value=input.value,
            ),
            scope=PROJECTS_WRITE,
        )
        return KpiGoalPayload(kpi=Kpi.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Set a KPI's target relative to a reference (e.g. at least the 東京圏 level)."
    )
    async def set_kpi_relative_target(
        self, info: Info, input: Annotated[SetKpiRelativeTargetInput, _INPUT]
    ) -> KpiGoalPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: goals.set_relative_target(
                session,
                viewer,
                kpi_id=decode_id(input.kpi_id, "Kpi", field="kpiId"),
                reference_name=input.reference_name,
                reference_value=input.reference_value,
                factor=input.factor,
                reference_on=input.reference_on,
                source_url=input.source_url,
                description=input.description,
            ),
            scope=PROJECTS_WRITE,
        )
        return KpiGoalPayload(kpi=Kpi.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Link a KPI to the national goal of the 総合戦略 it contributes to."
    )
    async def link_kpi_national_goal(
        self, info: Info, input: Annotated[LinkKpiNationalGoalInput, _INPUT]
    ) -> KpiGoalPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: goals.link_national_goal(
                session,
                viewer,
                kpi_id=decode_id(input.kpi_id, "Kpi", field="kpiId"),
                national_goal_id=_optional(
                    input.national_goal_id, "NationalGoal", "nationalGoalId"
                ),
                contribution=input.contribution,
            ),
            scope=PROJECTS_WRITE,
        )
        return KpiGoalPayload(kpi=Kpi.from_row(row) if row else None, user_errors=errors)
