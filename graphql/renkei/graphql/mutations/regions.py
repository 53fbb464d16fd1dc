"""Region mutations (being built)."""

from __future__ import annotations

import strawberry


@strawberry.type
class RegionMutations:
    pass
