"""Validators for 全国地方公共団体コード (local government code), 法人番号 (corporate number) and
prefecture codes (JIS X 0401).

Codes are read as people type them (renkei.text.normalize_code): full-width digits and
whitespace are fine everywhere; hyphens between groups only in a 法人番号, which is often
written 1-2345-6789-0123. A refusal says what is wrong with the code in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from babel.lists import format_list
from stdnum.jp import cn

from renkei.errors import ErrorCode, Invalid
from renkei.geography.data import PREFECTURES_BY_CODE
from renkei.i18n.messages import _, current_locale
from renkei.text import normalize_code

_LG_WEIGHTS = (6, 5, 4, 3, 2)
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")
_DIGITS = re.compile(r"[0-9]*")


def local_government_code_check_digit(five_digits: str) -> str:
    """Return the check digit (6th digit) for a 5-digit local government code."""
    if not _FIVE_DIGITS.fullmatch(five_digits):
        raise ValueError(f"expected 5 ASCII digits, got {five_digits!r}")
    total = sum(int(d) * w for d, w in zip(five_digits, _LG_WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def validate_local_government_code(code: str, *, field: str = "localGovernmentCode") -> str:
    """Normalize and validate a 6-digit 全国地方公共団体コード, raising Invalid if it is wrong."""
    normalized = normalize_code(code, separators=False)
    if not _SIX_DIGITS.fullmatch(normalized):
        raise Invalid(
            _(
                "a local government code (団体コード) is 6 digits, without other characters:"
                ' got "{code}"',
                code=normalized,
            )
            if not _DIGITS.fullmatch(normalized)
            else _("a local government code (団体コード) is 6 digits, not {n}", n=len(normalized)),
            field=field,
        )
    expected = local_government_code_check_digit(normalized[:5])
    if normalized[5] != expected:
        raise Invalid(
            _(
                "local government code {code} has a wrong check digit (expected {expected})",
                code=normalized,
                expected=expected,
            ),
            field=field,
            code=ErrorCode.INVALID_CHECK_DIGIT,
        )
    if not 1 <= int(normalized[:2]) <= 47:
        raise Invalid(
            _(
                "local government code {code} starts with {prefix}, which is not a prefecture"
                " code (01-47)",
                code=normalized,
                prefix=normalized[:2],
            ),
            field=field,
            code=ErrorCode.UNKNOWN_PREFECTURE,
        )
    return normalized


def is_prefecture_level(code: str) -> bool:
    """Tell whether a local government code designates a prefecture (digits 3-5 are 000)."""
    return code[2:5] == "000"


def prefecture_code_of(code: str) -> str:
    """Return the two-digit prefecture code that a local government code belongs to."""
    return code[:2]


def validate_corporate_number(number: str, *, field: str = "corporateNumber") -> str:
    """Normalize and validate a 13-digit 法人番号, raising Invalid if it is wrong.

    Its check digit is the first one (国税庁: 9 minus a weighted sum of the other twelve)."""
    normalized = normalize_code(number)
    if not _THIRTEEN_DIGITS.fullmatch(normalized):
        raise Invalid(
            _(
                "a corporate number (法人番号) is 13 digits, without other characters:"
                ' got "{number}"',
                number=normalized,
            )
            if not _DIGITS.fullmatch(normalized)
            else _("a corporate number (法人番号) is 13 digits, not {n}", n=len(normalized)),
            field=field,
        )
    expected = cn.calc_check_digit(normalized[1:])
    if normalized[0] != expected:
        raise Invalid(
            _(
                "corporate number {number} has a wrong check digit: its first digit should be"
                " {expected}",
                number=normalized,
                expected=expected,
            ),
            field=field,
            code=ErrorCode.INVALID_CHECK_DIGIT,
        )
    return normalized


def normalize_prefecture_code(code: str) -> str:
    """A prefecture code as typed (４３, 4, " 04 "), in its two-digit ASCII form; not checked."""
    normalized = normalize_code(code, separators=False)
    return normalized.zfill(2) if len(normalized) == 1 else normalized


def check_prefecture_code(code: str, *, field: str) -> str:
    """A known JIS X 0401 prefecture code, normalized; Invalid (UNKNOWN_PREFECTURE) otherwise."""
    normalized = normalize_prefecture_code(code)
    if normalized not in PREFECTURES_BY_CODE:
        raise Invalid(
            _(
                'unknown prefecture code "{code}": use a JIS X 0401 code from 01 (北海道) to'
                " 47 (沖縄県)",
                code=normalized,
            ),
            field=field,
            code=ErrorCode.UNKNOWN_PREFECTURE,
        )
    return normalized


def prefecture_label(code: str) -> str:
    """岐阜県（21） for a Japanese reader, Gifu (21) for an English one; a code as it is when
    it names no prefecture."""
    prefecture = PREFECTURES_BY_CODE.get(code)
    if prefecture is None:
        return code
    name = prefecture.name if current_locale() == "ja" else prefecture.name_romaji
    return _("{prefecture} ({code})", prefecture=name, code=code)


def prefecture_list(codes: Iterable[str]) -> str:
    """Prefectures in code order, listed the reader's way: 岐阜県（21）、愛知県（23）."""
    return format_list([prefecture_label(c) for c in sorted(codes)], locale=current_locale())
