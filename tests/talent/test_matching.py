import math
import random
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from renkei.errors import Invalid
from renkei.i18n.messages import use_locale
from renkei.talent.allocation import Allocation, CandidateList, find_blocking_pairs
from renkei.talent.index import NeedTable, ProfessionalTable
from renkei.talent.matching import MatchingConfig, MatchingEngine, Proposal
from renkei.talent.scoring import Component, Constraint, Side, failed_constraints, feasible
from renkei.talent.skills import default_taxonomy
from renkei.talent.specs import (
    EngagementType,
    NeedSpec,
    ProfessionalSpec,
    RemotePolicy,
    SkillLevel,
    Tie,
    TieKind,
)

START = date(2026, 4, 1)
KYUSHU = frozenset({"40", "41", "42", "43", "44", "45", "46", "47", "35"})
GRACE = MatchingConfig().start_grace_days


def need(**changes: Any) -> NeedSpec:
    """A side job for a firm in 熊本県: finance and DX, remote, 10-20万円 a month."""
    spec = NeedSpec(
        id="need-1",
        organization_id="firm-1",
        workplace_prefecture_code="43",
        region_prefecture_codes=KYUSHU,
        required_skills={"finance": 2.0, "dx": 1.0},
        preferred_skills={"data-analysis": 1.0},
        engagement_types=frozenset({EngagementType.SIDE_JOB}),
        hours_per_month=20,
        remote_policy=RemotePolicy.REMOTE,
        fee_min=100_000,
        fee_max=200_000,
        start_date=START,
    )
    return replace(spec, **changes)


def pro(**changes: Any) -> ProfessionalSpec:
    """A Tokyo professional in finance and DX who takes remote side jobs."""
    spec = ProfessionalSpec(
        id="pro-1",
        skills={"finance": SkillLevel(4, 8), "dx": SkillLevel(3, 5)},
        engagement_types=frozenset({EngagementType.SIDE_JOB}),
        hours_per_month=40,
        available_from=START,
        residence_prefecture_code="13",
        fee_min=100_000,
        fee_max=150_000,
        max_concurrent_engagements=2,
    )
    return replace(spec, **changes)


def engine(pros: list[ProfessionalSpec], **config: Any) -> MatchingEngine:
    return MatchingEngine(pros, config=MatchingConfig(**config))


def proposed(result_proposals: list[Proposal]) -> list[object]:
    return [p.professional_id for p in result_proposals]


def contribution(proposal: Proposal, component: Component):
    (found,) = [c for c in proposal.explanation.contributions if c.component is component]
    return found


# Explanations and scores


def test_a_proposal_explains_each_component_in_words_and_numbers():
    result = engine([pro()]).recompute_all([need()])

    (proposal,) = result.proposals["need-1"]
    assert proposal.professional_id == "pro-1"
    assert proposal.allocated
    required = contribution(proposal, Component.REQUIRED_SKILLS)
    assert required.text == "必須スキル 2件中2件が一致（財務, DX推進）"
    assert required.value == 1.0
    preferred = contribution(proposal, Component.PREFERRED_SKILLS)
    assert preferred.text == "歓迎スキル 1件中0件が一致"
    assert preferred.points == 0.0
    assert contribution(proposal, Component.LOCATION).text == (
        "フルリモートの募集のため居住地を問わない"
    )
    assert (
        contribution(proposal, Component.FIRM_FEE).text == "想定月額 10万円（予算 10万円〜20万円）"
    )
    assert contribution(proposal, Component.PROFESSIONAL_FEE).text == (
        "予算上限 20万円・希望 10万円〜15万円（希望の上限まで届く）"
    )
    assert contribution(proposal, Component.SKILL_USE).text == "活かせるスキル 財務 Lv4、DX推進 Lv3"
    # each side's score is the sum of its components' points; the score their geometric mean
    contributions = proposal.explanation.contributions
    firm = sum(c.points for c in contributions if c.side is Side.FIRM)
    professional = sum(c.points for c in contributions if c.side is Side.PROFESSIONAL)
    assert firm == pytest.approx(proposal.firm_score, abs=0.005)
    assert professional == pytest.approx(proposal.professional_score, abs=0.005)
    assert proposal.score == pytest.approx(math.sqrt(firm * professional), abs=0.005)
    assert "企業側" in proposal.summary and "本人側" in proposal.summary
    # a match stores the words in every locale
    assert proposal.explanation.as_json()[0] == {
        "component": "REQUIRED_SKILLS",
        "side": "FIRM",
        "label": {"ja": "必須スキル", "en": "Required skills"},
        "value": 1.0,
        "weight": 0.4,
        "points": 0.4,
        "text": {
            "ja": "必須スキル 2件中2件が一致（財務, DX推進）",
            "en": "2 of 2 required skills match (Finance, Digital transformation)",
        },
    }


def test_an_english_reader_reads_the_explanation_in_english():
    result = engine([pro()]).recompute_all([need()])
    (proposal,) = result.proposals["need-1"]

    with use_locale("en"):
        required = contribution(proposal, Component.REQUIRED_SKILLS)
        assert (required.label, required.text) == (
            "Required skills",
            "2 of 2 required skills match (Finance, Digital transformation)",
        )
        assert contribution(proposal, Component.FIRM_FEE).text == (
            "Expected monthly fee ¥100,000 (budget ¥100,000 to ¥200,000)"
        )
        assert contribution(proposal, Component.SKILL_USE).text == (
            "Skills they can use: Finance Lv4, Digital transformation Lv3"
        )
        assert proposal.summary.startswith("Overall ")
    # the Japanese is unchanged beside it
    assert contribution(proposal, Component.REQUIRED_SKILLS).label == "必須スキル"


def test_more_of_the_weighted_required_skills_scores_higher():
    finance_only = pro(id="finance-only", skills={"finance": SkillLevel(4, 8)})
    dx_only = pro(id="dx-only", skills={"dx": SkillLevel(4, 8)})
    both = pro(id="both")
    result = engine([dx_only, finance_only, both]).recompute_all([need()])

    proposals = result.proposals["need-1"]
    assert proposed(proposals) == ["both", "finance-only", "dx-only"]  # finance weighs 2, DX 1
    values = [contribution(p, Component.REQUIRED_SKILLS).value for p in proposals]
    assert values == pytest.approx([1.0, 2 / 3, 1 / 3], abs=0.001)
    assert contribution(proposals[1], Component.REQUIRED_SKILLS).text == (
        "必須スキル 2件中1件が一致（財務）"
    )


def test_seniority_availability_and_ties_are_explained():
    senior = pro(
        id="senior",
        skills={"finance": SkillLevel(5, 15), "dx": SkillLevel(5, 12)},
        available_from=START + timedelta(days=14),
        ties=(Tie("43", TieKind.HOMETOWN), Tie("40", TieKind.FURUSATO_NOZEI)),
    )
    regional = pro(id="regional", ties=(Tie("40", TieKind.PAST_RESIDENCE),))
    result = engine([senior, regional]).recompute_all([need()])

    by_id = {p.professional_id: p for p in result.proposals["need-1"]}
    assert contribution(by_id["senior"], Component.SENIORITY).text == (
        "一致した必須スキルの習熟度 平均Lv5.0（5段階）・経験 平均13.5年"
    )
    seniority = [contribution(by_id[i], Component.SENIORITY).value for i in ("senior", "regional")]
    assert seniority[0] > seniority[1]
    assert contribution(by_id["senior"], Component.AVAILABILITY).text == (
        "開始希望日の14日後から稼働可能・現在の案件 0/2件"
    )
    ties = contribution(by_id["senior"], Component.FIRM_TIES)
    assert ties.text == "熊本県が出身地（勤務地）"
    assert ties.value == pytest.approx(0.9)
    elsewhere = contribution(by_id["regional"], Component.PROFESSIONAL_TIES)
    assert elsewhere.text == "過去の居住地の福岡県に関われる"
    assert elsewhere.value == pytest.approx(0.7 * 0.7)


def test_a_hybrid_need_explains_the_site_visits():
    hybrid = need(remote_policy=RemotePolicy.HYBRID, site_visits_per_month=2)
    traveller = pro(
        remote_preference=RemotePolicy.HYBRID,
        max_site_visits_per_month=4,
        travel_prefecture_codes=frozenset({"43"}),
    )
    neighbour = replace(traveller, id="pro-2", residence_prefecture_code="40")
    result = engine([traveller, neighbour]).recompute_all([hybrid])

    by_id = {p.professional_id: p for p in result.proposals["need-1"]}
    far, near = by_id["pro-1"], by_id["pro-2"]
    assert contribution(far, Component.LOCATION).text == "東京都在住、熊本県へ移動可能"
    assert contribution(far, Component.LOCATION).value == pytest.approx(0.5)
    assert contribution(near, Component.LOCATION).text == (
        "福岡県在住（同じ広域リージョン）、熊本県へ移動可能"
    )
    assert contribution(near, Component.LOCATION).value == pytest.approx(0.8)
    visits = contribution(far, Component.WORK_STYLE)
    assert visits.text == "リモート中心、熊本県への訪問は月2回"
    assert visits.value == pytest.approx(0.75)


# Hard constraints


@pytest.mark.parametrize(
    ("need_changes", "pro_changes", "constraint"),
    [
        ({}, {"engagement_types": frozenset({EngagementType.SECONDMENT})}, "ENGAGEMENT_TYPE"),
        ({}, {"max_concurrent_engagements": 1, "current_engagements": 1}, "CAPACITY"),
        ({"hours_per_month": 30}, {"hours_in_use": 20}, "HOURS"),
        ({}, {"fee_min": 250_000, "fee_max": 400_000}, "FEE"),
        ({"fee_min": 160_000, "fee_max": 300_000}, {}, "FEE"),
        ({"remote_policy": RemotePolicy.HYBRID, "site_visits_per_month": 1}, {}, "LOCATION"),
        (
            {"remote_policy": RemotePolicy.HYBRID, "site_visits_per_month": 2},
            {"remote_preference": RemotePolicy.HYBRID, "max_site_visits_per_month": 4},
            "LOCATION",  # would visit, but not 熊本県
        ),
        (
            {"remote_policy": RemotePolicy.HYBRID, "site_visits_per_month": 3},
            {
                "remote_preference": RemotePolicy.HYBRID,
                "max_site_visits_per_month": 2,
                "travel_prefecture_codes": frozenset({"43"}),
            },
            "LOCATION",  # too many visits
        ),
        (
            {"remote_policy": RemotePolicy.ONSITE},
            {
                "remote_preference": RemotePolicy.HYBRID,
                "max_site_visits_per_month": 4,
                "travel_prefecture_codes": frozenset({"43"}),
            },
            "LOCATION",  # visits, but no on-site work
        ),
        ({}, {"available_from": START + timedelta(days=GRACE + 1)}, "START_DATE"),
    ],
)
def test_each_hard_constraint_alone_excludes_a_pair(need_changes, pro_changes, constraint):
    the_need, the_pro = need(**need_changes), pro(**pro_changes)
    assert failed_constraints(the_need, the_pro, start_grace_days=GRACE) == [Constraint(constraint)]

    matching = engine([the_pro])
    result = matching.recompute_all([the_need])

    assert result.proposals["need-1"] == []
    assert matching.stats.pairs_scored == 0


def test_the_constraints_are_met_by_a_professional_who_travels_there():
    hybrid = need(remote_policy=RemotePolicy.HYBRID, site_visits_per_month=2)
    onsite = need(id="need-2", remote_policy=RemotePolicy.ONSITE)
    traveller = pro(
        remote_preference=RemotePolicy.HYBRID,
        max_site_visits_per_month=2,
        travel_prefecture_codes=frozenset({"43"}),
    )
    local = pro(id="pro-2", remote_preference=RemotePolicy.ONSITE, residence_prefecture_code="43")
    result = engine([traveller, local]).recompute_all([hybrid, onsite])

    assert sorted(proposed(result.proposals["need-1"])) == ["pro-1", "pro-2"]
    assert proposed(result.proposals["need-2"]) == ["pro-2"]


def test_vectorized_constraints_agree_with_the_one_by_one_check():
    rng = random.Random(5)
    prefectures = ["13", "40", "43", "27"]
    needs = [
        need(
            id=f"n{i}",
            engagement_types=frozenset(rng.sample(list(EngagementType), rng.randint(1, 2))),
            hours_per_month=rng.choice([10, 20, 40, 160]),
            remote_policy=(policy := rng.choice(list(RemotePolicy))),
            site_visits_per_month=rng.randint(1, 4) if policy is RemotePolicy.HYBRID else 0,
            workplace_prefecture_code=rng.choice(prefectures),
            fee_min=(low := rng.randrange(50_000, 400_000, 10_000)),
            fee_max=low + rng.randrange(0, 300_000, 10_000),
            start_date=START + timedelta(days=rng.randint(0, 60)),
        )
        for i in range(40)
    ]
    pros = [
        pro(
            id=f"p{i}",
            engagement_types=frozenset(rng.sample(list(EngagementType), rng.randint(1, 3))),
            hours_per_month=rng.choice([10, 20, 40, 160]),
            hours_in_use=rng.choice([0, 10]),
            remote_preference=rng.choice(list(RemotePolicy)),
            max_site_visits_per_month=rng.randint(0, 4),
            residence_prefecture_code=rng.choice(prefectures),
            travel_prefecture_codes=frozenset(rng.sample(prefectures, rng.randint(0, 2))),
            fee_min=(low := rng.randrange(50_000, 400_000, 10_000)),
            fee_max=low + rng.randrange(0, 300_000, 10_000),
            available_from=START + timedelta(days=rng.randint(0, 100)),
            max_concurrent_engagements=rng.randint(0, 2),
        )
        for i in range(40)
    ]
    columns = {s.slug: i for i, s in enumerate(default_taxonomy())}
    needs_table, pros_table = NeedTable(needs, columns), ProfessionalTable(pros, columns)
    ni, pi = (a.ravel() for a in np.meshgrid(np.arange(40), np.arange(40), indexing="ij"))

    vectorized = feasible(needs_table, pros_table, ni, pi, start_grace_days=GRACE)

    one_by_one = [
        not failed_constraints(needs[n], pros[p], start_grace_days=GRACE)
        for n, p in zip(ni, pi, strict=True)
    ]
    assert vectorized.tolist() == one_by_one
    assert 0 < sum(one_by_one) < len(one_by_one)


# Reciprocity


def test_a_professional_who_does_not_want_the_engagement_type_is_never_proposed():
    star = pro(
        id="star",
        skills={"finance": SkillLevel(5, 20), "dx": SkillLevel(5, 20)},
        engagement_types=frozenset({EngagementType.FULL_TIME}),
        hours_per_month=160,
    )
    other = pro(id="other", skills={"finance": SkillLevel(2, 1)})
    result = engine([star, other]).recompute_all([need()])

    assert proposed(result.proposals["need-1"]) == ["other"]


def test_what_the_professional_wants_counts_as_much_as_what_the_firm_wants():
    # Same fit for the firm; the need's budget reaches all of one's range, the bottom of the other's
    content = pro(id="content", fee_min=100_000, fee_max=150_000)
    underpaid = pro(id="underpaid", fee_min=100_000, fee_max=400_000)
    proposals = engine([underpaid, content]).recompute_all([need()]).proposals["need-1"]

    assert proposed(proposals) == ["content", "underpaid"]
    assert proposals[0].firm_score == proposals[1].firm_score
    assert proposals[0].professional_score > proposals[1].professional_score


# Capacity and allocation


def test_a_professional_with_one_engagement_is_allocated_once():
    busy = pro(id="busy", max_concurrent_engagements=1, fee_min=150_000, fee_max=200_000)
    others = [pro(id=f"other-{i}", skills={"finance": SkillLevel(2, 2)}) for i in range(3)]
    needs = [need(id=f"need-{i}") for i in range(3)]
    result = engine([busy, *others]).recompute_all(needs)

    allocated = [p.professional_id for ps in result.proposals.values() for p in ps if p.allocated]
    assert allocated.count("busy") == 1
    assert len(allocated) == 3  # each need's one opening is filled
    assert result.stability.stable


def test_hours_limit_how_many_needs_a_professional_takes():
    capable = pro(id="capable", hours_per_month=40, max_concurrent_engagements=5)
    needs = [need(id=f"need-{i}", hours_per_month=20) for i in range(3)]
    result = engine([capable]).recompute_all(needs)

    allocated = [p for ps in result.proposals.values() for p in ps if p.allocated]
    assert len(allocated) == 2  # 40 hours: two needs of 20


def test_openings_are_filled_up_to_their_number():
    pros = [pro(id=f"pro-{i}") for i in range(5)]
    result = engine(pros).recompute_all([need(openings=3), need(id="need-2")])

    seats = {nid: sum(p.allocated for p in ps) for nid, ps in result.proposals.items()}
    assert seats == {"need-1": 3, "need-2": 1}


def test_exposure_caps_spread_proposals_over_more_professionals():
    pros = [
        pro(
            id=f"pro-{i}",
            skills={"finance": SkillLevel(1 + i % 5, i)},
            max_concurrent_engagements=1,
        )
        for i in range(9)
    ]
    needs = [need(id=f"need-{i}") for i in range(3)]

    uncapped = engine(pros, proposals_per_need=3, exposure_caps=(100,)).recompute_all(needs)
    capped = engine(pros, proposals_per_need=3, exposure_caps=(1,)).recompute_all(needs)

    assert uncapped.professionals_proposed == 3  # the same three best for every need
    assert capped.professionals_proposed == 9
    assert all(len(ps) == 3 for ps in capped.proposals.values())


# Stability


def two_by_two() -> dict[int, CandidateList]:
    """Both needs prefer professional 0; both professionals prefer need 0."""
    return {
        n: CandidateList(
            professionals=[0, 1],
            need_preference=[0.9, 0.5],
            professional_preference=[0.9, 0.9] if n == 0 else [0.4, 0.4],
            openings=1,
            hours=20,
        )
        for n in (0, 1)
    }


def test_the_stability_check_finds_a_constructed_blocking_pair():
    slots, hours = [1, 1], [40, 40]
    swapped = {0: {1}, 1: {0}}  # need 0 and professional 0 would both rather be together
    assert find_blocking_pairs(two_by_two(), swapped, slots, hours) == [(0, 0)]
    assert find_blocking_pairs(two_by_two(), {0: {0}, 1: {1}}, slots, hours) == []


def test_deferred_acceptance_reaches_the_stable_allocation():
    allocation = Allocation(np.array([1, 1], np.int32), np.array([40, 40], np.int32))
    for n, candidates in two_by_two().items():
        allocation.add(n, candidates)
    allocation.run()

    assert allocation.assignment() == {0: {0}, 1: {1}}
    assert allocation.blocking_pairs() == []


def test_a_random_market_ends_stable():
    rng = random.Random(11)
    skills = ["finance", "dx", "marketing", "hr", "ec"]
    pros = [
        pro(
            id=f"pro-{i}",
            skills={
                s: SkillLevel(rng.randint(1, 5), rng.randint(0, 15)) for s in rng.sample(skills, 2)
            },
            max_concurrent_engagements=rng.randint(1, 3),
            hours_per_month=200,
            fee_min=(low := rng.randrange(50_000, 150_000, 10_000)),
            fee_max=low + rng.randrange(0, 200_000, 10_000),
        )
        for i in range(120)
    ]
    needs = [
        need(
            id=f"need-{i}",
            required_skills={s: rng.randint(1, 3) for s in rng.sample(skills, 2)},
            preferred_skills={},
            openings=rng.randint(1, 3),
        )
        for i in range(60)
    ]
    result = engine(pros, candidates_per_need=30).recompute_all(needs)

    assert result.stability.blocking_pairs == 0
    assert sum(p.allocated for ps in result.proposals.values() for p in ps) > 60


# Retrieval


def test_a_professional_sharing_no_required_skill_is_never_scored():
    sharing = [pro(id="a"), pro(id="b", skills={"dx": SkillLevel(3, 3)})]
    stranger = pro(id="stranger", skills={"tourism-marketing": SkillLevel(5, 20)})
    matching = engine([*sharing, stranger])
    result = matching.recompute_all([need()])

    assert matching.stats.pairs_retrieved == 2
    assert matching.stats.pairs_scored == 2
    assert sorted(proposed(result.proposals["need-1"])) == ["a", "b"]


def test_retrieval_finds_exactly_the_pairs_that_share_a_required_skill():
    rng = random.Random(3)
    skills = [s.slug for s in default_taxonomy()][:30]
    pros = [
        pro(id=f"pro-{i}", skills={s: SkillLevel(3, 3) for s in rng.sample(skills, 3)})
        for i in range(200)
    ]
    needs = [need(id=f"need-{i}", required_skills={rng.choice(skills): 1.0}) for i in range(20)]
    matching = engine(pros)
    matching.recompute_all(needs)

    sharing = sum(bool(set(n.required_skills) & set(p.skills)) for n in needs for p in pros)
    assert matching.stats.pairs_retrieved == sharing
    assert sharing < len(needs) * len(pros) / 5


# One need at a time


def test_recomputing_one_need_uses_its_new_skills():
    marketer = pro(id="marketer", skills={"marketing": SkillLevel(4, 6)})
    matching = engine([pro(), marketer])
    matching.recompute_all([need()])

    update = matching.recompute_for_need(need(required_skills={"marketing": 1.0}))

    assert proposed(update.proposals) == ["marketer"]
    assert proposed(matching.proposals("need-1")) == ["marketer"]


def test_a_need_the_professional_prefers_takes_their_seat_and_the_other_moves_on():
    wanted = pro(id="wanted", max_concurrent_engagements=1, fee_min=150_000, fee_max=250_000)
    backup = pro(id="backup", skills={"finance": SkillLevel(2, 1)})
    matching = engine([wanted, backup])
    matching.recompute_all([need(fee_max=160_000)])
    assert [p.professional_id for p in matching.proposals("need-1") if p.allocated] == ["wanted"]

    update = matching.recompute_for_need(need(id="need-2", fee_max=250_000))

    assert [p.professional_id for p in update.proposals if p.allocated] == ["wanted"]
    assert update.displaced_need_ids == ["need-1"]
    assert [p.professional_id for p in matching.proposals("need-1") if p.allocated] == ["backup"]
    assert matching.stability().stable


# Specs


def test_specs_refuse_impossible_values():
    with pytest.raises(Invalid, match="報酬の範囲 300000〜200000 は有効な円の範囲ではありません"):
        need(fee_min=300_000, fee_max=200_000)
    with pytest.raises(Invalid, match="訪問回数を指定してください"):
        need(remote_policy=RemotePolicy.HYBRID)
    with pytest.raises(Invalid, match="48 は都道府県コード"):
        pro(residence_prefecture_code="48")
    with use_locale("en"):
        with pytest.raises(Invalid, match="A skill level is 1 to 5, not 6"):
            SkillLevel(6)
        with pytest.raises(Invalid, match="「juggling」 is not a skill of the taxonomy"):
            engine([pro(skills={"juggling": SkillLevel(3)})])
