"""Hard constraints and the reciprocal score, on batches of (need, professional) pairs.

The score has a firm side (does this professional fit our need?) and a professional side (is
this work what they want?), each a weighted sum of components in [0, 1]. The pair's score is the
geometric mean of the two, so that a pair only ranks high when it is good for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum, StrEnum

import numpy as np
import numpy.typing as npt

from renkei.i18n.messages import N_
from renkei.talent.index import (
    LEVEL_BITS,
    LEVEL_MASK,
    TIE_KINDS,
    NeedTable,
    ProfessionalTable,
)
from renkei.talent.specs import NeedSpec, ProfessionalSpec, RemotePolicy, TieKind

Rows = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]

# How much a tie counts, by kind: living in two regions is the strongest tie (関係人口).
TIE_STRENGTH: dict[TieKind, float] = {
    TieKind.SECOND_HOME: 1.0,
    TieKind.HOMETOWN: 0.9,
    TieKind.PAST_RESIDENCE: 0.7,
    TieKind.FURUSATO_NOZEI: 0.4,
}
TIE_ELSEWHERE_IN_REGION = 0.7  # a tie to another prefecture of the firm's region
NEARBY_LOCATION = 0.8  # lives in the firm's region or planning bloc
TRAVELLING_LOCATION = 0.5
ONSITE_FROM_AFAR = 0.4  # on-site work far from home means moving or a long commute


class Side(StrEnum):
    FIRM = "FIRM"
    PROFESSIONAL = "PROFESSIONAL"


class Component(Enum):
    """A score component: its column in the component matrix, its side, its weight, its label."""

    # Labels are msgids (English); people read them through _() (explanation.py).
    REQUIRED_SKILLS = (0, Side.FIRM, 0.40, N_("Required skills"))
    PREFERRED_SKILLS = (1, Side.FIRM, 0.10, N_("Preferred skills"))
    SENIORITY = (2, Side.FIRM, 0.20, N_("Experience and proficiency"))
    AVAILABILITY = (3, Side.FIRM, 0.10, N_("Start date and capacity"))
    FIRM_FEE = (4, Side.FIRM, 0.10, N_("Fee (fit with the budget)"))
    LOCATION = (5, Side.FIRM, 0.05, N_("Closeness to the workplace"))
    FIRM_TIES = (6, Side.FIRM, 0.05, N_("Ties to the region"))
    SKILL_USE = (7, Side.PROFESSIONAL, 0.35, N_("Use of their strongest skills"))
    PROFESSIONAL_FEE = (8, Side.PROFESSIONAL, 0.30, N_("Fee (fit with their wishes)"))
    WORK_STYLE = (9, Side.PROFESSIONAL, 0.20, N_("Way of working"))
    PROFESSIONAL_TIES = (
        10,
        Side.PROFESSIONAL,
        0.15,
        N_("Contribution to a region they have ties to"),
    )

    def __init__(self, column: int, side: Side, weight: float, label: str) -> None:
        self.column = column
        self.side = side
        self.weight = weight
        self.label = label


COMPONENTS = tuple(Component)


def component_weights(has_preferred: bool) -> dict[Component, float]:
    """The weights of the components; without preferred skills, theirs go to the required."""
    weights = {c: c.weight for c in COMPONENTS}
    if not has_preferred:
        weights[Component.REQUIRED_SKILLS] += weights[Component.PREFERRED_SKILLS]
        weights[Component.PREFERRED_SKILLS] = 0.0
    return weights


class Constraint(StrEnum):
    """A hard constraint; a pair that fails one is never proposed."""

    ENGAGEMENT_TYPE = "ENGAGEMENT_TYPE"
    CAPACITY = "CAPACITY"
    HOURS = "HOURS"
    FEE = "FEE"
    LOCATION = "LOCATION"
    START_DATE = "START_DATE"


def failed_constraints(
    need: NeedSpec, pro: ProfessionalSpec, *, start_grace_days: int
) -> list[Constraint]:
    """The hard constraints a pair fails, one by one (the vectorized check agrees with this)."""
    failed: list[Constraint] = []
    if not need.engagement_types & pro.engagement_types:
        failed.append(Constraint.ENGAGEMENT_TYPE)
    if pro.free_engagements < 1:
        failed.append(Constraint.CAPACITY)
    if pro.free_hours < need.hours_per_month:
        failed.append(Constraint.HOURS)
    if need.fee_min > pro.fee_max or pro.fee_min > need.fee_max:
        failed.append(Constraint.FEE)
    if need.remote_policy is not RemotePolicy.REMOTE:
        reachable = need.workplace_prefecture_code in (
            pro.travel_prefecture_codes | {pro.residence_prefecture_code}
        )
        accepts = {
            RemotePolicy.HYBRID: pro.remote_preference is RemotePolicy.ONSITE
            or (
                pro.remote_preference is RemotePolicy.HYBRID
                and pro.max_site_visits_per_month >= need.site_visits_per_month
            ),
            RemotePolicy.ONSITE: pro.remote_preference is RemotePolicy.ONSITE,
        }[need.remote_policy]
        if not (reachable and accepts):
            failed.append(Constraint.LOCATION)
    if pro.available_from > need.start_date + timedelta(days=start_grace_days):
        failed.append(Constraint.START_DATE)
    return failed


def feasible(
    needs: NeedTable, pros: ProfessionalTable, ni: Rows, pi: Rows, *, start_grace_days: int
) -> npt.NDArray[np.bool_]:
    """Which pairs pass every hard constraint."""
    ok: npt.NDArray[np.bool_] = (needs.engagements[ni] & pros.engagements[pi]) != 0
    ok &= pros.free_engagements[pi] > 0
    ok &= pros.free_hours[pi] >= needs.hours[ni]
    ok &= (needs.fee_min[ni] <= pros.fee_max[pi]) & (pros.fee_min[pi] <= needs.fee_max[ni])
    ok &= pros.available_day[pi] <= needs.start_day[ni] + start_grace_days
    asked = needs.presence[ni]
    present = (
        (pros.presence[pi] >= asked)
        & ((asked != 1) | (pros.max_visits[pi] >= needs.visits[ni]))
        & ((pros.reach[pi] & needs.workplace[ni]) != 0)
    )
    ok &= (asked == 0) | present
    return ok


def feasible_in_pool(
    needs: NeedTable, pros: ProfessionalTable, ni: Rows, pi: Rows, *, start_grace_days: int
) -> npt.NDArray[np.bool_]:
    """`feasible` for pairs retrieved from their need's pool (ProfessionalTable.pool), whose
    members already meet the need's engagement types, capacity and presence: the hours (the
    pool has a floor of them), fees and start date are left to check."""
    ok = pros.free_hours[pi] >= needs.hours[ni]
    ok &= needs.fee_min[ni] <= pros.fee_max[pi]
    ok &= pros.fee_min[pi] <= needs.fee_max[ni]
    ok &= pros.available_day[pi] <= needs.start_day[ni] + start_grace_days
    return ok


@dataclass(frozen=True, slots=True)
class PairScores:
    """Scores of feasible pairs: components (components × pairs) and both sides' scores."""

    ni: Rows
    pi: Rows
    components: Floats
    firm: Floats
    professional: Floats
    total: Floats


def _ties(needs: NeedTable, pros: ProfessionalTable, ni: Rows, pi: Rows) -> Floats:
    """The strongest tie of each pair's professional to the need's workplace or region."""
    best = np.zeros(len(ni), dtype=np.float32)
    workplace, region = needs.workplace[ni], needs.region[ni]
    some = np.flatnonzero((pros.tied[pi] & region) != 0)  # most professionals have none here
    if not len(some):
        return best
    workplace, region, tied_pros = workplace[some], region[some], pi[some]
    found = np.zeros(len(some), dtype=np.float32)
    for k, kind in enumerate(TIE_KINDS):
        masks = pros.ties[k][tied_pros]
        strength = TIE_STRENGTH[kind]
        here = np.where((masks & workplace) != 0, strength, 0.0)
        near = np.where((masks & region) != 0, strength * TIE_ELSEWHERE_IN_REGION, 0.0)
        np.maximum(found, np.maximum(here, near), out=found, casting="unsafe")
    best[some] = found
    return best


# What a skill's code (renkei.talent.index: level and years in a byte) gives, looked up: its
# level, and its seniority, 0.6 × level / 5 + 0.4 × min(years, 10) / 10 (computed as the
# scores always were, in float32).
_CODE_VALUES = np.arange(256, dtype=np.uint8)
_LEVEL_OF = (_CODE_VALUES & LEVEL_MASK).astype(np.float32)
_SENIORITY_OF = np.float32(0.12) * _LEVEL_OF + np.float32(0.04) * np.minimum(
    _CODE_VALUES >> LEVEL_BITS, 10
).astype(np.float32)

_FIRM_WEIGHTS = [c.weight if c.side is Side.FIRM else 0.0 for c in COMPONENTS]
_PRO_WEIGHTS = [c.weight if c.side is Side.PROFESSIONAL else 0.0 for c in COMPONENTS]


def score(
    needs: NeedTable,
    pros: ProfessionalTable,
    ni: Rows,
    pi: Rows,
    *,
    start_grace_days: int,
    by_slots: bool = False,
) -> PairScores:
    """Score feasible pairs; every component lies in [0, 1].

    Skills are read slot by slot (a few contiguous vectors), not as pairs × slots matrices:
    numpy is much faster along long vectors than across short rows. `by_slots`: the pairs
    come by their needs' skill slots, most first, so that slot j is read for a prefix of
    them (the others' would add nothing: an unused slot has no weight and reads no level).
    """
    m = len(ni)
    f32 = np.float32
    required = np.zeros(m, dtype=f32)
    preferred = np.zeros(m, dtype=f32)
    seniority = np.zeros(m, dtype=f32)
    levels = np.zeros(m, dtype=f32)
    codes = pros.skill_codes.ravel()
    row_start = pi * pros.skill_codes.shape[1]
    slots = needs.slot_skill.shape[0]
    if by_slots:  # how many pairs have more than j slots
        used = -needs.slot_used_of(ni)
        reach = np.searchsorted(used, -np.arange(slots), side="left").tolist()
    else:
        reach = [m] * slots
    for j in range(slots):
        n = reach[j]
        if not n:
            break
        at, part = ni[:n], slice(0, n)
        code = codes[row_start[part] + needs.slot_skill[j][at]]
        level = _LEVEL_OF[code]
        has = level > 0
        weight = needs.slot_required_weight[j][at] * has
        required[part] += weight
        preferred[part] += needs.slot_preferred_weight[j][at] * has
        seniority[part] += weight * _SENIORITY_OF[code]
        levels[part] += level
    seniority /= np.maximum(required, f32(1e-6))

    late = np.maximum(0, pros.available_day[pi] - needs.start_day[ni]).astype(f32)
    availability = f32(0.7) * (1 - late / f32(max(start_grace_days, 1)))
    availability += f32(0.3) * (1 - pros.load[pi])

    need_low, need_high = needs.fee_min[ni], needs.fee_max[ni]
    pro_low, pro_high = pros.fee_min[pi], pros.fee_max[pi]
    agreed = np.maximum(need_low, pro_low)  # the lowest fee both accept
    firm_fee = 1 - (agreed - need_low) / np.maximum(need_high - need_low, 1)
    reached = np.minimum(need_high, pro_high) - pro_low
    pro_fee = reached / np.maximum(pro_high - pro_low, 1)

    asked = needs.presence[ni]
    close = (asked == 0) | ((pros.residence[pi] & needs.workplace[ni]) != 0)
    nearby = (pros.residence[pi] & needs.nearby[ni]) != 0
    location = np.where(close, 1.0, np.where(nearby, NEARBY_LOCATION, TRAVELLING_LOCATION))
    visits_share = np.minimum(needs.visits[ni] / np.maximum(pros.max_visits[pi], 1), 1.0)
    work_style = np.where(
        close, 1.0, np.where(asked == 1, 1.0 - 0.5 * visits_share, ONSITE_FROM_AFAR)
    )
    ties = _ties(needs, pros, ni, pi)
    skill_use = np.minimum(1.0, levels / pros.top_levels[pi])

    columns = (
        required, preferred, seniority, availability, firm_fee, location, ties,
        skill_use, pro_fee, work_style, ties,
    )  # fmt: skip
    comp = np.empty((len(COMPONENTS), m), dtype=f32)
    for c, values in enumerate(columns):
        comp[c] = values
    np.clip(comp, 0.0, 1.0, out=comp)
    firm = np.zeros(m, dtype=f32)
    professional = np.zeros(m, dtype=f32)
    for c, (fw, pw) in enumerate(zip(_FIRM_WEIGHTS, _PRO_WEIGHTS, strict=True)):
        if fw:
            firm += f32(fw) * comp[c]
        if pw:
            professional += f32(pw) * comp[c]
    # Without preferred skills, their weight goes to the required ones.
    no_preferred = ~needs.has_preferred[ni]
    firm += no_preferred * f32(Component.PREFERRED_SKILLS.weight) * (comp[0] - comp[1])
    total = np.sqrt(firm * professional)
    return PairScores(ni, pi, comp, firm, professional, total)
