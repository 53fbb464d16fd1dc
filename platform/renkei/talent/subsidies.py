"""Subsidies as data: a prefecture's side-job grant (副業・兼業人材活用促進事業) estimated from a
contracted match's cost ledger.

The scheme is the one of the need's workplace prefecture for the fiscal year (年度) the contract
starts in; of its tiers, the first by rank whose conditions the match meets applies
(renkei.talent.subsidy_rules, which also says why). eligible = the sum of the costs of that 年度
whose kind the tier covers; estimate = min(floor(eligible × rate), cap). When no tier applies
(e.g. a first-use tier after an earlier contract) the estimate is 0.

The reasons and formulas are the reader's words (renkei.i18n), amounts as ¥1,234,567, rates as
public offices write them (8/10, 1/2, 2/3).

The evidence packet (`evidence_packet`) is the table a firm attaches to its prefecture's
実績報告, as CSV or .xlsx (renkei.projects.exports_xlsx); columns in Japanese (English):
  マッチングID (Match ID; machine), 企業名 (Firm), 人材氏名 (Professional), 業務内容 (Need),
  契約報酬（円／月） (Contract fee (yen per month)), 契約時間（時間／月） (Contract hours per
  month), 契約開始日 / 契約終了日 (Contract start/end date), 支払日 (Payment date), 経費区分
  (Cost category: 報酬, 旅費, 紹介手数料), 金額（円） (Amount (yen)), 訪問日数 (Visit days), 摘要
  (Description), 補助対象 (Eligible: 対象 / 対象外), 補助対象経費（円） (Eligible amount (yen)).
One row per cost, by date; then a 合計 (Total) row summing 金額 and 補助対象経費, then a
補助金見込額 (Estimated subsidy) row whose 金額 is the estimate and 摘要 its reason and formula.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden, Invalid, NotFound
from renkei.fiscal import fiscal_year
from renkei.i18n.formats import JST, fiscal_year_label, format_yen
from renkei.i18n.messages import N_, _, current_locale
from renkei.intermediaries import repository as intermediaries
from renkei.intermediaries.models import IntermediaryRole
from renkei.organizations.models import Organization
from renkei.projects.exports import Cell, Column, Table
from renkei.talent import repository
from renkei.talent import subsidy_rules as rules
from renkei.talent.lifecycle import Side, side_of
from renkei.talent.models import (
    CostKind,
    Match,
    MatchCost,
    MatchStatus,
    Professional,
    ProfessionalProfile,
    SubsidyScheme,
    TalentNeed,
    match_status_label,
)
from renkei.talent.service import require_firm_writer
from renkei.tenancy import Viewer

# Statuses in which a match is a contracted side job with a cost ledger.
CONTRACTED_STATUSES = (MatchStatus.CONTRACTED, MatchStatus.ACTIVE, MatchStatus.COMPLETED)
MAX_AMOUNT_JPY = 2_147_483_647
MAX_NOTE_LENGTH = 2_000

# What people read for each cost kind (紹介手数料 / 報酬 / 旅費); translate with _() where shown.
COST_KINDS = {
    CostKind.FEE: N_("fee"),
    CostKind.TRAVEL: N_("travel"),
    CostKind.PLACEMENT_FEE: N_("placement fee"),
}
# The estimate's words, in the reader's language.
NO_SCHEME = N_("No side-job subsidy scheme is known for prefecture {prefecture} in {year}.")
NO_SCHEME_ANYWHERE = N_("No side-job subsidy scheme is known for the workplace.")
FIRST_USE_ONLY = N_(
    "{scheme} is for a firm's first side-job contract only, and this firm already had an "
    "earlier one."
)
NO_TIER = N_("No tier of the scheme applies to this match (tried first: {scheme}).")
PAYS = N_("{scheme}: {rate} of the eligible costs ({covered}), up to {cap}.")
FORMULA = N_("min(floor({eligible} × {rate}), {cap}) = {amount}")
# Rates as public offices write them: the first of these denominators that fits (8/10, 1/2).
RATE_DENOMINATORS = (2, 3, 4, 10)


def cost_kind_label(kind: CostKind | str) -> str:
    """A cost kind as the reader reads it (an unknown code as it is)."""
    try:
        return _(COST_KINDS[CostKind(kind)])
    except ValueError:
        return str(kind)


def covered_text(kinds: set[str]) -> str:
    """The cost kinds a scheme covers, in the reader's words, in code-point order of the words:
    旅費、報酬、紹介手数料 / fee, placement fee, travel."""
    separator = "、" if current_locale() == "ja" else ", "
    return separator.join(sorted(cost_kind_label(k) for k in kinds))


def rate_text(rate: Decimal) -> str:
    """8/10 for 0.8, 1/2 for 0.5, 2/3 for 0.667, 10/10 for 1; else a percentage (72.5%)."""
    if rate == 1:
        return "10/10"
    for denominator in RATE_DENOMINATORS:
        scaled = rate * denominator
        # Thirds are stored rounded to three decimals (0.333, 0.667).
        tolerance = Decimal("0.0015") * denominator if denominator == 3 else Decimal(0)
        if abs(scaled - scaled.to_integral_value()) <= tolerance:
            return f"{int(scaled.to_integral_value())}/{denominator}"
    return f"{(rate * 100).normalize():f}%"


@dataclass(frozen=True)
class SubsidyEstimate:
    """What a scheme would pay toward a match's costs, and why."""

    scheme: SubsidyScheme | None
    rate: Decimal | None
    cap_jpy: int | None
    eligible_jpy: int
    estimate_jpy: int | None
    first_use: bool
    reason: str
    formula: str
    # Why this tier: a sentence per tier tried, the costs outside the 年度, what is unconfirmed.
    why: list[str] = field(default_factory=list)
    deadline: date | None = None
    deadline_text: str = ""
    # The day the firm recorded applying for the subsidy (renkei.talent.subsidy_applications).
    applied_on: date | None = None


def estimate(
    scheme: SubsidyScheme | Sequence[SubsidyScheme] | None,
    costs: Sequence[tuple[CostKind | str, int] | rules.CostLine],
    *,
    had_earlier_contract: bool,
    prefecture_code: str = "",
    year: int | None = None,
    introducer: rules.Introducer | None = None,
    residence_prefecture_code: str | None = None,
    contract_on: date | None = None,
    starts_on: date | None = None,
) -> SubsidyEstimate:
    """The subsidy of a match: the tier whose conditions it meets (subsidy_rules), then
    arithmetic on that tier and the costs of its 年度."""
    first_use = not had_earlier_contract
    tiers = [scheme] if isinstance(scheme, SubsidyScheme) else list(scheme or [])
    if not tiers:
        if prefecture_code and year is not None:
            reason = _(NO_SCHEME, prefecture=prefecture_code, year=fiscal_year_label(year))
        else:
            reason = _(NO_SCHEME_ANYWHERE)
        return SubsidyEstimate(
            scheme=None,
            rate=None,
            cap_jpy=None,
            eligible_jpy=0,
            estimate_jpy=None,
            first_use=first_use,
            reason=reason,
            formula="",
        )
    year_ = tiers[0].fiscal_year if year is None else year
    counted, outside = rules.in_year(rules.lines(costs), year_)
    facts = rules.MatchFacts(had_earlier_contract, introducer, residence_prefecture_code)
    choice = rules.choose_tier(tiers, facts, counted)
    tier = choice.tier or sorted(tiers, key=lambda t: (t.tier_rank or 0, t.name))[0]
    why = [
        *choice.why,
        rules.introducer_text(introducer, tier.prefecture_code),
        rules.outside_year_text(outside, year_),
    ]
    why.append(rules.unconfirmed_text(tier))
    last_day, deadline_text = rules.deadline(tier, contract_on=contract_on, starts_on=starts_on)
    kinds = set(tier.eligible_cost_kinds)
    eligible = sum((c.amount_jpy for c in counted if c.kind in kinds), 0)
    rate = Decimal(tier.rate)
    common = {
        "scheme": tier,
        "rate": rate,
        "cap_jpy": tier.cap_jpy,
        "eligible_jpy": eligible,
        "why": [w for w in why if w],
        "deadline": last_day,
        "deadline_text": deadline_text,
    }
    if choice.tier is None:
        words = FIRST_USE_ONLY if choice.only_first_use_failed else NO_TIER
        return SubsidyEstimate(
            **common,  # type: ignore[arg-type]
            estimate_jpy=0,
            first_use=first_use,
            reason=_(words, scheme=tier.name),
            formula="",
        )
    product = (Decimal(eligible) * rate).to_integral_value(rounding=ROUND_FLOOR)
    amount = min(int(product), tier.cap_jpy)
    covered = covered_text(kinds)
    return SubsidyEstimate(
        **common,  # type: ignore[arg-type]
        estimate_jpy=amount,
        first_use=first_use,
        reason=_(
            PAYS,
            scheme=tier.name,
            rate=rate_text(rate),
            covered=covered,
            cap=format_yen(tier.cap_jpy),
        ),
        formula=_(
            FORMULA,
            eligible=format_yen(eligible),
            rate=rate_text(rate),
            cap=format_yen(tier.cap_jpy),
            amount=format_yen(amount),
        ),
    )


async def schemes(
    session: AsyncSession, *, prefecture_code: str | None = None, fiscal_year: int | None = None
) -> list[SubsidyScheme]:
    """The subsidy schemes (public), narrowed to a prefecture and a 年度 when given."""
    return await repository.subsidy_schemes(
        session, prefecture_code=prefecture_code, fiscal_year=fiscal_year
    )


async def costs_of(session: AsyncSession, match_id: uuid.UUID) -> list[MatchCost]:
    """The match's cost ledger, oldest first (empty for anyone but the firm)."""
    return await repository.match_costs(session, match_id=match_id)


async def _had_earlier_contract(session: AsyncSession, match: Match) -> bool:
    assert match.contract_starts_on is not None
    return await repository.contract_started_before(
        session,
        organization_id=match.organization_id,
        besides=match.id,
        statuses=CONTRACTED_STATUSES,
        on=match.contract_starts_on,
    )


async def introducer_of(session: AsyncSession, match: Match) -> rules.Introducer | None:
    """The match's introducer as registered in the role it acted in; None without one."""
    if match.introduced_via is None:
        return None
    organization_id = match.introduced_by_organization_id
    organization = (
        None
        if organization_id is None
        else await intermediaries.organization(session, organization_id)
    )
    registered = (
        None
        if organization_id is None
        else await intermediaries.registration(
            session, organization_id=organization_id, role=IntermediaryRole(match.introduced_via)
        )
    )
    return rules.Introducer(
        name=organization.name if organization else _("an intermediary"),
        role=match.introduced_via,
        prefecture_code=registered.prefecture_code if registered else None,
        license_number=registered.license_number if registered else None,
    )


async def estimate_for_match(session: AsyncSession, match: Match) -> SubsidyEstimate | None:
    """The estimated subsidy of a contracted match; None before it is contracted."""
    if match.status not in CONTRACTED_STATUSES or match.contract_starts_on is None:
        return None
    need = await session.get(TalentNeed, match.need_id)
    if need is None:
        return None
    year = fiscal_year(match.contract_starts_on)
    found = await schemes(session, prefecture_code=need.workplace_prefecture_code, fiscal_year=year)
    costs = await costs_of(session, match.id)
    profile = await session.get(ProfessionalProfile, match.professional_id)
    confirmed = match.contract_confirmed_at
    application = await repository.subsidy_application(session, match.id)
    found_ = estimate(
        found,
        [rules.CostLine(c.kind.value, c.amount_jpy, c.incurred_on, c.visit_days) for c in costs],
        had_earlier_contract=await _had_earlier_contract(session, match),
        prefecture_code=need.workplace_prefecture_code,
        year=year,
        introducer=await introducer_of(session, match),
        residence_prefecture_code=profile.residence_prefecture_code if profile else None,
        # The contract's day in Japan, as the prefecture counts it (not the UTC date).
        contract_on=confirmed.astimezone(JST).date() if confirmed else None,
        starts_on=match.contract_starts_on,
    )
    return replace(found_, applied_on=application.applied_on if application else None)


async def record_cost(
    session: AsyncSession,
    viewer: Viewer,
    *,
    match_id: uuid.UUID,
    kind: CostKind,
    amount_jpy: int,
    incurred_on: date,
    visit_days: int = 0,
    note: str = "",
) -> MatchCost:
    """The firm adds a line to a contracted match's cost ledger."""
    match = await repository.get_match(session, match_id)
    if match is None:
        raise NotFound(_("No such match."), field="matchId")
    side = await side_of(session, viewer, match)
    if side is not Side.FIRM:
        raise Forbidden(_("Only the firm records the costs of a match."))
    require_firm_writer(viewer, match.organization_id, to="record the costs of a match")
    if match.status not in CONTRACTED_STATUSES:
        raise Invalid(
            _(
                "Costs are recorded for contracted, active or completed matches only (this one"
                " is {status}).",
                status=match_status_label(match.status),
            ),
            field="matchId",
        )
    if amount_jpy <= 0 or amount_jpy > MAX_AMOUNT_JPY:
        raise Invalid(_("The amount must be a positive number of yen."), field="amountJpy")
    if kind is CostKind.TRAVEL and visit_days < 1:
        raise Invalid(
            _("Travel costs need the number of visit days (1 or more)."), field="visitDays"
        )
    if kind is not CostKind.TRAVEL and visit_days != 0:
        raise Invalid(_("Visit days are for travel costs only."), field="visitDays")
    text = note.strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise Invalid(
            _("The note is longer than {limit} characters.", limit=MAX_NOTE_LENGTH), field="note"
        )
    cost = MatchCost(
        match_id=match.id,
        organization_id=match.organization_id,
        kind=kind,
        amount_jpy=amount_jpy,
        incurred_on=incurred_on,
        visit_days=visit_days,
        note=text,
    )
    session.add(cost)
    await session.flush()
    return cost


EVIDENCE_SHEET = N_("Subsidy evidence")
EVIDENCE_COLUMNS = (
    Column(N_("Match ID"), Cell.ID, 38),
    Column(N_("Firm"), Cell.TEXT, 20),
    Column(N_("Professional"), Cell.TEXT, 16),
    Column(N_("Need"), Cell.TEXT, 26),
    Column(N_("Contract fee (yen per month)"), Cell.AMOUNT, 14),
    Column(N_("Contract hours per month"), Cell.NUMBER, 12),
    Column(N_("Contract start date"), Cell.DATE),
    Column(N_("Contract end date"), Cell.DATE),
    Column(N_("Payment date"), Cell.DATE),
    Column(N_("Cost category"), Cell.TEXT, 14),
    Column(N_("Amount (yen)"), Cell.AMOUNT, 14),
    Column(N_("Visit days"), Cell.NUMBER, 10),
    Column(N_("Description"), Cell.TEXT, 48),
    Column(N_("Eligible"), Cell.TEXT, 10),
    Column(N_("Eligible amount (yen)"), Cell.AMOUNT, 14),
)


async def evidence_packet(
    session: AsyncSession, viewer: Viewer, match_id: uuid.UUID
) -> tuple[Table, str]:
    """The firm's evidence for a subsidy application (see the module docstring): the contract,
    every cost line, their totals and the estimate with its reason and formula; and a name for
    the file. NotFound for anyone but the firm."""
    match = await session.get(Match, match_id)
    if match is None or viewer.organization_id != match.organization_id:
        raise NotFound(_("No such match."), field="id")
    estimate_ = await estimate_for_match(session, match)
    if estimate_ is None:
        raise Invalid(_("The match has no contract yet: there is nothing to claim."), field="id")
    need = await session.get(TalentNeed, match.need_id)
    organization = await session.get(Organization, match.organization_id)
    # The identity is shown to the firm once both sides accepted; row-level security says so.
    person = await session.get(Professional, match.professional_id)
    profile = await session.get(ProfessionalProfile, match.professional_id)
    who = person.full_name if person else (profile.pseudonym if profile else "")
    eligible = set(estimate_.scheme.eligible_cost_kinds) if estimate_.scheme else set()
    year = estimate_.scheme.fiscal_year if estimate_.scheme else None

    def counted(cost: MatchCost) -> bool:
        """A cost the estimate counts: of a covered kind, within the scheme's 年度."""
        return cost.kind.value in eligible and fiscal_year(cost.incurred_on) == year

    context = (
        str(match.id),
        organization.name if organization else "",
        who,
        need.title if need else "",
        match.contract_fee_jpy,
        match.contract_hours_per_month,
        match.contract_starts_on,
        match.contract_ends_on,
    )
    costs = sorted(await costs_of(session, match.id), key=lambda c: (c.incurred_on, c.id))
    rows: list[tuple[object, ...]] = [
        (
            *context,
            c.incurred_on,
            cost_kind_label(c.kind),
            c.amount_jpy,
            c.visit_days,
            c.note,
            _("eligible") if counted(c) else _("not eligible"),
            c.amount_jpy if counted(c) else 0,
        )
        for c in costs
    ]
    total = (
        *context,
        None,
        _("Total"),
        sum(c.amount_jpy for c in costs),
        sum(c.visit_days for c in costs),
        None,
        None,
        estimate_.eligible_jpy,
    )
    explained = (
        _("{reason} Calculation: {formula}", reason=estimate_.reason, formula=estimate_.formula)
        if estimate_.formula
        else estimate_.reason
    )
    summary = (*context, None, _("Estimated subsidy"), estimate_.estimate_jpy, None, explained)
    table = Table(
        EVIDENCE_SHEET,
        EVIDENCE_COLUMNS,
        [*rows, total, (*summary, None, None)],
        bold_rows=frozenset({len(rows), len(rows) + 1}),
    )
    return table, need.title if need else "match"
