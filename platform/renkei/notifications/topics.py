"""The notification topics, in one place: every `kind=` a domain records, with its label.

A person chooses per topic how they are told (renkei.notifications.preferences): by email at
once, in the daily digest, or in the inbox only. A topic recorded by a domain and missing here
is emailed at once and cannot be chosen; tests/notifications/test_preferences.py keeps the list
complete.
"""

from __future__ import annotations

from enum import StrEnum

from renkei.i18n.messages import N_


class DeliveryMode(StrEnum):
    IMMEDIATE = "IMMEDIATE"  # an email as soon as it is recorded (the default)
    DIGEST = "DIGEST"  # listed in one email a day, at 09:00 in Japan
    INBOX = "INBOX"  # no email: read in the inbox


DEFAULT_MODE = DeliveryMode.IMMEDIATE

# kind -> label (translated when read, in the reader's language).
TOPICS: dict[str, str] = {
    "invitation.created": N_("Invitations to join an organization"),
    "project.invited": N_("Invitations to a project"),
    "region.invited": N_("Invitations to a region"),
    "milestone.status_changed": N_("Milestone status changes and sign-off requests"),
    "milestone.at_risk": N_("Milestones flagged at risk"),
    "milestone.daily_reminder": N_("Daily reminder of milestones due"),
    "talent.new_proposal": N_("New talent proposals"),
    "talent.match_step": N_("Steps taken in a match"),
    "talent.subsidy_deadline": N_("Subsidy application deadlines of your matches"),
    "talent.introduced": N_("Introductions by an intermediary"),
    "grants.report_due": N_("Grant performance reports (実績報告) due"),
    "email_domain_claimed_elsewhere": N_("Your email domain claimed by another organization"),
}
