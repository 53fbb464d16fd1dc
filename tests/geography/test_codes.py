import pytest

from renkei.errors import ErrorCode, Invalid
from renkei.geography.codes import (
    is_prefecture_level,
    local_government_code_check_digit,
    prefecture_code_of,
    validate_corporate_number,
    validate_local_government_code,
)

REAL_CODES = ["130001", "010006", "011002", "131016", "271004", "472018"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_check_digit_of_real_codes(code: str) -> None:
    assert local_government_code_check_digit(code[:5]) == code[5]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_validate(code: str) -> None:
    assert validate_local_government_code(code) == code


def test_changed_check_digit_refused() -> None:
    with pytest.raises(Invalid) as exc:
        validate_local_government_code("130002")
    assert exc.value.code is ErrorCode.INVALID_CHECK_DIGIT
    assert exc.value.field == "localGovernmentCode"
    assert exc.value.message == "local government code 130002 has a wrong check digit (expected 1)"


@pytest.mark.parametrize("five", ["99123", "00000", "48000"])
def test_unknown_prefecture_refused(five: str) -> None:
    code = five + local_government_code_check_digit(five)
    with pytest.raises(Invalid) as exc:
        validate_local_government_code(code, field="lg")
    assert exc.value.code is ErrorCode.UNKNOWN_PREFECTURE
    assert exc.value.field == "lg"


def test_full_width_and_whitespace_accepted() -> None:
    assert validate_local_government_code("１３０００１") == "130001"
    assert validate_local_government_code(" 131016\n") == "131016"


@pytest.mark.parametrize("bad", ["", "13000", "1300011", "13000a", "13-0001", "٣٠٠٠١"])
def test_wrong_format_refused(bad: str) -> None:
    with pytest.raises(Invalid) as exc:
        validate_local_government_code(bad)
    assert exc.value.code is ErrorCode.INVALID


def test_prefecture_helpers() -> None:
    assert is_prefecture_level("130001")
    assert not is_prefecture_level("131016")
    assert prefecture_code_of("472018") == "47"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7000012050002", "7000012050002"),
        ("5835678256246", "5835678256246"),
        ("5-8356-7825-6246", "5835678256246"),
        ("７０００ ０１２０ ５０００２", "7000012050002"),
        ("７－０００－０１２－０５０００２", "7000012050002"),
    ],
)
def test_valid_corporate_numbers(raw: str, expected: str) -> None:
    assert validate_corporate_number(raw) == expected


@pytest.mark.parametrize("bad", ["2835678256246", "7000012050003"])
def test_corporate_number_bad_check_digit(bad: str) -> None:
    with pytest.raises(Invalid) as exc:
        validate_corporate_number(bad)
    assert exc.value.code is ErrorCode.INVALID_CHECK_DIGIT
    assert exc.value.field == "corporateNumber"


@pytest.mark.parametrize("bad", ["", "700001205000", "70000120500021", "700001205000X"])
def test_corporate_number_bad_format(bad: str) -> None:
    with pytest.raises(Invalid) as exc:
        validate_corporate_number(bad, field="cn")
    assert exc.value.code is ErrorCode.INVALID
    assert exc.value.field == "cn"
