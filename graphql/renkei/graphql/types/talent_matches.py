"""Talent matches: a need and a professional, why the engine proposed them (the explanation
stored with each proposal), the contract, the firm's costs and the estimated subsidy.

The compiled reads answer every field here in SQL: the side, the allowed steps and the subsidy
estimate are written from the same rules as the resolvers' (renkei.talent.lifecycle and
renkei.talent.subsidies), and the tests compare both answers.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import strawberry

from renkei.fiscal import fiscal_year
from renkei.graphql.compiled.spec import (
    NUMBER,
    WORD,
    Inline,
    JsonText,
    Many,
    One,
    Scalar,
    register_table,
)
from renkei.graphql.context import Info
from renkei.graphql.nodes import register_node
from renkei.graphql.relay import Node, to_global_id
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.talent import (
    UPDATED_AT,
    CostKind,
    MatchSide,
    MatchStatus,
    ProfessionalProfile,
    TalentNeed,
    _dated,
    _timed,
    json_elements,
)
from renkei.identity.scopes import TALENT_READ
from renkei.talent import models, repository, subsidies
from renkei.talent.lifecycle import Side, allowed_steps


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
        row = await info.context.loaders.rows(models.TalentNeed).load(self.row.need_id)
        return TalentNeed.from_row(row) if row else None

    @strawberry.field(description="The anonymized profile (pseudonym, skills): always shown.")
    async def professional(self, info: Info) -> ProfessionalProfile | None:
        row = await info.context.run(lambda s: repository.profile(s, self.row.professional_id))
        return ProfessionalProfile.from_row(row) if row else None

    @strawberry.field(description="Name and contact: null until both sides have accepted.")
    async def contact(self, info: Info) -> Contact | None:
        row = await info.context.loaders.rows(models.Professional).load(self.row.professional_id)
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


register_node("Match", models.Match, Match.from_row, TALENT_READ)
register_node("MatchCost", models.MatchCost, MatchCost.from_row, TALENT_READ)

# The viewer's acting organization, once per statement (an InitPlan).
VIEWER_ORGANIZATION = "(SELECT renkei_organization_id())"
_FIRM_SIDE = f"{{t}}.organization_id = {VIEWER_ORGANIZATION}"


def _steps_sql() -> str:
    """Match.allowedSteps as SQL, from lifecycle.allowed_steps itself: for each side and
    status, its answer with and without a recorded fee and the side's rating."""
    sides = []
    for side in Side:
        rating = "firm_rating" if side is Side.FIRM else "professional_rating"
        cases = []
        for status in models.MatchStatus:
            answers = {}
            for fee in (None, 1):
                for rated in (None, 1):
                    match = models.Match(status=status, contract_fee_jpy=fee, **{rating: rated})
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
            cases.append(f"WHEN '{status.value}' THEN {answer}")
        sides.append(f"CASE {{t}}.status {' '.join(cases)} ELSE '[]' END")
    firm, professional = sides
    return f"CASE WHEN {_FIRM_SIDE} THEN {firm} ELSE {professional} END"


def _fiscal_year_sql(day: str) -> str:
    """renkei.fiscal.fiscal_year: the year it starts in, April to March."""
    return (
        f"(CASE WHEN extract(month FROM {day}) >= 4 THEN extract(year FROM {day})"
        f" ELSE extract(year FROM {day}) - 1 END)::int"
    )


assert fiscal_year(date(2027, 3, 31)) == 2026 and fiscal_year(date(2026, 4, 1)) == 2026


def _yen_sql(amount: str) -> str:
    """subsidies._yen: ¥1,234,567."""
    return f"('¥' || to_char({amount}, 'FM999,999,999,999,999,999,990'))"


_CONTRACTED = ", ".join(f"'{s.value}'" for s in subsidies.CONTRACTED_STATUSES)
# One row per contracted match the viewer sees: the workplace's scheme of the fiscal year the
# contract starts in (the first by name), the eligible costs and whether the firm contracted
# earlier; the estimate's words follow subsidies.estimate.
_ESTIMATE_INPUTS = f"""SELECT m.id AS match_id, s.id AS scheme_id, s.name, s.rate, s.cap_jpy,
 s.first_use_only, n.workplace_prefecture_code AS prefecture_code, y.year,
 (SELECT string_agg(DISTINCT k, ', ' ORDER BY k) FROM unnest(s.eligible_cost_kinds) k) AS covered,
 CASE WHEN s.id IS NULL THEN 0 ELSE (SELECT coalesce(sum(c.amount_jpy), 0) FROM match_costs c
  WHERE c.match_id = m.id AND c.kind::text = ANY(s.eligible_cost_kinds)) END AS eligible,
 EXISTS (SELECT FROM matches o WHERE o.organization_id = m.organization_id AND o.id <> m.id
  AND o.status IN ({_CONTRACTED}) AND o.contract_starts_on < m.contract_starts_on) AS earlier
 FROM matches m JOIN talent_needs n ON n.id = m.need_id
 CROSS JOIN LATERAL (SELECT {_fiscal_year_sql("m.contract_starts_on")} AS year) y
 LEFT JOIN LATERAL (SELECT * FROM subsidy_schemes x WHERE x.prefecture_code =
  n.workplace_prefecture_code AND x.fiscal_year = y.year ORDER BY x.name LIMIT 1) s ON true
 WHERE m.status IN ({_CONTRACTED}) AND m.contract_starts_on IS NOT NULL"""
_ESTIMATES = f"""(SELECT e.*, NOT e.earlier AS first_use,
 e.scheme_id IS NOT NULL AND e.first_use_only AND e.earlier AS refused,
 least(floor(e.eligible * e.rate)::bigint, e.cap_jpy) AS amount
 FROM ({_ESTIMATE_INPUTS}) e)"""
_NO_SCHEME = "{t}.scheme_id IS NULL"
_REFUSED = "{t}.refused"

register_table(
    "Contact",
    "professionals",
    {
        "name": Scalar("{t}.full_name"),
        "email": Scalar("{t}.contact_email"),
        "phone": Scalar("{t}.phone"),
        "employer": Scalar("{t}.current_employer"),
    },
)
# The fields of explanation_text, in its order (written by the trigger of migration 0017).
EXPLANATION_FIELDS = ("component", "side", "label", "value", "weight", "points", "text")
register_table(
    "ExplanationComponent",
    "matches",
    {
        "component": Scalar("{t}.v->>'component'"),
        "side": Scalar("coalesce({t}.v->>'side', '')"),
        "label": Scalar("coalesce({t}.v->>'label', '')"),
        "value": Scalar("coalesce(({t}.v->>'value')::float8, 0)", NUMBER),
        "weight": Scalar("coalesce(({t}.v->>'weight')::float8, 0)", NUMBER),
        "points": Scalar("coalesce(({t}.v->>'points')::float8, 0)", NUMBER),
        "text": Scalar("coalesce({t}.v->>'text', '')"),
    },
)
register_table(
    "Contract",
    "matches",
    {
        "fee_jpy": Scalar("{t}.contract_fee_jpy", NUMBER),
        "hours_per_month": Scalar("coalesce({t}.contract_hours_per_month, 0)", NUMBER),
        "starts_on": _dated("contract_starts_on"),
        "ends_on": _dated("contract_ends_on"),
        "confirmed_at": _timed("contract_confirmed_at"),
    },
)
# Both sides' reviews, one row each, so that one Review type reads either.
register_table(
    "Review",
    "(SELECT m.id, 'FIRM' AS side, m.firm_rating AS rating, m.firm_review AS review"
    " FROM matches m UNION ALL SELECT m.id, 'PROFESSIONAL', m.professional_rating,"
    " m.professional_review FROM matches m)",
    {"rating": Scalar("{t}.rating", NUMBER), "text": Scalar("coalesce({t}.review, '')")},
)
register_table(
    "SubsidyScheme",
    "subsidy_schemes",
    {
        "fiscal_year": Scalar("{t}.fiscal_year", NUMBER),
        "name": Scalar("{t}.name"),
        "rate": Scalar("({t}.rate)::float8", NUMBER),
        "cap_jpy": Scalar("({t}.cap_jpy)::float8", NUMBER),
        "eligible_cost_kinds": JsonText("to_json({t}.eligible_cost_kinds)::text"),
        "first_use_only": Scalar("{t}.first_use_only", NUMBER),
        "notes": Scalar("{t}.notes"),
        "prefecture": One("Prefecture", "{c}.code = {t}.prefecture_code"),
    },
)
register_table(
    "MatchCost",
    "match_costs",
    {
        "kind": Scalar("{t}.kind", WORD),
        "amount_jpy": Scalar("{t}.amount_jpy", NUMBER),
        "incurred_on": _dated("incurred_on"),
        "visit_days": Scalar("{t}.visit_days", NUMBER),
        "note": Scalar("{t}.note"),
        "created_at": _timed("created_at"),
    },
)
register_table(
    "SubsidyEstimate",
    _ESTIMATES,
    {
        "scheme": One("SubsidyScheme", "{c}.id = {t}.scheme_id"),
        "rate": Scalar("({t}.rate)::float8", NUMBER),
        "cap_jpy": Scalar("({t}.cap_jpy)::float8", NUMBER),
        "eligible_jpy": Scalar("({t}.eligible)::float8", NUMBER),
        "estimate_jpy": Scalar(
            f"CASE WHEN {_NO_SCHEME} THEN NULL WHEN {_REFUSED} THEN 0"
            " ELSE ({t}.amount)::float8 END",
            NUMBER,
        ),
        "first_use": Scalar("{t}.first_use", NUMBER),
        "reason": Scalar(
            f"CASE WHEN {_NO_SCHEME} THEN 'no side-job subsidy scheme is known for prefecture '"
            " || {t}.prefecture_code || ' in fiscal year ' || {t}.year"
            f" WHEN {_REFUSED} THEN {{t}}.name || ' is for a firm''s first side-job contract"
            " only, and this firm already had an earlier one'"
            " ELSE {t}.name || ': ' || trim_scale({t}.rate) || ' of the eligible costs ('"
            f" || coalesce({{t}}.covered, '') || '), up to ' || {_yen_sql('{t}.cap_jpy')} END"
        ),
        "formula": Scalar(
            f"CASE WHEN {_NO_SCHEME} OR {_REFUSED} THEN '' ELSE 'min(floor('"
            f" || {_yen_sql('{t}.eligible')} || ' × ' || ({{t}}.rate)::text || '), '"
            f" || {_yen_sql('{t}.cap_jpy')} || ') = ' || {_yen_sql('{t}.amount')} END"
        ),
    },
)
register_table(
    "Match",
    "matches",
    {
        "status": Scalar("{t}.status", WORD),
        "score": Scalar("({t}.score)::float8", NUMBER),
        "rank": Scalar("{t}.rank", NUMBER),
        "firm_accepted_at": _timed("firm_accepted_at"),
        "professional_accepted_at": _timed("professional_accepted_at"),
        "interview_at": _timed("interview_at"),
        "version": Scalar("{t}.version", NUMBER),
        "created_at": _timed("created_at"),
        "updated_at": UPDATED_AT,
        "need": One("TalentNeed", "{c}.id = {t}.need_id"),
        "professional": One("ProfessionalProfile", "{c}.professional_id = {t}.professional_id"),
        # Row-level security hides the identity until both sides have accepted.
        "contact": One("Contact", "{c}.id = {t}.professional_id"),
        "explanation": Many(
            "ExplanationComponent",
            "true",
            order="{c}.n",
            source=json_elements("{t}.explanation"),
            verbatim=("{t}.explanation_text", EXPLANATION_FIELDS),
        ),
        "side": Scalar(f"CASE WHEN {_FIRM_SIDE} THEN 'FIRM' ELSE 'PROFESSIONAL' END", WORD),
        "allowed_steps": JsonText(_steps_sql()),
        "contract": Inline(
            "Contract",
            null_when="{t}.contract_fee_jpy IS NULL OR {t}.contract_starts_on IS NULL",
        ),
        # The firm's alone: empty, or null, for the professional.
        "costs": Many(
            "MatchCost",
            join=f"{{c}}.match_id = {{t}}.id AND {_FIRM_SIDE}",
            order="{c}.incurred_on, {c}.created_at, {c}.id",
        ),
        "estimated_subsidy": One("SubsidyEstimate", f"{{c}}.match_id = {{t}}.id AND {_FIRM_SIDE}"),
        "firm_review": One(
            "Review", "{c}.id = {t}.id AND {c}.side = 'FIRM' AND {c}.rating IS NOT NULL"
        ),
        "professional_review": One(
            "Review",
            "{c}.id = {t}.id AND {c}.side = 'PROFESSIONAL' AND {c}.rating IS NOT NULL",
        ),
    },
)
