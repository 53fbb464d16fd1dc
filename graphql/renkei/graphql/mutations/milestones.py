"""Milestone mutations (being built)."""

from __future__ import annotations

import strawberry


@strawberry.type
class MilestoneMutations:
    pass
