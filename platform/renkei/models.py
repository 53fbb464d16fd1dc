"""Every mapped table, imported once so that the metadata Alembic compares is complete."""

from renkei.activity.models import Activity
from renkei.db import Base
from renkei.email_domains.models import DomainClaim
from renkei.evaluations.models import (
    EvaluationFinding,
    EvaluationKpiReview,
    EvaluationParticipant,
    EvaluationRound,
)
from renkei.geography.models import PlanningBloc, Prefecture
from renkei.grants.models import GrantApplication, GrantApplicationTransition, GrantScheme
from renkei.identity.models import (
    ApiClient,
    AuditEvent,
    BrowserSession,
    IdentityProvider,
    ProviderDomain,
    User,
    UserIdentity,
)
from renkei.intermediaries.models import Intermediary, IntermediaryAuthorization
from renkei.kpis.models import (
    Kpi,
    KpiCalendarTarget,
    KpiNationalGoal,
    KpiObservation,
    KpiRelativeTarget,
    KpiTarget,
    NationalGoal,
)
from renkei.milestones.models import Baseline, BaselineMilestone, Milestone, MilestoneDependency
from renkei.notifications.models import Notification, NotificationDelivery
from renkei.operators.models import PlatformOperator
from renkei.organizations.models import Invitation, Membership, Organization
from renkei.outbox import OutboxMessage
from renkei.projects.models import FundingSource, Project, ProjectParticipant
from renkei.regions.models import Region, RegionMember
from renkei.talent.models import (
    Match,
    MatchCost,
    Professional,
    ProfessionalProfile,
    SubsidyScheme,
    TalentNeed,
)
from renkei.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Activity",
    "ApiClient",
    "AuditEvent",
    "Base",
    "Baseline",
    "BaselineMilestone",
    "BrowserSession",
    "DomainClaim",
    "EvaluationFinding",
    "EvaluationKpiReview",
    "EvaluationParticipant",
    "EvaluationRound",
    "FundingSource",
    "GrantApplication",
    "GrantApplicationTransition",
    "GrantScheme",
    "IdentityProvider",
    "Intermediary",
    "IntermediaryAuthorization",
    "Invitation",
    "Kpi",
    "KpiCalendarTarget",
    "KpiNationalGoal",
    "KpiObservation",
    "KpiRelativeTarget",
    "KpiTarget",
    "Match",
    "MatchCost",
    "Membership",
    "Milestone",
    "MilestoneDependency",
    "NationalGoal",
    "Notification",
    "NotificationDelivery",
    "Organization",
    "OutboxMessage",
    "PlanningBloc",
    "PlatformOperator",
    "Prefecture",
    "Professional",
    "ProfessionalProfile",
    "Project",
    "ProjectParticipant",
    "ProviderDomain",
    "Region",
    "RegionMember",
    "SubsidyScheme",
    "TalentNeed",
    "User",
    "UserIdentity",
    "WebhookDelivery",
    "WebhookEndpoint",
]
