"""The languages Renkei speaks, as the API names them (renkei.i18n)."""

from __future__ import annotations

from enum import StrEnum

from renkei.graphql.compiled.spec import WORD, Scalar
from renkei.graphql.enums import described_enum


class LocaleValue(StrEnum):
    """A locale as stored (`users.locale`, `organizations.default_locale`): `ja` or `en`."""

    JA = "ja"
    EN = "en"


Locale = described_enum(
    LocaleValue,
    name="Locale",
    description="A language Renkei speaks: JA (日本語, the default) or EN (English).",
    values={"JA": "Japanese (日本語), the default.", "EN": "English."},
)


def locale_of(stored: str | None) -> LocaleValue | None:
    """The API's value of a stored locale; None when none was saved."""
    return LocaleValue(stored) if stored else None


def stored_locale(value: LocaleValue | None) -> str | None:
    """What the database stores for the API's value (None clears)."""
    return value.value if value is not None else None


def stored_locale_sql(column: str) -> Scalar:
    """A stored locale column as the compiled path writes it: JA, EN or null."""
    return Scalar(f"upper({column})", WORD)
