"""Partial compilation: the fields a statement left to their resolvers, resolved afterwards.

The statement writes, where such a field belongs, a placeholder `{"$defer": n, "id": <global
id>}` (or `{"$defer": n}` for a root field). Each placeholder becomes an aliased `node(id:)` of a
small document (`_renkeiDeferred0: node(id: "…") { ... on Milestone { daysLate } }`) built of the
client's own nodes, which graphql-core runs with the request's context: the resolvers, loaders
(one statement per batch), scopes and row-level security are those of any query. Its answers
replace the placeholders; its errors keep the locations and get the paths of the client's query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from graphql import GraphQLError, is_non_null_type
from graphql import execute as execute_document
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.language import ast

from renkei.graphql.compiled.sql import DEFER, Deferred
from renkei.graphql.context import Context

if TYPE_CHECKING:
    from renkei.graphql.compiled.planner import Plan


# The aliases of the small document's node(id:) fields; a client's own root aliases are kept as
# they are, so these must not look like a name a client would choose.
ALIAS = "_renkeiDeferred"


@dataclass
class Placeholder:
    number: int
    container: dict[str, Any]
    key: str
    path: list[str | int]
    global_id: str | None


def _find(value: Any, path: list[str | int], found: list[Placeholder]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict) and DEFER in item:
                found.append(Placeholder(item[DEFER], value, key, [*path, key], item.get("id")))
            elif isinstance(item, dict | list):
                _find(item, [*path, key], found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                _find(item, [*path, index], found)


async def complete(context: Context, plan: Plan, raw: bytes) -> GraphQLExecutionResult | None:
    """The statement's data with every placeholder resolved, errors located in the query; None
    when a field that may not be null came back null (the resolvers answer the query whole)."""
    data = orjson.loads(raw)
    found: list[Placeholder] = []
    _find(data, [], found)
    if not found:
        return GraphQLExecutionResult(data=data, errors=None)
    selections: list[ast.SelectionNode] = []
    for index, placeholder in enumerate(found):
        deferred = plan.deferred[placeholder.number]
        if deferred.type_name is None:
            selections.extend(deferred.nodes)
        else:
            selections.append(_node(f"{ALIAS}{index}", placeholder.global_id or "", deferred))
    # The client's own nodes, so that errors carry the locations they have in its document.
    document = ast.DocumentNode(
        definitions=(
            ast.OperationDefinitionNode(
                operation=ast.OperationType.QUERY,
                variable_definitions=plan.variable_definitions,
                directives=(),
                selection_set=ast.SelectionSetNode(selections=tuple(selections)),
            ),
            *plan.fragments,
        )
    )
    result = execute_document(
        plan.schema, document, context_value=context, variable_values=plan.variables
    )
    answer = await result if not isinstance(result, GraphQLExecutionResult) else result
    resolved = answer.data or {}
    for index, placeholder in enumerate(found):
        deferred = plan.deferred[placeholder.number]
        if deferred.type_name is None:
            placeholder.container[placeholder.key] = resolved.get(placeholder.key)
        else:
            node = resolved.get(f"{ALIAS}{index}")
            placeholder.container[placeholder.key] = (
                node.get(placeholder.key) if isinstance(node, dict) else None
            )
        if placeholder.container[placeholder.key] is None and _non_null(plan, deferred):
            return None
    errors = [_located(error, found) for error in answer.errors or []]
    return GraphQLExecutionResult(data=data, errors=errors or None)


def _non_null(plan: Plan, deferred: Deferred) -> bool:
    type_name, _, field_name = deferred.field.partition(".")
    object_type = plan.schema.get_type(type_name)
    field = object_type.fields.get(field_name) if object_type is not None else None
    return field is not None and is_non_null_type(field.type)


def _node(alias: str, global_id: str, deferred: Deferred) -> ast.FieldNode:
    """`alias: node(id: "…") { ... on Type { <the client's field> } }`."""
    return ast.FieldNode(
        alias=ast.NameNode(value=alias),
        name=ast.NameNode(value="node"),
        arguments=(
            ast.ArgumentNode(
                name=ast.NameNode(value="id"), value=ast.StringValueNode(value=global_id)
            ),
        ),
        directives=(),
        selection_set=ast.SelectionSetNode(
            selections=(
                ast.InlineFragmentNode(
                    type_condition=ast.NamedTypeNode(
                        name=ast.NameNode(value=deferred.type_name or "Query")
                    ),
                    directives=(),
                    selection_set=ast.SelectionSetNode(selections=deferred.nodes),
                ),
            )
        ),
    )


def _located(error: GraphQLError, found: list[Placeholder]) -> GraphQLError:
    """The error with the path it has in the client's query, not in the small document."""
    path = list(error.path or [])
    head = path[0] if path else None
    if isinstance(head, str) and head.startswith(ALIAS) and head[len(ALIAS) :].isdigit():
        placeholder = found[int(head[len(ALIAS) :])]
        path = [*placeholder.path, *path[2:]]
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        path=path or None,
        original_error=error.original_error,
        extensions=error.extensions,
    )
