"""The console's named operations: valid against the public schema, and every query compiled.

A page that reads a field the compiled path does not serve would run through the resolvers on
every view; this fails first, naming the operation and the field."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    parse,
    type_from_ast,
    validate,
)

from renkei.graphql.compiled.planner import Fallback, Plan, compile_operation
from renkei.graphql.console.operations import load, registry
from renkei.graphql.documents import (
    CONSOLE_MANIFEST,
    console_manifest,
    read_manifest,
    render_manifest,
)
from renkei.graphql.schema import build_schema

SCHEMA = build_schema()._schema
OPERATIONS = registry()
SAMPLES = {
    "Int": 1,
    "Float": 1.5,
    "Boolean": True,
    "Date": "2026-04-01",
    "DateTime": "2026-04-01T00:00:00+09:00",
    "ID": "UmVnaW9uOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA==",
}


def _sample(kind: Any) -> Any:
    """A value of the type, enough for the planner to compile (nothing runs)."""
    if isinstance(kind, GraphQLNonNull):
        return _sample(kind.of_type)
    if isinstance(kind, GraphQLList):
        return [_sample(kind.of_type)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {
            name: _sample(field.type)
            for name, field in kind.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    assert isinstance(kind, GraphQLScalarType)
    return SAMPLES.get(kind.name, "kyushu")


def _variables(document: Any) -> dict[str, Any]:
    (operation,) = [d for d in document.definitions if d.kind == "operation_definition"]
    return {
        v.variable.name.value: _sample(type_from_ast(SCHEMA, v.type))
        for v in operation.variable_definitions or ()
        if isinstance(type_from_ast(SCHEMA, v.type), GraphQLNonNull)
    }


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_is_valid_against_the_public_schema(name: str) -> None:
    errors = validate(SCHEMA, parse(OPERATIONS[name].document))
    assert not errors, f"{name} ({OPERATIONS[name].source}): {[e.message for e in errors]}"


@pytest.mark.parametrize("name", sorted(n for n, o in OPERATIONS.items() if not o.mutation))
def test_each_page_query_runs_compiled_whole(name: str) -> None:
    document = parse(OPERATIONS[name].document)
    plan = compile_operation(SCHEMA, document, name, _variables(document))
    assert not isinstance(plan, Fallback), f"{name} falls back: {plan}"
    assert isinstance(plan, Plan), f"{name} has no compiled plan"
    assert not plan.deferred, f"{name} leaves fields to resolvers: {plan.deferred}"


def test_a_duplicated_operation_name_is_refused(tmp_path) -> None:
    (tmp_path / "a.graphql").write_text("query Twice { viewer { locale } }")
    (tmp_path / "b.graphql").write_text("query Twice { viewer { role } }")
    with pytest.raises(ValueError, match="Twice is defined twice"):
        load(tmp_path)


def test_an_operation_carries_only_the_fragments_it_uses(tmp_path) -> None:
    (tmp_path / "a.graphql").write_text(
        "fragment Used on Viewer { locale ...Nested }\nfragment Nested on Viewer { role }\n"
        "fragment Unused on Viewer { scopes }\nquery Page { viewer { ...Used } }"
    )
    document = load(tmp_path)["Page"].document
    assert "fragment Used" in document and "fragment Nested" in document
    assert "Unused" not in document


def test_every_operation_is_registered_in_the_committed_manifest() -> None:
    # The console sends its operations by id: one missing from the manifest would not run on a
    # server that requires registered documents (nor at all: its id is unknown).
    registered = {document.id: document.body for document in read_manifest(CONSOLE_MANIFEST)}
    missing = sorted(n for n, o in OPERATIONS.items() if registered.get(o.id) != o.document)
    assert not missing, (
        f"{missing} are not in {CONSOLE_MANIFEST.name}: run `renkei export-documents` and commit it"
    )
    # nor does it register what the console no longer sends
    assert CONSOLE_MANIFEST.read_text(encoding="utf-8") == render_manifest(console_manifest()), (
        f"{CONSOLE_MANIFEST.name} is stale: run `renkei export-documents` and commit it"
    )
