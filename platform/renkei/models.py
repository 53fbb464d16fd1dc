"""Every mapped table, imported once so that the metadata Alembic compares is complete."""

from renkei.db import Base
from renkei.geography.models import PlanningBloc, Prefecture
from renkei.identity.models import User
from renkei.notifications.models import Notification
from renkei.organizations.models import Invitation, Membership, Organization
from renkei.outbox import OutboxMessage

__all__ = [
    "Base",
    "Invitation",
    "Membership",
    "Notification",
    "Organization",
    "OutboxMessage",
    "PlanningBloc",
    "Prefecture",
    "User",
]
