"""The fields the compiled path leaves to their resolvers, each with the reason.

A query selecting one of these still compiles: the statement leaves a placeholder and only that
field runs in Python (renkei.graphql.compiled.partial), counted as a fallback. Keep this short;
the guard test fails on a field that is neither compiled nor listed here.
"""

from __future__ import annotations

PENDING = "no SQL declared yet: resolved alone, by partial compilation"

RESOLVER_ONLY: dict[str, str] = {
    "Query.regionInvitations": PENDING,
    "Query.projectInvitations": PENDING,
}
