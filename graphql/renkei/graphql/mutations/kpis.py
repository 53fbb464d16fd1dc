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
    name: str
    unit: str = strawberry.field(description="e.g. 人, 億円, t-CO2, %.")
    description: str = ""
    direction: KpiDirection = models.KpiDirection.INCREASE  # type: ignore[valid-type]
    baseline: float
    baseline_on: date | None = None


@strawberry.input(description="Only the fields given change; `version` is the one you read.")
class UpdateKpiInput:
    id: strawberry.ID
    version: int
    name: str | None = None
    unit: str | None = None
    description: str | None = None
    direction: KpiDirection | None = None  # type: ignore[valid-type]
    baseline: float | None = None
    baseline_on: date | None = None


@strawberry.input(description="Set or replace the target of one fiscal year (年度).")
class SetKpiTargetInput:
    kpi_id: strawberry.ID
    fiscal_year: int = strawberry.field(description="2025 for FY2025, April 2025 to March 2026.")
    value: float


@strawberry.input(description="The value of one period; the same period again corrects it.")
class RecordKpiObservationInput:
    kpi_id: strawberry.ID
    period_start: date
    period_end: date
    value: float
    note: str = ""


@strawberry.type
class KpiPayload:
    kpi: Kpi | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class KpiObservationPayload:
    kpi_observation: KpiObservation | None
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
