"""Limits checked before execution: depth, aliases, tokens, page sizes and the node count.

The node count is what the query could return at most: each connection multiplies what is
below it by its `first` or `last` (as GitHub and Shopify cost a query), so
`organizations(first: 100) { members(first: 100) }` is 10,100 nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLInterfaceType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from renkei.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000
MAX_NODES = 20_000


def _error(message: str, node: Any, code: str) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code})


def node_limit_rule(variables: dict[str, Any] | None) -> type[ValidationRule]:
    """A validation rule bound to this request's variables."""
    values = variables or {}

    class NodeLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            total = self._count(node.selection_set, root, 1, set())
            if total > MAX_NODES:
                self.report_error(
                    _error(
                        f"this query could return {total} nodes, more than the {MAX_NODES} "
                        "allowed: ask for smaller pages (first/last) or fewer nested lists",
                        node,
                        "QUERY_TOO_COSTLY",
                    )
                )

        def _page_size(self, field: FieldNode) -> int | None:
            for argument in field.arguments or ():
                if argument.name.value not in ("first", "last"):
                    continue
                value = argument.value
                size: Any = None
                if isinstance(value, IntValueNode):
                    size = int(value.value)
                elif isinstance(value, VariableNode):
                    size = values.get(value.name.value)
                if size is None:
                    continue
                if not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
                    self.report_error(
                        _error(
                            f"{argument.name.value} must be between 1 and {MAX_PAGE_SIZE}, "
                            f"got {size}",
                            argument,
                            "PAGE_SIZE_OUT_OF_RANGE",
                        )
                    )
                    return MAX_PAGE_SIZE
                return size
            return None

        def _selections(
            self, selection_set: SelectionSetNode, seen: set[str]
        ) -> Iterator[FieldNode]:
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    yield selection
                elif isinstance(selection, InlineFragmentNode):
                    yield from self._selections(selection.selection_set, seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is not None and name not in seen:
                        yield from self._selections(fragment.selection_set, seen | {name})

        def _count(
            self,
            selection_set: SelectionSetNode | None,
            parent: GraphQLNamedType,
            multiplier: int,
            seen: set[str],
        ) -> int:
            if selection_set is None or not isinstance(
                parent, GraphQLObjectType | GraphQLInterfaceType
            ):
                return 0
            total = 0
            for field in self._selections(selection_set, seen):
                definition = parent.fields.get(field.name.value)
                if definition is None:
                    continue  # unknown fields are reported by the standard rules
                child = get_named_type(definition.type)
                size = self._page_size(field)
                if child.name.endswith("Connection"):
                    size = size or DEFAULT_PAGE_SIZE
                    total += multiplier * size
                    total += self._count(field.selection_set, child, multiplier * size, seen)
                elif field.selection_set is not None:
                    # Types implementing Node under an interface: count through the interface.
                    target = child
                    if not isinstance(child, GraphQLObjectType | GraphQLInterfaceType):
                        target = self.context.schema.get_type(child.name) or child
                    total += self._count(field.selection_set, target, multiplier, seen)
            return total

    return NodeLimit


class QueryLimits(SchemaExtension):
    """Adds the node-count rule for this request's variables."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (
            *context.validation_rules,
            node_limit_rule(context.variables),
        )
        yield


def limit_extensions() -> list[Any]:
    # Factories, so that each request gets fresh extension instances.
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        QueryLimits,
    ]
