"""Recording activity: who changed what, acting for which organization, before and after."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.activity.models import Activity, SubjectType
from renkei.tenancy import Viewer

JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]


def _plain(value: Any) -> JsonValue:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value  # type: ignore[no-any-return]


def snapshot(row: object, fields: Sequence[str]) -> dict[str, JsonValue]:
    """The named attributes of a row as JSON values, for the before and after of an entry."""
    return {name: _plain(getattr(row, name)) for name in fields}


def record(
    session: AsyncSession,
    viewer: Viewer,
    *,
    subject_type: SubjectType,
    subject_id: uuid.UUID,
    action: str,
    project_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    before: dict[str, JsonValue] | None = None,
    after: dict[str, JsonValue] | None = None,
) -> Activity:
    """Add an entry to the current transaction. Only fields that changed are kept in an update."""
    if before is not None and after is not None:
        changed = [k for k in after if before.get(k) != after.get(k)]
        before = {k: before.get(k) for k in changed}
        after = {k: after[k] for k in changed}
    entry = Activity(
        id=uuid.uuid4(),
        subject_type=subject_type,
        subject_id=subject_id,
        project_id=project_id,
        region_id=region_id,
        action=action,
        actor_user_id=viewer.user_id,
        actor_organization_id=viewer.organization_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry
