"""Validators for 全国地方公共団体コード (local government code) and 法人番号 (corporate number)."""

from __future__ import annotations

import re
import unicodedata

from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.jp import cn

from renkei.errors import ErrorCode, Invalid

_LG_WEIGHTS = (6, 5, 4, 3, 2)
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")


def local_government_code_check_digit(five_digits: str) -> str:
    """Return the check digit (6th digit) for a 5-digit local government code."""
    if not _FIVE_DIGITS.fullmatch(five_digits):
        raise ValueError(f"expected 5 ASCII digits, got {five_digits!r}")
    total = sum(int(d) * w for d, w in zip(five_digits, _LG_WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def validate_local_government_code(code: str, *, field: str = "localGovernmentCode") -> str:
    """Normalize and validate a 6-digit 全国地方公共団体コード, raising Invalid if it is wrong."""
    normalized = unicodedata.normalize("NFKC", code).strip()
    if not _SIX_DIGITS.fullmatch(normalized):
        raise Invalid(f"local government code must be exactly 6 digits, got {code!r}", field=field)
    expected = local_government_code_check_digit(normalized[:5])
    if normalized[5] != expected:
        raise Invalid(
            f"local government code {normalized} has a wrong check digit (expected {expected})",
            field=field,
            code=ErrorCode.INVALID_CHECK_DIGIT,
        )
    if not 1 <= int(normalized[:2]) <= 47:
        raise Invalid(
            f"local government code {normalized} starts with {normalized[:2]}, "
            "which is not a prefecture code (01-47)",
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
    """Normalize and validate a 13-digit 法人番号, raising Invalid if it is wrong."""
    normalized = cn.compact(unicodedata.normalize("NFKC", number))
    if not _THIRTEEN_DIGITS.fullmatch(normalized):
        raise Invalid(f"corporate number must be exactly 13 digits, got {number!r}", field=field)
    try:
        return cn.validate(normalized)
    except InvalidChecksum:
        raise Invalid(
            f"corporate number {normalized} has a wrong check digit",
            field=field,
            code=ErrorCode.INVALID_CHECK_DIGIT,
        ) from None
    except ValidationError:
        raise Invalid(f"corporate number {number!r} is not valid", field=field) from None
