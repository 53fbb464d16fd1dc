"""Subsidies as data: a prefecture's side-job grant (副業・兼業人材活用促進事業) estimated from a
contracted match's cost ledger.

The scheme is the one of the need's workplace prefecture for the fiscal year (年度) the contract
starts in. eligible = the sum of the costs whose kind the scheme covers; estimate =
min(floor(eligible × rate), cap). A first-use scheme pays nothing when the firm already had a
contracted side job that started earlier.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden, Invalid, NotFound
from renkei.fiscal import fiscal_year
from renkei.organizations.models import Organization
from renkei.projects.exports import csv_table
from renkei.talent import repository
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
)
from renkei.talent.service import require_firm_writer
from renkei.tenancy import Viewer

# Statuses in which a match is a contracted side job with a cost ledger.
CONTRACTED_STATUSES = (MatchStatus.CONTRACTED, MatchStatus.ACTIVE, MatchStatus.COMPLETED)
MAX_AMOUNT_JPY = 2_147_483_647
MAX_NOTE_LENGTH = 2_000


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


def _yen(amount: int | Decimal) -> str:
    return f"¥{int(amount):,}"


def estimate(
    scheme: SubsidyScheme | None,
    costs: Sequence[tuple[CostKind | str, int]],
    *,
    had_earlier_contract: bool,
    prefecture_code: str = "",
    year: int | None = None,
) -> SubsidyEstimate:
    """The subsidy of a match: pure arithmetic on the scheme and the (kind, amount) costs."""
    first_use = not had_earlier_contract
    if scheme is None:
        where = f"prefecture {prefecture_code}" if prefecture_code else "the workplace"
        when = f" in fiscal year {year}" if year is not None else ""
        return SubsidyEstimate(
            scheme=None,
            rate=None,
            cap_jpy=None,
            eligible_jpy=0,
            estimate_jpy=None,
            first_use=first_use,
            reason=f"no side-job subsidy scheme is known for {where}{when}",
            formula="",
        )
    kinds = set(scheme.eligible_cost_kinds)
    eligible = sum((amount for kind, amount in costs if str(kind) in kinds), 0)
    rate = Decimal(scheme.rate)
    if scheme.first_use_only and had_earlier_contract:
        return SubsidyEstimate(
            scheme=scheme,
            rate=rate,
            cap_jpy=scheme.cap_jpy,
            eligible_jpy=eligible,
            estimate_jpy=0,
            first_use=False,
            reason=f"{scheme.name} is for a firm's first side-job contract only, and this firm "
            "already had an earlier one",
            formula="",
        )
    product = (Decimal(eligible) * rate).to_integral_value(rounding=ROUND_FLOOR)
    amount = min(int(product), scheme.cap_jpy)
    covered = ", ".join(sorted(kinds))
    return SubsidyEstimate(
        scheme=scheme,
        rate=rate,
        cap_jpy=scheme.cap_jpy,
        eligible_jpy=eligible,
        estimate_jpy=amount,
        first_use=first_use,
        reason=f"{scheme.name}: {rate.normalize()} of the eligible costs ({covered}), "
        f"up to {_yen(scheme.cap_jpy)}",
        formula=f"min(floor({_yen(eligible)} × {rate}), {_yen(scheme.cap_jpy)}) = {_yen(amount)}",
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
    return estimate(
        found[0] if found else None,
        [(c.kind, c.amount_jpy) for c in costs],
        had_earlier_contract=await _had_earlier_contract(session, match),
        prefecture_code=need.workplace_prefecture_code,
        year=year,
    )


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
        raise NotFound("no such match", field="matchId")
    side = await side_of(session, viewer, match)
    if side is not Side.FIRM:
        raise Forbidden("only the firm records the costs of a match")
    require_firm_writer(viewer, match.organization_id, to="record the costs of a match")
    if match.status not in CONTRACTED_STATUSES:
        raise Invalid(
            "costs are recorded for contracted, active or completed matches only "
            f"(this one is {match.status.value})",
            field="matchId",
        )
    if amount_jpy <= 0 or amount_jpy > MAX_AMOUNT_JPY:
        raise Invalid("the amount must be a positive number of yen", field="amountJpy")
    if kind is CostKind.TRAVEL and visit_days < 1:
        raise Invalid("travel costs need the number of visit days (1 or more)", field="visitDays")
    if kind is not CostKind.TRAVEL and visit_days != 0:
        raise Invalid("visit days are for travel costs only", field="visitDays")
    text = note.strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise Invalid(f"the note is longer than {MAX_NOTE_LENGTH} characters", field="note")
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


EVIDENCE_HEADER = (
    "match_id",
    "firm",
    "professional",
    "need",
    "contract_fee_jpy",
    "contract_hours_per_month",
    "contract_starts_on",
    "contract_ends_on",
    "incurred_on",
    "kind",
    "amount_jpy",
    "visit_days",
    "note",
    "eligible",
)


async def evidence_packet(
    session: AsyncSession, viewer: Viewer, match_id: uuid.UUID
) -> tuple[str, str]:
    """The firm's evidence for a subsidy application, as CSV: the contract, every cost line and
    the estimate with its formula; and a name for the file. NotFound for anyone but the firm."""
    match = await session.get(Match, match_id)
    if match is None or viewer.organization_id != match.organization_id:
        raise NotFound("no such match", field="id")
    estimate_ = await estimate_for_match(session, match)
    if estimate_ is None:
        raise Invalid("the match has no contract yet: there is nothing to claim", field="id")
    need = await session.get(TalentNeed, match.need_id)
    organization = await session.get(Organization, match.organization_id)
    # The identity is shown to the firm once both sides accepted; row-level security says so.
    person = await session.get(Professional, match.professional_id)
    profile = await session.get(ProfessionalProfile, match.professional_id)
    who = person.full_name if person else (profile.pseudonym if profile else "")
    eligible = set(estimate_.scheme.eligible_cost_kinds) if estimate_.scheme else set()
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
    lines = [
        (
            *context,
            c.incurred_on,
            c.kind.value,
            c.amount_jpy,
            c.visit_days,
            c.note,
            "yes" if c.kind.value in eligible else "no",
        )
        for c in sorted(await costs_of(session, match.id), key=lambda c: (c.incurred_on, c.id))
    ]
    summary = (
        *context,
        None,
        "ESTIMATE",
        estimate_.estimate_jpy,
        None,
        f"{estimate_.reason}; {estimate_.formula}",
        estimate_.eligible_jpy,
    )
    return csv_table(EVIDENCE_HEADER, [*lines, summary]), need.title if need else "match"
