"""Every type, field, argument, enum value and input field of the schema says what it is.

The schema is what API users read first (GraphiQL's docs, generated clients): a name alone does
not say its unit, who may see it or what null means. This walks the built schema, the one
graphql/schema.graphql is exported from, and names every element left without a description.
"""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)
from graphql import build_schema as build_sdl

from renkei.graphql.schema import build_schema


def built() -> GraphQLSchema:
    """The schema as clients get it: the SDL the code exports, read back by graphql-core."""
    return build_sdl(build_schema().as_str())


# Elements strawberry gives no way to describe. Keep this list short, each with its reason.
CANNOT_DESCRIBE = {
    # strawberry (0.341) builds a schema directive's arguments without their descriptions
    # (GraphQLCoreConverter.from_schema_directive); the directive's own description says
    # what `scope` is instead.
    "@requiresScope(scope:)",
}


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Coordinates (Type, Type.field, Type.field(argument:), Enum.VALUE) with no description."""
    missing: list[str] = []

    def check(coordinate: str, description: str | None) -> None:
        if coordinate in CANNOT_DESCRIBE:
            return
        if not (description or "").strip():
            missing.append(coordinate)

    for name, kind in sorted(schema.type_map.items()):
        if name.startswith("__"):
            continue  # introspection types: the specification's, described by graphql-core
        check(name, kind.description)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                check(f"{name}.{field_name}", field.description)
                for arg_name, arg in field.args.items():
                    check(f"{name}.{field_name}({arg_name}:)", arg.description)
        elif isinstance(kind, GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                check(f"{name}.{field_name}", field.description)
        elif isinstance(kind, GraphQLEnumType):
            for value_name, value in kind.values.items():
                check(f"{name}.{value_name}", value.description)
        elif isinstance(kind, GraphQLUnionType):
            pass  # a union's members are types, described where they are declared
    for directive in schema.directives:
        check(f"@{directive.name}", directive.description)
        for arg_name, arg in directive.args.items():
            check(f"@{directive.name}({arg_name}:)", arg.description)
    return missing


def test_every_element_of_the_schema_has_a_description():
    # given
    schema = built()
    # when
    missing = undescribed(schema)
    # then
    assert missing == [], (
        f"{len(missing)} schema elements have no description; give each one (what it is, its"
        " unit, who may see it, what null means):\n" + "\n".join(missing)
    )


def test_the_check_sees_a_missing_description():
    # given
    schema = built()
    # when
    query = schema.query_type
    assert query is not None
    field = query.fields["node"]
    saved = field.description
    field.description = None
    try:
        missing = undescribed(schema)
    finally:
        field.description = saved
    # then
    assert "Query.node" in missing


def test_what_cannot_be_described_is_still_in_the_schema():
    # given
    schema = built()
    # then: an exclusion of something gone would hide nothing and should be removed
    directive = schema.get_directive("requiresScope")
    assert directive is not None and "scope" in directive.args
    assert "scope" in (directive.description or "")


def test_deprecations_are_declared_not_written_in_descriptions():
    # given: a deprecation a client's tools cannot see is one they miss
    schema = built()
    informal = []
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        fields = getattr(kind, "fields", None) or getattr(kind, "values", None) or {}
        for field_name, field in fields.items():
            description = (getattr(field, "description", None) or "").lower()
            declared = getattr(field, "deprecation_reason", None)
            if "deprecated" in description and not declared:
                informal.append(f"{name}.{field_name}")
    # then
    assert informal == [], (
        "say it with deprecation_reason= (the schema's @deprecated(reason:)), not in words: "
        + ", ".join(informal)
    )
