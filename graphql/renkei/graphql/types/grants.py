"""Grants (交付金): schemes as data and a project's applications through their cycle."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from renkei.grants import models, repository, service
from renkei.grants.money import Allowance, allowance_of, money_of
from renkei.graphql.compiled.spec import Filter, Rows, column, register_root, table
from renkei.graphql.context import Info
from renkei.graphql.permissions import requires
from renkei.graphql.relay import Connection, PageArgs, to_global_id
from renkei.graphql.types.activity import Activity, activity_of
from renkei.identity.scopes import PROJECTS_READ

if TYPE_CHECKING:
    from renkei.graphql.types.milestones import Baseline
    from renkei.graphql.types.organizations import Organization, User


@strawberry.enum(
    description="Where a grant application is in its cycle: 構想 → 申請 → 交付決定 → "
    "実績報告 → 確定."
)
class GrantApplicationStatus(Enum):
    CONCEPT = strawberry.enum_value("CONCEPT", description="構想: planned, not yet submitted.")
    APPLIED = strawberry.enum_value("APPLIED", description="申請: submitted to the ministry.")
    DECIDED = strawberry.enum_value(
        "DECIDED", description="交付決定: the grant is decided (amount, date, conditions)."
    )
    REPORTED = strawberry.enum_value("REPORTED", description="実績報告: the spending is reported.")
    SETTLED = strawberry.enum_value("SETTLED", description="確定: the final amount is fixed.")


@strawberry.enum(description="What the grant in a local share's formula is.")
class GrantBasis(Enum):
    RULE = strawberry.enum_value(
        "RULE", description="floor(cost × 補助率), at most the cap: before the decision."
    )
    DECIDED = strawberry.enum_value("DECIDED", description="The amount of the 交付決定.")
    FINAL = strawberry.enum_value("FINAL", description="The amount of the 確定.")


def _float(value: object) -> float | None:
    return float(value) if value is not None else None  # type: ignore[arg-type]


@table(models.GrantScheme)
@strawberry.type(
    description="A grant scheme (交付金・補助金) as published: 所管, 補助率, cap, 年度, the "
    "region-wide allowance of 広域リージョン projects, its source and what it does not confirm."
)
class GrantScheme:
    row: strawberry.Private[models.GrantScheme]

    id: strawberry.ID = strawberry.field(
        resolver=lambda root: strawberry.ID(to_global_id("GrantScheme", root.row.id)),
        description="Its global id (type GrantScheme).",
    )
    name: str = column(models.GrantScheme.name, description="Its name, e.g. 地域未来交付金.")
    ministry: str = column(
        models.GrantScheme.ministry, description="所管: the ministry or agency that runs it."
    )
    fiscal_year: int = column(
        models.GrantScheme.fiscal_year, description="年度 it is for (FY2026 = 2026-04 to 2027-03)."
    )
    rate: float | None = column(
        models.GrantScheme.rate,
        description="補助率: the share of the cost it pays (0.5 = 1/2); null when unknown.",
    )
    cap_jpy: float | None = column(
        models.GrantScheme.cap_jpy,
        description="The most one application receives, in JPY; null when unknown.",
    )
    budget_jpy: float | None = column(
        models.GrantScheme.budget_jpy, description="Its whole budget for the 年度, in JPY."
    )
    region_allowance_jpy: float | None = column(
        models.GrantScheme.region_allowance_jpy,
        description="The allowance for 広域リージョン projects per region, in JPY (地域未来交付金: "
        "up to 10億円); null when it has none.",
    )
    period_starts_on: date | None = column(
        models.GrantScheme.period_starts_on, description="First day of its period, when known."
    )
    period_ends_on: date | None = column(
        models.GrantScheme.period_ends_on, description="Last day of its period, when known."
    )
    source_url: str = column(
        models.GrantScheme.source_url, description="The public page its figures come from."
    )
    notes: str = column(
        models.GrantScheme.notes, description="What its source says, or does not say."
    )
    unconfirmed_fields: list[str] = column(
        models.GrantScheme.unconfirmed_fields,
        description="Fields its source does not confirm (rate, cap_jpy, period): not facts.",
    )
    demo: bool = column(
        models.GrantScheme.demo,
        description="Invented for the demonstration, not the public record.",
    )


@strawberry.type(
    description="The region-wide allowance of a scheme for one region: drawn and left."
)
class GrantAllowance:
    row: strawberry.Private[Allowance]

    @strawberry.field(description="The allowance for the region, in JPY.")
    def allowance_jpy(self) -> float:
        return float(self.row.allowance_jpy)

    @strawberry.field(
        description="What the region's applications draw on it (final, else decided, else the "
        "rule's grant), in JPY."
    )
    def used_jpy(self) -> float:
        return float(self.row.used_jpy)

    @strawberry.field(description="What is left of it, in JPY.")
    def left_jpy(self) -> float:
        return float(self.row.left_jpy)


@strawberry.type(description="A step of a grant application: who took it, for whom, when.")
class GrantApplicationTransition:
    row: strawberry.Private[models.GrantApplicationTransition]

    @strawberry.field(description="The status it left; null for its creation.")
    def from_status(self) -> GrantApplicationStatus | None:
        value = self.row.from_status
        return GrantApplicationStatus(value.value) if value is not None else None

    @strawberry.field(description="The status it reached.")
    def to_status(self) -> GrantApplicationStatus:
        return GrantApplicationStatus(self.row.to_status.value)

    @strawberry.field(description="When.")
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="The person who took the step.")
    async def by(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("renkei.graphql.types.organizations")] | None:
        from renkei.graphql.types.organizations import User

        if self.row.user_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.user_id)
        return User.from_row(row) if row else None

    @strawberry.field(description="The organization they acted for.")
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy("renkei.graphql.types.organizations")] | None:
        from renkei.graphql.types.organizations import Organization

        if self.row.organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row) if row else None


@strawberry.type(
    description="A project's application for a grant, through 構想 → 申請 → 交付決定 → 実績報告 → "
    "確定; read by the project's participants only."
)
class GrantApplication:
    row: strawberry.Private[models.GrantApplication]
    scheme_row: strawberry.Private[models.GrantScheme]

    @strawberry.field(description="Its global id (type GrantApplication).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("GrantApplication", self.row.id))

    @strawberry.field(description="What the application is for.")
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="The scheme applied to.")
    def scheme(self) -> GrantScheme:
        return GrantScheme(row=self.scheme_row)

    @strawberry.field(description="Where it is in the cycle.")
    def status(self) -> GrantApplicationStatus:
        return GrantApplicationStatus(self.row.status.value)

    @strawberry.field(description="The status's name in the reader's words (申請, 交付決定 …).")
    def status_label(self) -> str:
        return models.status_label(self.row.status)

    @strawberry.field(description="The one step that may follow; null once settled (確定).")
    def next_status(self) -> GrantApplicationStatus | None:
        following = service.next_status(self.row)
        return GrantApplicationStatus(following.value) if following else None

    @strawberry.field(description="事業費: the cost it asks support for, in JPY.")
    def requested_cost_jpy(self) -> float:
        return float(self.row.requested_cost_jpy)

    @strawberry.field(
        description="補助率 applied (the scheme's, or the application's own assumption where "
        "the scheme's is unconfirmed)."
    )
    def rate(self) -> float | None:
        return _float(self.row.rate)

    @strawberry.field(description="floor(cost × 補助率), at most the scheme's cap, in JPY.")
    def grant_by_rule_jpy(self) -> float | None:
        return _float(money_of(self.row, self.scheme_row).grant_by_rule_jpy)

    @strawberry.field(description="The grant as it stands: final, else decided, else the rule's.")
    def grant_jpy(self) -> float | None:
        return _float(money_of(self.row, self.scheme_row).grant_jpy)

    @strawberry.field(description="What the grant in grantJpy is (the rule's, decided, final).")
    def grant_basis(self) -> GrantBasis:
        return GrantBasis(money_of(self.row, self.scheme_row).basis.value)

    @strawberry.field(
        description="地方負担: the local share, the cost (the spending once reported) less the "
        "grant, in JPY; null when the 補助率 is unknown."
    )
    def local_share_jpy(self) -> float | None:
        return _float(money_of(self.row, self.scheme_row).local_share_jpy)

    @strawberry.field(description="How the local share was computed, in the reader's words.")
    def local_share_formula(self) -> str:
        return money_of(self.row, self.scheme_row).formula()

    @strawberry.field(description="It draws on the scheme's region-wide allowance.")
    def uses_region_allowance(self) -> bool:
        return self.row.uses_region_allowance

    @strawberry.field(
        description="The scheme's region-wide allowance for the project's region: drawn and "
        "left across the region's applications; null when not drawn on."
    )
    async def region_allowance(self, info: Info) -> GrantAllowance | None:
        region_id = self.row.region_id
        if region_id is None:
            return None
        found = await info.context.run(
            lambda s: allowance_of(s, region_id=region_id, scheme=self.scheme_row)
        )
        return GrantAllowance(row=found) if found else None

    @strawberry.field(description="申請: the day it was submitted.")
    def applied_on(self) -> date | None:
        return self.row.applied_on

    @strawberry.field(description="交付決定: the amount granted, in JPY.")
    def decided_amount_jpy(self) -> float | None:
        return _float(self.row.decided_amount_jpy)

    @strawberry.field(description="交付決定: the day of the decision.")
    def decided_on(self) -> date | None:
        return self.row.decided_on

    @strawberry.field(description="交付決定: the conditions attached to it.")
    def conditions(self) -> str:
        return self.row.conditions

    @strawberry.field(description="The day the 実績報告 is due (reminders count down to it).")
    def report_due_on(self) -> date | None:
        return self.row.report_due_on

    @strawberry.field(
        description="The next deadline: the 実績報告's due date while it waits for the report."
    )
    def next_deadline(self) -> date | None:
        if self.row.status is models.GrantApplicationStatus.DECIDED:
            return self.row.report_due_on
        return None

    @strawberry.field(description="実績報告: the spending reported, in JPY.")
    def reported_spending_jpy(self) -> float | None:
        return _float(self.row.reported_spending_jpy)

    @strawberry.field(description="実績報告: the day it was reported.")
    def reported_on(self) -> date | None:
        return self.row.reported_on

    @strawberry.field(description="確定: the final amount, in JPY.")
    def final_amount_jpy(self) -> float | None:
        return _float(self.row.final_amount_jpy)

    @strawberry.field(description="確定: the day it was settled.")
    def settled_on(self) -> date | None:
        return self.row.settled_on

    @strawberry.field(description="Invented for the demonstration, not the public record.")
    def demo(self) -> bool:
        return self.row.demo

    @strawberry.field(description="The baseline frozen at 申請: the plan as submitted.")
    async def application_baseline(
        self, info: Info
    ) -> Annotated[Baseline, strawberry.lazy("renkei.graphql.types.milestones")] | None:
        return await _baseline(info, self.row.application_baseline_id)

    @strawberry.field(description="The baseline frozen at 交付決定: the plan as decided.")
    async def decision_baseline(
        self, info: Info
    ) -> Annotated[Baseline, strawberry.lazy("renkei.graphql.types.milestones")] | None:
        return await _baseline(info, self.row.decision_baseline_id)

    @strawberry.field(description="Every step taken, oldest first: who, for whom, when.")
    async def transitions(self, info: Info) -> list[GrantApplicationTransition]:
        found = await info.context.run(lambda s: repository.transitions_of(s, [self.row.id]))
        return [GrantApplicationTransition(row=r) for r in found[self.row.id]]

    @strawberry.field(
        description="Its activity, oldest first (`last: 20` for the newest): each step, who "
        "took it, before and after."
    )
    async def activity(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="The first n.")] = None,
        after: Annotated[str | None, strawberry.argument(description="After this cursor.")] = None,
        last: Annotated[int | None, strawberry.argument(description="The last n.")] = None,
        before: Annotated[
            str | None, strawberry.argument(description="Before this cursor.")
        ] = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))

    @strawberry.field(
        description="The application's documents (milestones, KPIs, budget) as CSV for Excel."
    )
    def csv_url(self) -> str:
        return f"/exports/grant-applications/{self.id()}/application.csv"

    @strawberry.field(description="The same as an Excel workbook (.xlsx).")
    def xlsx_url(self) -> str:
        return f"/exports/grant-applications/{self.id()}/application.xlsx"


async def _baseline(
    info: Info, baseline_id: uuid.UUID | None
) -> Annotated[Baseline, strawberry.lazy("renkei.graphql.types.milestones")] | None:
    from renkei.graphql.types.milestones import Baseline
    from renkei.milestones.models import Baseline as BaselineRow

    if baseline_id is None:
        return None
    row = await info.context.run(lambda s: s.get(BaselineRow, baseline_id))
    return Baseline.from_row(row) if row else None


async def project_grant_applications(info: Info, project_id: uuid.UUID) -> list[GrantApplication]:
    """The project's applications the viewer reads (its participants), oldest first: one
    statement for every project of the request, one for their schemes."""
    loaders = info.context.loaders
    rows = await loaders.project_grant_applications.load(project_id)
    schemes = await loaders.grant_scheme.load_many([r.scheme_id for r in rows])
    return [
        GrantApplication(row=r, scheme_row=s)
        for r, s in zip(rows, schemes, strict=True)
        if s is not None
    ]


@strawberry.type
class GrantQueries:
    @strawberry.field(
        description="Grant schemes (交付金・補助金) as published, newest 年度 first; optionally "
        "of one 年度.",
        extensions=requires(PROJECTS_READ),
    )
    async def grant_schemes(
        self,
        info: Info,
        fiscal_year: Annotated[
            int | None, strawberry.argument(description="Only this 年度 (e.g. 2026).")
        ] = None,
    ) -> list[GrantScheme]:
        rows = await info.context.run(lambda s: repository.schemes(s, fiscal_year=fiscal_year))
        return [GrantScheme(row=r) for r in rows]


register_root(
    "grantSchemes",
    Rows(
        "GrantScheme",
        order="{c}.fiscal_year DESC, {c}.name, {c}.id",
        filters={"fiscal_year": Filter("{t}.fiscal_year = CAST({p} AS integer)")},
    ),
    scope=PROJECTS_READ,
)
