"""Subsidy tiers: the tier whose conditions a match meets, the 年度's costs, the deadline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from renkei.i18n.messages import use_locale
from renkei.talent import subsidies
from renkei.talent.models import SubsidyScheme
from renkei.talent.subsidy_rules import CostLine, Introducer

ALL_KINDS = ["FEE", "TRAVEL", "PLACEMENT_FEE"]
HUB_46 = Introducer("かごしま拠点", "STRATEGY_HUB", prefecture_code="46")
AGENCY = Introducer("東京キャリア紹介", "PLACEMENT_AGENCY", license_number="13-ユ-123456")


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
        introducer=HUB_46,
        residence_prefecture_code="13",
    )

    assert found.estimate_jpy == 40_000
    assert found.why == [
        "「旅費枠」が該当します: かごしま拠点（鹿児島県のプロフェッショナル人材戦略拠点）による、"
        "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介です、"
        "人材が県外に居住しています、1往復あたりの旅費¥40,000（¥30,000以上）。",
        "紹介: かごしま拠点（鹿児島県のプロフェッショナル人材戦略拠点）。"
        "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介です。",
    ]


def test_each_unmet_condition_is_named_and_nothing_is_paid() -> None:
    found = subsidies.estimate(
        [conditional()],
        [CostLine("TRAVEL", 50_000, date(2025, 7, 1), visit_days=2)],
        had_earlier_contract=False,
        introducer=Introducer("玄海銀行", "BANK"),
        residence_prefecture_code="46",
    )

    assert found.estimate_jpy == 0
    assert found.formula == ""
    assert found.reason.startswith("このマッチングに該当する補助枠はありません")
    assert found.why == [
        "「旅費枠」は該当しません: 玄海銀行（地域金融機関）による紹介で、"
        "プロフェッショナル人材戦略拠点または"
        "登録人材紹介事業者を通じた紹介ではありません、人材が県内に居住しています、1往復あたりの旅費¥25,000が¥30,000未満です。",
        "紹介: 玄海銀行（地域金融機関）。"
        "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介ではありません。",
    ]


def test_an_unseen_residence_does_not_meet_the_outside_condition() -> None:
    found = subsidies.estimate(
        [conditional()], TRAVEL, had_earlier_contract=False, introducer=AGENCY
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


def introduction_tiers() -> list[SubsidyScheme]:
    """A tier for introductions through 富山's 拠点 or an agency, tried first, then the rest."""
    return [
        tier(name="紹介枠", rate=Decimal("0.800"), requires_introduction=True),
        tier(name="通常枠", tier_rank=1),
    ]


@pytest.mark.parametrize(
    ("introducer", "chosen"),
    [
        (Introducer("とやま拠点", "STRATEGY_HUB", prefecture_code="16"), "紹介枠"),
        (AGENCY, "紹介枠"),
        # another prefecture's 拠点, a bank, REVICareer, nobody: not through 富山's 拠点
        (Introducer("ふくおか拠点", "STRATEGY_HUB", prefecture_code="40"), "通常枠"),
        (Introducer("北陸銀行", "BANK", prefecture_code="16"), "通常枠"),
        (Introducer("REVICareer", "REVICAREER"), "通常枠"),
        (None, "通常枠"),
    ],
)
def test_a_tier_requiring_an_introduction_applies_only_when_the_introducer_qualifies(
    introducer: Introducer | None, chosen: str
) -> None:
    found = subsidies.estimate(
        introduction_tiers(), COSTS, had_earlier_contract=False, introducer=introducer
    )

    assert found.scheme is not None and found.scheme.name == chosen
    assert found.estimate_jpy == (400_000 if chosen == "紹介枠" else 250_000)


def test_the_why_names_the_agency_with_its_license_number() -> None:
    found = subsidies.estimate(
        introduction_tiers(), COSTS, had_earlier_contract=False, introducer=AGENCY
    )

    assert found.why == [
        "「紹介枠」が該当します: "
        "東京キャリア紹介（有料職業紹介事業者、許可番号13-ユ-123456）による、"
        "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介です。",
        "紹介: 東京キャリア紹介（有料職業紹介事業者、許可番号13-ユ-123456）。"
        "プロフェッショナル人材戦略拠点または登録人材紹介事業者を通じた紹介です。",
    ]
    with use_locale("en"):
        english = subsidies.estimate(
            introduction_tiers(), COSTS, had_earlier_contract=False, introducer=AGENCY
        )
    assert english.why[0] == (
        "紹介枠 applies: the professional was introduced by 東京キャリア紹介 (licensed placement"
        " agency (有料職業紹介事業者), license 13-ユ-123456), through the prefecture's hub or a"
        " registered agency."
    )
