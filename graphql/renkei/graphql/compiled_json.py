"""JSON written by PostgreSQL for compiled reads: the SQL that writes each kind of value, and
the data that carries the written text to the response without parsing it again."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from graphql import FieldNode, print_ast

from renkei.graphql.relay import parse_global_id


class NotCompilable(Exception):
    """The query needs the resolvers: a field is not registered, or an argument is unusual."""


class CompiledData(dict[str, Any]):
    """The `data` of a compiled query as PostgreSQL wrote it; the HTTP layer sends it as is.

    The dict itself is what a reader of the result sees: it is parsed only when read that way.
    """

    def __init__(self, raw: bytes) -> None:
        super().__init__()
        self.raw = raw
        self._parsed = False

    def _parse(self) -> None:
        if not self._parsed:
            self._parsed = True
            self.update(orjson.loads(self.raw))

    def __getitem__(self, key: str) -> Any:
        self._parse()
        return super().__getitem__(key)

    def __iter__(self) -> Any:
        self._parse()
        return super().__iter__()

    def __len__(self) -> int:
        self._parse()
        return super().__len__()

    def items(self) -> Any:
        self._parse()
        return super().items()

    def get(self, key: str, default: Any = None) -> Any:
        self._parse()
        return super().get(key, default)


def global_id_sql(type_name: str, key: str) -> str:
    """JSON text of renkei.graphql.relay.to_global_id: url-safe base64 of 'Type:key', padded.

    The key is a uuid or a code (ASCII, no backslash, so the cast to bytea is plain) and the
    whole stays under 57 bytes, the length at which PostgreSQL starts a new base64 line.
    """
    return (
        f"('\"' || replace(replace(encode(('{type_name}:' || ({key})::text)::bytea, 'base64'),"
        " '+', '-'), '/', '_') || '\"')"
    )


def json_text(sql: str) -> str:
    """JSON text of an SQL value; `null` for NULL."""
    return f"coalesce(to_json({sql})::text, 'null')"


def json_object(parts: list[tuple[str, str]]) -> str:
    """JSON text of an object from (key, JSON text) pairs, in order.

    Response keys are GraphQL names ([_A-Za-z][_0-9A-Za-z]*): safe in SQL and JSON literals.
    """
    if not parts:
        return "'{}'"
    pieces = []
    for number, (key, value) in enumerate(parts):
        opening = "{" if number == 0 else ","
        pieces.append(f"'{opening}\"{key}\":' || {value}")
    return "(" + " || ".join(pieces) + " || '}')"


def json_array(element: str, order: str, where: str = "") -> str:
    """The JSON text of an aggregate's array; `[]` when it has no rows."""
    return f"coalesce('[' || string_agg({element}, ',' ORDER BY {order}){where} || ']', '[]')"


def iso_datetime_sql(expr: str) -> str:
    """SQL for datetime.isoformat() of a timestamptz in the session's time zone."""
    return (
        f"(to_char({expr}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN extract(microseconds FROM {expr})::int % 1000000 <> 0"
        f" THEN to_char({expr}, '.US') ELSE '' END || to_char({expr}, 'TZH:TZM'))"
    )


def iso_date_sql(expr: str) -> str:
    # psycopg requires the ISO DateStyle, in which a date's text is date.isoformat()'s.
    return f"({expr})::text"


# Today in Japan, as renkei.projects.milestones.today() has it, read when the statement runs.
TODAY_IN_JAPAN = "(now() AT TIME ZONE 'Asia/Tokyo')::date"


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


def selections_text(nodes: list[FieldNode]) -> str:
    """The selections of merged fields, as text: equal text, equal JSON."""
    return "".join(print_ast(n.selection_set) for n in nodes if n.selection_set)


def cursor_value_sql(expr: str, kind: str) -> str:
    if kind == "timestamptz":
        return iso_datetime_sql(expr)
    return f"({expr})::text"
