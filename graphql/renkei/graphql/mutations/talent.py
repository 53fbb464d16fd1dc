"""Mutations on talent: needs, one's own profile, and each step of a match."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import NotFound
from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.talent import (
    CostKind,
    EngagementType,
    NeedStatus,
    ProfessionalProfile,
    RemotePolicy,
    TalentNeed,
    TieKind,
)
from renkei.graphql.types.talent_matches import Match, MatchCost
from renkei.i18n.messages import _
from renkei.identity.scopes import TALENT_WRITE
from renkei.talent import lifecycle, models, proposals, repository, service, specs, subsidies
from renkei.tenancy import Viewer


@strawberry.input(description="A skill by slug or any of its names, and its weight (0..1].")
class WeightedSkillInput:
    skill: str
    weight: float = 1.0


@strawberry.input
class SkillLevelInput:
    skill: str
    level: int = strawberry.field(description="1 (basic) to 5 (expert).")
    years: float = 0.0


@strawberry.input
class TieInput:
    prefecture_code: str
    kind: TieKind  # type: ignore[valid-type]


@strawberry.input
class CreateTalentNeedInput:
    title: str
    challenge: str = ""
    deliverables: str = ""
    required_skills: list[WeightedSkillInput]
    preferred_skills: list[WeightedSkillInput] = strawberry.field(default_factory=list)
    engagement_types: list[EngagementType] = strawberry.field(  # type: ignore[valid-type]
        default_factory=lambda: [specs.EngagementType.SIDE_JOB]
    )
    hours_per_month: int
    duration_months: int = 6
    remote_policy: RemotePolicy = specs.RemotePolicy.REMOTE  # type: ignore[valid-type]
    site_visits_per_month: int = 0
    workplace_prefecture_code: str
    workplace_municipality: str = ""
    fee_min_jpy: int
    fee_max_jpy: int
    starts_on: date
    openings: int = 1
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="The project the need serves: one your firm takes part in."
    )
    milestone_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The milestones of that project the need serves."
    )


@strawberry.input
class UpdateTalentNeedInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a stale one conflicts.")
    title: str | None = None
    challenge: str | None = None
    deliverables: str | None = None
    required_skills: list[WeightedSkillInput] | None = None
    preferred_skills: list[WeightedSkillInput] | None = None
    engagement_types: list[EngagementType] | None = None  # type: ignore[valid-type]
    hours_per_month: int | None = None
    duration_months: int | None = None
    remote_policy: RemotePolicy | None = None  # type: ignore[valid-type]
    site_visits_per_month: int | None = None
    workplace_prefecture_code: str | None = None
    workplace_municipality: str | None = None
    fee_min_jpy: int | None = None
    fee_max_jpy: int | None = None
    starts_on: date | None = None
    openings: int | None = None
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="The project the need serves: one your firm takes part in."
    )
    milestone_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The milestones of its project the need serves, replacing those it served"
        " ([] for none); without it, they stay (unless the project changes).",
    )


@strawberry.input
class ChangeTalentNeedStatusInput:
    id: strawberry.ID
    status: NeedStatus  # type: ignore[valid-type]
    version: int | None = None


@strawberry.type
class TalentNeedPayload:
    talent_need: TalentNeed | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Your record and profile; name, contact and employer stay hidden "
    "from firms until both sides accept a match."
)
class SaveProfessionalProfileInput:
    full_name: str
    contact_email: str
    phone: str | None = None
    current_employer: str | None = None
    headline: str
    skills: list[SkillLevelInput]
    experience_summary: str = ""
    engagement_types: list[EngagementType] = strawberry.field(  # type: ignore[valid-type]
        default_factory=lambda: [specs.EngagementType.SIDE_JOB]
    )
    hours_per_month: int
    available_from: date
    remote_preference: RemotePolicy = specs.RemotePolicy.REMOTE  # type: ignore[valid-type]
    residence_prefecture_code: str
    max_site_visits_per_month: int = 0
    travel_prefecture_codes: list[str] = strawberry.field(default_factory=list)
    ties: list[TieInput] = strawberry.field(default_factory=list)
    fee_min_jpy: int
    fee_max_jpy: int
    max_engagements: int = 1
    is_open: bool = True
    version: int | None = strawberry.field(
        default=None, description="The profile's version you read, when changing it."
    )


@strawberry.type
class ProfessionalProfilePayload:
    profile: ProfessionalProfile | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input
class ApplyToNeedInput:
    need_id: strawberry.ID


@strawberry.input
class ScoutProfessionalInput:
    need_id: strawberry.ID
    match_id: strawberry.ID = strawberry.field(
        description="A match in which the professional was proposed to one of your needs."
    )


@strawberry.input
class MatchStepInput:
    match_id: strawberry.ID
    version: int | None = strawberry.field(
        default=None, description="The match's version you read; a stale one conflicts."
    )


@strawberry.input
class ScheduleInterviewInput:
    match_id: strawberry.ID
    at: datetime
    version: int | None = None


@strawberry.input
class RecordContractInput:
    match_id: strawberry.ID
    fee_jpy: int = strawberry.field(description="Monthly fee in yen.")
    hours_per_month: int
    starts_on: date
    ends_on: date | None = None
    version: int | None = None


@strawberry.input
class ReviewMatchInput:
    match_id: strawberry.ID
    rating: int = strawberry.field(description="評価: 1 to 5.")
    review: str = ""
    version: int | None = None


@strawberry.type
class MatchPayload:
    match: Match | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input
class RecomputeProposalsInput:
    need_id: strawberry.ID


@strawberry.type
class RecomputeProposalsPayload:
    talent_need: TalentNeed | None
    proposed: int
    expired: int
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="A line of a contracted match's cost ledger.")
class RecordMatchCostInput:
    match_id: strawberry.ID
    kind: CostKind  # type: ignore[valid-type]
    amount_jpy: int = strawberry.field(description="In yen, more than 0.")
    incurred_on: date
    visit_days: int = strawberry.field(default=0, description="Site-visit days, for TRAVEL.")
    note: str = ""


@strawberry.type
class RecordMatchCostPayload:
    match_cost: MatchCost | None
    match: Match | None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def _skills(items: list[WeightedSkillInput]) -> list[tuple[str, float]]:
    return [(s.skill, s.weight) for s in items]


def _serves(
    project_id: strawberry.ID | None, milestone_ids: list[strawberry.ID] | None
) -> dict[str, Any]:
    """The project and milestones of a need input, as row ids (Invalid for a wrong id)."""
    served: dict[str, Any] = {}
    if project_id is not None:
        served["project_id"] = decode_id(project_id, "Project", field="projectId")
    if milestone_ids is not None:
        served["milestone_ids"] = [
            decode_id(m, "Milestone", field="milestoneIds") for m in milestone_ids
        ]
    return served


def _need_payload(row: models.TalentNeed | None, errors: list[UserError]) -> TalentNeedPayload:
    return TalentNeedPayload(
        talent_need=TalentNeed.from_row(row) if row else None, user_errors=errors
    )


async def _match_step(
    info: Info, work: Callable[[AsyncSession, Viewer], Awaitable[models.Match]]
) -> MatchPayload:
    row, errors = await run_mutation(info, work, scope=TALENT_WRITE)
    return MatchPayload(match=Match.from_row(row) if row else None, user_errors=errors)


def _match_id(value: strawberry.ID) -> uuid.UUID:
    return decode_id(value, "Match", field="matchId")


_STEPS: dict[str, Any] = {
    "accept": lifecycle.accept,
    "decline": lifecycle.decline,
    "withdraw": lifecycle.withdraw,
    "confirm": lifecycle.confirm_contract,
    "start": lifecycle.start,
}


def _simple(step: str, input: MatchStepInput) -> Callable[[AsyncSession, Viewer], Awaitable[Any]]:
    async def work(session: AsyncSession, viewer: Viewer) -> models.Match:
        result: models.Match = await _STEPS[step](
            session, viewer, match_id=_match_id(input.match_id), version=input.version
        )
        return result

    return work


@strawberry.type
class TalentMutations:
    @strawberry.mutation(description="Draft a need for your firm (owners, admins, members).")
    async def create_talent_need(
        self, info: Info, input: Annotated[CreateTalentNeedInput, INPUT]
    ) -> TalentNeedPayload:
        def values() -> service.NeedFields:
            return service.NeedFields(
                title=input.title,
                challenge=input.challenge,
                deliverables=input.deliverables,
                required_skills=_skills(input.required_skills),
                preferred_skills=_skills(input.preferred_skills),
                engagement_types=[specs.EngagementType(t).value for t in input.engagement_types],
                hours_per_month=input.hours_per_month,
                duration_months=input.duration_months,
                remote_policy=specs.RemotePolicy(input.remote_policy).value,
                site_visits_per_month=input.site_visits_per_month,
                workplace_prefecture_code=input.workplace_prefecture_code,
                workplace_municipality=input.workplace_municipality,
                fee_min_jpy=input.fee_min_jpy,
                fee_max_jpy=input.fee_max_jpy,
                starts_on=input.starts_on,
                openings=input.openings,
                **_serves(input.project_id, input.milestone_ids),
            )

        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.create_need(session, viewer, values=values()),
            scope=TALENT_WRITE,
        )
        return _need_payload(row, errors)

    @strawberry.mutation(description="Change a need; send the version you read.")
    async def update_talent_need(
        self, info: Info, input: Annotated[UpdateTalentNeedInput, INPUT]
    ) -> TalentNeedPayload:
        changes: dict[str, Any] = {}
        for name in service.NEED_COLUMNS:
            value = getattr(input, name, None)
            if value is None:
                continue
            if name in ("required_skills", "preferred_skills"):
                value = _skills(value)
            elif name == "engagement_types":
                value = [specs.EngagementType(t).value for t in value]
            elif name == "remote_policy":
                value = specs.RemotePolicy(value).value
            elif name in ("project_id", "milestone_ids"):
                continue
            changes[name] = value

        async def work(session: AsyncSession, viewer: Viewer) -> models.TalentNeed:
            return await service.update_need(
                session,
                viewer,
                need_id=decode_id(input.id, "TalentNeed"),
                version=input.version,
                changes=changes | _serves(input.project_id, input.milestone_ids),
            )

        row, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        return _need_payload(row, errors)

    @strawberry.mutation(description="Open, pause, fill or close a need.")
    async def change_talent_need_status(
        self, info: Info, input: Annotated[ChangeTalentNeedStatusInput, INPUT]
    ) -> TalentNeedPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.TalentNeed:
            return await service.change_need_status(
                session,
                viewer,
                need_id=decode_id(input.id, "TalentNeed"),
                status=models.NeedStatus(input.status),
                version=input.version,
            )

        row, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        return _need_payload(row, errors)

    @strawberry.mutation(description="Create or update your own professional record and profile.")
    async def save_professional_profile(
        self, info: Info, input: Annotated[SaveProfessionalProfileInput, INPUT]
    ) -> ProfessionalProfilePayload:
        values = service.ProfileFields(
            full_name=input.full_name,
            contact_email=input.contact_email,
            phone=input.phone,
            current_employer=input.current_employer,
            headline=input.headline,
            skills=[(s.skill, s.level, s.years) for s in input.skills],
            experience_summary=input.experience_summary,
            engagement_types=[specs.EngagementType(t).value for t in input.engagement_types],
            hours_per_month=input.hours_per_month,
            available_from=input.available_from,
            remote_preference=specs.RemotePolicy(input.remote_preference).value,
            residence_prefecture_code=input.residence_prefecture_code,
            max_site_visits_per_month=input.max_site_visits_per_month,
            travel_prefecture_codes=input.travel_prefecture_codes,
            ties=[(t.prefecture_code, specs.TieKind(t.kind).value) for t in input.ties],
            fee_min_jpy=input.fee_min_jpy,
            fee_max_jpy=input.fee_max_jpy,
            max_engagements=input.max_engagements,
            is_open=input.is_open,
        )
        row, errors = await run_mutation(
            info,
            lambda session, viewer: service.save_profile(
                session, viewer, values=values, version=input.version
            ),
            scope=TALENT_WRITE,
        )
        return ProfessionalProfilePayload(
            profile=ProfessionalProfile.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Apply to an open need as a professional.")
    async def apply_to_need(
        self, info: Info, input: Annotated[ApplyToNeedInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(
            info,
            lambda session, viewer: lifecycle.apply_to_need(
                session, viewer, need_id=decode_id(input.need_id, "TalentNeed", field="needId")
            ),
        )

    @strawberry.mutation(
        description="Scout a professional proposed to one of your needs (name them by the match "
        "in which they were proposed) for this need."
    )
    async def scout_professional(
        self, info: Info, input: Annotated[ScoutProfessionalInput, INPUT]
    ) -> MatchPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.Match:
            seen = await repository.get_match(session, _match_id(input.match_id))
            if seen is None:
                raise NotFound(_("No such match."), field="matchId")
            return await lifecycle.scout(
                session,
                viewer,
                need_id=decode_id(input.need_id, "TalentNeed", field="needId"),
                professional_id=seen.professional_id,
            )

        return await _match_step(info, work)

    @strawberry.mutation(description="Accept a match (the side asked, or either on a proposal).")
    async def accept_match(
        self, info: Info, input: Annotated[MatchStepInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(info, _simple("accept", input))

    @strawberry.mutation(description="Decline a match you were asked about.")
    async def decline_match(
        self, info: Info, input: Annotated[MatchStepInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(info, _simple("decline", input))

    @strawberry.mutation(description="Withdraw from a match before its contract.")
    async def withdraw_match(
        self, info: Info, input: Annotated[MatchStepInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(info, _simple("withdraw", input))

    @strawberry.mutation(description="The firm schedules the 面談 of an accepted match.")
    async def schedule_interview(
        self, info: Info, input: Annotated[ScheduleInterviewInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(
            info,
            lambda session, viewer: lifecycle.schedule_interview(
                session,
                viewer,
                match_id=_match_id(input.match_id),
                at=input.at,
                version=input.version,
            ),
        )

    @strawberry.mutation(description="The firm records the contract's terms after the 面談.")
    async def record_contract(
        self, info: Info, input: Annotated[RecordContractInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(
            info,
            lambda session, viewer: lifecycle.record_contract(
                session,
                viewer,
                match_id=_match_id(input.match_id),
                fee_jpy=input.fee_jpy,
                hours_per_month=input.hours_per_month,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
                version=input.version,
            ),
        )

    @strawberry.mutation(description="The professional confirms the recorded terms: 契約.")
    async def confirm_contract(
        self, info: Info, input: Annotated[MatchStepInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(info, _simple("confirm", input))

    @strawberry.mutation(description="Either side starts the contracted work (稼働).")
    async def start_match(
        self, info: Info, input: Annotated[MatchStepInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(info, _simple("start", input))

    @strawberry.mutation(description="Either side completes the work, with its review (評価).")
    async def complete_match(
        self, info: Info, input: Annotated[ReviewMatchInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(
            info,
            lambda session, viewer: lifecycle.complete(
                session,
                viewer,
                match_id=_match_id(input.match_id),
                rating=input.rating,
                review=input.review,
                version=input.version,
            ),
        )

    @strawberry.mutation(description="The other side's review of a completed match.")
    async def review_match(
        self, info: Info, input: Annotated[ReviewMatchInput, INPUT]
    ) -> MatchPayload:
        return await _match_step(
            info,
            lambda session, viewer: lifecycle.review(
                session,
                viewer,
                match_id=_match_id(input.match_id),
                rating=input.rating,
                review=input.review,
                version=input.version,
            ),
        )

    @strawberry.mutation(description="Run the matching engine for one of your needs now.")
    async def recompute_proposals(
        self, info: Info, input: Annotated[RecomputeProposalsInput, INPUT]
    ) -> RecomputeProposalsPayload:
        need_id: uuid.UUID | None = None

        async def work(session: AsyncSession, viewer: Viewer) -> proposals.Recomputed:
            nonlocal need_id
            need_id = decode_id(input.need_id, "TalentNeed", field="needId")
            return await proposals.recompute_for_firm(session, viewer, need_id=need_id)

        result, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        need = None
        if result is not None and need_id is not None:
            row = await info.context.loaders.talent_need.load(need_id)
            need = TalentNeed.from_row(row) if row else None
        return RecomputeProposalsPayload(
            talent_need=need,
            proposed=result.proposed if result else 0,
            expired=result.expired if result else 0,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="The firm adds a cost (fee, travel with visit days, placement fee) to a "
        "contracted, active or completed match: its subsidy is estimated from them."
    )
    async def record_match_cost(
        self, info: Info, input: Annotated[RecordMatchCostInput, INPUT]
    ) -> RecordMatchCostPayload:
        async def work(
            session: AsyncSession, viewer: Viewer
        ) -> tuple[models.MatchCost, models.Match]:
            match_id = _match_id(input.match_id)
            cost = await subsidies.record_cost(
                session,
                viewer,
                match_id=match_id,
                kind=models.CostKind(input.kind),
                amount_jpy=input.amount_jpy,
                incurred_on=input.incurred_on,
                visit_days=input.visit_days,
                note=input.note,
            )
            match = await repository.get_match(session, match_id)
            assert match is not None
            return cost, match

        result, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        if result is None:
            return RecordMatchCostPayload(match_cost=None, match=None, user_errors=errors)
        cost, match = result
        return RecordMatchCostPayload(
            match_cost=MatchCost.from_row(cost), match=Match.from_row(match), user_errors=errors
        )
