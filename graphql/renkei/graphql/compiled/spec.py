"""What the compiled path knows of each field: how it reads its row, declared next to the field.

A field of a GraphQL type is declared once, in its types module: `column(models.Milestone.title)`
for a stored column, or `strawberry.field(..., metadata=sql(One(...)))` for a field with a
resolver. The declaration gives strawberry its field and gives the compiler (renkei.graphql.
compiled.sql) the SQL that reads the same value; `@table(model)` collects a type's declarations.
A field with no SQL is listed in RESOLVER_ONLY (renkei.graphql.compiled.resolver_only) with its
reason, and a test walks the schema so that no field is left out of both.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
import strawberry
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import util as sql_util

from renkei.graphql.compiled.json_sql import global_id_sql, iso_date_sql, iso_datetime_sql
from renkei.graphql.relay import parse_global_id

T = TypeVar("T")

# More fields than any screen needs; the statement stays readable by PostgreSQL's planner.
MAX_FIELDS_PER_OBJECT = 100


# Begins every compiled statement: it shows in logs and in pg_stat_statements.
MARK = "/* renkei:compiled */"

# Values a statement takes from the request each time it runs, never written into its SQL: a
# plan is cached by query text and variables and shared between viewers. Row-level security's
# viewer is in the transaction (renkei_user_id() ...); these exist only in Python.
VIEWER_SCOPES = ":viewer_scopes"  # JSON text of the token's scopes, sorted
PUBLIC_URL = ":public_url"  # where the server is reached (sign-in callbacks)
READER_LOCALE = ":locale"  # the reader's locale, `ja` or `en` (renkei.i18n)
REQUEST_PARAMETERS = ("viewer_scopes", "public_url", "locale")

# Words a statement writes into its answer, by parameter name (`:t_<digest>`): the message
# (an N_() msgid) is translated into the reader's locale each time the statement runs.
MESSAGES: dict[str, str] = {}


def message(msgid: str) -> str:
    """A bind parameter holding `msgid` in the reader's locale, for SQL that writes words.

    Mark the msgid with N_() where it is written, so that `make messages` extracts it.
    """
    name = "t_" + hashlib.sha1(msgid.encode()).hexdigest()[:12]
    MESSAGES[name] = msgid
    return f":{name}"


class NotCompilable(Exception):
    """The query needs the resolvers: a field is not declared, or an argument is unusual.

    `reason` is a short fixed word (the fallback counter's label); `field` names the field
    (`Type.field`) when one is to blame, for the log line.
    """

    def __init__(self, message: str, *, reason: str = "unusual", field: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.field = field


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
    # Replaces `table {c}` in the FROM clause, e.g. a subquery computing a roll-up for {t}.
    source: str | None = None


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
    # For a root page: the repository's statement for the arguments (snake_case, no paging ones),
    # used as the row source instead of filters; None when nothing can match.
    source: Callable[[dict[str, Any]], Any] | None = None


@dataclass(frozen=True)
class Lookup:
    """A root field returning one object by its arguments (e.g. region(id:) or region(slug:));
    without arguments, the row `where` finds (SQL with {t}: the viewer's own record)."""

    type_name: str
    by: dict[str, Filter]
    where: str | None = None


@dataclass(frozen=True)
class Guarded:
    """Another spec's value where `when` ({t}) holds, else null (e.g. only its managers see it)."""

    when: str
    spec: FieldSpec


@dataclass(frozen=True)
class Rows:
    """A root field returning a plain list, narrowed by `filters`; `ordered` replaces `order`
    when its argument is given (SQL with {c} and that argument's {p})."""

    type_name: str
    order: str
    filters: dict[str, Filter] = field(default_factory=dict)
    ordered: dict[str, str] = field(default_factory=dict)
    # Conditions always applied (SQL with {t}), e.g. the viewer's own rows.
    where: str | None = None


@dataclass(frozen=True)
class Found:
    """What one global id names: a row of `type_name` where `sql` ({t}, {p}) holds for `key`,
    or nothing (null) when `type_name` is None; `scope` is what a token needs to ask for it."""

    type_name: str | None
    key: Any = None
    scope: str | None = None
    sql: str = "{t}.id = {p}"


@dataclass(frozen=True)
class ById:
    """node(id:) / nodes(ids:): plans are cached per variables, so each id is known when the
    query compiles; `find` says which row it names. `most` ids at a time, else the resolver."""

    find: Callable[[str], Found]
    many: bool = False
    most: int = 100


FieldSpec = Scalar | JsonText | One | Many | Inline | Page | Lookup | Rows | Guarded
RootSpec = Lookup | Page | Rows | ById


@dataclass(frozen=True)
class Table:
    name: str
    fields: dict[str, FieldSpec]


TABLES: dict[str, Table] = {}
ROOTS: dict[str, RootSpec] = {}
# Scopes a token needs for root fields, as their `requires(...)` extensions say.
ROOT_SCOPES: dict[str, str] = {}


def register_root(name: str, spec: RootSpec, *, scope: str | None = None) -> None:
    ROOTS[name] = spec
    if scope is not None:
        ROOT_SCOPES[name] = scope


def decode_global_id(type_name: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> uuid.UUID | None:
        parsed = parse_global_id(str(value))
        if parsed is None or parsed[0] != type_name:
            raise NotCompilable("an id of another type")
        try:
            return uuid.UUID(parsed[1])
        except ValueError as exc:
            raise NotCompilable("a malformed id") from exc

    return convert


def enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def enum_list_sql(column: str, table: dict[Any, Any]) -> str:
    """JSON text of a list that depends on an enum column (e.g. the statuses allowed next)."""
    cases = " ".join(
        f"WHEN '{enum_value(key)}' THEN '"
        + json.dumps([enum_value(v) for v in values], separators=(",", ":"))
        + "'"
        for key, values in table.items()
        if values
    )
    return f"coalesce(CASE {column} {cases} END, '[]')"


# Declarations: a field's SQL given where the field is -----------------------------------------

SQL = "renkei.sql"


def sql(spec: FieldSpec) -> dict[str, Any]:
    """`strawberry.field(metadata=sql(One(...)))`: how the compiled path reads the field."""
    return {SQL: spec}


def column_sql(attribute: Any) -> FieldSpec:
    """The SQL of a stored column, written as its GraphQL value would be."""
    column = attribute.property.columns[0]
    ref = "{t}." + column.name
    kind = column.type
    if isinstance(kind, sa.Date):
        return Scalar(iso_date_sql(ref), WORD)
    if isinstance(kind, sa.DateTime):
        return Scalar(iso_datetime_sql(ref), WORD)
    if isinstance(kind, sa.Boolean | sa.Integer):
        return Scalar(ref, NUMBER)
    if isinstance(kind, sa.Float):
        return Scalar(ref, NUMBER)
    if isinstance(kind, sa.Numeric):
        return Scalar(f"({ref})::float8", NUMBER)
    if isinstance(kind, sa.Enum):
        return Scalar(ref, WORD)
    if isinstance(kind, sa.ARRAY | sa.JSON):
        return JsonText(f"coalesce(to_json({ref})::text, 'null')")
    return Scalar(ref)


def _python_value(attribute: Any) -> Callable[[Any], Any]:
    """How the resolver turns the column's Python value into the field's (Decimal → float)."""
    kind = attribute.property.columns[0].type
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return lambda value: None if value is None else float(value)
    if isinstance(kind, sa.ARRAY):
        return lambda value: None if value is None else list(value)
    return lambda value: value


def column(attribute: Any, *, description: str | None = None, name: str | None = None) -> Any:
    """A stored column: strawberry reads it from the row (`row`), the compiled path selects it."""
    key = attribute.key
    convert = _python_value(attribute)

    def resolve(root: Any) -> Any:
        return convert(getattr(root.row, key))

    return strawberry.field(
        resolver=resolve, description=description, name=name, metadata=sql(column_sql(attribute))
    )


def computed(spec: FieldSpec, rule: Callable[[Any], Any], *, description: str | None = None) -> Any:
    """A value computed from the row: `rule(row)` in Python, `spec` in SQL; tests compare them."""

    def resolve(root: Any) -> Any:
        return rule(root.row)

    return strawberry.field(resolver=resolve, description=description, metadata=sql(spec))


def table(model: Any) -> Callable[[type[T]], type[T]]:
    """Register a strawberry type's declared fields as reading rows of `model`'s table.

    Put it above `@strawberry.type`. The type's `id` (if it has one) is its row's global id.
    `model` may instead be the SQL of a derived row source, e.g. `"(SELECT ...)"`, for a type
    whose rows no table holds (a roll-up, the elements of a JSON list).
    """
    name = model if isinstance(model, str) else model.__table__.name

    def register(cls: type[T]) -> type[T]:
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        fields: dict[str, FieldSpec] = {}
        for declared in definition.fields:
            spec = (declared.metadata or {}).get(SQL)
            if spec is not None:
                fields[declared.python_name] = spec
            elif declared.python_name == "id":
                fields["id"] = JsonText(global_id_sql(definition.name, "{t}.id"))
        TABLES[definition.name] = Table(name=name, fields=fields)
        return cls

    return register


def expression_sql(expression: Any, model: Any) -> str:
    """A SQLAlchemy expression over `model`'s columns as SQL with {t} for the row's alias.

    Constants are written as literals: they come from the code (statuses, time zones), never
    from a request.
    """
    alias = model.__table__.alias("__t__")
    # A hybrid_property's class-level value is a proxy: adapt the clause it stands for.
    clause = getattr(expression, "__clause_element__", lambda: expression)()
    adapted = sql_util.ClauseAdapter(alias).traverse(clause)
    text = str(
        adapted.compile(
            dialect=postgresql.psycopg.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True, "render_postcompile": True},
        )
    )
    return text.replace("{", "{{").replace("}", "}}").replace("__t__.", "{t}.")


def hybrid(model: Any, name: str, *, kind: str = NUMBER, description: str | None = None) -> Any:
    """A `hybrid_property` of the model: one rule, read from the row in Python and as SQL."""
    spec = Scalar(expression_sql(getattr(model, name), model), kind)
    return computed(spec, lambda row: getattr(row, name), description=description)
