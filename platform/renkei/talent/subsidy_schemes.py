"""Publishing subsidy schemes: a prefecture's owners and admins, or a platform operator, write
the tiers of the prefecture's 副業・兼業 scheme for a 年度.

A tier is named within its prefecture and 年度; publishing a name that exists updates it. The
publisher is a verified organization of kind PREFECTURE whose home prefecture is the tier's,
acting as OWNER or ADMIN, or a platform operator; row-level security (migration 0026) enforces
the same, and these checks say why in the reader's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden, Invalid, Unauthenticated
from renkei.geography.data import PREFECTURES_BY_CODE
from renkei.i18n.messages import _
from renkei.operators.service import is_operator
from renkei.organizations.models import Organization, OrganizationKind, Verification
from renkei.talent import repository
from renkei.talent.models import CostKind, DeadlineBasis, SubsidyScheme
from renkei.talent.subsidy_rules import UNCONFIRMABLE
from renkei.tenancy import MembershipRole, Viewer

MAX_NAME = 200
MAX_NOTES = 4_000
MAX_URL = 2_048
MAX_DEADLINE_DAYS = 366


@dataclass(frozen=True)
class TierFields:
    """One tier as its publisher gives it."""

    prefecture_code: str
    fiscal_year: int
    name: str
    rate: Decimal
    cap_jpy: int
    eligible_cost_kinds: list[str]
    first_use_only: bool = False
    tier_rank: int = 0
    requires_introduction: bool = False
    requires_outside_resident: bool = False
    min_travel_per_trip_jpy: int | None = None
    deadline_days: int | None = None
    deadline_basis: str | None = None
    source_url: str = ""
    notes: str = ""
    unconfirmed_fields: list[str] = field(default_factory=list)


async def require_publisher(session: AsyncSession, viewer: Viewer, prefecture_code: str) -> None:
    """Forbidden unless the viewer may publish the prefecture's schemes."""
    if viewer.system:
        return
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    if await is_operator(session, viewer.user_id):
        return
    organization = (
        await session.get(Organization, viewer.organization_id) if viewer.organization_id else None
    )
    if (
        organization is None
        or organization.kind != OrganizationKind.PREFECTURE
        or organization.verification != Verification.VERIFIED
        or organization.home_prefecture_code != prefecture_code
        or viewer.role not in (MembershipRole.OWNER, MembershipRole.ADMIN)
    ):
        raise Forbidden(
            _(
                "Only the owners and admins of the prefecture itself (a verified prefecture), or"
                " the platform's operators, may publish its subsidy schemes."
            ),
            field="prefectureCode",
        )


def _check(values: TierFields) -> None:
    if values.prefecture_code not in PREFECTURES_BY_CODE:
        raise Invalid(_("No such prefecture."), field="prefectureCode")
    if not 2000 <= values.fiscal_year <= 2100:
        raise Invalid(_("The fiscal year must be between 2000 and 2100."), field="fiscalYear")
    if not values.name.strip() or len(values.name) > MAX_NAME:
        raise Invalid(_("The name must be 1 to {limit} characters.", limit=MAX_NAME), field="name")
    if not Decimal(0) < values.rate <= Decimal(1):
        raise Invalid(_("The rate must be more than 0 and at most 1."), field="rate")
    if values.cap_jpy <= 0:
        raise Invalid(_("The cap must be a positive number of yen."), field="capJpy")
    if not values.eligible_cost_kinds or any(
        k not in CostKind.__members__ for k in values.eligible_cost_kinds
    ):
        raise Invalid(_("Name at least one eligible cost kind."), field="eligibleCostKinds")
    if values.min_travel_per_trip_jpy is not None and values.min_travel_per_trip_jpy <= 0:
        raise Invalid(
            _("The minimum travel cost must be a positive number of yen."),
            field="minTravelPerTripJpy",
        )
    if (values.deadline_days is None) != (values.deadline_basis is None) or (
        values.deadline_days is not None and not 0 <= values.deadline_days <= MAX_DEADLINE_DAYS
    ):
        raise Invalid(
            _(
                "An application deadline needs both a number of days (0 to {limit}) and what"
                " it counts back from.",
                limit=MAX_DEADLINE_DAYS,
            ),
            field="deadlineDays",
        )
    if values.deadline_basis is not None and values.deadline_basis not in DeadlineBasis.__members__:
        raise Invalid(_("No such deadline basis."), field="deadlineBasis")
    url = values.source_url.strip()
    if url and (not url.startswith(("https://", "http://")) or len(url) > MAX_URL):
        raise Invalid(_("The source must be a web address (https://…)."), field="sourceUrl")
    if len(values.notes) > MAX_NOTES:
        raise Invalid(
            _("The note is longer than {limit} characters.", limit=MAX_NOTES), field="notes"
        )
    if any(f not in UNCONFIRMABLE for f in values.unconfirmed_fields):
        raise Invalid(_("Unknown field among the unconfirmed ones."), field="unconfirmedFields")


async def publish_tier(
    session: AsyncSession, viewer: Viewer, *, values: TierFields
) -> SubsidyScheme:
    """Create the tier, or update the one of that name, prefecture and 年度."""
    await require_publisher(session, viewer, values.prefecture_code)
    _check(values)
    tier = await repository.subsidy_scheme_named(
        session,
        prefecture_code=values.prefecture_code,
        fiscal_year=values.fiscal_year,
        name=values.name.strip(),
    )
    if tier is None:
        tier = SubsidyScheme(
            prefecture_code=values.prefecture_code,
            fiscal_year=values.fiscal_year,
            name=values.name.strip(),
        )
        session.add(tier)
    else:
        tier.updated_at = datetime.now(UTC)
    tier.rate = values.rate
    tier.cap_jpy = values.cap_jpy
    tier.eligible_cost_kinds = list(dict.fromkeys(values.eligible_cost_kinds))
    tier.first_use_only = values.first_use_only
    tier.tier_rank = values.tier_rank
    tier.requires_introduction = values.requires_introduction
    tier.requires_outside_resident = values.requires_outside_resident
    tier.min_travel_per_trip_jpy = values.min_travel_per_trip_jpy
    tier.deadline_days = values.deadline_days
    tier.deadline_basis = values.deadline_basis
    tier.source_url = values.source_url.strip()
    tier.notes = values.notes.strip()
    tier.unconfirmed_fields = list(dict.fromkeys(values.unconfirmed_fields))
    await session.flush()
    return tier
