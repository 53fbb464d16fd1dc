"""Search on Japanese text in core PostgreSQL: character bigrams in a text[] under a GIN index.

Japanese has no spaces between words, and pg_trgm is not available (no contrib extensions), so
names are cut into overlapping two-character pieces after NFKC normalization: 東京都 ->
{東京, 京都}. A query matches when its bigrams are all in the row's (`@>`), so two-character
words such as 東京 match, and so does a single character (kept as a unigram).
"""

from __future__ import annotations

import unicodedata

_HIRAGANA_TO_KATAKANA = str.maketrans(
    {chr(c): chr(c + 0x60) for c in range(ord("ぁ"), ord("ゖ") + 1)}
)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width ASCII, half-width to full-width kana), lower case,
    hiragana as katakana, and white space and punctuation dropped."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_HIRAGANA_TO_KATAKANA)
    return "".join(c for c in text if unicodedata.category(c)[0] in ("L", "N"))


def bigrams(text: str) -> list[str]:
    """The distinct bigrams of the normalized text, in order; a one-character text is itself."""
    normalized = normalize(text)
    if len(normalized) < 2:
        return [normalized] if normalized else []
    seen: dict[str, None] = {}
    for i in range(len(normalized) - 1):
        seen.setdefault(normalized[i : i + 2], None)
    return list(seen)


def document_terms(*texts: str) -> list[str]:
    """What to store for a row: the bigrams of each text, and each text's characters as
    unigrams, so that a one-character query finds it too."""
    terms: dict[str, None] = {}
    for text in texts:
        normalized = normalize(text)
        for term in (*bigrams(text), *normalized):
            terms.setdefault(term, None)
    return list(terms)
