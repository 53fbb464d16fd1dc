"""Every mapped table, imported once so that the metadata Alembic compares is complete."""

from renkei.db import Base
from renkei.geography.models import PlanningBloc, Prefecture
from renkei.identity.models import (
    ApiClient,
    AuditEvent,
    BrowserSession,
    DomainIssuer,
    IdentityProvider,
    ProviderDomain,
    User,
    UserIdentity,
)
from renkei.notifications.models import Notification
from renkei.organizations.models import Invitation, Membership, Organization
from renkei.outbox import OutboxMessage

__all__ = [
    "ApiClient",
    "AuditEvent",
    "Base",
    "BrowserSession",
    "DomainIssuer",
    "IdentityProvider",
    "Invitation",
    "Membership",
    "Notification",
    "Organization",
    "OutboxMessage",
    "PlanningBloc",
    "Prefecture",
    "ProviderDomain",
    "User",
    "UserIdentity",
]
