"""Whose words: the reader's locale from their preference, their browser, their organization."""

from __future__ import annotations

from renkei.i18n.messages import DEFAULT_LOCALE, Locale, as_locale


def from_accept_language(header: str | None) -> Locale | None:
    """The supported locale the client ranks highest in Accept-Language (RFC 9110 §12.5.4).

    `q=0` refuses a language; `*` accepts the default. None when the header names none we have.
    """
    if not header:
        return None
    ranked: list[tuple[float, int, Locale]] = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        locale = DEFAULT_LOCALE if tag.strip() == "*" else as_locale(tag)
        if locale is not None:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else None


def choose(
    *,
    preference: str | None = None,
    accept_language: str | None = None,
    organization_default: str | None = None,
) -> Locale:
    """The reader's locale: their saved preference, then Accept-Language, then their
    organization's default, then Japanese."""
    return (
        as_locale(preference)
        or from_accept_language(accept_language)
        or as_locale(organization_default)
        or DEFAULT_LOCALE
    )
