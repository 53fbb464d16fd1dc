"""Mutations on KPIs: their definition and targets, and the observations reported on them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.kpis import Kpi, KpiDirection, KpiObservation
from renkei.identity.scopes import KPI_WRITE, PROJECTS_WRITE
from renkei.kpis import models, service


@strawberry.input(description="A KPI of a project or of a region: give exactly one of the two.")
class CreateKpiInput:
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="For a project's KPI: its lead organization's admins add it."
    )
    region_id: strawberry.ID | None = strawberry.field(
        default=None, description="For a region's KPI: its secretariat's admins add it."
    )
    name: str = strawberry.field(description="What is measured, e.g. 半導体関連の新規雇用者数.")
    unit: str = strawberry.field(description="e.g. 人, 億円, t-CO2, %.")
    description: str = strawberry.field(
        default="",
        description="How it is measured and where the figures come from; empty by default.",
    )
    direction: KpiDirection = strawberry.field(  # type: ignore[valid-type]
        default=models.KpiDirection.INCREASE,
        description="Whether more is better (INCREASE, the default) or less is (DECREASE).",
    )
    baseline: float = strawberry.field(description="The value at the start, in the KPI's unit.")
    baseline_on: date | None = strawberry.field(
        default=None, description="When the baseline was measured; null if not known."
    )


@strawberry.input(description="Only the fields given change; `version` is the one you read.")
class UpdateKpiInput:
    id: strawberry.ID = strawberry.field(description="The KPI's global id.")
    version: int = strawberry.field(description="The version you read; a stale one conflicts.")
    name: str | None = strawberry.field(
        default=None, description="A new name; unchanged if not given."
    )
    unit: str | None = strawberry.field(
        default=None, description="A new unit (人, 億円, t-CO2, %); unchanged if not given."
    )
    description: str | None = strawberry.field(
        default=None, description="A new description; unchanged if not given."
    )
    direction: KpiDirection | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="A new direction; unchanged if not given."
    )
    baseline: float | None = strawberry.field(
        default=None, description="A new baseline value; unchanged if not given."
    )
    baseline_on: date | None = strawberry.field(
        default=None, description="A new baseline date; unchanged if not given."
    )


@strawberry.input(description="Set or replace the target of one fiscal year (年度).")
class SetKpiTargetInput:
    kpi_id: strawberry.ID = strawberry.field(description="The KPI's global id.")
    fiscal_year: int = strawberry.field(description="2025 for FY2025, April 2025 to March 2026.")
    value: float = strawberry.field(
        description="The value to reach by the end of that fiscal year, in the KPI's unit."
    )


@strawberry.input(description="The value of one period; the same period again corrects it.")
class RecordKpiObservationInput:
    kpi_id: strawberry.ID = strawberry.field(description="The KPI's global id.")
    period_start: date = strawberry.field(description="The first day of the period observed.")
    period_end: date = strawberry.field(
        description="The last day of the period observed; not before periodStart."
    )
    value: float = strawberry.field(description="The value observed, in the KPI's unit.")
    note: str = strawberry.field(
        default="",
        description="Where the figure comes from or what to know about it; empty by default.",
    )


@strawberry.type(description="The result of a mutation on a KPI.")
class KpiPayload:
    kpi: Kpi | None = strawberry.field(
        description="The KPI as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The result of recording an observation.")
class KpiObservationPayload:
    kpi_observation: KpiObservation | None = strawberry.field(
        description="The observation as recorded; null when nothing was recorded."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class KpiMutations:
    @strawberry.mutation(
        description="Define a KPI of a project (lead organization's admins) or of a region "
        "(secretariat's admins)."
    )
    async def create_kpi(self, info: Info, input: Annotated[CreateKpiInput, INPUT]) -> KpiPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.create_kpi(
                session,
                viewer,
                project_id=decode_id(input.project_id, "Project", field="projectId")
                if input.project_id is not None
                else None,
                region_id=decode_id(input.region_id, "Region", field="regionId")
                if input.region_id is not None
                else None,
                name=input.name,
                unit=input.unit,
                description=input.description,
                direction=models.KpiDirection(input.direction),
                baseline_value=input.baseline,
                baseline_on=input.baseline_on,
            ),
            scope=PROJECTS_WRITE,
        )
        return KpiPayload(kpi=Kpi.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Change a KPI's definition; a stale version conflicts.")
    async def update_kpi(self, info: Info, input: Annotated[UpdateKpiInput, INPUT]) -> KpiPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.update_kpi(
                session,
                viewer,
                kpi_id=decode_id(input.id, "Kpi"),
                version=input.version,
                name=input.name,
                unit=input.unit,
                description=input.description,
                direction=models.KpiDirection(input.direction) if input.direction else None,
                baseline_value=input.baseline,
                baseline_on=input.baseline_on,
            ),
            scope=PROJECTS_WRITE,
        )
        return KpiPayload(kpi=Kpi.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Set or replace a KPI's target for one fiscal year.")
    async def set_kpi_target(
        self, info: Info, input: Annotated[SetKpiTargetInput, INPUT]
    ) -> KpiPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.set_kpi_target(
                session,
                viewer,
                kpi_id=decode_id(input.kpi_id, "Kpi", field="kpiId"),
                fiscal_year=input.fiscal_year,
                value=input.value,
            ),
            scope=PROJECTS_WRITE,
        )
        return KpiPayload(kpi=Kpi.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Record a KPI's value for a period (members of taking-part organizations, or "
        "API clients with kpi:write); the same period again corrects it."
    )
    async def record_kpi_observation(
        self, info: Info, input: Annotated[RecordKpiObservationInput, INPUT]
    ) -> KpiObservationPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.record_kpi_observation(
                session,
                viewer,
                kpi_id=decode_id(input.kpi_id, "Kpi", field="kpiId"),
                period_start=input.period_start,
                period_end=input.period_end,
                value=input.value,
                note=input.note,
            ),
            scope=KPI_WRITE,
        )
        return KpiObservationPayload(
            kpi_observation=KpiObservation.from_row(row) if row else None, user_errors=errors
        )
