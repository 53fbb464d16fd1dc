"""産官学金労言: which kinds of organization took part in an evaluation round.

The 効果検証 the grants require asks for industry, government, academia, finance, labour and
media to take part. Each organization kind maps to one of these categories, or to none (士業,
NPOs, others still take part, but are not one of the six the record asks for).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from renkei.i18n.messages import N_
from renkei.organizations.models import OrganizationKind as K


class SectorCategory(StrEnum):
    INDUSTRY = "INDUSTRY"  # 産
    GOVERNMENT = "GOVERNMENT"  # 官
    ACADEMIA = "ACADEMIA"  # 学
    FINANCE = "FINANCE"  # 金
    LABOR = "LABOR"  # 労
    MEDIA = "MEDIA"  # 言
    OTHER = "OTHER"  # 士業, NPO and others: welcome, not one of the six


REQUIRED = (
    SectorCategory.INDUSTRY,
    SectorCategory.GOVERNMENT,
    SectorCategory.ACADEMIA,
    SectorCategory.FINANCE,
    SectorCategory.LABOR,
    SectorCategory.MEDIA,
)

# The one-character names the record uses, and their longer readings.
SHORT = {
    SectorCategory.INDUSTRY: N_("産"),
    SectorCategory.GOVERNMENT: N_("官"),
    SectorCategory.ACADEMIA: N_("学"),
    SectorCategory.FINANCE: N_("金"),
    SectorCategory.LABOR: N_("労"),
    SectorCategory.MEDIA: N_("言"),
    SectorCategory.OTHER: N_("other"),
}
LABELS = {
    SectorCategory.INDUSTRY: N_("industry (firms, economic organizations)"),
    SectorCategory.GOVERNMENT: N_("government (state, prefectures, municipalities, 広域連合)"),
    SectorCategory.ACADEMIA: N_("academia (universities, research institutes)"),
    SectorCategory.FINANCE: N_("finance (regional banks, financial institutions)"),
    SectorCategory.LABOR: N_("labour (trade unions)"),
    SectorCategory.MEDIA: N_("media"),
    SectorCategory.OTHER: N_("other (licensed professionals, NPOs, others)"),
}

CATEGORY_OF_KIND: dict[K, SectorCategory] = {
    K.COMPANY: SectorCategory.INDUSTRY,
    K.ECONOMIC_ORGANIZATION: SectorCategory.INDUSTRY,
    K.PREFECTURE: SectorCategory.GOVERNMENT,
    K.MUNICIPALITY: SectorCategory.GOVERNMENT,
    K.WIDE_AREA_UNION: SectorCategory.GOVERNMENT,
    K.NATIONAL_AGENCY: SectorCategory.GOVERNMENT,
    K.UNIVERSITY: SectorCategory.ACADEMIA,
    K.RESEARCH_INSTITUTE: SectorCategory.ACADEMIA,
    # 地方独立行政法人 are mostly 公立大学法人 and prefectures' research institutes.
    K.LOCAL_INCORPORATED_AGENCY: SectorCategory.ACADEMIA,
    K.FINANCIAL_INSTITUTION: SectorCategory.FINANCE,
    K.LABOR_ORGANIZATION: SectorCategory.LABOR,
    K.MEDIA: SectorCategory.MEDIA,
    K.PROFESSIONAL_FIRM: SectorCategory.OTHER,
    K.NPO: SectorCategory.OTHER,
    K.OTHER: SectorCategory.OTHER,
}


def category_of(kind: str) -> SectorCategory:
    try:
        return CATEGORY_OF_KIND[K(kind)]
    except ValueError:
        return SectorCategory.OTHER


@dataclass(frozen=True)
class Participation:
    """How many organizations of each category took part, and which of the six are missing."""

    counts: dict[SectorCategory, int]

    @property
    def present(self) -> list[SectorCategory]:
        return [c for c in SectorCategory if self.counts.get(c, 0) > 0]

    @property
    def missing(self) -> list[SectorCategory]:
        return [c for c in REQUIRED if self.counts.get(c, 0) == 0]

    @property
    def complete(self) -> bool:
        return not self.missing


def participation(kinds: Iterable[str]) -> Participation:
    counts: dict[SectorCategory, int] = {}
    for kind in kinds:
        category = category_of(kind)
        counts[category] = counts.get(category, 0) + 1
    return Participation(counts)
