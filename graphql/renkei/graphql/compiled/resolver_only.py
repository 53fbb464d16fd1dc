"""The fields the compiled path leaves to their resolvers, each with the reason.

A query selecting one of these still compiles: the statement leaves a placeholder and only that
field runs in Python (renkei.graphql.compiled.partial), counted as a fallback. Keep this short;
the guard test fails on a field that is neither compiled nor listed here.
"""

from __future__ import annotations

# Empty: every field a query can reach is compiled. An entry is "Type.field": "why not".
RESOLVER_ONLY: dict[str, str] = {}
