import pytest

from renkei.errors import ErrorCode, Invalid
from renkei.geography.codes import (
    check_prefecture_code,
    is_prefecture_level,
    local_government_code_check_digit,
    normalize_prefecture_code,
    prefecture_code_of,
    prefecture_label,
    prefecture_list,
    validate_corporate_number,
    validate_local_government_code,
)
from renkei.i18n.messages import use_locale

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
    assert exc.value.message == (
        "団体コード 130002 のチェックディジット（末尾の1桁）が正しくありません（正しくは 1）。"
        "コードをお確かめください。"
    )
    with use_locale("en"), pytest.raises(Invalid) as exc:
        validate_local_government_code("130002")
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


# --- what Japanese users type ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "７００００１２０５０００２",  # full-width digits
        "７－０００－０１２－０５０００２",  # full-width hyphen-minus
        "7ー0000ー1205ー0002",  # katakana long vowel mark, as an IME types a dash
        "7‐0000‐1205‐0002",  # hyphen
        "7−0000−1205−0002",  # minus sign
        "7–0000–1205–0002",  # en dash
        "　7000012050002　",  # ideographic spaces around
    ],
)
def test_a_corporate_number_is_read_as_typed_in_japanese(typed: str) -> None:
    assert validate_corporate_number(typed) == "7000012050002"


@pytest.mark.parametrize("typed", ["１３０００１", "　１３０００１ ", "130001"])
def test_a_local_government_code_is_read_as_typed_in_japanese(typed: str) -> None:
    assert validate_local_government_code(typed) == "130001"


@pytest.mark.parametrize(
    ("typed", "message_ja", "message_en"),
    [
        (
            "７００００１２０５０００",
            "法人番号は13桁の数字です（入力された番号は12桁です）。",
            "a corporate number (法人番号) is 13 digits, not 12",
        ),
        (
            "700001205000X",
            "法人番号は13桁の数字です。数字以外の文字は使えません（入力：「700001205000X」）。",
            "a corporate number (法人番号) is 13 digits, without other characters: got "
            '"700001205000X"',
        ),
        (
            "８０００－０１２－０５０００２",
            "法人番号 8000012050002 のチェックディジット（先頭の1桁）が正しくありません"
            "（正しくは 7）。番号をお確かめください。",
            "corporate number 8000012050002 has a wrong check digit: its first digit should be 7",
        ),
    ],
)
def test_a_bad_corporate_number_says_what_is_wrong_in_the_readers_language(
    typed: str, message_ja: str, message_en: str
) -> None:
    with pytest.raises(Invalid) as ja:
        validate_corporate_number(typed)
    with use_locale("en"), pytest.raises(Invalid) as en:
        validate_corporate_number(typed)
    assert (ja.value.message, en.value.message) == (message_ja, message_en)
    assert ja.value.code is en.value.code


def test_a_bad_local_government_code_says_how_many_digits_it_has() -> None:
    with pytest.raises(Invalid) as exc:
        validate_local_government_code("１３０００")
    assert exc.value.message == "団体コードは6桁の数字です（入力されたコードは5桁です）。"


@pytest.mark.parametrize("typed", ["43", "４３", " 43 ", "\u300043"])
def test_a_prefecture_code_is_read_as_typed_in_japanese(typed: str) -> None:
    assert check_prefecture_code(typed, field="f") == "43"


def test_a_one_digit_prefecture_code_is_the_two_digit_one() -> None:
    assert normalize_prefecture_code("４") == "04"
    assert check_prefecture_code("4", field="f") == "04"


@pytest.mark.parametrize("typed", ["48", "00", "", "4-3", "東京"])
def test_an_unknown_prefecture_code_is_refused_in_japanese(typed: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_prefecture_code(typed, field="homePrefectureCode")
    assert exc.value.code is ErrorCode.UNKNOWN_PREFECTURE
    assert exc.value.field == "homePrefectureCode"
    assert exc.value.message.startswith("都道府県コード「")


def test_prefectures_are_named_the_readers_way() -> None:
    assert prefecture_label("43") == "熊本県（43）"
    assert prefecture_list(["43", "40"]) == "福岡県（40）、熊本県（43）"
    with use_locale("en"):
        assert prefecture_list(["43", "40"]) == "Fukuoka (40) and Kumamoto (43)"
