"""GraphQL enums made of the domain's enums, each value described where the enum is exposed.

The domain's StrEnums (renkei.projects.models.ProjectStatus ...) know nothing of GraphQL; the
API says what each value means to a client here, next to `strawberry.enum`, so that the domain
stays free of API words. tests/api/test_descriptions.py fails on a value left undescribed.
"""

from __future__ import annotations

from enum import EnumMeta
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=EnumMeta)


def described_enum(
    cls: E, *, description: str, values: dict[str, str], name: str | None = None
) -> E:
    """`strawberry.enum(cls)` with a description for the enum and one for each value (by name)."""
    exposed = strawberry.enum(cls, name=name, description=description)
    definition = exposed.__strawberry_definition__  # type: ignore[attr-defined]
    unknown = set(values) - {value.name for value in definition.values}
    if unknown:
        raise ValueError(f"{definition.name} has no value {', '.join(sorted(unknown))}")
    for value in definition.values:
        value.description = values.get(value.name)
    return exposed
