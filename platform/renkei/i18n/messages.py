"""The words users read, from the gettext catalogs, in the reader's locale.

Every user-facing string is written in English in the code and marked for extraction: `_()`
translates now, `N_()` only marks a string that is translated where it is used, `ngettext()`
chooses a plural form. Babel extracts them into `catalogs/renkei.pot` (`make messages`); the
`ja` catalog holds the Japanese, the `en` catalog is the English of the code itself.

The reader's locale is a context variable: the request sets it (the user's saved preference,
then Accept-Language, then the organization's default, then `ja`) and a job writing to a
person sets it to that person's with `use_locale`. It is never keyed by a request object.
Placeholders are named and filled with str.format: `_("{name} is taken", name=name)`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

log = logging.getLogger(__name__)

Locale = Literal["ja", "en"]
LOCALES: tuple[Locale, ...] = ("ja", "en")
DEFAULT_LOCALE: Locale = "ja"
DOMAIN = "renkei"
CATALOGS = Path(__file__).with_name("catalogs")

_locale: ContextVar[Locale] = ContextVar("renkei_locale", default=DEFAULT_LOCALE)


def as_locale(value: str | None) -> Locale | None:
    """A supported locale from a tag such as `en`, `EN`, `ja-JP` or `en_US`; None otherwise."""
    if not value:
        return None
    primary = value.replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in LOCALES else None


@cache
def translations(locale: Locale) -> NullTranslations:
    """The compiled catalog of a locale (built by `make messages` or at install).

    A catalog that was not compiled, or is older than its .po, is compiled in memory from the
    .po and a warning says so: a stale .mo would show users yesterday's words.
    """
    folder = CATALOGS / locale / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    if not po.exists():
        raise LookupError(f"no message catalog for {locale!r} in {folder}")
    log.warning("message catalog %s is not compiled: run `make messages`", mo)
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def current_locale() -> Locale:
    """The locale of whoever reads what is being written now."""
    return _locale.get()


def activate(locale: Locale) -> None:
    """Make `locale` the reader's for the rest of this task (a request sets it once it knows)."""
    _locale.set(locale)


@contextmanager
def use_locale(locale: Locale | str | None) -> Iterator[Locale]:
    """Write for a reader of this locale inside the block (a job writing to one person)."""
    chosen = as_locale(locale) or DEFAULT_LOCALE
    token = _locale.set(chosen)
    try:
        yield chosen
    finally:
        _locale.reset(token)


def gettext(message: str, /, **params: Any) -> str:
    """`message` in the reader's locale, its {placeholders} filled."""
    text = translations(_locale.get()).gettext(message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> str:
    """The form for `n` in the reader's locale; `{n}` and the other placeholders filled."""
    text = translations(_locale.get()).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def translate_in(locale: Locale, message: str, /, **params: Any) -> str:
    """`message` in a given locale, whoever reads now (a text stored in every locale)."""
    with use_locale(locale):
        return gettext(message, **params)


def label(labels: Mapping[Any, str], code: str, /) -> str:
    """A code as the reader reads it, from a table of N_() labels keyed by the code (an enum
    member, or its value); a code the table lacks reads as it is."""
    words = labels.get(code)
    return gettext(words) if words is not None else str(code)


def N_(message: str, /) -> str:
    """Mark a string for extraction only; translate it with `_()` where it is shown."""
    return message


_ = gettext
