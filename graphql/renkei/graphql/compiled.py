"""Compiled reads: a query whose every field maps to a column runs as one SQL statement.

Resolving a dashboard field by field in Python (50 projects, 10 milestones each, their owners and
KPIs: thousands of fields) costs far more than reading the rows. When every field a query selects
is registered here, the query is compiled into one statement in which PostgreSQL builds the
response's JSON itself, under the same row-level security as any other statement of the request;
anything else (mutations, fields computed in Python, backward pages, a field not registered) runs
through the resolvers as before. Parsing, validation, query limits and scope checks happen first
either way, and tests compare both paths' answers on the same data.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_non_null_type,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values

from renkei.graphql.compiled_json import CompiledData as CompiledData
from renkei.graphql.compiled_json import (
    NotCompilable,
    cursor_value_sql,
    global_id_sql,
    json_array,
    json_object,
    json_text,
    selections_text,
)
from renkei.graphql.compiled_json import decode_global_id as decode_global_id
from renkei.graphql.compiled_json import enum_list_sql as enum_list_sql
from renkei.graphql.compiled_json import enum_value as enum_value
from renkei.graphql.compiled_json import iso_datetime_sql as iso_datetime_sql
from renkei.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# More fields than any screen needs; the statement stays readable by PostgreSQL's planner.
MAX_FIELDS_PER_OBJECT = 100


# Begins every compiled statement: it shows in logs and in pg_stat_statements.
MARK = "/* renkei:compiled */"


# What a field reads. Templates use {t} for the alias of the object's row and {p} for a parameter.


@dataclass(frozen=True)
class Scalar:
    """A value of the row: SQL with {t}, turned into JSON (null for NULL).

    `kind` spares to_json where the text is already JSON: NUMBER for numbers and booleans,
    WORD for enums, dates and times (letters, digits and `-:.+T` only, quoted as they are).
    """

    sql: str
    kind: str = "text"


TEXT, NUMBER, WORD = "text", "number", "word"


@dataclass(frozen=True)
class JsonText:
    """A value written as JSON text already (never NULL): ids, lists from enum_list_sql."""

    sql: str


@dataclass(frozen=True)
class One:
    """Another object, by a condition on its row {c} and the parent's {t} (null when hidden)."""

    type_name: str
    join: str
    # Which row, when several match (the latest observation): an ORDER BY with {c}.
    order: str | None = None


@dataclass(frozen=True)
class Many:
    """A plain list of objects, ordered; `source` may replace the FROM clause (e.g. unnest).
    `verbatim`: JSON text stored with the row ({t}) and the fields it holds, in their order;
    a selection of exactly those fields reads it as it is."""

    type_name: str
    join: str
    order: str
    source: str | None = None
    limit: int | None = None
    verbatim: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Inline:
    """An object made of the parent's own row (a region's declaration); null when `null_when`."""

    type_name: str
    null_when: str | None = None


@dataclass(frozen=True)
class Key:
    """One column of a keyset order; `kind` says how a cursor spells it."""

    column: str
    kind: str = "text"  # text, uuid, date, timestamptz, int


@dataclass(frozen=True)
class Filter:
    """An argument that narrows a page: SQL with {t} and {p}; `convert` may raise NotCompilable."""

    sql: str  # write casts as CAST({p} AS type): `{p}::type` is not a bind parameter
    convert: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True)
class Page:
    """A connection (first/after only), its rows joined to the parent by `join` ({c}, {t})."""

    type_name: str
    order: tuple[Key, ...]
    join: str | None = None
    filters: dict[str, Filter] = field(default_factory=dict)
    # Extra conditions always applied (e.g. only ACTIVE members unless asked).
    where: str | None = None
    # Conditions that depend on several arguments at once: SQL with {t} and constants only.
    rules: Callable[[dict[str, Any]], list[str]] | None = None
    # Arguments the rules read and no filter does.
    ruled: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Lookup:
    """A root field returning one object by its arguments (e.g. region(id:) or region(slug:));
    without arguments, the row `where` finds (SQL with {t}: the viewer's own record)."""

    type_name: str
    by: dict[str, Filter]
    where: str | None = None


@dataclass(frozen=True)
class Rows:
    """A root field returning a plain list, narrowed by `filters`; `ordered` replaces `order`
    when its argument is given (SQL with {c} and that argument's {p})."""

    type_name: str
    order: str
    filters: dict[str, Filter] = field(default_factory=dict)
    ordered: dict[str, str] = field(default_factory=dict)


FieldSpec = Scalar | JsonText | One | Many | Inline | Page | Lookup | Rows


@dataclass(frozen=True)
class Table:
    name: str
    fields: dict[str, FieldSpec]


TABLES: dict[str, Table] = {}
ROOTS: dict[str, Lookup | Page | Rows] = {}
# Scopes a token needs for root fields, as their `requires(...)` extensions say.
ROOT_SCOPES: dict[str, str] = {}


def register_table(type_name: str, table: str, fields: dict[str, FieldSpec]) -> None:
    """Say how each field of a type reads its row; `id` defaults to the global id of `id`."""
    TABLES[type_name] = Table(
        name=table, fields={"id": JsonText(global_id_sql(type_name, "{t}.id")), **fields}
    )


def register_root(name: str, spec: Lookup | Page | Rows, *, scope: str | None = None) -> None:
    ROOTS[name] = spec
    if scope is not None:
        ROOT_SCOPES[name] = scope


@dataclass
class Compiler:
    schema: Any  # graphql-core GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    params: dict[str, Any] = field(default_factory=dict)
    aliases: int = 0
    # Whether the connection being compiled shows cursors; rows compute them only then.
    cursor_used: bool = False
    # Lateral joins each row alias needs for its one-to-one fields, added to its FROM.
    laterals: dict[str, list[str]] = field(default_factory=dict)

    def joins(self, alias: str) -> str:
        """The lateral joins of one row source, once."""
        return "".join(self.laterals.pop(alias, []))

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    # Selections -----------------------------------------------------------------------------

    def collect(
        self, selection_set: SelectionSetNode, type_name: str, into: dict[str, list[FieldNode]]
    ) -> dict[str, list[FieldNode]]:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                into.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if self._applies(condition.name.value if condition else None, type_name):
                    self.collect(selection.selection_set, type_name, into)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise NotCompilable("unknown fragment")
                if self._applies(fragment.type_condition.name.value, type_name):
                    self.collect(fragment.selection_set, type_name, into)
        return into

    def _applies(self, condition: str | None, type_name: str) -> bool:
        if condition is None or condition == type_name:
            return True
        object_type = self.schema.get_type(type_name)
        return isinstance(object_type, GraphQLObjectType) and any(
            i.name == condition for i in object_type.interfaces
        )

    def _included(self, node: Any) -> bool:
        from graphql.execution.values import get_directive_values

        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        return get_argument_values(definition, node, self.variables)

    # Objects --------------------------------------------------------------------------------

    def object(self, type_name: str, alias: str, nodes: list[FieldNode]) -> str:
        """JSON text of the fields the nodes select on a row aliased `alias`."""
        table = TABLES.get(type_name)
        graphql_type = self.schema.get_type(type_name)
        if table is None or not isinstance(graphql_type, GraphQLObjectType):
            raise NotCompilable(f"{type_name} is not compiled")
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is None:
                raise NotCompilable("an object without a selection")
            self.collect(node.selection_set, type_name, selected)
        if len(selected) > MAX_FIELDS_PER_OBJECT:
            raise NotCompilable("too many fields for one object")
        parts = []
        for key, field_nodes in selected.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                parts.append((key, f"'\"{type_name}\"'"))
                continue
            definition = graphql_type.fields.get(name)
            spec = table.fields.get(_snake(name))
            if definition is None or spec is None:
                raise NotCompilable(f"{type_name}.{name} is not compiled")
            parts.append((key, self.field(spec, definition, field_nodes, alias)))
        return json_object(parts)

    def field(
        self, spec: FieldSpec, definition: GraphQLField, nodes: list[FieldNode], alias: str
    ) -> str:
        if isinstance(spec, Scalar | JsonText):
            if nodes[0].arguments:
                raise NotCompilable("arguments on a scalar")
            sql = spec.sql.format(t=alias)
            if isinstance(spec, JsonText):
                return sql
            if spec.kind == NUMBER:
                return f"coalesce(({sql})::text, 'null')"
            if spec.kind == WORD:
                return f"coalesce('\"' || ({sql}) || '\"', 'null')"
            return json_text(sql)
        target = get_named_type(definition.type).name
        if isinstance(spec, One):
            child = self.alias()
            body = self.object(spec.type_name, child, nodes)
            table = TABLES[spec.type_name].name
            order = f" ORDER BY {spec.order.format(c=child)}" if spec.order else ""
            # A lateral join rather than a subquery in the select list: PostgreSQL can memoize
            # it, so 500 milestones of 20 owners read 20 organizations.
            joined = self.alias()
            self.laterals.setdefault(alias, []).append(
                f" LEFT JOIN LATERAL (SELECT {body} AS j FROM {table} {child}{self.joins(child)}"
                f" WHERE {spec.join.format(c=child, t=alias)}{order} LIMIT 1) {joined} ON true"
            )
            return f"coalesce({joined}.j, 'null')"
        if isinstance(spec, Inline):
            body = self.object(spec.type_name, alias, nodes)
            if spec.null_when is None:
                return body
            return f"CASE WHEN {spec.null_when.format(t=alias)} THEN 'null' ELSE {body} END"
        if (
            isinstance(spec, Many)
            and spec.verbatim
            and self.exactly(spec.type_name, spec.verbatim[1], nodes)
        ):
            return spec.verbatim[0].format(t=alias)
        if isinstance(spec, Many):
            child = self.alias()
            body = self.object(spec.type_name, child, nodes)
            source = (spec.source or f"{TABLES[spec.type_name].name} {{c}}").format(
                c=child, t=alias
            )
            order = spec.order.format(c=child, t=alias)
            if spec.limit is None:
                return (
                    f"(SELECT {json_array(body, order)}"
                    f" FROM {source}{self.joins(child)} WHERE {spec.join.format(c=child, t=alias)})"
                )
            return (
                f"(SELECT {json_array('m.o', 'm.n')} FROM (SELECT {body} AS o,"
                f" row_number() OVER (ORDER BY {order}) AS n FROM {source}{self.joins(child)}"
                f" WHERE {spec.join.format(c=child, t=alias)} ORDER BY {order}"
                f" LIMIT {spec.limit}) m)"
            )
        if isinstance(spec, Page):
            return self.page(spec, target, definition, nodes, alias)
        raise NotCompilable("unknown field kind")

    def exactly(self, type_name: str, fields: tuple[str, ...], nodes: list[FieldNode]) -> bool:
        """Whether the nodes select just these fields, in this order, unaliased."""
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is not None:
                self.collect(node.selection_set, type_name, selected)
        return tuple(selected) == fields and all(
            len(f) == 1 and f[0].name.value == k and not f[0].arguments for k, f in selected.items()
        )

    # Connections ----------------------------------------------------------------------------

    def page(
        self,
        spec: Page,
        connection: str,
        definition: GraphQLField,
        nodes: list[FieldNode],
        parent: str | None,
    ) -> str:
        # Arguments by their Python names, as the filters and rules know them.
        args = {_snake(k): v for k, v in self.arguments(definition, nodes[0]).items()}
        if any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise NotCompilable("one connection asked with different arguments")
        if args.get("last") is not None or args.get("before") is not None:
            raise NotCompilable("backward pages")
        first = args.get("first")
        first = DEFAULT_PAGE_SIZE if first is None else first
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise NotCompilable("a page size out of range: the resolvers say so")
        child = self.alias()
        conditions = []
        if spec.join is not None and parent is not None:
            conditions.append(spec.join.format(c=child, t=parent))
        if spec.where:
            conditions.append(spec.where.format(t=child))
        if spec.rules is not None:
            conditions.extend(c.format(t=child) for c in spec.rules(args))
        for name, value in args.items():
            if name in ("first", "after", "last", "before") or value is None or name in spec.ruled:
                continue
            filter_ = spec.filters.get(name)
            if filter_ is None:
                raise NotCompilable(f"the {name} argument is not compiled")
            converted = filter_.convert(value)
            if converted is not None:
                conditions.append(filter_.sql.format(t=child, p=self.param(converted)))
        if args.get("after") is not None:
            conditions.append(self.after(spec.order, child, args["after"]))
        order = ", ".join(f"{child}.{k.column}" for k in spec.order)
        # renkei.graphql.relay.encode_cursor: url-safe base64 of the JSON list of the keys as text
        # (json_build_array writes the same text as Python's json.dumps).
        cursor = (
            "replace(replace(replace(encode(convert_to(json_build_array("
            + ", ".join(cursor_value_sql(f"{child}.{k.column}", k.kind) for k in spec.order)
            + ")::text, 'UTF8'), 'base64'), E'\\n', ''), '+', '-'), '/', '_')"
        )
        keys = self.connection_fields(connection, nodes)
        # One row set serves every `nodes` and `edges { node }`: a column per distinct selection.
        bodies: dict[str, str] = {}
        columns = []
        for node_nodes in self.node_selections(connection, keys):
            printed = selections_text(node_nodes)
            if printed not in bodies:
                bodies[printed] = f"n{len(bodies)}"
                body = self.object(spec.type_name, child, node_nodes)
                columns.append(f"{body} AS {bodies[printed]}")
        self.cursor_used = False
        size = self.param(first)
        after = "true" if args.get("after") is not None else "false"
        # Only items asked (no page info, no cursors): exactly `first` rows in their order, with
        # no look-ahead row and no numbering.
        lean = not any(
            field_nodes[0].name.value == "pageInfo"
            or (
                field_nodes[0].name.value == "edges"
                and any(
                    e[0].name.value == "cursor"
                    for e in self.edge_fields(connection, field_nodes).values()
                )
            )
            for field_nodes in keys.values()
        )
        keys_out = ", ".join(f"r.k{i}" for i in range(len(spec.order)))
        by, keep = (keys_out, "") if lean else ("r.n", f" FILTER (WHERE r.n <= {size})")
        parts = []
        for key, field_nodes in keys.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                parts.append((key, f"'\"{connection}\"'"))
            elif name == "edges":
                edge = self.edge(field_nodes, connection, bodies)
                parts.append((key, json_array(edge, by, keep)))
            elif name == "nodes":
                column = bodies[selections_text(field_nodes)]
                parts.append((key, json_array(f"r.{column}", by, keep)))
            elif name == "pageInfo":
                parts.append((key, self.page_info(field_nodes, size, after)))
            else:
                raise NotCompilable(f"{connection}.{name} is not compiled")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        table = TABLES[spec.type_name].name
        if lean:
            numbered = ", ".join(f"{child}.{k.column} AS k{i}" for i, k in enumerate(spec.order))
            rows = (
                f"SELECT {''.join(c + ', ' for c in columns)}{numbered}"
                f" FROM {table} {child}{self.joins(child)}{where} ORDER BY {order} LIMIT {size}"
            )
        else:
            rows = (
                f"SELECT {''.join(c + ', ' for c in columns)}"
                f"{cursor + ' AS cursor, ' if self.cursor_used else ''}"
                f" row_number() OVER (ORDER BY {order}) AS n"
                f" FROM {table} {child}{self.joins(child)}{where} ORDER BY {order}"
                f" LIMIT {self.param(first + 1)}"
            )
        # GROUP BY (): one object even when no part aggregates (only __typename or
        # hasPreviousPage asked) and even for no rows, as the resolvers answer.
        return f"(SELECT {json_object(parts)} FROM ({rows}) r GROUP BY ())"

    def connection_fields(
        self, connection: str, nodes: list[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is None:
                raise NotCompilable("a connection without a selection")
            self.collect(node.selection_set, connection, selected)
        return selected

    def edge_fields(self, connection: str, nodes: list[FieldNode]) -> dict[str, list[FieldNode]]:
        edge_type = f"{connection.removesuffix('Connection')}Edge"
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is None:
                raise NotCompilable("edges without a selection")
            self.collect(node.selection_set, edge_type, selected)
        return selected

    def node_selections(
        self, connection: str, keys: dict[str, list[FieldNode]]
    ) -> list[list[FieldNode]]:
        found = []
        for field_nodes in keys.values():
            name = field_nodes[0].name.value
            if name == "nodes":
                found.append(field_nodes)
            elif name == "edges":
                for edge_nodes in self.edge_fields(connection, field_nodes).values():
                    if edge_nodes[0].name.value == "node":
                        found.append(edge_nodes)
        return found

    def edge(self, nodes: list[FieldNode], connection: str, bodies: dict[str, str]) -> str:
        edge_type = f"{connection.removesuffix('Connection')}Edge"
        parts = []
        for key, field_nodes in self.edge_fields(connection, nodes).items():
            name = field_nodes[0].name.value
            if name == "cursor":
                self.cursor_used = True
                parts.append((key, "('\"' || r.cursor || '\"')"))
            elif name == "node":
                parts.append((key, f"r.{bodies[selections_text(field_nodes)]}"))
            elif name == "__typename":
                parts.append((key, f"'\"{edge_type}\"'"))
            else:
                raise NotCompilable(f"{edge_type}.{name}")
        return json_object(parts)

    def page_info(self, nodes: list[FieldNode], size: str, after: str) -> str:
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            assert node.selection_set is not None
            self.collect(node.selection_set, "PageInfo", selected)
        first = f"(array_agg(r.cursor ORDER BY r.n) FILTER (WHERE r.n <= {size}))[1]"
        last = f"(array_agg(r.cursor ORDER BY r.n DESC) FILTER (WHERE r.n <= {size}))[1]"
        values = {
            "hasNextPage": f"CASE WHEN count(*) > {size} THEN 'true' ELSE 'false' END",
            "hasPreviousPage": f"'{after}'",
            "startCursor": f"coalesce('\"' || {first} || '\"', 'null')",
            "endCursor": f"coalesce('\"' || {last} || '\"', 'null')",
            "__typename": "'\"PageInfo\"'",
        }
        parts = []
        for key, field_nodes in selected.items():
            name = field_nodes[0].name.value
            if name not in values:
                raise NotCompilable(f"PageInfo.{name}")
            self.cursor_used = self.cursor_used or name.endswith("Cursor")
            parts.append((key, values[name]))
        return json_object(parts)

    def after(self, order: tuple[Key, ...], alias: str, cursor: str) -> str:
        try:
            plain = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        except (ValueError, UnicodeError, binascii.Error) as exc:
            raise NotCompilable("a cursor the resolvers will refuse") from exc
        if not isinstance(plain, list) or len(plain) != len(order):
            raise NotCompilable("a cursor of another list")
        casts = {"text": "text", "uuid": "uuid", "date": "date", "timestamptz": "timestamptz"}
        columns = ", ".join(f"{alias}.{k.column}" for k in order)
        values = []
        for key, raw in zip(order, plain, strict=True):
            if key.kind == "uuid":
                try:
                    uuid.UUID(str(raw))
                except ValueError as exc:
                    raise NotCompilable("a cursor of another list") from exc
            values.append(f"CAST({self.param(str(raw))} AS {casts.get(key.kind, 'text')})")
        return f"({columns}) > ({', '.join(values)})"

    # Roots ----------------------------------------------------------------------------------

    def root(self, operation: OperationDefinitionNode) -> str:
        query_type = self.schema.query_type
        selected = self.collect(operation.selection_set, query_type.name, {})
        parts = []
        for key, nodes in selected.items():
            name = nodes[0].name.value
            if name == "__typename":
                parts.append((key, f"'\"{query_type.name}\"'"))
                continue
            spec = ROOTS.get(name)
            definition = query_type.fields.get(name)
            if spec is None or definition is None:
                raise NotCompilable(f"Query.{name} is not compiled")
            if isinstance(spec, Page):
                value = self.page(
                    spec, get_named_type(definition.type).name, definition, nodes, None
                )
            elif isinstance(spec, Rows):
                value = self.rows(spec, definition, nodes)
            else:
                value = self.lookup(spec, definition, nodes)
            parts.append((key, value))
        return f"{MARK} SELECT {json_object(parts)}"

    def lookup(self, spec: Lookup, definition: GraphQLField, nodes: list[FieldNode]) -> str:
        if any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise NotCompilable("one field asked with different arguments")
        args = {k: v for k, v in self.arguments(definition, nodes[0]).items() if v is not None}
        if not args and not spec.by and spec.where is not None:
            child = self.alias()
            body = self.object(spec.type_name, child, nodes)
            return (
                f"coalesce((SELECT {body} FROM {TABLES[spec.type_name].name} {child}"
                f"{self.joins(child)} WHERE {spec.where.format(t=child)} LIMIT 1), 'null')"
            )
        if len(args) != 1:
            raise NotCompilable("the resolvers decide between several keys")
        ((name, value),) = args.items()
        filter_ = spec.by.get(name)
        if filter_ is None:
            raise NotCompilable(f"lookup by {name}")
        try:
            key = filter_.convert(value)
        except NotCompilable:
            return "'null'"  # a malformed key or an id of another type finds nothing
        child = self.alias()
        body = self.object(spec.type_name, child, nodes)
        condition = filter_.sql.format(t=child, p=self.param(key))
        table = TABLES[spec.type_name].name
        return (
            f"coalesce((SELECT {body} FROM {table} {child}{self.joins(child)}"
            f" WHERE {condition} LIMIT 1), 'null')"
        )

    def rows(self, spec: Rows, definition: GraphQLField, nodes: list[FieldNode]) -> str:
        if any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise NotCompilable("one field asked with different arguments")
        child = self.alias()
        body, conditions = self.object(spec.type_name, child, nodes), []
        order = spec.order.format(c=child)
        for name, value in self.arguments(definition, nodes[0]).items():
            filter_ = spec.filters.get(_snake(name))
            if value is None:
                continue
            if filter_ is None:
                raise NotCompilable(f"the {name} argument is not compiled")
            if (converted := filter_.convert(value)) is not None:
                placeholder = self.param(converted)
                conditions.append(filter_.sql.format(t=child, p=placeholder))
                order = spec.ordered.get(_snake(name), order).format(c=child, p=placeholder)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return (
            f"(SELECT {json_array(body, order)} FROM {TABLES[spec.type_name].name} {child}"
            f"{self.joins(child)}{where})"
        )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@dataclass(frozen=True)
class Plan:
    sql: str
    params: dict[str, Any]
    # The root fields by response key, and whether each may be null: a fault fills them in.
    roots: dict[str, tuple[FieldNode, bool]]
    # The scopes a token needs for the root fields (their `requires(...)`).
    scopes: frozenset[str]

    def failed(self, error: Exception) -> GraphQLExecutionResult:
        """What the resolvers would answer when reading fails: null data, one located error."""
        key, (node, _) = next(iter(self.roots.items()))
        data = {k: None for k in self.roots} if all(n for _, n in self.roots.values()) else None
        located = GraphQLError(str(error), nodes=[node], path=[key], original_error=error)
        return GraphQLExecutionResult(data=data, errors=[located])


def compile_operation(
    schema: Any,
    document: Any,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
) -> Plan | None:
    """The statement for a query, or None when it must go through the resolvers."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name and o.name.value == operation_name)
        ),
        None,
    )
    if operation is None or operation.operation.value != "query":
        return None
    variables = get_variable_values(
        schema, operation.variable_definitions or (), raw_variables or {}
    )
    if isinstance(variables, list):
        return None  # the executor reports the variables' errors
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    compiler = Compiler(schema=schema, fragments=fragments, variables=variables)
    try:
        sql = compiler.root(operation)
    except NotCompilable:
        return None
    query_type = schema.query_type
    roots = {
        key: (nodes[0], not is_non_null_type(query_type.fields[nodes[0].name.value].type))
        for key, nodes in compiler.collect(operation.selection_set, query_type.name, {}).items()
        if nodes[0].name.value != "__typename"
    }
    scopes = frozenset(
        ROOT_SCOPES[n.name.value] for n, _ in roots.values() if n.name.value in ROOT_SCOPES
    )
    return Plan(sql=sql, params=compiler.params, roots=roots, scopes=scopes)
