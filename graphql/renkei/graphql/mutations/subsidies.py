"""Publishing a prefecture's side-job subsidy scheme, one tier (枠) at a time: its owners and
admins (a verified prefecture) or a platform operator (renkei.talent.subsidy_schemes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.talent import CostKind
from renkei.graphql.types.talent_matches import Match, SubsidyApplication, SubsidyScheme
from renkei.identity.scopes import TALENT_WRITE
from renkei.talent import models, repository, subsidy_applications
from renkei.talent.subsidy_schemes import TierFields, publish_tier
from renkei.tenancy import Viewer


@strawberry.input(description="A tier of a scheme; a tier of the same name and 年度 is updated.")
class PublishSubsidySchemeInput:
    prefecture_code: str
    fiscal_year: int = strawberry.field(description="年度 (FY2025 = 2025-04 to 2026-03).")
    name: str = strawberry.field(description="The tier's name, e.g. 岐阜県 副業・兼業 (新規活用).")
    rate: float = strawberry.field(description="The share of eligible costs paid (0.8 = 8/10).")
    cap_jpy: int = strawberry.field(description="The most it pays per person, in yen.")
    eligible_cost_kinds: list[CostKind]  # type: ignore[valid-type]
    first_use_only: bool = False
    tier_rank: int = strawberry.field(default=0, description="Tiers are tried from 0 upwards.")
    requires_introduction: bool = False
    requires_outside_resident: bool = False
    min_travel_per_trip_jpy: int | None = None
    deadline_days: int | None = None
    deadline_basis: str | None = strawberry.field(default=None, description="CONTRACT or START.")
    source_url: str = ""
    notes: str = ""
    unconfirmed_fields: list[str] = strawberry.field(
        default_factory=list,
        description="rate, cap_jpy, eligible_cost_kinds, first_use_only, deadline, conditions.",
    )


@strawberry.type
class PublishSubsidySchemePayload:
    subsidy_scheme: SubsidyScheme | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The day the match's firm applied for its side-job subsidy.")
class RecordSubsidyApplicationInput:
    match_id: strawberry.ID
    applied_on: date = strawberry.field(description="The day it applied (not in the future).")


@strawberry.type
class RecordSubsidyApplicationPayload:
    subsidy_application: SubsidyApplication | None
    match: Match | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class SubsidyMutations:
    @strawberry.mutation(
        description="A prefecture (its owners and admins) or a platform operator publishes or "
        "updates a tier of the prefecture's side-job subsidy scheme."
    )
    async def publish_subsidy_scheme(
        self, info: Info, input: Annotated[PublishSubsidySchemeInput, INPUT]
    ) -> PublishSubsidySchemePayload:
        values = TierFields(
            prefecture_code=input.prefecture_code,
            fiscal_year=input.fiscal_year,
            name=input.name,
            rate=Decimal(str(input.rate)),
            cap_jpy=input.cap_jpy,
            eligible_cost_kinds=[models.CostKind(k).value for k in input.eligible_cost_kinds],
            first_use_only=input.first_use_only,
            tier_rank=input.tier_rank,
            requires_introduction=input.requires_introduction,
            requires_outside_resident=input.requires_outside_resident,
            min_travel_per_trip_jpy=input.min_travel_per_trip_jpy,
            deadline_days=input.deadline_days,
            deadline_basis=input.deadline_basis,
            source_url=input.source_url,
            notes=input.notes,
            unconfirmed_fields=input.unconfirmed_fields,
        )

        async def work(session: AsyncSession, viewer: Viewer) -> models.SubsidyScheme:
            return await publish_tier(session, viewer, values=values)

        tier, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        return PublishSubsidySchemePayload(
            subsidy_scheme=SubsidyScheme.from_row(tier) if tier else None, user_errors=errors
        )

    @strawberry.mutation(
        description="The match's firm (its owners, admins and members) records, or corrects, "
        "the day it applied to the prefecture for the match's subsidy; the deadline reminders "
        "stop."
    )
    async def record_subsidy_application(
        self, info: Info, input: Annotated[RecordSubsidyApplicationInput, INPUT]
    ) -> RecordSubsidyApplicationPayload:
        async def work(
            session: AsyncSession, viewer: Viewer
        ) -> tuple[models.SubsidyApplication, models.Match]:
            match_id = decode_id(input.match_id, "Match", field="matchId")
            application = await subsidy_applications.record_application(
                session, viewer, match_id=match_id, applied_on=input.applied_on
            )
            match = await repository.get_match(session, match_id)
            assert match is not None
            return application, match

        result, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        if result is None:
            return RecordSubsidyApplicationPayload(
                subsidy_application=None, match=None, user_errors=errors
            )
        application, match = result
        return RecordSubsidyApplicationPayload(
            subsidy_application=SubsidyApplication(row=application),
            match=Match.from_row(match),
            user_errors=errors,
        )
