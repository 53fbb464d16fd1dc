"""JSON written by PostgreSQL for compiled reads: the SQL that writes each kind of value, and
the data that carries the written text to the response without parsing it again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class RawJson:
    """The `data` of a compiled query as PostgreSQL wrote it: the HTTP layer sends it as is."""

    raw: bytes

    def parsed(self) -> dict[str, Any]:
        """The data as Python values, for readers other than the HTTP layer (tests, the console)."""
        value: dict[str, Any] = orjson.loads(self.raw)
        return value


def global_id_sql(type_name: str, key: str) -> str:
    """JSON text of renkei.graphql.relay.to_global_id: url-safe base64 of 'Type:key', padded.

    The key is a uuid or a code (ASCII, no backslash, so the cast to bytea is plain).
    PostgreSQL starts a new base64 line every 76 characters (57 bytes): a long type's id
    (IntermediaryAuthorization) is longer, so the line breaks are taken out.
    """
    encoded = f"encode(('{type_name}:' || ({key})::text)::bytea, 'base64')"
    return (
        f"('\"' || replace(replace(replace({encoded}, chr(10), ''), '+', '-'), '/', '_') || '\"')"
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


# Today in Japan, as renkei.milestones.models.today() has it, read when the statement runs.
TODAY_IN_JAPAN = "(now() AT TIME ZONE 'Asia/Tokyo')::date"


def json_constant(value: object) -> str:
    """SQL for the JSON text of a constant (a formula, a reason), written once at start-up."""
    written = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "'" + written.replace("'", "''") + "'"
