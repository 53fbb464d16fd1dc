"""Whose language: preference, Accept-Language, organization, Japanese; and Japanese forms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from renkei.i18n.formats import fiscal_year_label, format_date, format_yen, wareki
from renkei.i18n.messages import _, ngettext, use_locale
from renkei.i18n.negotiation import choose, from_accept_language


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, None),
        ("", None),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("ja-JP", "ja"),
        ("fr-FR, en;q=0.5, ja;q=0.8", "ja"),
        ("fr, de", None),
        ("en;q=0, ja;q=0.1", "ja"),
        ("en;q=0", None),
        ("*", "ja"),
        ("EN_us", "en"),
        ("en;q=bogus, ja;q=0.3", "ja"),
    ],
)
def test_accept_language_picks_the_best_supported_language(
    header: str | None, locale: str | None
) -> None:
    assert from_accept_language(header) == locale


def test_the_saved_preference_wins_then_the_browser_then_the_organization_then_japanese() -> None:
    assert choose(preference="en", accept_language="ja", organization_default="ja") == "en"
    assert choose(preference=None, accept_language="en", organization_default="ja") == "en"
    assert choose(preference=None, accept_language="fr", organization_default="en") == "en"
    assert choose() == "ja"
    assert choose(preference="xx", accept_language="zz") == "ja"


def test_messages_are_japanese_by_default_and_english_on_request() -> None:
    assert _("at risk") == "遅延リスクあり"
    with use_locale("en"):
        assert _("at risk") == "at risk"
        assert ngettext(
            "{n} new proposal for your needs", "{n} new proposals for your needs", 1
        ) == ("1 new proposal for your needs")
    assert ngettext("{n} new proposal for your needs", "{n} new proposals for your needs", 3) == (
        "貴社の募集に新しい提案が3件あります"
    )


def test_dates_in_japanese_western_and_era_forms() -> None:
    day = date(2026, 4, 1)
    with use_locale("ja"):
        assert format_date(day) == "2026年4月1日"
        assert format_date(day, japanese_era=True) == "令和8年4月1日"
    with use_locale("en"):
        assert format_date(day) == "April 1, 2026"
        # An English reader gets the Western date even where a document asks for 和暦.
        assert format_date(day, japanese_era=True) == "April 1, 2026"
    assert wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki(date(1989, 1, 7)) == "昭和64年1月7日"


def test_fiscal_years_and_amounts() -> None:
    with use_locale("ja"):
        assert fiscal_year_label(2026) == "2026年度"
        assert fiscal_year_label(2026, japanese_era=True) == "令和8年度"
        assert fiscal_year_label(2019, japanese_era=True) == "令和元年度"
        assert fiscal_year_label(1988, japanese_era=True) == "昭和63年度"
        assert format_yen(1234567) == "¥1,234,567"
        assert format_yen(Decimal("1234567.5"), suffix=True) == "1,234,568円"
        assert format_yen(-500) == "-¥500"
    with use_locale("en"):
        assert fiscal_year_label(2026) == "FY2026"
        assert format_yen(1234567, suffix=True) == "¥1,234,567"
