"""Scalars read the way people in Japan type them, refused in words they can act on.

`Date` stays the GraphQL type clients know (YYYY-MM-DD, as strawberry's), but its input is
NFKC-normalized first, so that full-width digits and dashes typed with a Japanese input method
(２０２６－０４－０１) are the date they look like; anything else that is not a day of the
calendar written YYYY-MM-DD (2026/4/1, 20260401, 2026-02-30) is refused with a sentence in the
reader's language (InvalidDate), instead of graphql-core's and Python's English.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from renkei.i18n.messages import _

# Dashes an input method may type for the hyphen-minus, which NFKC leaves as they are.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ー－ｰ", "-"))
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
# Longer than any date typed by hand: a long value is shown cut short in the message.
_SHOWN = 40


class InvalidDate(GraphQLError):
    """A Date input that is no date: why, in the reader's language (`reason()`).

    A GraphQLError, so that graphql-core reports it as the client's mistake (not a fault);
    renkei.graphql.http rewrites the message graphql-core wraps it in (`Variable '$x' ...`)
    into one sentence in the reader's language.
    """

    def __init__(self, value: Any, *, exists: bool) -> None:
        self.value = value
        # True when it is written as YYYY-MM-DD but names no day (2026-02-30).
        self.written_right = exists
        super().__init__(self.reason())

    def shown(self) -> str:
        text = self.value if isinstance(self.value, str) else repr(self.value)
        return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"

    def reason(self) -> str:
        """Why, in the current reader's language (computed again when the answer is written)."""
        if not isinstance(self.value, str):
            return _("a date is written as text: YYYY-MM-DD, for example 2026-04-01")
        if self.written_right:
            return _(
                "{value} is not a day of the calendar: check the month and the day",
                value=self.shown(),
            )
        return _(
            "{value} is not a date: write it as YYYY-MM-DD, for example 2026-04-01",
            value=self.shown(),
        )


def parse_date(value: Any) -> dt.date:
    """YYYY-MM-DD, once NFKC-normalized and with any dash read as `-`; InvalidDate otherwise."""
    if not isinstance(value, str):
        raise InvalidDate(value, exists=False)
    text = unicodedata.normalize("NFKC", value).translate(_DASHES).strip()
    found = _ISO_DATE.fullmatch(text)
    if found is None:
        raise InvalidDate(value, exists=False)
    year, month, day = (int(part) for part in found.groups())
    try:
        return dt.date(year, month, day)
    except ValueError as error:
        raise InvalidDate(value, exists=True) from error


def invalid_date_in(error: GraphQLError) -> InvalidDate | None:
    """The InvalidDate an error of graphql-core's wraps, if one does."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 5:
        if isinstance(current, InvalidDate):
            return current
        current = getattr(current, "original_error", None)
        seen += 1
    return None


# How graphql-core words a variable that does not fit its type: the variable, and where in it.
_VARIABLE = re.compile(r"Variable '\$(\w+)' has invalid value(?: at \.?(\S+))?:")


def date_message(error: GraphQLError, invalid: InvalidDate) -> str:
    """One sentence for a bad Date, saying which variable (and where in it) carried it."""
    found = _VARIABLE.match(error.message) if error is not invalid else None
    if found is None:
        return invalid.reason()
    name, path = found.groups()
    if path:
        return _(
            "{reason} (variable ${name}, at {path})",
            reason=invalid.reason(),
            name=name,
            path=path,
        )
    return _("{reason} (variable ${name})", reason=invalid.reason(), name=name)


# Strawberry's own Date replaced (StrawberryConfig.scalar_map), under the same GraphQL name.
DATE = strawberry.scalar(
    name="Date",
    description=(
        "A calendar date, YYYY-MM-DD (ISO 8601). Full-width digits and dashes are read as"
        " their ASCII forms."
    ),
    serialize=dt.date.isoformat,
    parse_value=parse_date,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {dt.date: DATE}
