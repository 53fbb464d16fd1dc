"""Attainment by the published formula, and the mean of several KPIs' attainment.

The rules are checked in English (the msgids); the last tests read them in Japanese, the
language a reader gets by default."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from renkei.i18n.formats import fiscal_year_label
from renkei.i18n.messages import use_locale
from renkei.kpis.attainment import FORMULAS, ROLLUP_FORMULA, Observed, attainment, rollup
from renkei.kpis.models import KpiDirection

D = Decimal


@pytest.fixture(autouse=True)
def english(request: pytest.FixtureRequest) -> Iterator[None]:
    """English, unless the test reads Japanese."""
    if "japanese" in request.node.name:
        yield
        return
    with use_locale("en"):
        yield


def observed(value: str, end: date, start: date | None = None) -> Observed:
    return Observed(D(value), start or end.replace(day=1), end)


def test_an_increasing_kpi_attains_the_share_of_the_planned_rise():
    # given 1,000 visitors at the baseline, 2,000 planned for FY2025, 1,450 observed in June
    latest = observed("1450", date(2025, 6, 30))
    # when
    result = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(1000),
        targets={2025: D(2000), 2026: D(3000)},
        latest=latest,
    )
    # then: (1450 − 1000) ÷ (2000 − 1000) × 100
    assert result.percent == D("45.0")
    assert result.achieved is False
    assert (result.target, result.target_fiscal_year, result.latest) == (D(2000), 2025, latest)
    assert result.baseline == D(1000)
    assert result.formula == FORMULAS[KpiDirection.INCREASE]
    assert result.reason is None


def test_a_decreasing_kpi_attains_the_share_of_the_planned_reduction():
    # given 500 t-CO2 at the baseline, 300 t planned, 380 t observed
    result = attainment(
        direction=KpiDirection.DECREASE,
        baseline=D(500),
        targets={2025: D(300)},
        latest=observed("380", date(2025, 9, 30)),
    )
    # then: (500 − 380) ÷ (500 − 300) × 100
    assert result.percent == D("60.0")
    assert result.achieved is False
    assert result.formula == (
        "percent = (baseline − latest) ÷ (baseline − target) × 100; achieved when latest ≤ target"
    )


@pytest.mark.parametrize(
    ("direction", "latest", "percent", "achieved"),
    [
        (KpiDirection.INCREASE, "2300", "130.0", True),  # past the target: not capped
        (KpiDirection.INCREASE, "2000", "100.0", True),
        (KpiDirection.INCREASE, "900", "-10.0", False),  # fell below the baseline
        (KpiDirection.DECREASE, "350", "130.0", True),
        (KpiDirection.DECREASE, "1050", "-10.0", False),
    ],
)
def test_attainment_is_not_capped_and_achieved_says_whether_the_target_is_met(
    direction, latest, percent, achieved
):
    target = D(2000) if direction is KpiDirection.INCREASE else D(500)
    result = attainment(
        direction=direction,
        baseline=D(1000),
        targets={2025: target},
        latest=observed(latest, date(2025, 12, 31)),
    )
    assert (result.percent, result.achieved) == (D(percent), achieved)


def test_the_percent_is_rounded_half_up_to_one_decimal_at_the_end():
    # (1 − 0) ÷ (8 − 0) × 100 = 12.5 exactly; (1 ÷ 16) × 100 = 6.25 → 6.3 (half up, not even)
    eighth = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(0),
        targets={2025: D(8)},
        latest=observed("1", date(2025, 5, 31)),
    )
    sixteenth = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(0),
        targets={2025: D(16)},
        latest=observed("1", date(2025, 5, 31)),
    )
    third = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(0),
        targets={2025: D(3)},
        latest=observed("1", date(2025, 5, 31)),
    )
    assert (eighth.percent, sixteenth.percent, third.percent) == (D("12.5"), D("6.3"), D("33.3"))


@pytest.mark.parametrize(
    ("latest", "achieved"),
    [("95", True), ("100", True), ("101", False)],
)
def test_a_target_equal_to_the_baseline_is_met_or_not_without_a_percent(latest, achieved):
    # given a vacancy count to hold at 100 (a decreasing KPI)
    result = attainment(
        direction=KpiDirection.DECREASE,
        baseline=D("100.0000"),
        targets={2025: D(100)},
        latest=observed(latest, date(2025, 6, 30)),
    )
    assert result.percent is None
    assert result.achieved is achieved
    assert result.reason == (
        "the FY2025 target equals the baseline (100): the target is met or not, with no percentage"
    )


def test_without_an_observation_there_is_no_attainment_yet():
    result = attainment(
        direction=KpiDirection.INCREASE, baseline=D(10), targets={2025: D(20)}, latest=None
    )
    assert (result.percent, result.achieved, result.reason) == (None, False, "no observation yet")
    assert (result.target, result.target_fiscal_year) == (None, None)


@pytest.mark.parametrize(
    ("period_end", "target_year", "target"),
    [
        (date(2026, 3, 31), 2025, D(200)),  # 31 March closes FY2025
        (date(2026, 4, 1), 2026, D(300)),  # 1 April opens FY2026
        (date(2025, 4, 1), 2025, D(200)),
    ],
)
def test_the_target_is_that_of_the_fiscal_year_in_which_the_latest_period_ends(
    period_end, target_year, target
):
    result = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(100),
        targets={2024: D(150), 2025: D(200), 2026: D(300)},
        latest=observed("180", period_end, start=date(2025, 4, 1)),
    )
    assert (result.target_fiscal_year, result.target) == (target_year, target)


def test_without_a_target_for_that_year_the_nearest_later_one_counts():
    # given targets for FY2024 and the 5-year goal of FY2029 only; the latest value is of FY2026
    result = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(100),
        targets={2024: D(120), 2029: D(400), 2027: D(250)},
        latest=observed("175", date(2026, 9, 30)),
    )
    # then FY2027's, the nearest later one: (175 − 100) ÷ (250 − 100) × 100
    assert (result.target_fiscal_year, result.percent) == (2027, D("50.0"))


def test_with_only_earlier_targets_there_is_no_percent():
    result = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(100),
        targets={2024: D(120)},
        latest=observed("130", date(2025, 6, 30)),
    )
    assert (result.percent, result.achieved) == (None, False)
    assert result.reason == "no target for FY2025 or a later fiscal year"


def test_a_target_on_the_wrong_side_of_the_baseline_gives_no_percent():
    result = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(100),
        targets={2025: D("80.5")},
        latest=observed("90", date(2025, 6, 30)),
    )
    assert result.percent is None
    assert result.achieved is True
    assert result.reason == (
        "the FY2025 target (80.5) lies below the baseline (100) of an increasing KPI"
    )


def _at(percent_of_ten: str, target: int = 10) -> object:
    return attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(0),
        targets={2025: D(target)},
        latest=observed(percent_of_ten, date(2025, 6, 30)),
    )


def test_a_rollup_is_the_mean_of_unrounded_percents_each_kpi_once():
    # given 1/3 (33.33…), 2/3 (66.66…) and 12/10 (120) of their targets, one KPI listed twice,
    # one without observation and one whose target equals its baseline but is met
    third = _at("1", target=3)
    two_thirds = _at("2", target=3)
    over = _at("12")
    none = attainment(
        direction=KpiDirection.INCREASE, baseline=D(0), targets={2025: D(1)}, latest=None
    )
    flat = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(5),
        targets={2025: D(5)},
        latest=observed("6", date(2025, 6, 30)),
    )
    # when
    result = rollup(
        [("a", third), ("b", two_thirds), ("c", over), ("a", third), ("d", none), ("e", flat)]
    )
    # then: (33.33… + 66.66… + 120) ÷ 3 = 73.33…
    assert result.percent == D("73.3")
    assert [k for k, _ in result.included] == ["a", "b", "c"]
    assert [(k, a.reason) for k, a in result.excluded] == [
        ("d", "no observation yet"),
        ("e", flat.reason),
    ]
    assert (result.kpi_count, result.achieved_count) == (5, 2)
    assert result.formula == ROLLUP_FORMULA


def test_a_rollup_rounds_once_at_the_end():
    # 0.25 % and 0.2 %: the exact mean 0.225 rounds to 0.2, where rounding each first
    # (0.3 and 0.2, mean 0.25 → 0.3) would be off by 0.1
    quarter = _at("0.025")  # 0.25 %
    fifth = _at("0.02")  # 0.2 %
    result = rollup([("q", quarter), ("f", fifth)])
    assert result.percent == D("0.2")


def test_a_rollup_with_no_percent_at_all_has_none():
    result = rollup(
        [
            (
                "x",
                attainment(direction=KpiDirection.DECREASE, baseline=D(1), targets={}, latest=None),
            )
        ]
    )
    assert (result.percent, result.kpi_count, result.achieved_count) == (None, 1, 0)
    assert rollup([]).percent is None


@pytest.mark.parametrize(
    ("direction", "baseline", "targets", "latest", "reason"),
    [
        (KpiDirection.INCREASE, "100", {2026: "200"}, None, "実績値がまだ記録されていません。"),
        (
            KpiDirection.INCREASE,
            "100",
            {2025: "200"},
            "150",
            "2026年度以降の目標値が設定されていません。",
        ),
        (
            KpiDirection.INCREASE,
            "100.5",
            {2026: "100.5"},
            "120",
            "2026年度の目標値が基準値（100.5）と同じため、達成率は出さず、"
            "達成か未達成かだけを示します。",
        ),
        (
            KpiDirection.INCREASE,
            "100",
            {2026: "80"},
            "90",
            "増加を目指すKPIですが、2026年度の目標値（80）が基準値（100）を下回っています。",
        ),
        (
            KpiDirection.DECREASE,
            "500",
            {2027: "600"},
            "430.25",
            "減少を目指すKPIですが、2027年度の目標値（600）が基準値（500）を上回っています。",
        ),
    ],
)
def test_the_reasons_read_in_japanese(
    direction: KpiDirection,
    baseline: str,
    targets: dict[int, str],
    latest: str | None,
    reason: str,
) -> None:
    # when a Japanese reader's attainment has no percent (periods end in FY2026)
    result = attainment(
        direction=direction,
        baseline=D(baseline),
        targets={year: D(value) for year, value in targets.items()},
        latest=observed(latest, date(2026, 6, 30)) if latest else None,
    )
    # then the reason is one Japanese sentence, its fiscal year written as 年度
    assert result.percent is None
    assert result.reason == reason


def test_the_formulas_and_fiscal_years_read_in_japanese() -> None:
    result = attainment(
        direction=KpiDirection.INCREASE,
        baseline=D(0),
        targets={2025: D(1)},
        latest=None,
    )
    assert result.formula == (
        "達成率 = (最新値 − 基準値) ÷ (目標値 − 基準値) × 100。最新値 ≥ 目標値で達成"
    )
    assert rollup([("a", result)]).formula.startswith("達成率 = 対象KPIの達成率")
    # the catalog writes a fiscal year as renkei.i18n.formats does, in both languages
    for locale in ("ja", "en"):
        with use_locale(locale):
            reason = attainment(
                direction=KpiDirection.INCREASE,
                baseline=D(0),
                targets={2024: D(1)},
                latest=observed("1", date(2026, 3, 31)),
            ).reason
        assert reason is not None and fiscal_year_label(2025, locale=locale) in reason
