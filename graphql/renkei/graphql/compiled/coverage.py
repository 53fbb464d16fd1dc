"""Which fields of the schema the compiled path serves, walked from the query root.

A field reachable from `Query` is compiled when its type declares its SQL (renkei.graphql.
compiled.spec), when it is part of a connection (edges, nodes, pageInfo, cursor), or when it is a
root field with a compiled form. Every other field must be listed in RESOLVER_ONLY with the reason
it cannot be compiled; tests/api/test_compiled_coverage.py fails on any field in neither.
"""

from __future__ import annotations

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from renkei.graphql.compiled.resolver_only import RESOLVER_ONLY
from renkei.graphql.compiled.spec import ROOTS, TABLES
from renkei.graphql.compiled.sql import _snake

# What a Page compiles of a connection, its edges and PageInfo.
CONNECTION_FIELDS = {"edges", "nodes", "pageInfo"}
EDGE_FIELDS = {"cursor", "node"}
PAGE_INFO_FIELDS = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}


def reachable_types(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    """The object types a query can reach, in the order a walk from Query meets them."""
    assert schema.query_type is not None
    seen: dict[str, GraphQLObjectType] = {}
    queue = [schema.query_type]
    while queue:
        current = queue.pop(0)
        if current.name in seen or current.name.startswith("__"):
            continue
        seen[current.name] = current
        for field in current.fields.values():
            named = get_named_type(field.type)
            if isinstance(named, GraphQLObjectType):
                queue.append(named)
            elif hasattr(named, "types"):  # an interface or union: what may stand in for it
                queue.extend(schema.get_possible_types(named))
    return list(seen.values())


def compiled(schema: GraphQLSchema, type_name: str, field_name: str) -> bool:
    if field_name == "__typename":
        return True
    if schema.query_type is not None and type_name == schema.query_type.name:
        return field_name in ROOTS
    if type_name.endswith("Connection"):
        return field_name in CONNECTION_FIELDS
    if type_name.endswith("Edge"):
        return field_name in EDGE_FIELDS
    if type_name == "PageInfo":
        return field_name in PAGE_INFO_FIELDS
    table = TABLES.get(type_name)
    return table is not None and _snake(field_name) in table.fields


def uncovered(schema: GraphQLSchema) -> list[str]:
    """`Type.field` of every reachable field neither compiled nor listed, with why, in
    RESOLVER_ONLY."""
    return [
        f"{object_type.name}.{name}"
        for object_type in reachable_types(schema)
        for name in object_type.fields
        if not compiled(schema, object_type.name, name)
        and not _explained(f"{object_type.name}.{name}")
    ]


def _explained(entry: str) -> bool:
    """Listed in RESOLVER_ONLY with a reason of a few words, not a placeholder."""
    return len(RESOLVER_ONLY.get(entry, "").split()) >= 4


def stale(schema: GraphQLSchema) -> list[str]:
    """Entries of RESOLVER_ONLY that are no reachable field, or that are compiled after all."""
    reachable = {
        f"{t.name}.{name}": compiled(schema, t.name, name)
        for t in reachable_types(schema)
        for name in t.fields
    }
    return [entry for entry in RESOLVER_ONLY if reachable.get(entry, True)]
