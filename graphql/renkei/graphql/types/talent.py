"""Talent: skills, firms' needs, professionals' profiles and the matches between them.

A firm reads a professional through `Match.professional` (the anonymized profile) and
`Match.contact`, which is null until both sides have accepted: row-level security hides the
professional's identity row until then, so the resolver has nothing to show.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.context import Info
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import (
    Connection,
    Node,
    PageArgs,
    empty_page,
    fetch_pages,
    parse_global_id,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.organizations import Organization
from renkei.identity.scopes import TALENT_READ
from renkei.talent import models, repository, specs, subsidies
from renkei.talent import skills as taxonomy
from renkei.talent.lifecycle import Side, allowed_steps
from renkei.talent.service import NEED_TRANSITIONS
from renkei.text_search import normalize

NeedStatus = strawberry.enum(models.NeedStatus, description="DRAFT → OPEN → PAUSED/FILLED/CLOSED.")
MatchStatus = strawberry.enum(models.MatchStatus, description="Where a match stands.")
EngagementType = strawberry.enum(specs.EngagementType)
RemotePolicy = strawberry.enum(specs.RemotePolicy)
TieKind = strawberry.enum(specs.TieKind, description="A tie to a prefecture (関係人口).")
MatchSide = strawberry.enum(Side, name="MatchSide")
CostKind = strawberry.enum(models.CostKind, description="A kind of a match's cost.")


@strawberry.type(description="A canonical skill of the taxonomy, with its names and synonyms.")
class Skill:
    slug: str
    name_ja: str
    name_en: str
    category: str
    synonyms: list[str]

    @classmethod
    def of(cls, skill: taxonomy.Skill) -> Skill:
        return cls(
            slug=skill.slug,
            name_ja=skill.name_ja,
            name_en=skill.name_en,
            category=skill.category,
            synonyms=list(skill.synonyms),
        )

    @classmethod
    def by_slug(cls, slug: str) -> Skill:
        return cls.of(taxonomy.default_taxonomy()[slug])


@strawberry.type(description="A skill a need asks for, with the firm's weight (0..1).")
class WeightedSkill:
    skill: Skill
    weight: float


@strawberry.type(description="A professional's skill: level 1 (basic) to 5 (expert), years.")
class SkillLevel:
    skill: Skill
    level: int
    years: float


@strawberry.type(description="A professional's tie to a prefecture (関係人口).")
class Tie:
    prefecture: Prefecture
    kind: TieKind  # type: ignore[valid-type]


def _prefectures(codes: list[str]) -> list[Prefecture]:
    return [p for p in map(Prefecture.by_code, codes) if p is not None]


@strawberry.type(description="人材ニーズ: what a regional firm needs a professional for.")
class TalentNeed(Node):
    title: str
    challenge: str = strawberry.field(description="経営課題: the business challenge.")
    deliverables: str
    engagement_types: list[EngagementType]  # type: ignore[valid-type]
    hours_per_month: int
    duration_months: int
    remote_policy: RemotePolicy  # type: ignore[valid-type]
    site_visits_per_month: int
    workplace_municipality: str
    fee_min_jpy: int
    fee_max_jpy: int
    starts_on: date
    openings: int
    status: NeedStatus  # type: ignore[valid-type]
    version: int
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.TalentNeed]

    @classmethod
    def from_row(cls, row: models.TalentNeed) -> TalentNeed:
        return cls(
            id=to_global_id("TalentNeed", row.id),
            title=row.title,
            challenge=row.challenge,
            deliverables=row.deliverables,
            engagement_types=[specs.EngagementType(t) for t in row.engagement_types],
            hours_per_month=row.hours_per_month,
            duration_months=row.duration_months,
            remote_policy=specs.RemotePolicy(row.remote_policy),
            site_visits_per_month=row.site_visits_per_month,
            workplace_municipality=row.workplace_municipality,
            fee_min_jpy=row.fee_min_jpy,
            fee_max_jpy=row.fee_max_jpy,
            starts_on=row.starts_on,
            openings=row.openings,
            status=row.status,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at or row.created_at,
            row=row,
        )

    @strawberry.field
    def required_skills(self) -> list[WeightedSkill]:
        return [
            WeightedSkill(skill=Skill.by_slug(s["skill"]), weight=s["weight"])
            for s in self.row.required_skills
        ]

    @strawberry.field
    def preferred_skills(self) -> list[WeightedSkill]:
        return [
            WeightedSkill(skill=Skill.by_slug(s["skill"]), weight=s["weight"])
            for s in self.row.preferred_skills
        ]

    @strawberry.field
    def workplace_prefecture(self) -> Prefecture | None:
        return Prefecture.by_code(self.row.workplace_prefecture_code)

    @strawberry.field(description="The firm that posted it.")
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)

    @strawberry.field(description="The statuses it may go to next.")
    def allowed_transitions(self) -> list[NeedStatus]:  # type: ignore[valid-type]
        return list(NEED_TRANSITIONS[self.row.status])


@strawberry.type(description="What a firm reads about a professional: no name, contact, employer.")
class ProfessionalProfile:
    pseudonym: str = strawberry.field(description="Stable, and says nothing about the person.")
    headline: str
    experience_summary: str
    engagement_types: list[EngagementType]  # type: ignore[valid-type]
    hours_per_month: int
    available_from: date
    remote_preference: RemotePolicy  # type: ignore[valid-type]
    max_site_visits_per_month: int
    fee_min_jpy: int
    fee_max_jpy: int
    max_engagements: int
    is_open: bool
    version: int
    row: strawberry.Private[models.ProfessionalProfile]

    @classmethod
    def from_row(cls, row: models.ProfessionalProfile) -> ProfessionalProfile:
        return cls(
            pseudonym=row.pseudonym,
            headline=row.headline,
            experience_summary=row.experience_summary,
            engagement_types=[specs.EngagementType(t) for t in row.engagement_types],
            hours_per_month=row.hours_per_month,
            available_from=row.available_from,
            remote_preference=specs.RemotePolicy(row.remote_preference),
            max_site_visits_per_month=row.max_site_visits_per_month,
            fee_min_jpy=row.fee_min_jpy,
            fee_max_jpy=row.fee_max_jpy,
            max_engagements=row.max_engagements,
            is_open=row.is_open,
            version=row.version,
            row=row,
        )

    @strawberry.field
    def skills(self) -> list[SkillLevel]:
        return [
            SkillLevel(skill=Skill.by_slug(s["skill"]), level=s["level"], years=s["years"])
            for s in self.row.skills
        ]

    @strawberry.field
    def residence_prefecture(self) -> Prefecture | None:
        return Prefecture.by_code(self.row.residence_prefecture_code)

    @strawberry.field
    def travel_prefectures(self) -> list[Prefecture]:
        return _prefectures(self.row.travel_prefecture_codes)

    @strawberry.field
    def ties(self) -> list[Tie]:
        return [
            Tie(prefecture=p, kind=specs.TieKind(t["kind"]))
            for t in self.row.ties
            if (p := Prefecture.by_code(t["prefecture"])) is not None
        ]


@strawberry.type(description="Your own professional record: who you are, and your profile.")
class Professional(Node):
    pseudonym: str
    full_name: str
    contact_email: str
    phone: str | None
    current_employer: str | None
    row: strawberry.Private[models.Professional]

    @classmethod
    def from_row(cls, row: models.Professional) -> Professional:
        return cls(
            id=to_global_id("Professional", row.id),
            pseudonym=row.pseudonym,
            full_name=row.full_name,
            contact_email=row.contact_email,
            phone=row.phone,
            current_employer=row.current_employer,
            row=row,
        )

    @strawberry.field
    async def profile(self, info: Info) -> ProfessionalProfile | None:
        row = await info.context.run(lambda s: repository.profile(s, self.row.id))
        return ProfessionalProfile.from_row(row) if row else None


@strawberry.type(description="Who the professional is: shown once both sides have accepted.")
class Contact:
    name: str
    email: str
    phone: str | None
    employer: str | None


@strawberry.type(description="One component of a match's score, in words.")
class ExplanationComponent:
    component: str
    side: str
    label: str
    value: float
    weight: float
    points: float
    text: str


@strawberry.type(description="契約: the terms the firm recorded and the professional confirmed.")
class Contract:
    fee_jpy: int
    hours_per_month: int
    starts_on: date
    ends_on: date | None
    confirmed_at: datetime | None


@strawberry.type(description="評価: a side's review, 1 to 5.")
class Review:
    rating: int
    text: str


@strawberry.type(description="A prefecture's side-job subsidy (副業・兼業人材活用促進事業).")
class SubsidyScheme:
    fiscal_year: int = strawberry.field(description="年度 (FY2026 = 2026-04 to 2027-03).")
    name: str
    rate: float = strawberry.field(description="The share of eligible costs paid (0.8 = 8/10).")
    cap_jpy: float
    eligible_cost_kinds: list[CostKind]  # type: ignore[valid-type]
    first_use_only: bool = strawberry.field(description="Only for a firm's first side job.")
    notes: str
    row: strawberry.Private[models.SubsidyScheme]

    @classmethod
    def from_row(cls, row: models.SubsidyScheme) -> SubsidyScheme:
        return cls(
            fiscal_year=row.fiscal_year,
            name=row.name,
            rate=float(row.rate),
            cap_jpy=float(row.cap_jpy),
            eligible_cost_kinds=[models.CostKind(k) for k in row.eligible_cost_kinds],
            first_use_only=row.first_use_only,
            notes=row.notes,
            row=row,
        )

    @strawberry.field
    def prefecture(self) -> Prefecture | None:
        return Prefecture.by_code(self.row.prefecture_code)


@strawberry.type(description="A line of a contracted match's cost ledger (the firm's).")
class MatchCost(Node):
    kind: CostKind  # type: ignore[valid-type]
    amount_jpy: int
    incurred_on: date
    visit_days: int = strawberry.field(description="Site-visit days, for travel costs.")
    note: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.MatchCost) -> MatchCost:
        return cls(
            id=to_global_id("MatchCost", row.id),
            kind=row.kind,
            amount_jpy=row.amount_jpy,
            incurred_on=row.incurred_on,
            visit_days=row.visit_days,
            note=row.note,
            created_at=row.created_at,
        )


@strawberry.type(description="What the workplace prefecture's scheme would pay, and why.")
class SubsidyEstimate:
    scheme: SubsidyScheme | None
    rate: float | None
    cap_jpy: float | None
    eligible_jpy: float = strawberry.field(description="The costs of kinds the scheme covers.")
    estimate_jpy: float | None = strawberry.field(
        description="min(floor(eligible × rate), cap); null without a scheme."
    )
    first_use: bool = strawberry.field(description="No earlier contracted side job of the firm.")
    reason: str
    formula: str

    @classmethod
    def of(cls, found: subsidies.SubsidyEstimate) -> SubsidyEstimate:
        return cls(
            scheme=SubsidyScheme.from_row(found.scheme) if found.scheme else None,
            rate=float(found.rate) if found.rate is not None else None,
            cap_jpy=float(found.cap_jpy) if found.cap_jpy is not None else None,
            eligible_jpy=float(found.eligible_jpy),
            estimate_jpy=float(found.estimate_jpy) if found.estimate_jpy is not None else None,
            first_use=found.first_use,
            reason=found.reason,
            formula=found.formula,
        )


@strawberry.type(description="マッチング: a need and a professional, from proposal to review.")
class Match(Node):
    status: MatchStatus  # type: ignore[valid-type]
    score: float | None
    rank: int | None
    firm_accepted_at: datetime | None
    professional_accepted_at: datetime | None
    interview_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Match]

    @classmethod
    def from_row(cls, row: models.Match) -> Match:
        return cls(
            id=to_global_id("Match", row.id),
            status=row.status,
            score=float(row.score) if row.score is not None else None,
            rank=row.rank,
            firm_accepted_at=row.firm_accepted_at,
            professional_accepted_at=row.professional_accepted_at,
            interview_at=row.interview_at,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at or row.created_at,
            row=row,
        )

    @strawberry.field
    async def need(self, info: Info) -> TalentNeed | None:
        row = await info.context.loaders.talent_need.load(self.row.need_id)
        return TalentNeed.from_row(row) if row else None

    @strawberry.field(description="The anonymized profile (pseudonym, skills): always shown.")
    async def professional(self, info: Info) -> ProfessionalProfile | None:
        row = await info.context.run(lambda s: repository.profile(s, self.row.professional_id))
        return ProfessionalProfile.from_row(row) if row else None

    @strawberry.field(description="Name and contact: null until both sides have accepted.")
    async def contact(self, info: Info) -> Contact | None:
        row = await info.context.loaders.professional.load(self.row.professional_id)
        if row is None:
            return None
        return Contact(
            name=row.full_name,
            email=row.contact_email,
            phone=row.phone,
            employer=row.current_employer,
        )

    @strawberry.field(description="Why the engine proposed it: each component's contribution.")
    def explanation(self) -> list[ExplanationComponent]:
        return [
            ExplanationComponent(
                component=str(c["component"]),
                side=str(c.get("side", "")),
                label=str(c.get("label", "")),
                value=float(c.get("value", 0)),
                weight=float(c.get("weight", 0)),
                points=float(c.get("points", 0)),
                text=str(c.get("text", "")),
            )
            for c in self.row.explanation
        ]

    @strawberry.field(description="Your side of the match: the firm's, or the professional's.")
    def side(self, info: Info) -> MatchSide:  # type: ignore[valid-type]
        viewer = info.context.viewer
        return (
            Side.FIRM if viewer.organization_id == self.row.organization_id else Side.PROFESSIONAL
        )

    @strawberry.field(description="The steps your side may take now (e.g. accept, withdraw).")
    def allowed_steps(self, info: Info) -> list[str]:
        viewer = info.context.viewer
        side = (
            Side.FIRM if viewer.organization_id == self.row.organization_id else Side.PROFESSIONAL
        )
        return allowed_steps(self.row, side)

    @strawberry.field
    def contract(self) -> Contract | None:
        row = self.row
        if row.contract_fee_jpy is None or row.contract_starts_on is None:
            return None
        return Contract(
            fee_jpy=row.contract_fee_jpy,
            hours_per_month=row.contract_hours_per_month or 0,
            starts_on=row.contract_starts_on,
            ends_on=row.contract_ends_on,
            confirmed_at=row.contract_confirmed_at,
        )

    @strawberry.field(description="The firm's cost ledger of the match (empty for others).")
    async def costs(self, info: Info) -> list[MatchCost]:
        if info.context.viewer.organization_id != self.row.organization_id:
            return []
        rows = await info.context.run(lambda s: subsidies.costs_of(s, self.row.id))
        return [MatchCost.from_row(r) for r in rows]

    @strawberry.field(
        description="The estimated subsidy of a contracted match, for the firm: null before "
        "the contract or for the professional."
    )
    async def estimated_subsidy(self, info: Info) -> SubsidyEstimate | None:
        if info.context.viewer.organization_id != self.row.organization_id:
            return None
        found = await info.context.run(lambda s: subsidies.estimate_for_match(s, self.row))
        return SubsidyEstimate.of(found) if found else None

    @strawberry.field
    def firm_review(self) -> Review | None:
        if self.row.firm_rating is None:
            return None
        return Review(rating=self.row.firm_rating, text=self.row.firm_review or "")

    @strawberry.field
    def professional_review(self) -> Review | None:
        if self.row.professional_rating is None:
            return None
        return Review(rating=self.row.professional_rating, text=self.row.professional_review or "")


async def _own_profile(
    session: AsyncSession, user_id: uuid.UUID
) -> models.ProfessionalProfile | None:
    own = await repository.own_professional(session, user_id)
    return None if own is None else await repository.profile(session, own.id)


def _row_id(global_id: str, type_name: str) -> uuid.UUID | None:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        return None
    try:
        return uuid.UUID(parsed[1])
    except ValueError:
        return None


@strawberry.type
class TalentQueries:
    @strawberry.field(
        description="Skills of the taxonomy whose names or synonyms match the search (財務, "
        "ふぁいなんす, finance); all of them without one.",
        extensions=requires(TALENT_READ),
    )
    def skills(self, search: str | None = None) -> list[Skill]:
        found = taxonomy.default_taxonomy()
        if not search or not search.strip():
            return [Skill.of(s) for s in found]
        exact = found.lookup(search)
        wanted = normalize(unicodedata.normalize("NFKC", search))
        hits = [s for s in found if any(wanted in normalize(n) for n in s.names)]
        hits += [s for s in found.resolve(search) if s not in hits]
        if exact is not None and exact in hits:
            hits.remove(exact)
            hits.insert(0, exact)
        elif exact is not None:
            hits.insert(0, exact)
        return [Skill.of(s) for s in hits]

    @strawberry.field(
        description="Needs you may see: open ones for everyone signed in, and your firm's own. "
        "Filter by status, workplace prefecture, a skill (slug or name) or a search.",
        extensions=requires(TALENT_READ),
    )
    async def talent_needs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: NeedStatus | None = None,  # type: ignore[valid-type]
        prefecture_code: str | None = None,
        skill: str | None = None,
        search: str | None = None,
    ) -> Connection[TalentNeed]:
        args = PageArgs.of(first, after, last, before)
        slug = None
        if skill is not None:
            found = taxonomy.default_taxonomy()
            resolved = found.by_slug.get(skill.strip()) or found.lookup(skill)
            if resolved is None:
                return to_connection(empty_page(args), TalentNeed.from_row)
            slug = resolved.slug
        code = (
            unicodedata.normalize("NFKC", prefecture_code).strip().zfill(2)
            if prefecture_code
            else None
        )
        stmt = repository.needs(
            status=models.NeedStatus(status) if status else None,
            prefecture_code=code,
            skill=slug,
            search=search,
        )
        pages = await info.context.run(
            lambda s: fetch_pages(
                s,
                stmt,
                order_by=(models.TalentNeed.created_at, models.TalentNeed.id),
                args=args,
            )
        )
        return to_connection(next(iter(pages.values()), empty_page(args)), TalentNeed.from_row)

    @strawberry.field(extensions=requires(TALENT_READ))
    async def talent_need(self, info: Info, id: strawberry.ID) -> TalentNeed | None:
        row_id = _row_id(id, "TalentNeed")
        if row_id is None:
            return None
        row = await info.context.loaders.talent_need.load(row_id)
        return TalentNeed.from_row(row) if row else None

    @strawberry.field(
        description="Your own professional record; null until you save a profile.",
        extensions=requires(TALENT_READ),
    )
    async def my_professional(self, info: Info) -> Professional | None:
        user_id = info.context.viewer.user_id
        if user_id is None:
            return None
        row = await info.context.run(lambda s: repository.own_professional(s, user_id))
        return Professional.from_row(row) if row else None

    @strawberry.field(
        description="Your own profile as firms read it; null until you save one.",
        extensions=requires(TALENT_READ),
    )
    async def my_professional_profile(self, info: Info) -> ProfessionalProfile | None:
        user_id = info.context.viewer.user_id
        if user_id is None:
            return None
        row = await info.context.run(lambda s: _own_profile(s, user_id))
        return ProfessionalProfile.from_row(row) if row else None

    @strawberry.field(
        description="Matches of your side, newest first: your firm's when you act for an "
        "organization (or side: FIRM), your own as a professional otherwise.",
        extensions=requires(TALENT_READ),
    )
    async def matches(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: MatchStatus | None = None,  # type: ignore[valid-type]
        side: MatchSide | None = None,  # type: ignore[valid-type]
    ) -> Connection[Match]:
        args = PageArgs.of(first, after, last, before)
        viewer = info.context.viewer
        wanted = models.MatchStatus(status) if status else None
        as_firm = side is Side.FIRM or (side is None and viewer.organization_id is not None)
        if viewer.user_id is None or (as_firm and viewer.organization_id is None):
            return to_connection(empty_page(args), Match.from_row)
        if as_firm:
            stmt = repository.matches(organization_id=viewer.organization_id, status=wanted)
        else:
            user_id = viewer.user_id
            own = await info.context.run(lambda s: repository.own_professional(s, user_id))
            if own is None:
                return to_connection(empty_page(args), Match.from_row)
            stmt = repository.matches(professional_id=own.id, status=wanted)
        pages = await info.context.run(
            lambda s: fetch_pages(
                s, stmt, order_by=(models.Match.created_at, models.Match.id), args=args
            )
        )
        return to_connection(next(iter(pages.values()), empty_page(args)), Match.from_row)

    @strawberry.field(extensions=requires(TALENT_READ))
    async def match(self, info: Info, id: strawberry.ID) -> Match | None:
        row_id = _row_id(id, "Match")
        if row_id is None:
            return None
        row = await info.context.loaders.match.load(row_id)
        return Match.from_row(row) if row else None

    @strawberry.field(
        description="Prefectures' side-job subsidy schemes, by prefecture code and fiscal year.",
        extensions=requires(TALENT_READ),
    )
    async def subsidy_schemes(
        self, info: Info, prefecture_code: str | None = None, fiscal_year: int | None = None
    ) -> list[SubsidyScheme]:
        code = (
            unicodedata.normalize("NFKC", prefecture_code).strip().zfill(2)
            if prefecture_code
            else None
        )
        rows = await info.context.run(
            lambda s: subsidies.schemes(s, prefecture_code=code, fiscal_year=fiscal_year)
        )
        return [SubsidyScheme.from_row(r) for r in rows]


register_node("TalentNeed", models.TalentNeed, TalentNeed.from_row, TALENT_READ)
register_node("Match", models.Match, Match.from_row, TALENT_READ)
register_node("Professional", models.Professional, Professional.from_row, TALENT_READ)
register_node("MatchCost", models.MatchCost, MatchCost.from_row, TALENT_READ)
