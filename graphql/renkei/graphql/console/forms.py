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

# A datetime-local field's value (seconds and a zone optional), once full-width digits are read.
_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)?")
_ZONED = re.compile(r"(Z|[+-]\d\d:\d\d)$")


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
    # The fields read as choices (several values): shown again as lists.
    lists: set[str] = field(default_factory=set)

    def fail(self, name: str, message: str) -> None:
        """Say what is wrong with a field; then nothing is sent."""
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, required: bool = False) -> str | None:
        found = value(self.form, name)
        if found is None and required:
            self.fail(name, _("Enter this field."))
        return found

    def day(self, name: str, *, required: bool = False) -> str | None:
        found = self.text(name, required=required)
        if found is None:
            return None
        try:
            return parse_date(found).isoformat()
        except InvalidDate as invalid:
            self.fail(name, invalid.reason())
            return None

    def moment(self, name: str, *, required: bool = False) -> str | None:
        """A date and time as a datetime-local field sends it; in Japan time unless it says."""
        found = self.text(name, required=required)
        if found is None:
            return None
        typed = unicodedata.normalize("NFKC", found)
        if not _MOMENT.fullmatch(typed):
            self.fail(name, _("Enter a date and time, such as 2027-04-01T10:00."))
            return None
        return typed if _ZONED.search(typed) else typed + "+09:00"

    def integer(self, name: str, *, required: bool = False) -> int | None:
        found = self.text(name, required=required)
        if found is None:
            return None
        number = whole_number(found)
        if number is None:
            self.fail(name, _("Enter a whole number."))
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
            self.fail(name, _("Enter a number such as 1250 or 12.5."))
            return None
        return parsed

    def choices(self, name: str) -> list[str]:
        """Every value of a field sent several times (checkboxes of one name), as typed."""
        self.lists.add(name)
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]

    def values(self) -> dict[str, Any]:
        """The form as typed, to show again: a string a field, a list for choices."""
        typed: dict[str, Any] = {k: v for k, v in self.form.items() if isinstance(v, str)}
        typed.update({name: self.choices(name) for name in self.lists})
        return typed


def unplaced(errors: dict[str | None, list[str]], fields: frozenset[str]) -> list[str]:
    """The messages no field of the form shows: the form's own, and those of other fields."""
    return [m for key, found in errors.items() if key not in fields for m in found]


def messages(errors: dict[str | None, list[str]]) -> list[str]:
    """Every message, for a page whose forms are single buttons (shown at its top)."""
    return [m for found in errors.values() for m in found]


Again = Callable[..., Awaitable[Response]]
# Where a form goes once its mutation took effect: (url, notice), or that from the payload.
Done = tuple[str, str] | Callable[[dict[str, Any]], tuple[str, str]]


async def post(
    console: Console,
    request: Request,
    operation: str,
    build: Callable[[Fields], dict[str, Any]],
    *,
    again: Again,
    done: Done,
    keep_typed: bool = True,
) -> Response:
    """A posted form (its CSRF token checked) whose fields `build` reads into the mutation's
    input, then `submit`."""
    fields = Fields(await console.form(request))
    form_input = build(fields)
    return await submit(
        console,
        request,
        fields,
        operation,
        form_input,
        again=again,
        done=done,
        keep_typed=keep_typed,
    )


async def submit(
    console: Console,
    request: Request,
    fields: Fields,
    operation: str,
    form_input: dict[str, Any],
    *,
    again: Again,
    done: Done,
    keep_typed: bool = True,
) -> Response:
    """A form's one mutation: on to `done` (url, notice) when it took effect; else the page
    `again(errors=..., typed=...)`, status 422, with what could not be sent or what the API said
    beside each field. Nothing is sent when a field could not be read."""
    errors = fields.errors
    if not errors:
        outcome = await console.mutate(request, operation, {"input": form_input})
        if outcome.ok:
            raise console.done(*(done(outcome.payload) if callable(done) else done))
        errors = outcome.by_field()
    if keep_typed:
        return await again(errors=errors, typed=fields.values())
    return await again(errors=errors)
