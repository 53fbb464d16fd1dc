"""The audit log: sign-ins (and failed ones, with the reason), role changes, API clients.

Rows are append-only (no UPDATE or DELETE is granted, and a trigger refuses them). A failure is
recorded in a transaction of its own, so that it survives the rollback of what failed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import AuditEvent
from renkei.tenancy import Viewer

SIGN_IN = "sign_in"
SIGN_OUT = "sign_out"
ROLE_CHANGED = "role_changed"
MEMBER_REMOVED = "member_removed"
PROVIDER_REGISTERED = "identity_provider_registered"
PROVIDER_UPDATED = "identity_provider_updated"
API_CLIENT_CREATED = "api_client_created"
API_CLIENT_REVOKED = "api_client_revoked"
ORGANIZATION_SWITCHED = "organization_switched"
OPERATOR_GRANTED = "operator_granted"
OPERATOR_REVOKED = "operator_revoked"


def record(
    session: AsyncSession,
    *,
    action: str,
    organization_id: uuid.UUID | None,
    actor_user_id: uuid.UUID | None,
    outcome: str = "success",
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the current transaction."""
    event = AuditEvent(
        id=uuid.uuid4(),
        organization_id=organization_id,
        actor_user_id=actor_user_id,
        action=action,
        outcome=outcome,
        reason=reason,
        detail=detail or {},
    )
    session.add(event)
    return event


async def record_failure(
    sessions: SessionFactory,
    *,
    action: str,
    organization_id: uuid.UUID | None,
    reason: str,
    actor_user_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a refusal in its own transaction, as the platform."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        record(
            session,
            action=action,
            organization_id=organization_id,
            actor_user_id=actor_user_id,
            outcome="failure",
            reason=reason,
            detail=detail,
        )
