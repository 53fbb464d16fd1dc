"""When an organization claims a domain, the organizations that already have people there (or a
claim of their own) are told: an audit event in their own log and a notification to their owners
and admins. Runs in the worker as the platform, which alone sees across organizations.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit, outbox
from renkei.email_domains import repository
from renkei.email_domains.service import CLAIMED_TOPIC, DOMAIN_CLAIMED_ELSEWHERE
from renkei.i18n.messages import _
from renkei.notifications.service import people_to_tell, tell
from renkei.notifications.subjects import global_id
from renkei.organizations.models import Organization
from renkei.tenancy import MembershipRole

_TOLD = (MembershipRole.OWNER, MembershipRole.ADMIN)


async def domain_claimed(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    domain = str(payload["domain"])
    claimant_id = uuid.UUID(payload["organization_id"])
    claimant = await session.get(Organization, claimant_id)
    if claimant is None:
        return
    actor = uuid.UUID(payload["claimed_by"]) if payload.get("claimed_by") else None
    told = await repository.organizations_at(session, domain=domain, besides=claimant_id)
    for organization_id in told:
        audit.record(
            session,
            action=DOMAIN_CLAIMED_ELSEWHERE,
            organization_id=organization_id,
            actor_user_id=actor,
            detail={
                "domain": domain,
                "claimed_by_organization": claimant.slug,
                "claimed_by_organization_name": claimant.name,
                "outbox_id": str(outbox_id),
            },
        )
    await tell(
        session,
        outbox_id,
        await people_to_tell(session, told, roles=_TOLD),
        kind=DOMAIN_CLAIMED_ELSEWHERE,
        # The claimant, whom they can see; its claim is its own business.
        subject_id=global_id("Organization", claimant.id),
        text=lambda: (
            _(
                "{organization} claimed the email domain {domain}",
                organization=claimant.name,
                domain=domain,
            ),
            _(
                "{organization} ({slug}) has claimed {domain}, where your organization has"
                " people. The claim vouches for nobody until it is proved by DNS or approved by"
                " the platform's operators. If this is unexpected, tell the operators now.",
                organization=claimant.name,
                slug=claimant.slug,
                domain=domain,
            ),
        ),
    )
    await session.flush()


HANDLERS: dict[str, outbox.Handler] = {CLAIMED_TOPIC: domain_claimed}
