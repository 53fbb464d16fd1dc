from datetime import date

import pytest

from renkei.fiscal import fiscal_year, fiscal_year_bounds
from renkei.text_search import bigrams, document_terms, normalize


def matches(query: str, *texts: str) -> bool:
    """As the database will ask: every bigram of the query is among the row's terms."""
    return set(bigrams(query)) <= set(document_terms(*texts))


def test_normalization_folds_widths_case_and_kana():
    assert normalize("ＡＢＣ　半導体 ﾌﾟﾛｼﾞｪｸﾄ") == "abc半導体プロジェクト"
    assert normalize("ぷろじぇくと") == normalize("プロジェクト")


def test_bigrams_of_japanese_text():
    assert bigrams("東京都") == ["東京", "京都"]
    assert bigrams("九州") == ["九州"]
    assert bigrams("九") == ["九"]
    assert bigrams("") == []


@pytest.mark.parametrize(
    ("query", "name", "found"),
    [
        ("東京", "東京都立産業技術研究センター", True),
        ("半導体", "九州半導体サプライチェーン強化", True),
        ("はんどうたい", "ハンドウタイ人材育成", True),
        ("ＤＸ", "中小企業dx推進", True),
        ("九", "九州周遊観光ルート", True),
        ("京都", "東京都の観光", True),  # a bigram search cannot tell words apart
        ("大阪", "九州半導体サプライチェーン強化", False),
        ("半導体製造", "半導体人材", False),
    ],
)
def test_a_query_matches_when_all_its_bigrams_are_in_the_name(query, name, found):
    assert matches(query, name) is found


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2025, 4, 1), 2025), (date(2026, 3, 31), 2025), (date(2026, 1, 15), 2025)],
)
def test_fiscal_year_runs_april_to_march(day, year):
    assert fiscal_year(day) == year
    first, last = fiscal_year_bounds(year)
    assert first <= day <= last
