"""The money of a grant application: the grant the rule gives, the local share (地方負担), and
what a region's applications draw on a scheme's region-wide allowance.

One rule, in Python: the grant is floor(cost × 補助率), at most the scheme's cap; once decided,
the decided amount, once settled, the final one. The local share is the cost (the reported
spending once reported) less that grant. The rule's grant is stored on the application
(`requested_grant_jpy`) so that the allowance's sum, in SQL, reads the same figure.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.grants import repository
from renkei.grants.models import GrantApplication, GrantScheme
from renkei.i18n.formats import format_yen
from renkei.i18n.messages import _


class GrantBasis(StrEnum):
    RULE = "RULE"  # floor(cost × rate), at most the cap: before the decision
    DECIDED = "DECIDED"  # the amount of the 交付決定
    FINAL = "FINAL"  # the amount of the 確定


def grant_by_rule(cost_jpy: int, rate: Decimal | None, cap_jpy: int | None) -> int | None:
    """floor(cost × rate), at most the cap; None without a rate."""
    if rate is None:
        return None
    grant = math.floor(Decimal(cost_jpy) * rate)
    return min(grant, cap_jpy) if cap_jpy is not None else grant


@dataclass(frozen=True)
class Money:
    cost_jpy: int  # the requested cost, or the reported spending once reported
    rate: Decimal | None
    cap_jpy: int | None
    grant_by_rule_jpy: int | None
    grant_jpy: int | None  # final, else decided, else the rule's
    basis: GrantBasis
    local_share_jpy: int | None  # 地方負担: cost − grant

    def formula(self) -> str:
        """How the local share was computed, in the reader's words."""
        if self.grant_jpy is None or self.local_share_jpy is None:
            return _("The 補助率 is not known: the local share cannot be computed.")
        cost, grant = format_yen(self.cost_jpy), format_yen(self.grant_jpy)
        share = format_yen(self.local_share_jpy)
        if self.basis is GrantBasis.FINAL:
            return _(
                "reported spending {cost} − final grant {grant} = local share {share}",
                cost=cost,
                grant=grant,
                share=share,
            )
        if self.basis is GrantBasis.DECIDED:
            return _(
                "cost {cost} − decided grant {grant} = local share {share}",
                cost=cost,
                grant=grant,
                share=share,
            )
        cap = format_yen(self.cap_jpy) if self.cap_jpy is not None else _("no cap")
        return _(
            "cost {cost} − min(cost × 補助率 {rate}, cap {cap}) = {cost} − {grant}"
            " = local share {share}",
            cost=cost,
            rate=format(self.rate.normalize(), "f") if self.rate is not None else "",
            cap=cap,
            grant=grant,
            share=share,
        )


def money_of(application: GrantApplication, scheme: GrantScheme) -> Money:
    """The application's grant and local share as they stand at its status."""
    cost = application.requested_cost_jpy
    by_rule = grant_by_rule(cost, application.rate, scheme.cap_jpy)
    grant: int | None
    if application.final_amount_jpy is not None:
        grant, basis = application.final_amount_jpy, GrantBasis.FINAL
        cost = application.reported_spending_jpy or cost
    elif application.decided_amount_jpy is not None:
        grant, basis = application.decided_amount_jpy, GrantBasis.DECIDED
    else:
        grant, basis = by_rule, GrantBasis.RULE
    return Money(
        cost_jpy=cost,
        rate=application.rate,
        cap_jpy=scheme.cap_jpy,
        grant_by_rule_jpy=by_rule,
        grant_jpy=grant,
        basis=basis,
        local_share_jpy=cost - grant if grant is not None else None,
    )


@dataclass(frozen=True)
class Allowance:
    """A scheme's region-wide allowance for one region: the whole, drawn, and left."""

    region_id: uuid.UUID
    allowance_jpy: int
    used_jpy: int
    left_jpy: int


async def allowance_of(
    session: AsyncSession, *, region_id: uuid.UUID, scheme: GrantScheme
) -> Allowance | None:
    """What the region's applications draw on the scheme's allowance (each at its final,
    decided or rule's grant); None without an allowance or for someone outside the region."""
    if scheme.region_allowance_jpy is None:
        return None
    used = await repository.region_allowance_used(session, region_id, scheme.id)
    if used is None:
        return None
    return Allowance(
        region_id=region_id,
        allowance_jpy=scheme.region_allowance_jpy,
        used_jpy=used,
        left_jpy=scheme.region_allowance_jpy - used,
    )
