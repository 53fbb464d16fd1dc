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
    skill: str = strawberry.field(
        description="A skill's slug or any of its names, Japanese synonyms included"
        " (e.g. マーケティング)."
    )
    weight: float = strawberry.field(
        default=1.0,
        description="How much the skill counts, more than 0 and at most 1 (1 by default).",
    )


@strawberry.input(description="One of your skills, with your level and experience.")
class SkillLevelInput:
    skill: str = strawberry.field(
        description="A skill's slug or any of its names, Japanese synonyms included."
    )
    level: int = strawberry.field(description="1 (basic) to 5 (expert).")
    years: float = strawberry.field(
        default=0.0, description="Years of experience with the skill (0 by default)."
    )


@strawberry.input(
    description="A tie to a prefecture (関係人口) that makes you closer to its firms."
)
class TieInput:
    prefecture_code: str = strawberry.field(
        description="The prefecture's JIS X 0401 code (01 to 47)."
    )
    kind: TieKind = strawberry.field(  # type: ignore[valid-type]
        description="What ties you to it: hometown, past residence, second home, ふるさと納税."
    )


@strawberry.input(
    description="A new talent need (人材ニーズ) for your acting organization; it starts as DRAFT."
)
class CreateTalentNeedInput:
    title: str = strawberry.field(
        description="A short title for the need, e.g. 「海外販路開拓のマーケティング支援」."
    )
    challenge: str = strawberry.field(
        default="",
        description="The firm's 経営課題: the problem a professional is wanted for, in"
        " plain words.",
    )
    deliverables: str = strawberry.field(
        default="", description="What the professional should deliver by the end (成果物)."
    )
    required_skills: list[WeightedSkillInput] = strawberry.field(
        description="Skills the professional must have, each with its weight; they"
        " weigh most in matching."
    )
    preferred_skills: list[WeightedSkillInput] = strawberry.field(
        description="Skills that help but are not required; they weigh less in matching.",
        default_factory=list,
    )
    engagement_types: list[EngagementType] = strawberry.field(  # type: ignore[valid-type]
        description="The ways of working the firm accepts (副業・兼業 by default).",
        default_factory=lambda: [specs.EngagementType.SIDE_JOB],
    )
    hours_per_month: int = strawberry.field(
        description="Working hours a month the need asks for, 1 to 200."
    )
    duration_months: int = strawberry.field(
        default=6, description="How many months the engagement should last (6 by default)."
    )
    remote_policy: RemotePolicy = strawberry.field(  # type: ignore[valid-type]
        default=specs.RemotePolicy.REMOTE,
        description="How much presence at the workplace the need asks for.",
    )
    site_visits_per_month: int = strawberry.field(
        default=0, description="Site visits a month the need asks for, for HYBRID (0 by default)."
    )
    workplace_prefecture_code: str = strawberry.field(
        description="Where the work is: the JIS X 0401 code of the workplace's"
        " prefecture (01 to 47)."
    )
    workplace_municipality: str = strawberry.field(
        default="",
        description="The workplace's municipality (市区町村), as written, e.g. 熊本市;"
        " empty if not said.",
    )
    fee_min_jpy: int = strawberry.field(description="The lowest monthly fee offered, in yen.")
    fee_max_jpy: int = strawberry.field(
        description="The highest monthly fee offered, in yen; at least feeMinJpy."
    )
    starts_on: date = strawberry.field(description="When the work should start.")
    openings: int = strawberry.field(
        default=1,
        description="How many professionals the firm takes on for this need (1 by default).",
    )
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="The project the need serves: one your firm takes part in."
    )
    milestone_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The milestones of that project the need serves."
    )


@strawberry.input(description="Changes to a talent need: only the fields given change.")
class UpdateTalentNeedInput:
    id: strawberry.ID = strawberry.field(description="The talent need's global id.")
    version: int = strawberry.field(description="The version you read; a stale one conflicts.")
    title: str | None = strawberry.field(
        default=None,
        description="A short title for the need, e.g."
        " 「海外販路開拓のマーケティング支援」. Unchanged if not given.",
    )
    challenge: str | None = strawberry.field(
        default=None,
        description="The firm's 経営課題: the problem a professional is wanted for, in"
        " plain words. Unchanged if not given.",
    )
    deliverables: str | None = strawberry.field(
        default=None,
        description="What the professional should deliver by the end (成果物)."
        " Unchanged if not given.",
    )
    required_skills: list[WeightedSkillInput] | None = strawberry.field(
        default=None,
        description="Skills the professional must have, each with its weight; they"
        " weigh most in matching. Unchanged if not given.",
    )
    preferred_skills: list[WeightedSkillInput] | None = strawberry.field(
        default=None,
        description="Skills that help but are not required; they weigh less in"
        " matching. Unchanged if not given.",
    )
    engagement_types: list[EngagementType] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="The ways of working the firm accepts. Unchanged if not given.",
    )
    hours_per_month: int | None = strawberry.field(
        default=None,
        description="Working hours a month the need asks for, 1 to 200. Unchanged if not given.",
    )
    duration_months: int | None = strawberry.field(
        default=None,
        description="How many months the engagement should last. Unchanged if not given.",
    )
    remote_policy: RemotePolicy | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="How much presence at the workplace the need asks for. Unchanged if not given.",
    )
    site_visits_per_month: int | None = strawberry.field(
        default=None,
        description="Site visits a month the need asks for, for HYBRID. Unchanged if not given.",
    )
    workplace_prefecture_code: str | None = strawberry.field(
        default=None,
        description="Where the work is: the JIS X 0401 code of the workplace's"
        " prefecture (01 to 47). Unchanged if not given.",
    )
    workplace_municipality: str | None = strawberry.field(
        default=None,
        description="The workplace's municipality (市区町村), as written, e.g. 熊本市;"
        " empty if not said. Unchanged if not given.",
    )
    fee_min_jpy: int | None = strawberry.field(
        default=None, description="The lowest monthly fee offered, in yen. Unchanged if not given."
    )
    fee_max_jpy: int | None = strawberry.field(
        default=None,
        description="The highest monthly fee offered, in yen; at least feeMinJpy."
        " Unchanged if not given.",
    )
    starts_on: date | None = strawberry.field(
        default=None, description="When the work should start. Unchanged if not given."
    )
    openings: int | None = strawberry.field(
        default=None,
        description="How many professionals the firm takes on for this need (1 by"
        " default). Unchanged if not given.",
    )
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="The project the need serves: one your firm takes part in."
    )
    milestone_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The milestones of its project the need serves, replacing those it served"
        " ([] for none); without it, they stay (unless the project changes).",
    )


@strawberry.input(description="A talent need and the status to move it to.")
class ChangeTalentNeedStatusInput:
    id: strawberry.ID = strawberry.field(description="The talent need's global id.")
    status: NeedStatus = strawberry.field(  # type: ignore[valid-type]
        description="The status wanted: OPEN publishes, PAUSED hides it, FILLED and CLOSED end it."
    )
    version: int | None = strawberry.field(
        default=None,
        description="The version you read; a stale one conflicts. Without it, no check.",
    )


@strawberry.type(description="The result of a mutation on a talent need.")
class TalentNeedPayload:
    talent_need: TalentNeed | None = strawberry.field(
        description="The talent need as it is now; null when the mutation changed nothing."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Your record and profile; name, contact and employer stay hidden "
    "from firms until both sides accept a match."
)
class SaveProfessionalProfileInput:
    full_name: str = strawberry.field(
        description="Your full name (氏名); firms see it only once both sides accept a match."
    )
    contact_email: str = strawberry.field(
        description="Where firms reach you once a match is accepted; hidden before."
    )
    phone: str | None = strawberry.field(
        default=None,
        description="Your phone number, optional; hidden from firms until a match is accepted.",
    )
    current_employer: str | None = strawberry.field(
        default=None,
        description="Your main employer (本業), optional; hidden from firms until a"
        " match is accepted.",
    )
    headline: str = strawberry.field(
        description="One line about you that firms see in proposals, e.g. 「製造業DXのPM、15年」."
    )
    skills: list[SkillLevelInput] = strawberry.field(
        description="Your skills with levels; matching reads them."
    )
    experience_summary: str = strawberry.field(
        default="",
        description="Your experience in a few sentences; firms see it, so leave out names.",
    )
    engagement_types: list[EngagementType] = strawberry.field(  # type: ignore[valid-type]
        description="The ways of working you accept (副業・兼業 by default).",
        default_factory=lambda: [specs.EngagementType.SIDE_JOB],
    )
    hours_per_month: int = strawberry.field(description="Hours a month you can give, 1 to 200.")
    available_from: date = strawberry.field(description="The first day you can start.")
    remote_preference: RemotePolicy = strawberry.field(  # type: ignore[valid-type]
        default=specs.RemotePolicy.REMOTE,
        description="The most presence at a workplace you accept.",
    )
    residence_prefecture_code: str = strawberry.field(
        description="The JIS X 0401 code of the prefecture you live in."
    )
    max_site_visits_per_month: int = strawberry.field(
        default=0, description="The most site visits a month you accept (0 by default)."
    )
    travel_prefecture_codes: list[str] = strawberry.field(
        description="JIS X 0401 codes of the prefectures you would travel to.", default_factory=list
    )
    ties: list[TieInput] = strawberry.field(
        description="Your ties to prefectures (関係人口): matching favours firms there.",
        default_factory=list,
    )
    fee_min_jpy: int = strawberry.field(description="The lowest monthly fee you accept, in yen.")
    fee_max_jpy: int = strawberry.field(
        description="The monthly fee you hope for at most, in yen; at least feeMinJpy."
    )
    max_engagements: int = strawberry.field(
        default=1, description="How many engagements you take at once, 1 to 10 (1 by default)."
    )
    is_open: bool = strawberry.field(
        default=True,
        description="Whether you take new matches now; false hides you from proposals"
        " and scouting.",
    )
    version: int | None = strawberry.field(
        default=None, description="The profile's version you read, when changing it."
    )


@strawberry.type(description="The result of saving your professional profile.")
class ProfessionalProfilePayload:
    profile: ProfessionalProfile | None = strawberry.field(
        description="Your profile as saved; null when nothing was saved."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The open talent need you apply to, as a professional.")
class ApplyToNeedInput:
    need_id: strawberry.ID = strawberry.field(
        description="The talent need's global id; it must be OPEN."
    )


@strawberry.input(description="A proposed professional your firm scouts for one of its needs.")
class ScoutProfessionalInput:
    need_id: strawberry.ID = strawberry.field(
        description="Your firm's talent need the professional is scouted for."
    )
    match_id: strawberry.ID = strawberry.field(
        description="A match in which the professional was proposed to one of your needs."
    )


@strawberry.input(description="The match on which to take a step.")
class MatchStepInput:
    match_id: strawberry.ID = strawberry.field(description="The match's global id.")
    version: int | None = strawberry.field(
        default=None, description="The match's version you read; a stale one conflicts."
    )


@strawberry.input(description="When the interview (面談) of an accepted match takes place.")
class ScheduleInterviewInput:
    match_id: strawberry.ID = strawberry.field(
        description="The match's global id; it must be ACCEPTED or INTERVIEW."
    )
    at: datetime = strawberry.field(
        description="The interview's date and time, with its offset (ISO 8601, e.g."
        " 2026-05-12T14:00:00+09:00)."
    )
    version: int | None = strawberry.field(
        default=None, description="The match's version you read; a stale one conflicts."
    )


@strawberry.input(
    description="The terms of the contract (契約) agreed after the interview; the"
    " professional confirms them."
)
class RecordContractInput:
    match_id: strawberry.ID = strawberry.field(
        description="The match's global id; its interview must be scheduled."
    )
    fee_jpy: int = strawberry.field(description="Monthly fee in yen.")
    hours_per_month: int = strawberry.field(
        description="Contracted working hours a month, 1 to 200."
    )
    starts_on: date = strawberry.field(description="The first day of the contracted work.")
    ends_on: date | None = strawberry.field(
        default=None, description="The last day of the contracted work; null for no end date."
    )
    version: int | None = strawberry.field(
        default=None, description="The match's version you read; a stale one conflicts."
    )


@strawberry.input(description="A review (評価) of the other side at the end of a match.")
class ReviewMatchInput:
    match_id: strawberry.ID = strawberry.field(description="The match's global id.")
    rating: int = strawberry.field(description="評価: 1 to 5.")
    review: str = strawberry.field(
        default="", description="Your review in words, optional; the other side reads it."
    )
    version: int | None = strawberry.field(
        default=None, description="The match's version you read; a stale one conflicts."
    )


@strawberry.type(description="The result of a step on a match.")
class MatchPayload:
    match: Match | None = strawberry.field(
        description="The match as it is now; null when the step was refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The talent need whose proposals the engine computes again now.")
class RecomputeProposalsInput:
    need_id: strawberry.ID = strawberry.field(
        description="The talent need's global id; your firm's."
    )


@strawberry.type(description="The result of computing a need's proposals again.")
class RecomputeProposalsPayload:
    talent_need: TalentNeed | None = strawberry.field(
        description="The talent need; null when nothing was computed."
    )
    proposed: int = strawberry.field(
        description="How many proposals the engine made or renewed for the need."
    )
    expired: int = strawberry.field(
        description="How many earlier proposals the engine no longer makes (now EXPIRED)."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="A line of a contracted match's cost ledger.")
class RecordMatchCostInput:
    match_id: strawberry.ID = strawberry.field(
        description="The match's global id; it must be contracted."
    )
    kind: CostKind = strawberry.field(  # type: ignore[valid-type]
        description="What the cost is: the fee (報酬), travel (旅費) or a placement fee"
        " (紹介手数料)."
    )
    amount_jpy: int = strawberry.field(description="In yen, more than 0.")
    incurred_on: date = strawberry.field(
        description="When the cost was incurred; subsidies count costs by fiscal year."
    )
    visit_days: int = strawberry.field(default=0, description="Site-visit days, for TRAVEL.")
    note: str = strawberry.field(
        default="", description="A note for the ledger, e.g. the invoice number; optional."
    )


@strawberry.type(description="The result of recording a line of a match's cost ledger.")
class RecordMatchCostPayload:
    match_cost: MatchCost | None = strawberry.field(
        description="The ledger line as recorded; null when nothing was recorded."
    )
    match: Match | None = strawberry.field(
        description="The match, with its ledger and subsidy estimate as they are now."
    )
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
