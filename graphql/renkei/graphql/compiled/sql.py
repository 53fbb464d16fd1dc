"""Compiled reads: a query whose every field is declared runs as one SQL statement.

Resolving a dashboard field by field in Python (50 projects, 10 milestones each, their owners and
KPIs: thousands of fields) costs far more than reading the rows. When the fields a query selects
are declared with their SQL (renkei.graphql.compiled.spec), the query is compiled into one
statement in which PostgreSQL builds the response's JSON itself, under the same row-level
security as any other statement of the request. A field of a row type without SQL is left for its
resolver (renkei.graphql.compiled.partial): the statement writes a placeholder with the row's id
and only that field runs in Python. Anything else unusual (backward pages, a field of a type that
has no table) sends the whole query to the resolvers, counted and logged by the planner.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values
from sqlalchemy.dialects import postgresql

from renkei.errors import DomainError
from renkei.graphql.compiled.json_sql import (
    iso_datetime_sql,
    json_array,
    json_object,
    json_text,
)
from renkei.graphql.compiled.spec import (
    MARK,
    MAX_FIELDS_PER_OBJECT,
    NUMBER,
    ROOTS,
    TABLES,
    WORD,
    ById,
    FieldSpec,
    Guarded,
    Inline,
    JsonText,
    Key,
    Lookup,
    Many,
    NotCompilable,
    One,
    Page,
    Rows,
    Scalar,
)
from renkei.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

_DIALECT = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
_BIND = re.compile(r"%\((\w+)\)s")

# The key of a placeholder object in the statement's JSON: no GraphQL name starts with `$`.
DEFER = "$defer"


@dataclass(frozen=True)
class Deferred:
    """A field the statement leaves to its resolver: of a Node type's rows, or a root field."""

    type_name: str | None  # None for a root field
    field: str  # Type.field, for the log and the counter
    nodes: tuple[FieldNode, ...]
    reason: str = "field_not_compiled"


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
    # Fields left to their resolvers, by the number their placeholders carry.
    deferred: list[Deferred] = field(default_factory=list)
    # Scopes a token needs besides the root fields' own (the types node(id:) reads).
    scopes: set[str] = field(default_factory=set)

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
                    raise NotCompilable("unknown fragment", reason="document")
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
            raise NotCompilable(
                f"{type_name} is not compiled", reason="type_not_compiled", field=type_name
            )
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is None:
                raise NotCompilable("an object without a selection", reason="document")
            self.collect(node.selection_set, type_name, selected)
        if len(selected) > MAX_FIELDS_PER_OBJECT:
            raise NotCompilable("too many fields for one object", reason="too_many_fields")
        parts = []
        for key, field_nodes in selected.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                parts.append((key, f"'\"{type_name}\"'"))
                continue
            definition = graphql_type.fields.get(name)
            if definition is None:
                raise NotCompilable(f"{type_name}.{name} is unknown", reason="document")
            spec = table.fields.get(_snake(name))
            if spec is None:
                parts.append((key, self.defer(type_name, alias, field_nodes)))
                continue
            try:
                parts.append((key, self.field(spec, definition, field_nodes, alias)))
            except NotCompilable as why:
                # e.g. a backward page of activity: that field only goes to its resolver.
                if not self._deferrable(type_name):
                    raise
                parts.append((key, self.defer(type_name, alias, field_nodes, why.reason)))
        return json_object(parts)

    def defer(
        self, type_name: str, alias: str, nodes: list[FieldNode], reason: str = "not_declared"
    ) -> str:
        """A placeholder for a field without SQL: its resolver fills it in after the statement.

        It needs the row's global id to find the row again, so only a Node's fields can wait;
        any other sends the whole query to the resolvers.
        """
        field_name = f"{type_name}.{nodes[0].name.value}"
        if not self._deferrable(type_name):
            raise NotCompilable(
                f"{field_name} is not compiled", reason="field_not_compiled", field=field_name
            )
        id_spec = TABLES[type_name].fields["id"]
        assert isinstance(id_spec, JsonText)
        self.deferred.append(Deferred(type_name, field_name, tuple(nodes), reason))
        number = len(self.deferred) - 1
        return f"('{{\"{DEFER}\": {number},\"id\":' || {id_spec.sql.format(t=alias)} || '}}')"

    def _deferrable(self, type_name: str) -> bool:
        """Whether a field of this type can wait for its resolver: the row is a Node."""
        object_type = self.schema.get_type(type_name)
        return (
            isinstance(TABLES[type_name].fields.get("id"), JsonText)
            and isinstance(object_type, GraphQLObjectType)
            and any(i.name == "Node" for i in object_type.interfaces)
        )

    def field(
        self, spec: FieldSpec, definition: GraphQLField, nodes: list[FieldNode], alias: str
    ) -> str:
        if isinstance(spec, Guarded):
            value = self.field(spec.spec, definition, nodes, alias)
            return f"CASE WHEN {spec.when.format(t=alias)} THEN {value} ELSE 'null' END"
        if isinstance(spec, Scalar | JsonText):
            if nodes[0].arguments:
                raise NotCompilable("arguments on a scalar", reason="arguments")
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
            source = (spec.source or f"{TABLES[spec.type_name].name} {{c}}").format(
                c=child, t=alias
            )
            order = f" ORDER BY {spec.order.format(c=child)}" if spec.order else ""
            # A lateral join rather than a subquery in the select list: PostgreSQL can memoize
            # it, so 500 milestones of 20 owners read 20 organizations.
            joined = self.alias()
            self.laterals.setdefault(alias, []).append(
                f" LEFT JOIN LATERAL (SELECT {body} AS j FROM {source}{self.joins(child)}"
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
        raise NotCompilable("unknown field kind", reason="spec")

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
            raise NotCompilable("one connection asked with different arguments", reason="arguments")
        if args.get("first") is not None and args.get("last") is not None:
            raise NotCompilable("first and last: the resolvers say so", reason="arguments")
        # A backward page (last/before) reads its rows in descending order and shows them in
        # ascending order, as renkei.graphql.relay.fetch_pages does.
        forward = args.get("last") is None
        first = args.get("first") if forward else args.get("last")
        first = DEFAULT_PAGE_SIZE if first is None else first
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise NotCompilable(
                "a page size out of range: the resolvers say so", reason="arguments"
            )
        child = self.alias()
        conditions = []
        if spec.join is not None and parent is not None:
            conditions.append(spec.join.format(c=child, t=parent))
        if spec.where:
            conditions.append(spec.where.format(t=child))
        if spec.rules is not None:
            conditions.extend(c.format(t=child) for c in spec.rules(args))
        table = TABLES[spec.type_name].name
        if spec.source is not None:
            # The repository's own statement, with the arguments its resolver passes it.
            try:
                stmt = spec.source(
                    {k: v for k, v in args.items() if k not in ("first", "after", "last", "before")}
                )
            except DomainError as error:  # e.g. another type's id: the resolver says so
                raise NotCompilable(str(error), reason="arguments") from error
            table = f"({self.select_sql(stmt)})" if stmt is not None else table
            if stmt is None:
                conditions.append("false")
        for name, value in args.items():
            if (
                name in ("first", "after", "last", "before")
                or value is None
                or name in spec.ruled
                or spec.source is not None
            ):
                continue
            filter_ = spec.filters.get(name)
            if filter_ is None:
                raise NotCompilable(f"the {name} argument is not compiled", reason="arguments")
            converted = filter_.convert(value)
            if converted is not None:
                conditions.append(filter_.sql.format(t=child, p=self.param(converted)))
        if args.get("after") is not None:
            conditions.append(self.after(spec.order, child, args["after"]))
        if args.get("before") is not None:
            conditions.append(self.after(spec.order, child, args["before"], "<"))
        direction = "" if forward else " DESC"
        order = ", ".join(f"{child}.{k.column}{direction}" for k in spec.order)
        # renkei.graphql.relay.encode_cursor: url-safe base64 of the JSON list of the keys as text
        # (json_build_array writes the same text as Python's json.dumps).
        cursor = (
            "replace(replace(replace(encode(convert_to(json_build_array("
            + ", ".join(_cursor_value(f"{child}.{k.column}", k.kind) for k in spec.order)
            + ")::text, 'UTF8'), 'base64'), E'\\n', ''), '+', '-'), '/', '_')"
        )
        keys = self.connection_fields(connection, nodes)
        # One row set serves every `nodes` and `edges { node }`: a column per distinct selection.
        bodies: dict[str, str] = {}
        columns = []
        for node_nodes in self.node_selections(connection, keys):
            printed = _print(node_nodes)
            if printed not in bodies:
                bodies[printed] = f"n{len(bodies)}"
                body = self.object(spec.type_name, child, node_nodes)
                columns.append(f"{body} AS {bodies[printed]}")
        self.cursor_used = False
        size = self.param(first)
        behind = "true" if args.get("after" if forward else "before") is not None else "false"
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
        by, keep = (keys_out, "") if lean else ("r.n" + direction, f" FILTER (WHERE r.n <= {size})")
        parts = []
        for key, field_nodes in keys.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                parts.append((key, f"'\"{connection}\"'"))
            elif name == "edges":
                edge = self.edge(field_nodes, connection, bodies)
                parts.append((key, json_array(edge, by, keep)))
            elif name == "nodes":
                column = bodies[_print(field_nodes)]
                parts.append((key, json_array(f"r.{column}", by, keep)))
            elif name == "pageInfo":
                parts.append((key, self.page_info(field_nodes, size, behind, forward)))
            else:
                raise NotCompilable(
                    f"{connection}.{name} is not compiled",
                    reason="field_not_compiled",
                    field=f"{connection}.{name}",
                )
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
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

    def select_sql(self, stmt: Any) -> str:
        """A SQLAlchemy statement as text of this statement, its values as its parameters."""
        compiled = stmt.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
        values = compiled.construct_params()
        processors = compiled._bind_processors

        def bind(match: re.Match[str]) -> str:
            name = match.group(1)
            # An expanded IN list names its values status_1_1, status_1_2, … after status_1.
            process = processors.get(name) or processors.get(name.rsplit("_", 1)[0])
            value = values[name]
            # In parentheses: `:p3::UUID` would not read as a parameter.
            return f"({self.param(process(value) if process else value)})"

        return _BIND.sub(bind, compiled.string).replace("%%", "%")

    def connection_fields(
        self, connection: str, nodes: list[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is None:
                raise NotCompilable("a connection without a selection", reason="document")
            self.collect(node.selection_set, connection, selected)
        return selected

    def edge_fields(self, connection: str, nodes: list[FieldNode]) -> dict[str, list[FieldNode]]:
        edge_type = f"{connection.removesuffix('Connection')}Edge"
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is None:
                raise NotCompilable("edges without a selection", reason="document")
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
                parts.append((key, f"r.{bodies[_print(field_nodes)]}"))
            elif name == "__typename":
                parts.append((key, f"'\"{edge_type}\"'"))
            else:
                raise NotCompilable(
                    f"{edge_type}.{name}", reason="field_not_compiled", field=f"{edge_type}.{name}"
                )
        return json_object(parts)

    def page_info(self, nodes: list[FieldNode], size: str, behind: str, forward: bool) -> str:
        """`behind`: whether the page was asked from a cursor (after, or before going back)."""
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            assert node.selection_set is not None
            self.collect(node.selection_set, "PageInfo", selected)
        ahead, back = ("", " DESC") if forward else (" DESC", "")
        first = f"(array_agg(r.cursor ORDER BY r.n{ahead}) FILTER (WHERE r.n <= {size}))[1]"
        last = f"(array_agg(r.cursor ORDER BY r.n{back}) FILTER (WHERE r.n <= {size}))[1]"
        more = f"CASE WHEN count(*) > {size} THEN 'true' ELSE 'false' END"
        values = {
            "hasNextPage": more if forward else f"'{behind}'",
            "hasPreviousPage": f"'{behind}'" if forward else more,
            "startCursor": f"coalesce('\"' || {first} || '\"', 'null')",
            "endCursor": f"coalesce('\"' || {last} || '\"', 'null')",
            "__typename": "'\"PageInfo\"'",
        }
        parts = []
        for key, field_nodes in selected.items():
            name = field_nodes[0].name.value
            if name not in values:
                raise NotCompilable(
                    f"PageInfo.{name}", reason="field_not_compiled", field=f"PageInfo.{name}"
                )
            self.cursor_used = self.cursor_used or name.endswith("Cursor")
            parts.append((key, values[name]))
        return json_object(parts)

    def after(self, order: tuple[Key, ...], alias: str, cursor: str, op: str = ">") -> str:
        """Rows after the cursor's keys (`op` "<": before them)."""
        try:
            plain = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        except (ValueError, UnicodeError, binascii.Error) as exc:
            raise NotCompilable("a cursor the resolvers will refuse", reason="arguments") from exc
        if not isinstance(plain, list) or len(plain) != len(order):
            raise NotCompilable("a cursor of another list", reason="arguments")
        casts = {"text": "text", "uuid": "uuid", "date": "date", "timestamptz": "timestamptz"}
        columns = ", ".join(f"{alias}.{k.column}" for k in order)
        values = []
        for key, raw in zip(order, plain, strict=True):
            if key.kind == "uuid":
                try:
                    uuid.UUID(str(raw))
                except ValueError as exc:
                    raise NotCompilable("a cursor of another list", reason="arguments") from exc
            values.append(f"CAST({self.param(str(raw))} AS {casts.get(key.kind, 'text')})")
        return f"({columns}) {op} ({', '.join(values)})"

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
            if name.startswith("__"):
                raise NotCompilable("introspection", reason="introspection")
            spec = ROOTS.get(name)
            definition = query_type.fields.get(name)
            if definition is None:
                raise NotCompilable(f"Query.{name} is unknown", reason="document")
            if spec is None:
                self.deferred.append(Deferred(None, f"Query.{name}", tuple(nodes)))
                parts.append((key, self._root_placeholder()))
                continue
            try:
                if isinstance(spec, Page):
                    value = self.page(
                        spec, get_named_type(definition.type).name, definition, nodes, None
                    )
                elif isinstance(spec, Rows):
                    value = self.rows(spec, definition, nodes)
                elif isinstance(spec, ById):
                    value = self.by_id(spec, definition, nodes)
                else:
                    value = self.lookup(spec, definition, nodes)
            except NotCompilable as why:
                self.deferred.append(Deferred(None, f"Query.{name}", tuple(nodes), why.reason))
                value = self._root_placeholder()
            parts.append((key, value))
        at_root = [d for d in self.deferred if d.type_name is None]
        if len(at_root) == len([k for k in selected if k != "__typename"]):
            # Nothing of it is compiled: the resolvers answer it whole, as they would anyway.
            first = at_root[0] if at_root else Deferred(None, "Query", ())
            raise NotCompilable(
                f"{first.field} is not compiled", reason=first.reason, field=first.field
            )
        return f"{MARK} SELECT {json_object(parts)}"

    def _root_placeholder(self) -> str:
        # A space after each colon: `:0` would read as a bind parameter of the statement.
        return f"'{{\"{DEFER}\": {len(self.deferred) - 1}}}'"

    def lookup(self, spec: Lookup, definition: GraphQLField, nodes: list[FieldNode]) -> str:
        if any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise NotCompilable("one field asked with different arguments", reason="arguments")
        args = {k: v for k, v in self.arguments(definition, nodes[0]).items() if v is not None}
        if not args and not spec.by and spec.where is not None:
            return self.row(spec.type_name, spec.where, None, nodes)
        if len(args) != 1:
            raise NotCompilable("the resolvers decide between several keys", reason="arguments")
        ((name, value),) = args.items()
        filter_ = spec.by.get(name)
        if filter_ is None:
            raise NotCompilable(f"lookup by {name}", reason="arguments")
        try:
            key = filter_.convert(value)
        except NotCompilable:
            return "'null'"  # a malformed key or an id of another type finds nothing
        return self.row(spec.type_name, filter_.sql, key, nodes)

    def row(self, type_name: str, condition: str, key: Any, nodes: list[FieldNode]) -> str:
        """JSON text of the one row of `type_name` where `condition` ({t}, {p}) holds, or null."""
        if type_name not in TABLES:
            raise NotCompilable(
                f"{type_name} is not compiled", reason="type_not_compiled", field=type_name
            )
        child = self.alias()
        body = self.object(type_name, child, nodes)
        where = condition.format(t=child, p=self.param(key) if "{p}" in condition else "")
        table = TABLES[type_name].name
        return (
            f"coalesce((SELECT {body} FROM {table} {child}{self.joins(child)}"
            f" WHERE {where} LIMIT 1), 'null')"
        )

    def by_id(self, spec: ById, definition: GraphQLField, nodes: list[FieldNode]) -> str:
        if any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise NotCompilable("one field asked with different arguments", reason="arguments")
        args = self.arguments(definition, nodes[0])
        ids = args["ids"] if spec.many else [args["id"]]
        if len(ids) > spec.most:
            raise NotCompilable("too many ids: the resolver says so", reason="arguments")
        found = [spec.find(str(i)) for i in ids]
        # As the resolver: a missing scope for any id refuses the whole field.
        self.scopes.update(f.scope for f in found if f.scope is not None)
        values = [
            "'null'" if f.type_name is None else self.row(f.type_name, f.sql, f.key, nodes)
            for f in found
        ]
        if not spec.many:
            return values[0]
        return "('[' || " + " || ',' || ".join(values) + " || ']')" if values else "'[]'"

    def rows(self, spec: Rows, definition: GraphQLField, nodes: list[FieldNode]) -> str:
        if any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise NotCompilable("one field asked with different arguments", reason="arguments")
        child = self.alias()
        body, conditions = self.object(spec.type_name, child, nodes), []
        if spec.where is not None:
            conditions.append(spec.where.format(t=child))
        order = spec.order.format(c=child)
        for name, value in self.arguments(definition, nodes[0]).items():
            filter_ = spec.filters.get(_snake(name))
            if value is None:
                continue
            if filter_ is None:
                raise NotCompilable(f"the {name} argument is not compiled", reason="arguments")
            if (converted := filter_.convert(value)) is not None:
                placeholder = self.param(converted)
                conditions.append(filter_.sql.format(t=child, p=placeholder))
                if _snake(name) in spec.ordered:
                    order = spec.ordered[_snake(name)].format(c=child, p=placeholder)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return (
            f"(SELECT {json_array(body, order)} FROM {TABLES[spec.type_name].name} {child}"
            f"{self.joins(child)}{where})"
        )

    def exactly(self, type_name: str, fields: tuple[str, ...], nodes: list[FieldNode]) -> bool:
        """Whether the nodes select just these fields, in this order, unaliased."""
        selected: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is not None:
                self.collect(node.selection_set, type_name, selected)
        return tuple(selected) == fields and all(
            len(f) == 1 and f[0].name.value == k and not f[0].arguments for k, f in selected.items()
        )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _print(nodes: list[FieldNode]) -> str:
    """The selections of merged fields, as text: equal text, equal JSON."""
    from graphql import print_ast

    return "".join(print_ast(n.selection_set) for n in nodes if n.selection_set)


def _cursor_value(expr: str, kind: str) -> str:
    if kind == "timestamptz":
        return iso_datetime_sql(expr)
    return f"({expr})::text"
