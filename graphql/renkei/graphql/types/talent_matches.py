"""Talent matches: a need and a professional, why the engine proposed them (the explanation
stored with each proposal), the contract, the firm's costs and the estimated subsidy.

The compiled reads answer the side and the allowed steps in SQL, written from the same rules as
the resolvers' (renkei.talent.lifecycle). The estimated subsidy is resolver-only: its tier is
chosen by conditions in renkei.talent.subsidy_rules (see compiled/resolver_only.py).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import strawberry

from renkei.graphql.compiled.spec import (
    NUMBER,
    READER_LOCALE,
    WORD,
    Inline,
    JsonText,
    Many,
    One,
    Scalar,
    column,
    computed,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.nodes import register_node
from renkei.graphql.relay import Node, to_global_id
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.intermediaries import MatchIntroduction
from renkei.graphql.types.talent import (
    ELEMENTS,
    UPDATED_AT,
    CostKind,
    Element,
    MatchSide,
    MatchStatus,
    ProfessionalProfile,
    TalentNeed,
    json_elements,
    last_changed,
)
from renkei.graphql.types.talent_activity import (
    ACTIVITY_OF_MATCH,
    MatchStep,
    activity_of_match,
)
from renkei.i18n.messages import DEFAULT_LOCALE, LOCALES
from renkei.identity.scopes import TALENT_READ
from renkei.talent import models, repository, subsidies, subsidy_applications
from renkei.talent.explanation import in_reader_locale
from renkei.talent.lifecycle import Side, allowed_steps

# The viewer's acting organization, once per statement (an InitPlan).
VIEWER_ORGANIZATION = "(SELECT renkei_organization_id())"
_FIRM_SIDE = f"{{t}}.organization_id = {VIEWER_ORGANIZATION}"
# The organization that introduced the professional (renkei.intermediaries): it takes no step.
_INTERMEDIARY_SIDE = f"{{t}}.introduced_by_organization_id = {VIEWER_ORGANIZATION}"


_FAR_AHEAD = datetime(9999, 1, 1, tzinfo=UTC)


def _steps_sql() -> str:
    """Match.allowedSteps as SQL, from lifecycle.allowed_steps itself: for each side and
    status, its answer with and without a recorded fee and the side's rating."""
    sides = []
    for side in (Side.FIRM, Side.PROFESSIONAL):
        rating = "firm_rating" if side is Side.FIRM else "professional_rating"
        cases = []
        for status in models.MatchStatus:
            by_interview = {}
            for interview_at in (None, _FAR_AHEAD):
                answers = {}
                for fee in (None, 1):
                    for rated in (None, 1):
                        match = models.Match(
                            status=status,
                            contract_fee_jpy=fee,
                            interview_at=interview_at,
                            **{rating: rated},
                        )
                        steps = json.dumps(allowed_steps(match, side), separators=(",", ":"))
                        answers[(fee, rated)] = f"'{steps}'"
                if len(set(answers.values())) == 1:
                    answer = answers[(None, None)]
                else:
                    answer = (
                        f"CASE WHEN {{t}}.contract_fee_jpy IS NULL AND {{t}}.{rating} IS NULL"
                        f" THEN {answers[(None, None)]} WHEN {{t}}.contract_fee_jpy IS NULL"
                        f" THEN {answers[(None, 1)]} WHEN {{t}}.{rating} IS NULL"
                        f" THEN {answers[(1, None)]} ELSE {answers[(1, 1)]} END"
                    )
                by_interview[interview_at] = answer
            answer = by_interview[None]
            if by_interview[_FAR_AHEAD] != answer:
                # No contract step before the 面談 (lifecycle.interview_ahead).
                answer = (
                    f"CASE WHEN {{t}}.interview_at > now() THEN {by_interview[_FAR_AHEAD]}"
                    f" ELSE {answer} END"
                )
            cases.append(f"WHEN '{status.value}' THEN {answer}")
        sides.append(f"CASE {{t}}.status {' '.join(cases)} ELSE '[]' END")
    firm, professional = sides
    return (
        f"CASE WHEN {_FIRM_SIDE} THEN {firm} WHEN {_INTERMEDIARY_SIDE} THEN '[]'"
        f" ELSE {professional} END"
    )


# Both sides' reviews, one row each, so that one Review type reads either.
_REVIEWS = (
    "(SELECT m.id, 'FIRM' AS side, m.firm_rating AS rating, m.firm_review AS review"
    " FROM matches m UNION ALL SELECT m.id, 'PROFESSIONAL', m.professional_rating,"
    " m.professional_review FROM matches m)"
)


def _float(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


@table(models.Professional)
@strawberry.type(description="Who the professional is: shown once both sides have accepted.")
class Contact:
    row: strawberry.Private[models.Professional]
    name: str = column(
        models.Professional.full_name, description="The professional's full name (氏名)."
    )
    email: str = column(
        models.Professional.contact_email, description="Where to reach the professional."
    )
    phone: str | None = column(
        models.Professional.phone,
        description="The professional's phone number; null if they gave none.",
    )
    employer: str | None = column(
        models.Professional.current_employer,
        description="The professional's main employer (本業); null if they gave none.",
    )


def _text(key: str) -> Scalar:
    return Scalar(f"coalesce({{t}}.v->>'{key}', '')")


def _words(key: str) -> Scalar:
    """Stored words in the reader's locale, as explanation.in_reader_locale reads them: a
    {locale: text} map's entry (else its Japanese), a plain string as it is."""
    value = f"{{t}}.v->'{key}'"
    return Scalar(
        f"CASE jsonb_typeof({value}) WHEN 'object' THEN coalesce({value}->>{_LOCALE},"
        f" {value}->>'{DEFAULT_LOCALE}', '') ELSE coalesce({value} #>> '{{{{}}}}', '') END"
    )


_LOCALE = f"CAST({READER_LOCALE} AS text)"
# The explanation's JSON text in the reader's locale (the columns written by 0021's trigger).
_EXPLANATION_TEXT = (
    f"CASE {_LOCALE} "
    + " ".join(f"WHEN '{locale}' THEN {{t}}.explanation_text_{locale}" for locale in LOCALES)
    + f" ELSE {{t}}.explanation_text_{DEFAULT_LOCALE} END"
)


def _number(key: str) -> Scalar:
    return Scalar(f"coalesce(({{t}}.v->>'{key}')::float8, 0)", NUMBER)


# One component as the engine stored it in `matches.explanation`, its words in the reader's
# locale; its fields in the order of explanation_text_<locale> (written by the trigger of
# migration 0021), read as it is when all are asked.
@table(ELEMENTS)
@strawberry.type(
    description="One component of a match's score, in words: label and text in the reader's "
    "language (their saved locale, else Accept-Language, else their organization's default, "
    "else Japanese)."
)
class ExplanationComponent:
    row: strawberry.Private[Element]
    component: str = computed(
        Scalar("{t}.v->>'component'"),
        lambda c: str(c["component"]),
        description="The component's stable key, e.g. REQUIRED_SKILLS or FIRM_TIES.",
    )
    side: str = computed(
        _text("side"),
        lambda c: str(c.get("side", "")),
        description="Whose score it counts toward: FIRM (how well the professional fits"
        " the need) or PROFESSIONAL (how well the need fits them).",
    )
    label: str = computed(
        _words("label"),
        lambda c: in_reader_locale(c.get("label")),
        description="The component's name in the reader's language, e.g. 必須スキル.",
    )
    value: float = computed(
        _number("value"),
        lambda c: float(c.get("value", 0)),
        description="How well the pair does on it, from 0 (not at all) to 1 (fully).",
    )
    weight: float = computed(
        _number("weight"),
        lambda c: float(c.get("weight", 0)),
        description="Its weight in its side's score (the weights of a side add up to 1).",
    )
    points: float = computed(
        _number("points"),
        lambda c: float(c.get("points", 0)),
        description="What it adds to its side's score: value × weight.",
    )
    text: str = computed(
        _words("text"),
        lambda c: in_reader_locale(c.get("text")),
        description="Why, in a sentence in the reader's language.",
    )


EXPLANATION_FIELDS = ("component", "side", "label", "value", "weight", "points", "text")


@table(models.Match)
@strawberry.type(description="契約: the terms the firm recorded and the professional confirmed.")
class Contract:
    row: strawberry.Private[models.Match]
    fee_jpy: int = column(
        models.Match.contract_fee_jpy, description="The monthly fee agreed, in yen."
    )
    hours_per_month: int = computed(
        Scalar("coalesce({t}.contract_hours_per_month, 0)", NUMBER),
        lambda row: row.contract_hours_per_month or 0,
        description="Contracted working hours a month.",
    )
    starts_on: date = column(
        models.Match.contract_starts_on, description="The first day of the contracted work."
    )
    ends_on: date | None = column(
        models.Match.contract_ends_on,
        description="The last day of the contracted work; null for no end date.",
    )
    confirmed_at: datetime | None = column(
        models.Match.contract_confirmed_at,
        description="When the professional confirmed the terms (契約); null until then.",
    )


@table(_REVIEWS)
@strawberry.type(description="評価: a side's review, 1 to 5.")
class Review:
    rating: int = strawberry.field(
        description="The rating, 1 (poor) to 5 (excellent).",
        metadata=sql(Scalar("{t}.rating", NUMBER)),
    )
    text: str = strawberry.field(
        description="The review in words; empty if only rated.",
        metadata=sql(Scalar("coalesce({t}.review, '')")),
    )


@table(models.SubsidyScheme)
@strawberry.type(description="A prefecture's side-job subsidy (副業・兼業人材活用促進事業).")
class SubsidyScheme:
    row: strawberry.Private[models.SubsidyScheme]
    fiscal_year: int = column(
        models.SubsidyScheme.fiscal_year, description="年度 (FY2026 = 2026-04 to 2027-03)."
    )
    name: str = column(
        models.SubsidyScheme.name,
        description="The scheme's or tier's name as the prefecture publishes it.",
    )
    rate: float = column(
        models.SubsidyScheme.rate, description="The share of eligible costs paid (0.8 = 8/10)."
    )
    cap_jpy: float = computed(
        Scalar("({t}.cap_jpy)::float8", NUMBER),
        lambda row: float(row.cap_jpy),
        description="The most the tier pays, in yen.",
    )
    eligible_cost_kinds: list[CostKind] = column(  # type: ignore[valid-type]
        models.SubsidyScheme.eligible_cost_kinds,
        description="The kinds of cost it covers (報酬, 旅費, 紹介手数料).",
    )
    first_use_only: bool = column(
        models.SubsidyScheme.first_use_only, description="Only for a firm's first side job."
    )
    notes: str = column(
        models.SubsidyScheme.notes,
        description="Conditions in words, as the public notice states them.",
    )
    tier_rank: int = column(
        models.SubsidyScheme.tier_rank, description="The order in which tiers are tried (0 first)."
    )
    requires_introduction: bool = column(
        models.SubsidyScheme.requires_introduction,
        description="Only when introduced through the prefecture's 拠点 or a registered agency.",
    )
    requires_outside_resident: bool = column(
        models.SubsidyScheme.requires_outside_resident,
        description="Only for a professional living outside the prefecture.",
    )
    min_travel_per_trip_jpy: int | None = column(
        models.SubsidyScheme.min_travel_per_trip_jpy,
        description="Only with travel of at least this much per round trip.",
    )
    deadline_days: int | None = column(
        models.SubsidyScheme.deadline_days,
        description="Apply at least this many days before the deadline basis.",
    )
    deadline_basis: str | None = column(
        models.SubsidyScheme.deadline_basis,
        description="CONTRACT (before the contract) or START (before work starts).",
    )
    source_url: str = column(
        models.SubsidyScheme.source_url, description="The public notice it comes from."
    )
    unconfirmed_fields: list[str] = column(
        models.SubsidyScheme.unconfirmed_fields,
        description="What the public notice does not confirm (rate, cap_jpy, deadline...).",
    )

    @classmethod
    def from_row(cls, row: models.SubsidyScheme) -> SubsidyScheme:
        return cls(row=row)

    @strawberry.field(
        description="The prefecture that runs the scheme.",
        metadata=sql(One("Prefecture", "{c}.code = {t}.prefecture_code")),
    )
    def prefecture(self) -> Prefecture | None:
        return Prefecture.by_code(self.row.prefecture_code)


@table(models.MatchCost)
@strawberry.type(description="A line of a contracted match's cost ledger (the firm's).")
class MatchCost(Node):
    row: strawberry.Private[models.MatchCost]
    kind: CostKind = column(  # type: ignore[valid-type]
        models.MatchCost.kind,
        description="What the cost is: the fee (報酬), travel (旅費) or a placement fee"
        " (紹介手数料).",
    )
    amount_jpy: int = column(models.MatchCost.amount_jpy, description="The amount in yen.")
    incurred_on: date = column(
        models.MatchCost.incurred_on,
        description="When the cost was incurred; subsidies count it in that day's"
        " fiscal year (年度).",
    )
    visit_days: int = column(
        models.MatchCost.visit_days, description="Site-visit days, for travel costs."
    )
    note: str = column(
        models.MatchCost.note, description="The firm's note, e.g. an invoice number; empty if none."
    )
    created_at: datetime = column(
        models.MatchCost.created_at, description="When the line was recorded."
    )

    @classmethod
    def from_row(cls, row: models.MatchCost) -> MatchCost:
        return cls(id=to_global_id("MatchCost", row.id), row=row)


@strawberry.type(
    description="What the workplace prefecture's scheme would pay, and why: the tier whose "
    "conditions the match meets, the costs of the scheme's 年度 and the application deadline."
)
class SubsidyEstimate:
    row: strawberry.Private[subsidies.SubsidyEstimate]

    @strawberry.field(description="The tier (枠) that applies, else the first one tried.")
    def scheme(self) -> SubsidyScheme | None:
        return SubsidyScheme.from_row(self.row.scheme) if self.row.scheme else None

    @strawberry.field(
        description="The share of eligible costs the tier pays (0.8 = 8/10); null without a scheme."
    )
    def rate(self) -> float | None:
        return _float(self.row.rate)

    @strawberry.field(description="The most the tier pays, in yen; null without a scheme.")
    def cap_jpy(self) -> float | None:
        return _float(self.row.cap_jpy)

    @strawberry.field(description="The costs of kinds the tier covers, within its 年度.")
    def eligible_jpy(self) -> float:
        return float(self.row.eligible_jpy)

    @strawberry.field(description="min(floor(eligible × rate), cap); null without a scheme.")
    def estimate_jpy(self) -> float | None:
        return _float(self.row.estimate_jpy)

    @strawberry.field(description="No earlier contracted side job of the firm (in Renkei).")
    def first_use(self) -> bool:
        return self.row.first_use

    @strawberry.field(
        description="Which tier applies and why, or why none does, in the reader's language."
    )
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field(
        description="The calculation, e.g. min(floor(¥600,000 × 8/10), ¥500,000) ="
        " ¥480,000; empty without a scheme."
    )
    def formula(self) -> str:
        return self.row.formula

    @strawberry.field(
        description="Why this tier: a sentence per tier tried (its conditions met or not), the "
        "costs outside the 年度 and what the public notice does not confirm; reader's language."
    )
    def why(self) -> list[str]:
        return list(self.row.why)

    @strawberry.field(description="The last day to apply under the tier's rule, if it has one.")
    def application_deadline(self) -> date | None:
        return self.row.deadline

    @strawberry.field(description="The deadline rule in the reader's language (or empty).")
    def application_deadline_text(self) -> str:
        return self.row.deadline_text

    @strawberry.field(
        description="The day the firm recorded applying for the subsidy (recordSubsidyApplication);"
        " null until it does. The deadline reminders stop once it is recorded."
    )
    def applied_on(self) -> date | None:
        return self.row.applied_on

    @classmethod
    def of(cls, found: subsidies.SubsidyEstimate) -> SubsidyEstimate:
        return cls(row=found)


@table(models.SubsidyApplication)
@strawberry.type(
    description="The firm's record that it applied to the prefecture for the match's subsidy."
)
class SubsidyApplication:
    row: strawberry.Private[models.SubsidyApplication]
    applied_on: date = column(
        models.SubsidyApplication.applied_on, description="The day the firm applied."
    )
    recorded_at: datetime = column(
        models.SubsidyApplication.created_at, description="When it was first recorded."
    )


def _side(info: Info, row: models.Match) -> Side:
    """The viewer's side of a match: the firm's when acting for its organization, the
    intermediary's when acting for the one that introduced it."""
    acting = info.context.viewer.organization_id
    if acting is not None and acting == row.organization_id:
        return Side.FIRM
    if acting is not None and acting == row.introduced_by_organization_id:
        return Side.INTERMEDIARY
    return Side.PROFESSIONAL


@table(models.Match)
@strawberry.type(description="マッチング: a need and a professional, from proposal to review.")
class Match(Node):
    row: strawberry.Private[models.Match]
    status: MatchStatus = column(  # type: ignore[valid-type]
        models.Match.status,
        description="Where the match stands in its lifecycle (提案 → 面談 → 契約 → 稼働 → 評価).",
    )
    score: float | None = column(
        models.Match.score,
        description="The matching engine's score of the pair (higher is better); null"
        " for a match the engine did not propose.",
    )
    rank: int | None = column(
        models.Match.rank,
        description="The pair's place among the need's proposals (1 first); null for a"
        " match the engine did not propose.",
    )
    firm_accepted_at: datetime | None = column(
        models.Match.firm_accepted_at, description="When the firm accepted; null until it does."
    )
    professional_accepted_at: datetime | None = column(
        models.Match.professional_accepted_at,
        description="When the professional accepted; null until they do.",
    )
    interview_at: datetime | None = column(
        models.Match.interview_at,
        description="When the interview (面談) takes place; null until the firm schedules it.",
    )
    version: int = column(
        models.Match.version,
        description="Increases with each step; send it back with the next step.",
    )
    created_at: datetime = column(
        models.Match.created_at,
        description="When the match was made (proposed, applied, scouted or introduced).",
    )
    updated_at: datetime = computed(
        UPDATED_AT,
        last_changed,
        description="When it last changed (its creation until its first change).",
    )

    @classmethod
    def from_row(cls, row: models.Match) -> Match:
        return cls(id=to_global_id("Match", row.id), row=row)

    @strawberry.field(
        description="The talent need; null if you may no longer see it.",
        metadata=sql(One("TalentNeed", "{c}.id = {t}.need_id")),
    )
    async def need(self, info: Info) -> TalentNeed | None:
        row = await info.context.loaders.talent_need.load(self.row.need_id)
        return TalentNeed.from_row(row) if row else None

    @strawberry.field(
        description="The anonymized profile (pseudonym, skills): always shown.",
        metadata=sql(One("ProfessionalProfile", "{c}.professional_id = {t}.professional_id")),
    )
    async def professional(self, info: Info) -> ProfessionalProfile | None:
        row = await info.context.run(lambda s: repository.profile(s, self.row.professional_id))
        return ProfessionalProfile.from_row(row) if row else None

    # Row-level security hides the identity until both sides have accepted.
    @strawberry.field(
        description="Name and contact: null until both sides have accepted.",
        metadata=sql(One("Contact", "{c}.id = {t}.professional_id")),
    )
    async def contact(self, info: Info) -> Contact | None:
        row = await info.context.loaders.professional.load(self.row.professional_id)
        return None if row is None else Contact(row=row)

    @strawberry.field(
        description="Why the engine proposed it: each component's contribution.",
        metadata=sql(
            Many(
                "ExplanationComponent",
                "true",
                order="{c}.n",
                source=json_elements("{t}.explanation"),
                verbatim=(_EXPLANATION_TEXT, EXPLANATION_FIELDS),
            )
        ),
    )
    def explanation(self) -> list[ExplanationComponent]:
        return [ExplanationComponent(row=c) for c in self.row.explanation]

    @strawberry.field(
        description="Your side of the match: the firm's, the professional's, or the "
        "intermediary's that introduced it.",
        metadata=sql(
            Scalar(
                f"CASE WHEN {_FIRM_SIDE} THEN 'FIRM' WHEN {_INTERMEDIARY_SIDE} THEN 'INTERMEDIARY'"
                " ELSE 'PROFESSIONAL' END",
                WORD,
            )
        ),
    )
    def side(self, info: Info) -> MatchSide:  # type: ignore[valid-type]
        return _side(info, self.row)

    @strawberry.field(
        description="The steps your side may take now (e.g. accept, withdraw).",
        metadata=sql(JsonText(_steps_sql())),
    )
    def allowed_steps(self, info: Info) -> list[str]:
        return allowed_steps(self.row, _side(info, self.row))

    @strawberry.field(
        description="Each step taken, oldest first, with the side that took it: the "
        "professional by pseudonym until both sides have accepted.",
        metadata=sql(ACTIVITY_OF_MATCH),
    )
    async def activity(self, info: Info) -> list[MatchStep]:
        return await activity_of_match(info, self.row)

    @strawberry.field(
        description="The intermediary that introduced the professional, if one did.",
        metadata=sql(Inline("MatchIntroduction", null_when="{t}.introduced_via IS NULL")),
    )
    def introduction(self) -> MatchIntroduction | None:
        return None if self.row.introduced_via is None else MatchIntroduction(row=self.row)

    @strawberry.field(
        description="The contract's terms (契約); null until the firm records them.",
        metadata=sql(
            Inline(
                "Contract",
                null_when="{t}.contract_fee_jpy IS NULL OR {t}.contract_starts_on IS NULL",
            )
        ),
    )
    def contract(self) -> Contract | None:
        row = self.row
        if row.contract_fee_jpy is None or row.contract_starts_on is None:
            return None
        return Contract(row=row)

    # The firm's alone: empty, or null, for the professional.
    @strawberry.field(
        description="The firm's cost ledger of the match (empty for others).",
        metadata=sql(
            Many(
                "MatchCost",
                join=f"{{c}}.match_id = {{t}}.id AND {_FIRM_SIDE}",
                order="{c}.incurred_on, {c}.created_at, {c}.id",
            )
        ),
    )
    async def costs(self, info: Info) -> list[MatchCost]:
        if info.context.viewer.organization_id != self.row.organization_id:
            return []
        rows = await info.context.run(lambda s: subsidies.costs_of(s, self.row.id))
        return [MatchCost.from_row(r) for r in rows]

    @strawberry.field(
        description="The estimated subsidy of a contracted match, for the firm: null before "
        "the contract or for the professional.",
    )
    async def estimated_subsidy(self, info: Info) -> SubsidyEstimate | None:
        if info.context.viewer.organization_id != self.row.organization_id:
            return None
        found = await info.context.run(lambda s: subsidies.estimate_for_match(s, self.row))
        return SubsidyEstimate.of(found) if found else None

    # Row-level security shows it to the match's firm alone.
    @strawberry.field(
        description="The firm's record that it applied for the subsidy: null until it records "
        "one, and for the professional.",
        metadata=sql(One("SubsidyApplication", "{c}.match_id = {t}.id")),
    )
    async def subsidy_application(self, info: Info) -> SubsidyApplication | None:
        row = await info.context.run(lambda s: subsidy_applications.application_of(s, self.row.id))
        return SubsidyApplication(row=row) if row else None

    @strawberry.field(
        description="The firm's review of the professional (評価); null until it writes one.",
        metadata=sql(
            One("Review", "{c}.id = {t}.id AND {c}.side = 'FIRM' AND {c}.rating IS NOT NULL")
        ),
    )
    def firm_review(self) -> Review | None:
        if self.row.firm_rating is None:
            return None
        return Review(rating=self.row.firm_rating, text=self.row.firm_review or "")

    @strawberry.field(
        description="The professional's review of the firm (評価); null until they write one.",
        metadata=sql(
            One(
                "Review",
                "{c}.id = {t}.id AND {c}.side = 'PROFESSIONAL' AND {c}.rating IS NOT NULL",
            )
        ),
    )
    def professional_review(self) -> Review | None:
        if self.row.professional_rating is None:
            return None
        return Review(rating=self.row.professional_rating, text=self.row.professional_review or "")


register_node("Match", models.Match, Match.from_row, TALENT_READ)
register_node("MatchCost", models.MatchCost, MatchCost.from_row, TALENT_READ)
