"""Kpi types and queries (being built)."""

from __future__ import annotations

import strawberry


@strawberry.type
class KpiQueries:
    pass
