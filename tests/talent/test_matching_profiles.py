"""A profile edit changes the engine in place (the warm engine's path): the professional's row,
and only the needs whose candidates they are or become."""

import random
from dataclasses import replace

from renkei.talent.matching import MatchingConfig, MatchingEngine
from renkei.talent.specs import SkillLevel

from .test_matching import engine, need, pro, proposed

SKILLS = ["finance", "dx", "marketing", "hr", "ec"]


def _skills(rng: random.Random):
    return {s: SkillLevel(rng.randint(1, 5), rng.randint(0, 15)) for s in rng.sample(SKILLS, 2)}


def _market(seed: int, professionals: int = 80, needs: int = 30):
    rng = random.Random(seed)
    pros = [
        pro(
            id=f"pro-{i}",
            skills=_skills(rng),
            max_concurrent_engagements=rng.randint(1, 3),
            hours_per_month=rng.choice([20, 40, 80, 160]),
            fee_min=(low := rng.randrange(50_000, 150_000, 10_000)),
            fee_max=low + rng.randrange(0, 200_000, 10_000),
        )
        for i in range(professionals)
    ]
    wanted = [
        need(
            id=f"need-{i}",
            required_skills={s: rng.randint(1, 3) for s in rng.sample(SKILLS, 2)},
            preferred_skills={},
            openings=rng.randint(1, 3),
        )
        for i in range(needs)
    ]
    return rng, pros, wanted


def _edited(rng: random.Random, spec):
    return replace(
        spec,
        skills=_skills(rng),
        hours_per_month=rng.choice([10, 20, 40, 80, 160]),
        current_engagements=rng.randint(0, spec.max_concurrent_engagements),
    )


def test_after_profile_edits_every_candidate_list_is_what_a_fresh_engine_finds():
    rng, pros, needs = _market(5)
    config = MatchingConfig(candidates_per_need=500)  # lists are never cut: exact equality
    warm = MatchingEngine(pros, config=config)
    warm.recompute_all(needs)
    for _ in range(25):
        i = rng.randrange(len(pros))
        pros[i] = _edited(rng, pros[i])
        warm.update_professional(pros[i].id, pros[i])

    fresh = MatchingEngine(pros, config=config)
    fresh.recompute_all(needs)
    for n in needs:
        assert warm.candidates(n.id) == fresh.candidates(n.id), n.id


def test_profile_edits_never_book_a_professional_beyond_their_engagements_or_hours():
    rng, pros, needs = _market(8)
    warm = engine(pros, candidates_per_need=40)
    warm.recompute_all(needs)
    for _ in range(40):
        i = rng.randrange(len(pros))
        pros[i] = _edited(rng, pros[i])
        warm.update_professional(pros[i].id, pros[i])

    by_id = {p.id: p for p in pros}
    hours = {n.id: n.hours_per_month for n in needs}
    held: dict[object, list[object]] = {}
    for n in needs:
        for proposal in warm.proposals(n.id):
            if proposal.allocated:
                held.setdefault(proposal.professional_id, []).append(n.id)
    assert held
    for professional_id, taken in held.items():
        spec = by_id[professional_id]
        assert len(taken) <= spec.free_engagements
        assert sum(hours[n] for n in taken) <= spec.free_hours


def test_a_professional_who_learns_the_skill_is_proposed_and_one_who_leaves_is_not():
    marketer = pro(id="marketer", skills={"marketing": SkillLevel(4, 6)})
    warm = engine([pro(), marketer])
    warm.recompute_all([need()])
    assert proposed(warm.proposals("need-1")) == ["pro-1"]

    moved = warm.update_professional(
        "marketer", replace(marketer, skills={"finance": SkillLevel(5, 12), "dx": SkillLevel(4, 4)})
    )
    assert moved == ["need-1"]
    assert set(proposed(warm.proposals("need-1"))) == {"pro-1", "marketer"}

    assert warm.update_professional("pro-1", None) == ["need-1"]
    assert proposed(warm.proposals("need-1")) == ["marketer"]


def test_a_new_professional_is_added_and_found_by_later_need_edits():
    warm = engine([pro()])
    warm.recompute_all([need()])
    newcomer = pro(id="newcomer", skills={"marketing": SkillLevel(5, 10)})

    assert warm.update_professional("newcomer", newcomer) == []  # shares no required skill
    update = warm.recompute_for_need(need(required_skills={"marketing": 1.0}))

    assert proposed(update.proposals) == ["newcomer"]


def test_a_need_edit_after_a_profile_edit_retrieves_by_the_new_skills():
    warm = engine([pro(), pro(id="pro-2")])
    warm.recompute_all([need()])
    warm.update_professional("pro-2", pro(id="pro-2", skills={"marketing": SkillLevel(3, 3)}))

    update = warm.recompute_for_need(need(required_skills={"finance": 1.0}))
    assert proposed(update.proposals) == ["pro-1"]
    update = warm.recompute_for_need(need(required_skills={"marketing": 1.0}))
    assert proposed(update.proposals) == ["pro-2"]


def test_a_professional_whose_engagements_are_full_loses_their_seat():
    busy = pro(id="busy", max_concurrent_engagements=1, fee_min=100_000, fee_max=200_000)
    other = pro(id="other", skills={"finance": SkillLevel(2, 1)})
    warm = engine([busy, other])
    warm.recompute_all([need()])
    assert [p.professional_id for p in warm.proposals("need-1") if p.allocated] == ["busy"]

    warm.update_professional("busy", replace(busy, current_engagements=1))

    assert [p.professional_id for p in warm.proposals("need-1") if p.allocated] == ["other"]
    assert "busy" not in proposed(warm.proposals("need-1"))
