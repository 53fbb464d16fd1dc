"""Which tier of a prefecture's side-job scheme applies to a match, and by when to apply.

A prefecture publishes its scheme for a 年度 as tiers (枠, `SubsidyScheme` rows) tried in rank
order: the first whose conditions the match meets applies. Conditions: the firm's first
side-job contract (recorded in Renkei: Renkei cannot know contracts made elsewhere), the
professional introduced through the prefecture's 拠点 or a registered 人材紹介事業者 (the match's
introducer: a STRATEGY_HUB of the tier's prefecture, or any PLACEMENT_AGENCY), the
professional living outside the prefecture, and travel of at least a minimum per round trip
(travel costs ÷ visit days). Only costs incurred within the scheme's 年度 (April to March)
count. The application deadline counts back from the contract or the start of work.

Every sentence is in the reader's words (renkei.i18n); the GraphQL estimate shows them as `why`
and `deadline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from renkei.fiscal import fiscal_year
from renkei.geography.data import PREFECTURES_BY_CODE
from renkei.i18n.formats import fiscal_year_label, format_date, format_yen
from renkei.i18n.messages import N_, _, current_locale
from renkei.intermediaries.models import IntermediaryRole, role_label
from renkei.talent.models import CostKind, DeadlineBasis, SubsidyScheme

APPLIES = N_("{scheme} applies: {conditions}.")
DOES_NOT_APPLY = N_("{scheme} does not apply: {conditions}.")
NO_CONDITIONS = N_("it has no conditions")
FIRST_USE_MET = N_("the firm's first side-job contract recorded in Renkei")
FIRST_USE_UNMET = N_("the firm had an earlier side-job contract recorded in Renkei")
INTRODUCED_MET = N_(
    "the professional was introduced by {introducer}, through the prefecture's hub or a"
    " registered agency"
)
INTRODUCED_OTHER = N_(
    "the professional was introduced by {introducer}, not through the prefecture's hub or a"
    " registered agency"
)
INTRODUCED_UNMET = N_(
    "the professional was not introduced through the prefecture's hub or a registered agency"
)
# Said of every introduced match, whether or not a tier asks for an introduction.
INTRODUCED_BY = N_(
    "Introduced by {introducer}: through the prefecture's hub or a registered agency."
)
INTRODUCED_BY_OTHER = N_(
    "Introduced by {introducer}: not through the prefecture's hub or a registered agency."
)
INTRODUCER = N_("{name} ({role})")
INTRODUCER_HUB = N_("{name} ({role} of {prefecture})")
INTRODUCER_AGENCY = N_("{name} ({role}, license {number})")
OUTSIDE_MET = N_("the professional lives outside the prefecture")
OUTSIDE_UNMET = N_("the professional lives in the prefecture")
OUTSIDE_UNKNOWN = N_("where the professional lives is not known")
TRAVEL_MET = N_("travel of {amount} per round trip (at least {minimum})")
TRAVEL_UNMET = N_("travel of {amount} per round trip is less than {minimum}")
TRAVEL_NONE = N_("no travel of at least {minimum} per round trip is recorded")
OUTSIDE_YEAR = N_("Costs of {amount} fall outside {year} (April to March) and are not counted.")
DEADLINE_CONTRACT = N_("Apply by {date}: {days} days before the contract ({basis}).")
DEADLINE_START = N_("Apply by {date}: {days} days before work starts ({basis}).")
UNCONFIRMED = N_("Not confirmed by the public notice: {fields}. Check with the prefecture.")


@dataclass(frozen=True)
class CostLine:
    """A cost as the rules read it; a line without a date counts in every year."""

    kind: str
    amount_jpy: int
    incurred_on: date | None = None
    visit_days: int = 0


@dataclass(frozen=True)
class Introducer:
    """The intermediary that introduced the professional, as registered when it did."""

    name: str
    role: str  # an IntermediaryRole (matches.introduced_via)
    prefecture_code: str | None = None  # a 拠点's prefecture
    license_number: str | None = None  # an agency's 許可番号

    def qualifies(self, prefecture_code: str) -> bool:
        """Through the prefecture's 拠点 or a registered 人材紹介事業者."""
        if self.role == IntermediaryRole.PLACEMENT_AGENCY.value:
            return True
        return (
            self.role == IntermediaryRole.STRATEGY_HUB.value
            and self.prefecture_code == prefecture_code
        )

    def text(self) -> str:
        """Who it is, in the reader's words: 福岡県の拠点 (…), an agency with its 許可番号."""
        role = role_label(self.role)
        if self.role == IntermediaryRole.STRATEGY_HUB.value and self.prefecture_code:
            found = PREFECTURES_BY_CODE.get(self.prefecture_code)
            ja = current_locale() == "ja"
            prefecture = (
                (found.name if ja else found.name_romaji) if found else self.prefecture_code
            )
            return _(INTRODUCER_HUB, name=self.name, role=role, prefecture=prefecture)
        if self.role == IntermediaryRole.PLACEMENT_AGENCY.value and self.license_number:
            return _(INTRODUCER_AGENCY, name=self.name, role=role, number=self.license_number)
        return _(INTRODUCER, name=self.name, role=role)


@dataclass(frozen=True)
class MatchFacts:
    """What the conditions read of a match."""

    had_earlier_contract: bool
    introducer: Introducer | None = None
    # The professional's prefecture of residence; None when the reader cannot see it.
    residence_prefecture_code: str | None = None


@dataclass(frozen=True)
class TierChoice:
    tier: SubsidyScheme | None  # the tier that applies, else None
    why: list[str]  # one sentence per tier tried, in rank order
    only_first_use_failed: bool  # no tier applies, and only for want of a first use


def lines(costs: Sequence[tuple[CostKind | str, int] | CostLine]) -> list[CostLine]:
    return [c if isinstance(c, CostLine) else CostLine(str(c[0]), c[1]) for c in costs]


def in_year(costs: Sequence[CostLine], year: int) -> tuple[list[CostLine], int]:
    """The costs within the 年度, and the sum of the others."""
    inside = [c for c in costs if c.incurred_on is None or fiscal_year(c.incurred_on) == year]
    outside = sum(c.amount_jpy for c in costs if c not in inside)
    return inside, outside


def travel_per_trip(costs: Sequence[CostLine]) -> int | None:
    """Travel costs ÷ visit days, rounded down; None without travel."""
    trips = sum(c.visit_days for c in costs if c.kind == CostKind.TRAVEL.value)
    spent = sum(c.amount_jpy for c in costs if c.kind == CostKind.TRAVEL.value)
    return spent // trips if trips else None


def _joined(parts: list[str]) -> str:
    return ("、" if current_locale() == "ja" else "; ").join(parts)


def conditions_of(
    tier: SubsidyScheme, facts: MatchFacts, costs: Sequence[CostLine]
) -> tuple[list[str], list[str], bool]:
    """The tier's conditions the match meets, those it does not, and whether first use failed."""
    met: list[str] = []
    unmet: list[str] = []
    if tier.first_use_only:
        (unmet if facts.had_earlier_contract else met).append(
            _(FIRST_USE_UNMET) if facts.had_earlier_contract else _(FIRST_USE_MET)
        )
    if tier.requires_introduction:
        who = facts.introducer
        if who is None:
            unmet.append(_(INTRODUCED_UNMET))
        elif who.qualifies(tier.prefecture_code):
            met.append(_(INTRODUCED_MET, introducer=who.text()))
        else:
            unmet.append(_(INTRODUCED_OTHER, introducer=who.text()))
    if tier.requires_outside_resident:
        if facts.residence_prefecture_code is None:
            unmet.append(_(OUTSIDE_UNKNOWN))
        elif facts.residence_prefecture_code == tier.prefecture_code:
            unmet.append(_(OUTSIDE_UNMET))
        else:
            met.append(_(OUTSIDE_MET))
    if tier.min_travel_per_trip_jpy:
        minimum = format_yen(tier.min_travel_per_trip_jpy)
        per_trip = travel_per_trip(costs)
        if per_trip is None:
            unmet.append(_(TRAVEL_NONE, minimum=minimum))
        elif per_trip < tier.min_travel_per_trip_jpy:
            unmet.append(_(TRAVEL_UNMET, amount=format_yen(per_trip), minimum=minimum))
        else:
            met.append(_(TRAVEL_MET, amount=format_yen(per_trip), minimum=minimum))
    first_use_failed = tier.first_use_only and facts.had_earlier_contract
    return met, unmet, first_use_failed


def choose_tier(
    tiers: Sequence[SubsidyScheme], facts: MatchFacts, costs: Sequence[CostLine]
) -> TierChoice:
    """The first tier by rank (then name) whose conditions the match meets, and why."""
    why: list[str] = []
    only_first_use = bool(tiers)
    for tier in sorted(tiers, key=lambda t: (t.tier_rank or 0, t.name)):
        met, unmet, first_use_failed = conditions_of(tier, facts, costs)
        if not unmet:
            why.append(_(APPLIES, scheme=tier.name, conditions=_joined(met) or _(NO_CONDITIONS)))
            return TierChoice(tier, why, False)
        why.append(_(DOES_NOT_APPLY, scheme=tier.name, conditions=_joined(unmet)))
        only_first_use = only_first_use and first_use_failed and len(unmet) == 1
    return TierChoice(None, why, only_first_use)


def deadline(
    tier: SubsidyScheme, *, contract_on: date | None, starts_on: date | None
) -> tuple[date | None, str]:
    """The last day to apply under the tier's rule, and the sentence that says it."""
    if tier.deadline_days is None or tier.deadline_basis is None:
        return None, ""
    if tier.deadline_basis == DeadlineBasis.CONTRACT.value:
        basis, message = contract_on or starts_on, DEADLINE_CONTRACT
    else:
        basis, message = starts_on, DEADLINE_START
    if basis is None:
        return None, ""
    last = basis - timedelta(days=tier.deadline_days)
    text = _(message, date=format_date(last), days=tier.deadline_days, basis=format_date(basis))
    return last, text


def introducer_text(introducer: Introducer | None, prefecture_code: str) -> str:
    """Who introduced the professional, and whether that counts as through the prefecture's
    拠点 or a registered agency; empty without an introducer."""
    if introducer is None:
        return ""
    words = INTRODUCED_BY if introducer.qualifies(prefecture_code) else INTRODUCED_BY_OTHER
    return _(words, introducer=introducer.text())


def outside_year_text(amount: int, year: int) -> str:
    return (
        _(OUTSIDE_YEAR, amount=format_yen(amount), year=fiscal_year_label(year)) if amount else ""
    )


UNCONFIRMABLE = {
    "rate": N_("rate"),
    "cap_jpy": N_("cap"),
    "eligible_cost_kinds": N_("eligible costs"),
    "first_use_only": N_("first-use rule"),
    "deadline": N_("application deadline"),
    "conditions": N_("conditions"),
    "source_url": N_("source address"),
}


def unconfirmed_text(tier: SubsidyScheme) -> str:
    fields = [
        _(UNCONFIRMABLE[f]) if f in UNCONFIRMABLE else f for f in tier.unconfirmed_fields or []
    ]
    return _(UNCONFIRMED, fields=_joined(fields)) if fields else ""
