"""Every field a query can reach is compiled, or listed with its reason: none is forgotten.

A field added to a type without its SQL would otherwise pass every test while sending each query
that selects it to the resolvers. This walks the schema from `Query`.
"""

from __future__ import annotations

from renkei.graphql.compiled.coverage import stale, uncovered
from renkei.graphql.schema import build_schema

SCHEMA = build_schema()._schema


def test_every_reachable_field_is_compiled_or_listed_with_a_reason() -> None:
    # given the schema as served
    # when every field reachable from Query is looked up
    missing = uncovered(SCHEMA)
    # then each is compiled or listed in RESOLVER_ONLY
    assert missing == [], (
        "declare these fields' SQL next to them (renkei.graphql.compiled.spec), or list them in "
        f"renkei/graphql/compiled/resolver_only.py with the reason: {missing}"
    )


def test_the_resolver_only_list_names_only_real_fields_that_are_not_compiled() -> None:
    assert stale(SCHEMA) == []
