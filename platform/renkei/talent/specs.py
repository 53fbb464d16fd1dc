"""What the matching engine reads: plain descriptions of talent needs and professionals.

The engine knows no database; the service turns rows into these (and the benchmark generates
them). Fees are monthly, in yen; hours are per month; prefectures are JIS X 0401 codes.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from renkei.errors import Invalid
from renkei.geography.data import PREFECTURES_BY_CODE
from renkei.i18n.messages import _


class EngagementType(StrEnum):
    SIDE_JOB = "SIDE_JOB"  # 副業・兼業
    FULL_TIME = "FULL_TIME"  # 常勤雇用
    SECONDMENT = "SECONDMENT"  # 出向


class RemotePolicy(StrEnum):
    """How much presence at the workplace. For a need: what it asks. For a professional: the
    most presence they accept (HYBRID: remote work plus site visits, up to a number a month)."""

    REMOTE = "REMOTE"
    HYBRID = "HYBRID"
    ONSITE = "ONSITE"


class TieKind(StrEnum):
    """A professional's tie to a prefecture (関係人口)."""

    HOMETOWN = "HOMETOWN"  # 出身地
    PAST_RESIDENCE = "PAST_RESIDENCE"  # 過去の居住地
    SECOND_HOME = "SECOND_HOME"  # 二地域居住
    FURUSATO_NOZEI = "FURUSATO_NOZEI"  # ふるさと納税


def _check_prefecture(code: str, field_name: str) -> None:
    if code not in PREFECTURES_BY_CODE:
        raise Invalid(_("{code} is not a prefecture code (01 to 47).", code=code), field=field_name)


def _check_fee_range(low: int, high: int) -> None:
    if not 0 <= low <= high:
        raise Invalid(
            _("The fee range {low} to {high} is not a range of yen.", low=low, high=high),
            field="feeRange",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NeedSpec:
    """An open talent need (人材ニーズ) of a regional firm.

    Skills map a taxonomy slug to the firm's weight for it. `region_prefecture_codes` are the
    prefectures of the firm's region, for the bonus given to professionals with ties there.
    """

    id: Hashable
    organization_id: Hashable
    workplace_prefecture_code: str
    required_skills: Mapping[str, float]
    preferred_skills: Mapping[str, float] = field(default_factory=dict)
    region_prefecture_codes: frozenset[str] = frozenset()
    engagement_types: frozenset[EngagementType] = frozenset({EngagementType.SIDE_JOB})
    hours_per_month: int
    duration_months: int = 6
    remote_policy: RemotePolicy = RemotePolicy.REMOTE
    site_visits_per_month: int = 0
    fee_min: int
    fee_max: int
    start_date: date
    openings: int = 1

    def __post_init__(self) -> None:
        _check_prefecture(self.workplace_prefecture_code, "workplacePrefectureCode")
        for code in self.region_prefecture_codes:
            _check_prefecture(code, "regionPrefectureCodes")
        if not self.required_skills and not self.preferred_skills:
            raise Invalid(_("A need names at least one skill."), field="requiredSkills")
        weights = [*self.required_skills.values(), *self.preferred_skills.values()]
        if any(not w > 0 for w in weights):
            raise Invalid(_("Skill weights are positive."), field="requiredSkills")
        if not self.engagement_types:
            raise Invalid(_("A need offers at least one engagement type."), field="engagementTypes")
        if self.hours_per_month <= 0:
            raise Invalid(_("Hours per month are positive."), field="hoursPerMonth")
        if self.openings < 1:
            raise Invalid(_("A need has at least one opening."), field="openings")
        if self.remote_policy is RemotePolicy.HYBRID and self.site_visits_per_month < 1:
            raise Invalid(_("A hybrid need states its site visits."), field="siteVisitsPerMonth")
        _check_fee_range(self.fee_min, self.fee_max)


@dataclass(frozen=True, slots=True)
class SkillLevel:
    """A professional's level in a skill, 1 (basic) to 5 (expert), and years of practice."""

    level: int
    years: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 5:
            raise Invalid(
                _("A skill level is 1 to 5, not {level}.", level=self.level), field="level"
            )
        if self.years < 0:
            raise Invalid(_("Years of practice are not negative."), field="years")


@dataclass(frozen=True, slots=True)
class Tie:
    """A tie to a prefecture: 関係人口."""

    prefecture_code: str
    kind: TieKind

    def __post_init__(self) -> None:
        _check_prefecture(self.prefecture_code, "ties")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfessionalSpec:
    """A professional's profile as the engine sees it (no name, contact or employer).

    `hours_per_month` is what they can give in all; `hours_in_use` and `current_engagements`
    are taken by engagements already running.
    """

    id: Hashable
    skills: Mapping[str, SkillLevel]
    engagement_types: frozenset[EngagementType] = frozenset({EngagementType.SIDE_JOB})
    hours_per_month: int
    available_from: date
    remote_preference: RemotePolicy = RemotePolicy.REMOTE
    max_site_visits_per_month: int = 0
    residence_prefecture_code: str
    travel_prefecture_codes: frozenset[str] = frozenset()
    ties: tuple[Tie, ...] = ()
    fee_min: int
    fee_max: int
    max_concurrent_engagements: int = 1
    current_engagements: int = 0
    hours_in_use: int = 0

    def __post_init__(self) -> None:
        _check_prefecture(self.residence_prefecture_code, "residencePrefectureCode")
        for code in self.travel_prefecture_codes:
            _check_prefecture(code, "travelPrefectureCodes")
        if self.hours_per_month < 0 or self.hours_in_use < 0:
            raise Invalid(_("Hours are not negative."), field="hoursPerMonth")
        if self.max_concurrent_engagements < 0 or self.current_engagements < 0:
            raise Invalid(
                _("Engagement counts are not negative."), field="maxConcurrentEngagements"
            )
        _check_fee_range(self.fee_min, self.fee_max)

    @property
    def free_hours(self) -> int:
        return max(0, self.hours_per_month - self.hours_in_use)

    @property
    def free_engagements(self) -> int:
        return max(0, self.max_concurrent_engagements - self.current_engagements)
