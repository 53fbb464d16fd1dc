"""renkei.text: codes, amounts and names as Japanese users type them."""

from __future__ import annotations

import unicodedata

import pytest

from renkei.errors import ErrorCode, Invalid
from renkei.i18n.messages import use_locale
from renkei.text import DASHES, clean_name, normalize_code, parse_amount


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("１２３", "123"),
        ("　１２３　", "123"),
        ("５００－８５７０", "5008570"),  # a postal code with a full-width hyphen-minus
        ("５００ー８５７０", "5008570"),  # ... with the katakana long vowel mark an IME types
        ("7 0000 1205 0002", "7000012050002"),
        *((f"1{dash}2", "12") for dash in DASHES),
    ],
)
def test_a_code_is_read_in_ascii_without_its_separators(typed: str, code: str) -> None:
    assert normalize_code(typed) == code


def test_without_separators_a_dash_stays_a_hyphen_for_the_caller_to_refuse() -> None:
    assert normalize_code("１３ー０００１", separators=False) == "13-0001"
    assert normalize_code(" ４３\u3000", separators=False) == "43"


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1234567", 1234567),
        ("１，２３４，５６７円", 1234567),
        ("￥１，２３４，５６７", 1234567),
        ("¥1,234,567", 1234567),
        (" 500 000 ", 500000),
        ("０", 0),
    ],
)
def test_an_amount_typed_as_text_is_read_in_whole_yen(typed: str, amount: int) -> None:
    assert parse_amount(typed) == amount


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,23,4567", "金額のカンマは3桁ごとに入れてください。"),
        ("-500", "金額は1,234,567のように円単位の整数で入力してください。"),
        ("１２．５", "金額は1,234,567のように円単位の整数で入力してください。"),
        ("五百円", "金額は1,234,567のように円単位の整数で入力してください。"),
        ("", "金額は1,234,567のように円単位の整数で入力してください。"),
    ],
)
def test_an_amount_that_is_not_whole_yen_is_refused_in_japanese(typed: str, message: str) -> None:
    with pytest.raises(Invalid) as exc:
        parse_amount(typed, field="amountJpy")
    assert (exc.value.field, exc.value.code, exc.value.message) == (
        "amountJpy",
        ErrorCode.INVALID,
        message,
    )


def test_a_name_is_composed_trimmed_and_keeps_its_full_width_letters() -> None:
    typed = unicodedata.normalize("NFD", " ＡＢＣがっこう ")
    assert clean_name(typed) == "ＡＢＣがっこう"
    assert unicodedata.is_normalized("NFC", clean_name(typed))


def test_a_refused_name_is_explained_in_the_readers_language() -> None:
    with pytest.raises(Invalid) as ja:
        clean_name("  ", max_length=50)
    with use_locale("en"), pytest.raises(Invalid) as en:
        clean_name("a\x07b")
    assert ja.value.message == "名称は1〜50文字で入力してください。"
    assert en.value.message == "a name cannot hold control characters"
