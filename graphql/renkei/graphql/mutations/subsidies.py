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
    prefecture_code: str = strawberry.field(
        description="The prefecture that runs the scheme (JIS X 0401 code, 01 to 47)."
    )
    fiscal_year: int = strawberry.field(description="年度 (FY2025 = 2025-04 to 2026-03).")
    name: str = strawberry.field(description="The tier's name, e.g. 岐阜県 副業・兼業 (新規活用).")
    rate: float = strawberry.field(description="The share of eligible costs paid (0.8 = 8/10).")
    cap_jpy: int = strawberry.field(description="The most it pays per person, in yen.")
    eligible_cost_kinds: list[CostKind] = strawberry.field(  # type: ignore[valid-type]
        description="The kinds of cost it covers: FEE (報酬), TRAVEL (旅費),"
        " PLACEMENT_FEE (紹介手数料)."
    )
    first_use_only: bool = strawberry.field(
        default=False, description="Only for a firm's first side-job hire (false by default)."
    )
    tier_rank: int = strawberry.field(default=0, description="Tiers are tried from 0 upwards.")
    requires_introduction: bool = strawberry.field(
        default=False,
        description="Only when the professional was introduced through the prefecture's"
        " 拠点 or a registered agency.",
    )
    requires_outside_resident: bool = strawberry.field(
        default=False, description="Only for a professional living outside the prefecture."
    )
    min_travel_per_trip_jpy: int | None = strawberry.field(
        default=None,
        description="Only with travel of at least this many yen per round trip; null"
        " for no such condition.",
    )
    deadline_days: int | None = strawberry.field(
        default=None,
        description="Apply at least this many days before the deadline basis; null for"
        " no deadline.",
    )
    deadline_basis: str | None = strawberry.field(default=None, description="CONTRACT or START.")
    source_url: str = strawberry.field(
        default="", description="The prefecture's public notice (公募要領) the figures come from."
    )
    notes: str = strawberry.field(
        default="", description="Conditions in words, as the notice states them."
    )
    unconfirmed_fields: list[str] = strawberry.field(
        default_factory=list,
        description="rate, cap_jpy, eligible_cost_kinds, first_use_only, deadline, conditions.",
    )


@strawberry.type(description="The result of publishing a subsidy scheme's tier.")
class PublishSubsidySchemePayload:
    subsidy_scheme: SubsidyScheme | None = strawberry.field(
        description="The tier as published; null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The day the match's firm applied for its side-job subsidy.")
class RecordSubsidyApplicationInput:
    match_id: strawberry.ID = strawberry.field(
        description="The match's global id; your firm's, contracted."
    )
    applied_on: date = strawberry.field(description="The day it applied (not in the future).")


@strawberry.type(description="The result of recording a subsidy application.")
class RecordSubsidyApplicationPayload:
    subsidy_application: SubsidyApplication | None = strawberry.field(
        description="The application as recorded; null when nothing was recorded."
    )
    match: Match | None = strawberry.field(
        description="The match, with its subsidy estimate as it is now."
    )
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
