"""Applying for a match's side-job subsidy: by when, and the firm's record that it did.

Many prefectures take the application only before the contract or the start of work (栃木: two
weeks before the contract; 岐阜: five days before work starts). The deadline is the tier's rule
(renkei.talent.subsidy_rules.deadline) for the tier the match's conditions choose, counted back
from the contract once it is signed, else from the start: the contracted start once the firm
recorded the terms, else the start the need plans. Before a contract is signed, a deadline
counted from the contract is counted from the start, the latest day the contract can be signed.

The firm records the day it applied (`record_application`); the deadline reminders
(renkei.talent.subsidy_reminders) stop then, and the estimate shows it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden, Invalid, NotFound
from renkei.fiscal import fiscal_year
from renkei.i18n.formats import JST
from renkei.i18n.messages import _
from renkei.talent import repository
from renkei.talent import subsidy_rules as rules
from renkei.talent.lifecycle import Side, side_of
from renkei.talent.models import (
    DeadlineBasis,
    Match,
    MatchStatus,
    ProfessionalProfile,
    SubsidyApplication,
    SubsidyScheme,
    TalentNeed,
    match_status_label,
)
from renkei.talent.service import require_firm_writer
from renkei.talent.subsidies import introducer_of
from renkei.tenancy import Viewer

S = MatchStatus
# Contracted side jobs: what "first use" counts (as renkei.talent.subsidies does).
CONTRACTED = (S.CONTRACTED, S.ACTIVE, S.COMPLETED)
# A firm applies once both sides want to work together, and may record it until the end.
RECORDABLE = (S.ACCEPTED, S.INTERVIEW, *CONTRACTED)


@dataclass(frozen=True)
class ApplicationDeadline:
    """The last day to apply for a match's subsidy, and what it counts back from."""

    tier: SubsidyScheme
    need: TalentNeed
    last_day: date
    basis: DeadlineBasis
    # The day it counts back from: the contract's, else the start of work's.
    counted_from: date
    # The contract is signed (its day is `counted_from` when the basis is CONTRACT).
    contract_signed: bool
    # The start is the one the need plans: no contract terms recorded yet.
    start_planned: bool


def _today() -> date:
    return datetime.now(JST).date()


async def application_deadline(session: AsyncSession, match: Match) -> ApplicationDeadline | None:
    """The deadline of the tier whose conditions the match meets, in the 年度 of its start;
    None without such a tier or when that tier has no deadline rule."""
    need = await session.get(TalentNeed, match.need_id)
    if need is None:
        return None
    starts_on = match.contract_starts_on or need.starts_on
    year = fiscal_year(starts_on)
    tiers = await repository.subsidy_schemes(
        session, prefecture_code=need.workplace_prefecture_code, fiscal_year=year
    )
    if not tiers:
        return None
    costs = await repository.match_costs(session, match_id=match.id)
    counted, _outside = rules.in_year(
        [rules.CostLine(c.kind.value, c.amount_jpy, c.incurred_on, c.visit_days) for c in costs],
        year,
    )
    profile = await session.get(ProfessionalProfile, match.professional_id)
    earlier = await repository.contract_started_before(
        session,
        organization_id=match.organization_id,
        besides=match.id,
        statuses=CONTRACTED,
        on=starts_on,
    )
    facts = rules.MatchFacts(
        earlier,
        await introducer_of(session, match),
        profile.residence_prefecture_code if profile else None,
    )
    tier = rules.choose_tier(tiers, facts, counted).tier
    if tier is None:
        return None
    signed = match.contract_confirmed_at
    contract_on = signed.astimezone(JST).date() if signed else None
    last_day, _text = rules.deadline(tier, contract_on=contract_on, starts_on=starts_on)
    if last_day is None or tier.deadline_basis is None:
        return None
    basis = DeadlineBasis(tier.deadline_basis)
    return ApplicationDeadline(
        tier=tier,
        need=need,
        last_day=last_day,
        basis=basis,
        counted_from=contract_on if basis is DeadlineBasis.CONTRACT and contract_on else starts_on,
        contract_signed=contract_on is not None,
        start_planned=match.contract_starts_on is None,
    )


async def application_of(session: AsyncSession, match_id: uuid.UUID) -> SubsidyApplication | None:
    """The firm's record that it applied for the match's subsidy; None for anyone else."""
    return await repository.subsidy_application(session, match_id)


async def record_application(
    session: AsyncSession, viewer: Viewer, *, match_id: uuid.UUID, applied_on: date
) -> SubsidyApplication:
    """The match's firm records (or corrects) the day it applied for the subsidy."""
    match = await repository.get_match(session, match_id)
    if match is None:
        raise NotFound(_("No such match."), field="matchId")
    side = await side_of(session, viewer, match)
    if side is not Side.FIRM:
        raise Forbidden(_("Only the firm records its subsidy application."))
    user_id = require_firm_writer(viewer, match.organization_id, to="act on its matches")
    if match.status not in RECORDABLE:
        raise Invalid(
            _(
                "A subsidy application is recorded once both sides accepted the match (this one"
                " is {status}).",
                status=match_status_label(match.status),
            ),
            field="matchId",
        )
    if applied_on > _today():
        raise Invalid(_("The day you applied cannot be in the future."), field="appliedOn")
    return await repository.save_subsidy_application(
        session,
        match=match,
        applied_on=applied_on,
        recorded_by_id=user_id,
        now=datetime.now(UTC),
    )
