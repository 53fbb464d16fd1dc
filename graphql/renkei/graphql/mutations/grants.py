"""A project's grant applications: created at 構想, then 申請, 交付決定, 実績報告 and 確定, each
step by the lead organization's owners and admins (renkei.grants.service)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.grants import models, repository, service
from renkei.graphql.context import Info
from renkei.graphql.mutations.base import UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.grants import GrantApplication
from renkei.identity.scopes import PROJECTS_WRITE
from renkei.tenancy import Viewer

_APPLICATION_ID = "The application's global id."
_INPUT = "What to record."


@strawberry.input(description="A new grant application, at 構想 (concept).")
class CreateGrantApplicationInput:
    project_id: strawberry.ID = strawberry.field(description="The project applying.")
    scheme_id: strawberry.ID = strawberry.field(description="The scheme (grantSchemes).")
    title: str = strawberry.field(description="What the application is for.")
    requested_cost_jpy: float = strawberry.field(
        description="事業費: the cost, in JPY (a whole number)."
    )
    rate: float | None = strawberry.field(
        default=None,
        description="補助率 assumed (0.5 = 1/2), only where the scheme's is unconfirmed.",
    )
    uses_region_allowance: bool = strawberry.field(
        default=False, description="It draws on the scheme's region-wide allowance."
    )


@strawberry.input(description="申請: the application is submitted.")
class ApplyForGrantInput:
    application_id: strawberry.ID = strawberry.field(description=_APPLICATION_ID)
    applied_on: date = strawberry.field(description="The day it was submitted.")


@strawberry.input(description="交付決定: the grant is decided.")
class DecideGrantInput:
    application_id: strawberry.ID = strawberry.field(description=_APPLICATION_ID)
    amount_jpy: float = strawberry.field(description="The amount granted, in whole yen.")
    decided_on: date = strawberry.field(description="The day of the decision.")
    conditions: str = strawberry.field(default="", description="Conditions attached to it.")
    report_due_on: date | None = strawberry.field(
        default=None, description="The day the 実績報告 is due: reminders count down to it."
    )


@strawberry.input(description="実績報告: the spending is reported.")
class ReportGrantPerformanceInput:
    application_id: strawberry.ID = strawberry.field(description=_APPLICATION_ID)
    spending_jpy: float = strawberry.field(description="What was spent, in whole yen.")
    reported_on: date = strawberry.field(description="The day it was reported.")


@strawberry.input(description="確定: the final amount is fixed.")
class SettleGrantInput:
    application_id: strawberry.ID = strawberry.field(description=_APPLICATION_ID)
    final_amount_jpy: float = strawberry.field(description="The final amount, in whole yen.")
    settled_on: date = strawberry.field(description="The day it was settled.")


@strawberry.type(description="The application after the change, or why nothing changed.")
class GrantApplicationPayload:
    grant_application: GrantApplication | None = strawberry.field(
        description="The application as it now stands; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed.")


Step = Callable[[AsyncSession, Viewer], Awaitable[models.GrantApplication]]


async def _payload(info: Info, step: Step) -> GrantApplicationPayload:
    async def work(
        session: AsyncSession, viewer: Viewer
    ) -> tuple[models.GrantApplication, models.GrantScheme]:
        row = await step(session, viewer)
        scheme = await repository.get_scheme(session, row.scheme_id)
        assert scheme is not None
        return row, scheme

    result, errors = await run_mutation(info, work, scope=PROJECTS_WRITE)
    if result is None:
        return GrantApplicationPayload(grant_application=None, user_errors=errors)
    row, scheme = result
    return GrantApplicationPayload(
        grant_application=GrantApplication(row=row, scheme_row=scheme), user_errors=errors
    )


def _application_id(raw: strawberry.ID):  # type: ignore[no-untyped-def]
    return decode_id(raw, "GrantApplication", field="applicationId")


@strawberry.type
class GrantMutations:
    @strawberry.mutation(
        description="The lead organization's owners and admins start a grant application (構想)."
    )
    async def create_grant_application(
        self,
        info: Info,
        input: Annotated[CreateGrantApplicationInput, strawberry.argument(description=_INPUT)],
    ) -> GrantApplicationPayload:
        async def step(session: AsyncSession, viewer: Viewer) -> models.GrantApplication:
            return await service.create_application(
                session,
                viewer,
                project_id=decode_id(input.project_id, "Project", field="projectId"),
                scheme_id=decode_id(input.scheme_id, "GrantScheme", field="schemeId"),
                title=input.title,
                requested_cost_jpy=input.requested_cost_jpy,
                rate=input.rate,
                uses_region_allowance=input.uses_region_allowance,
            )

        return await _payload(info, step)

    @strawberry.mutation(
        description="申請: the application is submitted; the plan is frozen in a baseline. "
        "Only from 構想 (INVALID_TRANSITION otherwise)."
    )
    async def apply_for_grant(
        self,
        info: Info,
        input: Annotated[ApplyForGrantInput, strawberry.argument(description=_INPUT)],
    ) -> GrantApplicationPayload:
        async def step(session: AsyncSession, viewer: Viewer) -> models.GrantApplication:
            return await service.apply(
                session,
                viewer,
                application_id=_application_id(input.application_id),
                applied_on=input.applied_on,
            )

        return await _payload(info, step)

    @strawberry.mutation(
        description="交付決定: the grant is decided; the plan is frozen in a baseline. Only "
        "from 申請 (INVALID_TRANSITION otherwise)."
    )
    async def decide_grant(
        self,
        info: Info,
        input: Annotated[DecideGrantInput, strawberry.argument(description=_INPUT)],
    ) -> GrantApplicationPayload:
        async def step(session: AsyncSession, viewer: Viewer) -> models.GrantApplication:
            return await service.decide(
                session,
                viewer,
                application_id=_application_id(input.application_id),
                amount_jpy=input.amount_jpy,
                decided_on=input.decided_on,
                conditions=input.conditions,
                report_due_on=input.report_due_on,
            )

        return await _payload(info, step)

    @strawberry.mutation(
        description="実績報告: the spending is reported. Only from 交付決定 "
        "(INVALID_TRANSITION otherwise)."
    )
    async def report_grant_performance(
        self,
        info: Info,
        input: Annotated[ReportGrantPerformanceInput, strawberry.argument(description=_INPUT)],
    ) -> GrantApplicationPayload:
        async def step(session: AsyncSession, viewer: Viewer) -> models.GrantApplication:
            return await service.report(
                session,
                viewer,
                application_id=_application_id(input.application_id),
                spending_jpy=input.spending_jpy,
                reported_on=input.reported_on,
            )

        return await _payload(info, step)

    @strawberry.mutation(
        description="確定: the final amount is fixed. Only from 実績報告 "
        "(INVALID_TRANSITION otherwise)."
    )
    async def settle_grant(
        self,
        info: Info,
        input: Annotated[SettleGrantInput, strawberry.argument(description=_INPUT)],
    ) -> GrantApplicationPayload:
        async def step(session: AsyncSession, viewer: Viewer) -> models.GrantApplication:
            return await service.settle(
                session,
                viewer,
                application_id=_application_id(input.application_id),
                final_amount_jpy=input.final_amount_jpy,
                settled_on=input.settled_on,
            )

        return await _payload(info, step)
