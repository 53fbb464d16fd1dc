"""KPI goals in the API: targets by calendar year (暦年), relative targets ("at least the 東京圏
level") and the national goals of the 総合戦略 a KPI contributes to."""

from __future__ import annotations

from datetime import date

import strawberry

from renkei.graphql.compiled.spec import Rows, column, register_root, table
from renkei.graphql.context import Info
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import Node, to_global_id
from renkei.identity.scopes import PROJECTS_READ
from renkei.kpis import goals_repository
from renkei.kpis import models as kpi_models


@table(kpi_models.KpiCalendarTarget)
@strawberry.type(description="The value a KPI should reach by the end of a calendar year (暦年).")
class KpiCalendarTarget:
    row: strawberry.Private[kpi_models.KpiCalendarTarget]
    year: int = column(
        kpi_models.KpiCalendarTarget.year,
        description="The calendar year (2030 ends on 31 December 2030).",
    )
    value: float = column(
        kpi_models.KpiCalendarTarget.value, description="The value to reach by the end of the year."
    )

    @classmethod
    def from_row(cls, row: kpi_models.KpiCalendarTarget) -> KpiCalendarTarget:
        return cls(row=row)


@table(kpi_models.KpiRelativeTarget)
@strawberry.type(
    description="A target relative to a reference (e.g. at least the 東京圏 level): met when "
    "the latest value reaches referenceValue × factor in the KPI's direction."
)
class KpiRelativeTarget:
    row: strawberry.Private[kpi_models.KpiRelativeTarget]
    reference_name: str = column(
        kpi_models.KpiRelativeTarget.reference_name, description="e.g. 東京圏の水準."
    )
    reference_value: float = column(
        kpi_models.KpiRelativeTarget.reference_value,
        description="The reference's value (e.g. 東京圏の値).",
    )
    factor: float = column(
        kpi_models.KpiRelativeTarget.factor, description="1 for the reference's level itself."
    )
    reference_on: date | None = column(
        kpi_models.KpiRelativeTarget.reference_on, description="When the reference was measured."
    )
    source_url: str | None = column(
        kpi_models.KpiRelativeTarget.source_url, description="Where the reference is published."
    )
    description: str = column(
        kpi_models.KpiRelativeTarget.description, description="The target in words."
    )

    @classmethod
    def from_row(cls, row: kpi_models.KpiRelativeTarget) -> KpiRelativeTarget:
        return cls(row=row)


@table(kpi_models.NationalGoal)
@strawberry.type(
    description="A goal of the national 総合戦略 (地方創生2.0) that KPIs contribute to; "
    "`confirmed` is false when its figure could not be checked against a public source."
)
class NationalGoal(Node):
    row: strawberry.Private[kpi_models.NationalGoal]
    code: str = column(
        kpi_models.NationalGoal.code, description="A stable code, e.g. kankei-jinko-10m."
    )
    name: str = column(
        kpi_models.NationalGoal.name, description="The goal as the 総合戦略 names it."
    )
    target_value: float | None = column(
        kpi_models.NationalGoal.target_value, description="The goal's figure, if it has one."
    )
    unit: str = column(kpi_models.NationalGoal.unit, description="The figure's unit, e.g. 人.")
    target_year: int | None = column(
        kpi_models.NationalGoal.target_year, description="The year the goal is set for."
    )
    source_url: str | None = column(
        kpi_models.NationalGoal.source_url, description="Where the goal is published."
    )
    confirmed: bool = column(
        kpi_models.NationalGoal.confirmed,
        description="Whether the figure was checked against the public source.",
    )
    note: str = column(
        kpi_models.NationalGoal.note, description="What was and was not checked of it."
    )

    @classmethod
    def from_row(cls, row: kpi_models.NationalGoal) -> NationalGoal:
        return cls(id=to_global_id("NationalGoal", row.id), row=row)


@strawberry.type
class KpiGoalQueries:
    @strawberry.field(
        description="The national goals of the 総合戦略 a KPI may contribute to.",
        extensions=requires(PROJECTS_READ),
    )
    async def national_goals(self, info: Info) -> list[NationalGoal]:
        rows = await info.context.run(goals_repository.national_goals)
        return [NationalGoal.from_row(r) for r in rows]


register_root("nationalGoals", Rows("NationalGoal", order="{c}.code"), scope=PROJECTS_READ)
register_node("NationalGoal", kpi_models.NationalGoal, NationalGoal.from_row, PROJECTS_READ)
