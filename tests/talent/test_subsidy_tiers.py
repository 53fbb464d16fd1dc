"""Subsidy tiers: the tier whose conditions a match meets, the 年度's costs, the deadline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from renkei.i18n.messages import use_locale
from renkei.talent import subsidies
from renkei.talent.models import SubsidyScheme
from renkei.talent.subsidy_rules import CostLine

ALL_KINDS = ["FEE", "TRAVEL", "PLACEMENT_FEE"]


def tier(**values: Any) -> SubsidyScheme:
    defaults: dict[str, Any] = {
        "prefecture_code": "16",
        "fiscal_year": 2025,
        "name": "tier",
        "rate": Decimal("0.500"),
        "cap_jpy": 500_000,
        "eligible_cost_kinds": ALL_KINDS,
        "first_use_only": False,
        "tier_rank": 0,
        "requires_introduction": False,
        "requires_outside_resident": False,
        "min_travel_per_trip_jpy": None,
        "deadline_days": None,
        "deadline_basis": None,
        "unconfirmed_fields": [],
    }
    return SubsidyScheme(**{**defaults, **values})


def toyama() -> list[SubsidyScheme]:
    """富山's two tiers of FY2025: a first use 8/10 up to ¥500,000, then 1/2 of the placement
    fee up to ¥88,000 (public-record.md)."""
    return [
        tier(
            name="富山県 2回目以降",
            tier_rank=1,
            cap_jpy=88_000,
            eligible_cost_kinds=["PLACEMENT_FEE"],
        ),
        tier(name="富山県 初回", rate=Decimal("0.800"), first_use_only=True),
    ]


COSTS = [
    CostLine("FEE", 300_000, date(2025, 6, 30)),
    CostLine("PLACEMENT_FEE", 200_000, date(2025, 6, 1)),
]


def test_a_first_use_takes_the_first_tier() -> None:
    found = subsidies.estimate(toyama(), COSTS, had_earlier_contract=False)

    assert found.scheme is not None and found.scheme.name == "富山県 初回"
    assert (found.eligible_jpy, found.estimate_jpy) == (500_000, 400_000)
    assert found.why == [
        "「富山県 初回」が該当します: Renkeiで記録された企業の初めての副業・兼業契約です。"
    ]


def test_a_later_contract_takes_the_second_tier_and_says_why() -> None:
    found = subsidies.estimate(toyama(), COSTS, had_earlier_contract=True)

    assert found.scheme is not None and found.scheme.name == "富山県 2回目以降"
    assert (found.eligible_jpy, found.estimate_jpy) == (200_000, 88_000)
    assert found.why == [
        "「富山県 初回」は該当しません: 企業にはRenkeiで記録された以前の副業・兼業契約があります。",
        "「富山県 2回目以降」が該当します: 要件はありません。",
    ]
    with use_locale("en"):
        english = subsidies.estimate(toyama(), COSTS, had_earlier_contract=True)
    assert english.why[0] == (
        "富山県 初回 does not apply: the firm had an earlier side-job contract recorded in Renkei."
    )


def conditional() -> SubsidyScheme:
    return tier(
        name="旅費枠",
        prefecture_code="46",
        requires_introduction=True,
        requires_outside_resident=True,
        min_travel_per_trip_jpy=30_000,
        eligible_cost_kinds=["TRAVEL"],
    )


TRAVEL = [CostLine("TRAVEL", 80_000, date(2025, 7, 1), visit_days=2)]


def test_every_condition_met_pays() -> None:
    found = subsidies.estimate(
        [conditional()],
        TRAVEL,
        had_earlier_contract=True,
        introduced_via="HUB",
        residence_prefecture_code="13",
    )

    assert found.estimate_jpy == 40_000
    assert found.why == [
        "「旅費枠」が該当します: プロフェッショナル人材戦略拠点または"
        "登録人材紹介事業者を通じた紹介です、人材が県外に居住しています、1往復あたりの旅費¥40,000（¥30,000以上）。"
    ]


def test_each_unmet_condition_is_named_and_nothing_is_paid() -> None:
    found = subsidies.estimate(
        [conditional()],
        [CostLine("TRAVEL", 50_000, date(2025, 7, 1), visit_days=2)],
        had_earlier_contract=False,
        introduced_via="BANK",
        residence_prefecture_code="46",
    )

    assert found.estimate_jpy == 0
    assert found.formula == ""
    assert found.reason.startswith("このマッチングに該当する補助枠はありません")
    assert found.why == [
        "「旅費枠」は該当しません: プロフェッショナル人材戦略拠点または"
        "登録人材紹介事業者を通じた紹介ではありません、人材が県内に居住しています、1往復あたりの旅費¥25,000が¥30,000未満です。"
    ]


def test_an_unseen_residence_does_not_meet_the_outside_condition() -> None:
    found = subsidies.estimate(
        [conditional()], TRAVEL, had_earlier_contract=False, introduced_via="AGENCY"
    )

    assert found.estimate_jpy == 0
    assert "人材の居住地が分かりません" in found.why[0]


def test_only_the_costs_of_the_fiscal_year_count() -> None:
    # given a FY2025 tier (2025-04-01 to 2026-03-31) and costs on both sides of its ends
    costs = [
        CostLine("FEE", 100_000, date(2025, 3, 31)),
        CostLine("FEE", 200_000, date(2025, 4, 1)),
        CostLine("FEE", 300_000, date(2026, 3, 31)),
        CostLine("FEE", 400_000, date(2026, 4, 1)),
    ]

    found = subsidies.estimate([tier(cap_jpy=10_000_000)], costs, had_earlier_contract=False)

    assert found.eligible_jpy == 500_000
    assert found.estimate_jpy == 250_000
    assert found.why[-1] == "2025年度（4月〜翌3月）の期間外の経費¥500,000は計上していません。"


def test_the_deadline_counts_back_from_the_contract_or_the_start() -> None:
    tochigi = tier(name="栃木", deadline_days=14, deadline_basis="CONTRACT")
    gifu = tier(name="岐阜", deadline_days=5, deadline_basis="START")
    dates = {"contract_on": date(2025, 6, 15), "starts_on": date(2025, 7, 1)}

    by_contract = subsidies.estimate([tochigi], COSTS, had_earlier_contract=False, **dates)
    by_start = subsidies.estimate([gifu], COSTS, had_earlier_contract=False, **dates)
    unconfirmed = subsidies.estimate(
        [tier(unconfirmed_fields=["rate"])], COSTS, had_earlier_contract=False, **dates
    )

    assert by_contract.deadline == date(2025, 6, 1)
    assert by_contract.deadline_text == (
        "申請期限は2025年6月1日です（契約（2025年6月15日）の14日前まで）。"
    )
    assert by_start.deadline == date(2025, 6, 26)
    assert "業務開始" in by_start.deadline_text
    assert (unconfirmed.deadline, unconfirmed.deadline_text) == (None, "")
    assert unconfirmed.why[-1] == (
        "公募情報で確認できていない項目: 補助率。都道府県に確認してください。"
    )
