"""Which types `node(id:)` can fetch: each domain's types module registers its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from renkei.graphql.relay import Node


@dataclass(frozen=True)
class NodeType:
    model: type[Any]
    wrap: Callable[[Any], Node]
    # The scope a token needs to fetch this type by id.
    scope: str


NODE_TYPES: dict[str, NodeType] = {}


def register_node(
    type_name: str, model: type[Any], wrap: Callable[[Any], Node], scope: str
) -> None:
    NODE_TYPES[type_name] = NodeType(model=model, wrap=wrap, scope=scope)
