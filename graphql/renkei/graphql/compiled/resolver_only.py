"""The fields the compiled path leaves to their resolvers, each with the reason.

A query selecting one of these still compiles: the statement leaves a placeholder and only that
field runs in Python (renkei.graphql.compiled.partial), counted as a fallback. Keep this short;
the guard test fails on a field that is neither compiled nor listed here.
"""

from __future__ import annotations

# An entry is "Type.field": "why not".
_TOPICS = "the topics and their labels are code and the gettext catalog, not rows"
RESOLVER_ONLY: dict[str, str] = {
    "Viewer.notificationPreferences": _TOPICS,
    "NotificationPreference.topic": _TOPICS,
    "NotificationPreference.label": _TOPICS,
    "NotificationPreference.mode": _TOPICS,
    "NotificationPreference.requiredByOrganization": _TOPICS,
}
