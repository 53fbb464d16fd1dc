"""Cleaning text that people type: names, codes and amounts, before they are stored.

Japanese input methods type full-width digits (４３), full-width or katakana dashes (－, ー)
and ideographic spaces; they mean the same code as their ASCII forms. Every code a person
types (法人番号, 団体コード, prefecture codes, postal codes) and every amount typed as text goes
through `normalize_code` or `parse_amount` here, so one rule holds everywhere. Names keep their
characters (NFC only: full-width letters in a name are the name).
"""

from __future__ import annotations

import re
import unicodedata

from renkei.errors import Invalid
from renkei.i18n.messages import _

# What people type for a hyphen in a number: katakana long vowel mark, full-width hyphen-minus,
# hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign, small
# hyphen-minus, half-width prolonged sound mark.
DASHES = "ー－‐‑‒–—―−﹣ｰ"
_TO_HYPHEN = str.maketrans(dict.fromkeys(DASHES, "-"))
_SEPARATORS = re.compile(r"[\s-]+")
_AMOUNT = re.compile(r"[0-9]+")
_YEN_MARKS = re.compile(r"^[¥￥\\]|円$")
_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$")


def normalize_code(value: str, *, separators: bool = True) -> str:
    """A code as typed, in ASCII: NFKC (full-width digits to ASCII), every dash to '-', stripped.

    With `separators` (codes written in groups: 法人番号 1-2345-6789-0123, 団体コード 21000-1,
    postal codes 500-8570) hyphens and spaces between the groups are dropped as well; the caller
    then checks the digits that remain."""
    code = unicodedata.normalize("NFKC", value).translate(_TO_HYPHEN).strip()
    return _SEPARATORS.sub("", code) if separators else code


def parse_amount(value: str, *, field: str = "amount") -> int:
    """A whole amount of yen typed as text: １２３，４５６円, ¥123,456 and 123456 are 123456."""
    # Spaces go, dashes stay: a minus sign is no separator, and an amount is never negative.
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    # NFKC turns ￥ into ¥; a Japanese keyboard's yen key types a backslash in some fonts.
    text = _YEN_MARKS.sub("", text)
    if "," in text:
        if not _THOUSANDS.fullmatch(text):
            raise Invalid(_("commas in an amount separate groups of three digits"), field=field)
        text = text.replace(",", "")
    if not _AMOUNT.fullmatch(text):
        raise Invalid(_("an amount is a whole number of yen, such as 1,234,567"), field=field)
    return int(text)


def clean_name(name: str, *, field: str = "name", max_length: int = 200) -> str:
    """NFC-normalized and stripped; refused when empty, too long or holding control characters."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > max_length:
        raise Invalid(
            _("a name of 1 to {max_length} characters is needed", max_length=max_length),
            field=field,
        )
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise Invalid(_("a name cannot hold control characters"), field=field)
    return name
