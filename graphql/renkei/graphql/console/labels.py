"""What people read for each enumeration value the console shows; the API sends the codes.

`enum_label("MilestoneStatus", "AT_RISK")` is 「リスクあり」 in Japanese. Tables the domain already
has are reused; the others are here. A test checks that every value of each enumeration named
here has its words, so a value added to the schema cannot show as a bare code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from renkei.i18n.messages import N_, label
from renkei.projects.models import (
    FUNDING_KINDS,
    PARTICIPANT_ROLES,
    PROJECT_CATEGORIES,
    PROJECT_STATUSES,
    PROJECT_VISIBILITIES,
)
from renkei.talent.explanation import TIE_WORDS
from renkei.talent.models import MATCH_STATUSES, NEED_STATUSES
from renkei.talent.subsidies import COST_KINDS
from renkei.tenancy import MEMBERSHIP_ROLES

ORGANIZATION_KINDS = {
    "PREFECTURE": N_("prefecture"),
    "MUNICIPALITY": N_("municipality"),
    "COMPANY": N_("company"),
    "UNIVERSITY": N_("university"),
    "RESEARCH_INSTITUTE": N_("public research institute"),
    "FINANCIAL_INSTITUTION": N_("regional bank or financial institution"),
    "ECONOMIC_ORGANIZATION": N_("economic organization"),
    "NATIONAL_AGENCY": N_("national agency"),
    "WIDE_AREA_UNION": N_("wide-area union"),
    "LABOR_ORGANIZATION": N_("labor organization"),
    "MEDIA": N_("media"),
    "PROFESSIONAL_FIRM": N_("professional firm"),
    "NPO": N_("non-profit organization"),
    "OTHER": N_("other"),
}

MILESTONE_STATUSES = {
    "NOT_STARTED": N_("not started"),
    "IN_PROGRESS": N_("in progress"),
    "AT_RISK": N_("at risk"),
    "DONE": N_("done"),
    "CANCELLED": N_("cancelled"),
}

REGION_ROLES = {
    "SECRETARIAT": N_("secretariat"),
    "MEMBER": N_("member"),
    "SUPPORTER": N_("supporter"),
}

PARTICIPATION_STATUSES = {
    "INVITED": N_("invited"),
    "ACTIVE": N_("active"),
    "DECLINED": N_("declined"),
    "LEFT": N_("left"),
}

INVITATION_STATUSES = {
    "PENDING": N_("waiting for an answer"),
    "ACCEPTED": N_("accepted"),
    "DECLINED": N_("declined"),
    "REVOKED": N_("revoked"),
}

ENGAGEMENT_TYPES = {
    "SIDE_JOB": N_("side job"),
    "FULL_TIME": N_("full time"),
    "SECONDMENT": N_("secondment"),
}

REMOTE_POLICIES = {
    "REMOTE": N_("remote"),
    "HYBRID": N_("hybrid"),
    "ONSITE": N_("on site"),
}

KPI_DIRECTIONS = {
    "INCREASE": N_("higher is better"),
    "DECREASE": N_("lower is better"),
}

DELIVERY_MODES = {
    "IMMEDIATE": N_("email at once"),
    "DIGEST": N_("daily digest email"),
    "INBOX": N_("inbox only"),
}

MATCH_SIDES = {
    "FIRM": N_("firm"),
    "PROFESSIONAL": N_("professional"),
    "INTERMEDIARY": N_("intermediary"),
}

TABLES: dict[str, Mapping[Any, str]] = {
    "CostKind": COST_KINDS,
    "EngagementType": ENGAGEMENT_TYPES,
    "FundingKind": FUNDING_KINDS,
    "InvitationStatus": INVITATION_STATUSES,
    "KpiDirection": KPI_DIRECTIONS,
    "MatchSide": MATCH_SIDES,
    "MatchStatus": MATCH_STATUSES,
    "MembershipRole": MEMBERSHIP_ROLES,
    "MilestoneStatus": MILESTONE_STATUSES,
    "NeedStatus": NEED_STATUSES,
    "NotificationDeliveryMode": DELIVERY_MODES,
    "OrganizationKind": ORGANIZATION_KINDS,
    "ParticipantRole": PARTICIPANT_ROLES,
    "ParticipationStatus": PARTICIPATION_STATUSES,
    "ProjectCategory": PROJECT_CATEGORIES,
    "ProjectStatus": PROJECT_STATUSES,
    "ProjectVisibility": PROJECT_VISIBILITIES,
    "RegionRole": REGION_ROLES,
    "RemotePolicy": REMOTE_POLICIES,
    "TieKind": TIE_WORDS,
}


def enum_label(enum: str, value: str | None) -> str:
    """The value in the reader's language; an unknown value as its code, None as empty."""
    if value is None:
        return ""
    return label(TABLES[enum], value)


def options(enum: str) -> list[tuple[str, str]]:
    """(code, words) for a form's select, in the schema's order."""
    return [(str(code), enum_label(enum, str(code))) for code in TABLES[enum]]
