"""What the console's pages share about values: the API's dates as people read them, and forms'
fields as the mutations need them (full-width digits and dates read as typed)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from renkei.graphql.console.app import value
from renkei.graphql.scalars import InvalidDate, parse_date
from renkei.i18n.formats import JST, format_date
from renkei.i18n.messages import _

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console


def api_day(text: str | None) -> str:
    """A Date (or the day of a DateTime) of the API as people read it: 2027年4月1日."""
    return format_date(date.fromisoformat(text[:10])) if text else ""


def api_moment(text: str | None) -> str:
    """A DateTime of the API as people in Japan read it: 2027年4月1日 10:00."""
    if not text:
        return ""
    at = datetime.fromisoformat(text).astimezone(JST)
    return f"{format_date(at.date())} {at:%H:%M}"


def whole_number(text: str | None) -> int | None:
    """A whole number as people type it (full-width digits, 150,000); None when it is not one."""
    if text is None:
        return None
    normalized = unicodedata.normalize("NFKC", text).replace(",", "").replace("円", "").strip()
    return int(normalized) if re.fullmatch(r"-?\d+", normalized) else None


@dataclass
class Fields:
    """A posted form's fields as the mutation's input needs them; what cannot be sent, by field.

    The API judges every value it can receive; only what GraphQL cannot carry (an empty required
    field, a date or number that is not one) is caught here, so that nothing is sent."""

    form: FormData
    errors: dict[str | None, list[str]] = field(default_factory=dict)

    def _fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, required: bool = False) -> str | None:
        found = value(self.form, name)
        if found is None and required:
            self._fail(name, _("Enter this field."))
        return found

    def day(self, name: str, *, required: bool = False) -> str | None:
        found = self.text(name, required=required)
        if found is None:
            return None
        try:
            return parse_date(found).isoformat()
        except InvalidDate as invalid:
            self._fail(name, invalid.reason())
            return None

    def integer(self, name: str, *, required: bool = False) -> int | None:
        found = self.text(name, required=required)
        if found is None:
            return None
        number = whole_number(found)
        if number is None:
            self._fail(name, _("Enter a whole number."))
        return number

    def decimal(self, name: str, *, required: bool = False) -> float | None:
        found = self.text(name, required=required)
        if found is None:
            return None
        try:
            parsed = float(found.replace(",", ""))
        except ValueError:
            parsed = math.nan
        if math.isnan(parsed):
            self._fail(name, _("Enter a number such as 1250 or 12.5."))
            return None
        return parsed

    def values(self) -> dict[str, str]:
        return {k: v for k, v in self.form.items() if isinstance(v, str)}


Again = Callable[..., Awaitable[Response]]


async def submit(
    console: Console,
    request: Request,
    fields: Fields,
    operation: str,
    form_input: dict[str, Any],
    *,
    again: Again,
    done: tuple[str, str],
    keep_typed: bool = True,
) -> Response:
    """A form's one mutation: on to `done` (url, notice) when it took effect; else the page
    `again(errors=..., typed=...)`, status 422, with what could not be sent or what the API said
    beside each field. Nothing is sent when a field could not be read."""
    errors = fields.errors
    if not errors:
        outcome = await console.mutate(request, operation, {"input": form_input})
        if outcome.ok:
            raise console.done(*done)
        errors = outcome.by_field()
    if keep_typed:
        return await again(errors=errors, typed=fields.values())
    return await again(errors=errors)
