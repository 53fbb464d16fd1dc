"""Benchmark of the talent matching engine (issue: talent matching, Performance).

Generates professionals and open needs realistically (skills drawn from the taxonomy with
Zipf-like popularity and clustered by field, professionals mostly in metropolitan areas, needs
mostly in regional prefectures), runs a full recompute of each need's proposals, then recomputes
single needs, and prints the figures as JSON:

    .venv/bin/python bench/matching.py                      # 100,000 professionals, 10,000 needs
    .venv/bin/python bench/matching.py --professionals 10000 --needs 1000

Targets on a 2-core machine: full recompute < 60 s, peak memory < 2 GiB, one need < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from renkei.geography.data import PREFECTURES
from renkei.talent.index import BLOC_MASKS, PREFECTURE_INDEX
from renkei.talent.matching import MatchingConfig, MatchingEngine, Proposal
from renkei.talent.skills import SkillTaxonomy, default_taxonomy
from renkei.talent.specs import (
    EngagementType,
    NeedSpec,
    ProfessionalSpec,
    RemotePolicy,
    SkillLevel,
    Tie,
    TieKind,
)

TODAY = date(2026, 4, 1)
CODES = [p.code for p in PREFECTURES]
# Where professionals live: mostly the three metropolitan areas (東京圏, 大阪圏, 名古屋圏) and 福岡.
METRO_WEIGHTS = {"13": 34, "14": 10, "11": 6, "12": 5, "27": 8, "28": 3, "26": 2, "23": 6, "40": 4}
# Skills most asked for and most offered come first; the rest follow in taxonomy order, shuffled.
POPULAR = [
    "dx", "marketing", "finance", "new-business", "hr", "digital-marketing", "data-analysis",
    "market-development", "recruiting", "b2b-sales", "export-sales", "management-strategy",
    "business-process-improvement", "ec", "accounting", "branding", "project-management",
    "production-management", "quality-control", "business-succession", "m-and-a",
    "subsidy-application", "inbound", "sns-marketing", "it-strategy",
]  # fmt: skip


def _probabilities(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _draw(rng: np.random.Generator, p: np.ndarray, shape: int | tuple[int, ...]) -> np.ndarray:
    """Draw indices with probabilities p (vectorized inverse CDF: rng.choice per item is slow)."""
    cdf = np.cumsum(p)
    return np.minimum(np.searchsorted(cdf, rng.random(shape) * cdf[-1], side="right"), len(p) - 1)


class Generator:
    """Draws whole populations at once with numpy, then builds the specs."""

    def __init__(self, taxonomy: SkillTaxonomy, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        slugs = [s.slug for s in taxonomy]
        rest = [s for s in slugs if s not in POPULAR]
        self.rng.shuffle(rest)
        self.slugs = [*POPULAR, *rest]
        ranks = np.arange(1, len(self.slugs) + 1)
        self.popularity = _probabilities(ranks**-0.9)
        category = {s.slug: s.category for s in taxonomy}
        self.categories = sorted({category[s] for s in slugs})
        self.by_category = [
            np.flatnonzero([category[s] == c for s in self.slugs]) for c in self.categories
        ]
        self.category_weight = _probabilities(
            np.array([self.popularity[f].sum() for f in self.by_category])
        )
        metro = np.array([METRO_WEIGHTS.get(c, 0.45) for c in CODES], dtype=float)
        self.home_weights = _probabilities(metro)
        regional = np.array([0.3 if c in METRO_WEIGHTS else 1.0 for c in CODES])
        regional[CODES.index("13")] = 0.15
        self.workplace_weights = _probabilities(regional)
        self.tie_weights = _probabilities(
            np.array([0.4 if c in METRO_WEIGHTS else 1.0 for c in CODES])
        )
        self.regions = [
            sorted(
                c
                for c in CODES
                if int(BLOC_MASKS[PREFECTURE_INDEX[code]]) >> PREFECTURE_INDEX[c] & 1
            )
            for code in CODES
        ]

    def skill_sets(self, n: int, low: int, high: int) -> list[list[str]]:
        """Skills clustered in one field: about 70% from it, the rest from anywhere, each drawn
        by popularity."""
        rng = self.rng
        counts = rng.integers(low, high + 1, size=n)
        fields = _draw(rng, self.category_weight, n)
        local = np.empty((n, 12), dtype=np.int64)
        for c, members in enumerate(self.by_category):
            rows = np.flatnonzero(fields == c)
            picks = _draw(rng, _probabilities(self.popularity[members]), (len(rows), 12))
            local[rows] = members[picks]
        anywhere = _draw(rng, self.popularity, (n, 12))
        sets = []
        for i in range(n):
            want = int(counts[i])
            chosen = dict.fromkeys(local[i, : max(1, round(want * 0.7)) + 3].tolist())
            picked = list(chosen)[: max(1, round(want * 0.7))]
            for extra in anywhere[i].tolist():
                if len(picked) >= want:
                    break
                if extra not in picked:
                    picked.append(extra)
            sets.append([self.slugs[k] for k in picked])
        return sets

    def professionals(self, n: int) -> list[ProfessionalSpec]:
        rng = self.rng
        homes = _draw(rng, self.home_weights, n)
        u = rng.random((n, 8))
        hours_choice = np.array([10, 20, 30, 40, 60])[
            _draw(rng, np.array([0.15, 0.35, 0.25, 0.17, 0.08]), n)
        ]
        presence = _draw(rng, np.array([0.4, 0.45, 0.15]), n)
        tie_places = _draw(rng, self.tie_weights, (n, 4))
        extra_travel = _draw(rng, self.tie_weights, (n, 3))
        extra_travel_count = rng.integers(0, 4, size=n)
        region_travel = rng.integers(1, 4, size=n)
        levels = 1 + _draw(rng, np.array([0.05, 0.2, 0.35, 0.28, 0.12]), (n, 8))
        years_noise = rng.normal(0, 2, size=(n, 8))
        rates = rng.uniform(3_000, 9_000, size=n)
        full_time_fee = rng.uniform(35, 90, size=n)
        spread = rng.uniform(1.2, 1.8, size=n)
        concurrent = 1 + _draw(rng, np.array([0.5, 0.35, 0.15]), n)
        starts = rng.choice([0, 0, 0, 14, 30, 60, 90], size=n)
        visits = rng.integers(1, 5, size=n)
        skill_sets = self.skill_sets(n, 3, 8)
        policies = [RemotePolicy.REMOTE, RemotePolicy.HYBRID, RemotePolicy.ONSITE]
        result = []
        for i in range(n):
            home = CODES[homes[i]]
            kinds = {EngagementType.SIDE_JOB} if u[i, 0] < 0.85 else set()
            if u[i, 1] < 0.2:
                kinds.add(EngagementType.FULL_TIME)
            if u[i, 2] < 0.1 or not kinds:
                kinds.add(EngagementType.SECONDMENT)
            full_time = EngagementType.FULL_TIME in kinds
            hours = 160 if full_time else int(hours_choice[i])
            skills = {
                s: SkillLevel(
                    int(levels[i, j]),
                    float(max(0.0, round(levels[i, j] * 2.5 + years_noise[i, j], 1))),
                )
                for j, s in enumerate(skill_sets[i])
            }
            policy = policies[presence[i]]
            ties: list[Tie] = []
            travel: set[str] = set()
            if u[i, 3] < 0.55 and CODES[tie_places[i, 0]] != home:
                ties.append(Tie(CODES[tie_places[i, 0]], TieKind.HOMETOWN))
                travel.add(CODES[tie_places[i, 0]])
            if u[i, 4] < 0.2:
                ties.append(Tie(CODES[tie_places[i, 1]], TieKind.PAST_RESIDENCE))
            if u[i, 5] < 0.05:
                ties.append(Tie(CODES[tie_places[i, 2]], TieKind.SECOND_HOME))
                travel.add(CODES[tie_places[i, 2]])
            if u[i, 6] < 0.25:
                ties.append(Tie(CODES[tie_places[i, 3]], TieKind.FURUSATO_NOZEI))
            if policy is not RemotePolicy.REMOTE:
                region = self.regions[homes[i]]
                travel.update(region[: int(region_travel[i])])
                travel.update(CODES[j] for j in extra_travel[i, : extra_travel_count[i]])
            if full_time:
                low = round(full_time_fee[i]) * 10_000
            else:
                # what they ask for a typical side job (20 hours a month), whatever their hours
                low = max(30_000, round(min(hours, 20) * rates[i] * 0.85 / 10_000) * 10_000)
            high = max(low, round(low * spread[i] / 10_000) * 10_000)
            slots = 1 if full_time else int(concurrent[i])
            current = int(u[i, 7] < 0.2) if slots > 1 else 0
            result.append(
                ProfessionalSpec(
                    id=f"pro-{i}",
                    skills=skills,
                    engagement_types=frozenset(kinds),
                    hours_per_month=hours,
                    available_from=TODAY + timedelta(days=int(starts[i])),
                    remote_preference=policy,
                    max_site_visits_per_month=int(visits[i])
                    if policy is RemotePolicy.HYBRID
                    else 0,
                    residence_prefecture_code=home,
                    travel_prefecture_codes=frozenset(travel - {home}),
                    ties=tuple(ties),
                    fee_min=low,
                    fee_max=high,
                    max_concurrent_engagements=slots,
                    current_engagements=current,
                    hours_in_use=current * 10 if hours > 10 else 0,
                )
            )
        return result

    def needs(self, m: int) -> list[NeedSpec]:
        rng = self.rng
        places = _draw(rng, self.workplace_weights, m)
        kinds_drawn = _draw(rng, np.array([0.8, 0.12, 0.08]), m)
        u = rng.random((m, 2))
        side_hours = np.array([10, 15, 20, 30, 40])[
            _draw(rng, np.array([0.2, 0.2, 0.3, 0.2, 0.1]), m)
        ]
        other_hours = rng.choice([80, 120, 160], size=m)
        side_policy = _draw(rng, np.array([0.55, 0.4, 0.05]), m)
        other_policy = _draw(rng, np.array([0.1, 0.3, 0.6]), m)
        rates = rng.uniform(5_000, 10_000, size=m)
        other_fee = rng.uniform(30, 70, size=m)
        spread = rng.uniform(1.3, 2.0, size=m)
        splits = rng.integers(1, 4, size=m)
        weights = rng.integers(1, 4, size=(m, 8))
        visits = rng.integers(1, 3, size=m)
        durations = rng.choice([3, 6, 12], size=m)
        starts = rng.choice([0, 14, 30, 45, 60], size=m)
        openings = 1 + _draw(rng, np.array([0.85, 0.1, 0.05]), m)
        skill_sets = self.skill_sets(m, 2, 6)
        policies = [RemotePolicy.REMOTE, RemotePolicy.HYBRID, RemotePolicy.ONSITE]
        result = []
        for i in range(m):
            place = CODES[places[i]]
            if kinds_drawn[i] == 0:
                kinds = {EngagementType.SIDE_JOB}
                if u[i, 0] < 0.15:
                    kinds.add(EngagementType.SECONDMENT)
                hours = int(side_hours[i])
                policy = policies[side_policy[i]]
                low = max(30_000, round(hours * rates[i] * 0.8 / 10_000) * 10_000)
            else:
                full_time = kinds_drawn[i] == 1
                kinds = {EngagementType.FULL_TIME if full_time else EngagementType.SECONDMENT}
                hours = 160 if full_time else int(other_hours[i])
                policy = policies[other_policy[i]]
                low = round(other_fee[i]) * 10_000
            high = max(low, round(low * spread[i] / 10_000) * 10_000)
            names = skill_sets[i]
            split = max(1, min(len(names) - 1, int(splits[i])))
            result.append(
                NeedSpec(
                    id=f"need-{i}",
                    organization_id=f"firm-{i // 2}",
                    workplace_prefecture_code=place,
                    region_prefecture_codes=frozenset(self.regions[places[i]]),
                    required_skills={s: float(weights[i, j]) for j, s in enumerate(names[:split])},
                    preferred_skills={s: 1.0 for s in names[split:]},
                    engagement_types=frozenset(kinds),
                    hours_per_month=hours,
                    duration_months=int(durations[i]),
                    remote_policy=policy,
                    site_visits_per_month=int(visits[i]) if policy is RemotePolicy.HYBRID else 0,
                    fee_min=low,
                    fee_max=high,
                    start_date=TODAY + timedelta(days=int(starts[i])),
                    openings=int(openings[i]),
                )
            )
        return result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--professionals", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--single-needs", type=int, default=50, help="needs recomputed one by one")
    parser.add_argument(
        "--single-profiles", type=int, default=50, help="profile edits applied one by one"
    )
    parser.add_argument("--seed", type=int, default=7)
    defaults = MatchingConfig()
    parser.add_argument("--candidates", type=int, default=defaults.candidates_per_need)
    parser.add_argument("--proposals", type=int, default=defaults.proposals_per_need)
    parser.add_argument(
        "--exposure-caps", type=int, nargs="+", default=list(defaults.exposure_caps)
    )
    parser.add_argument("--sample", action="store_true", help="also print one proposal")
    args = parser.parse_args(argv)

    taxonomy = default_taxonomy()
    started = time.perf_counter()
    generator = Generator(taxonomy, args.seed)
    professionals = generator.professionals(args.professionals)
    needs = generator.needs(args.needs)
    generated = time.perf_counter() - started
    rss_before = peak_rss_mib()

    config = MatchingConfig(
        candidates_per_need=args.candidates,
        proposals_per_need=args.proposals,
        exposure_caps=tuple(args.exposure_caps),
    )
    wall, cpu = time.perf_counter(), time.process_time()
    engine = MatchingEngine(professionals, taxonomy=taxonomy, config=config)
    indexed = time.perf_counter() - wall
    result = engine.recompute_all(needs)
    full, full_cpu = time.perf_counter() - wall, time.process_time() - cpu
    retrieved, scored = engine.stats.pairs_retrieved, engine.stats.pairs_scored
    rendering = time.perf_counter()
    texts = sum(len(p.explanation.texts) for ps in result.proposals.values() for p in ps)
    rendered = time.perf_counter() - rendering
    rss_after_full = peak_rss_mib()

    proposals = [p for ps in result.proposals.values() for p in ps]
    counts = np.array([len(ps) for ps in result.proposals.values()])
    exposure = np.bincount(
        [engine.pros.row_of[p.professional_id] for p in proposals], minlength=len(professionals)
    )
    rng = np.random.default_rng(args.seed + 1)
    singles = []
    for j in rng.choice(len(needs), size=min(args.single_needs, len(needs)), replace=False):
        edited = replace(needs[j], hours_per_month=needs[j].hours_per_month)
        t = time.perf_counter()
        engine.recompute_for_need(edited)
        singles.append((time.perf_counter() - t) * 1000)
    after_singles = engine.stability().blocking_pairs
    # Profile edits: a professional's profile replaced by another drawn the same way (skills,
    # hours, fees, places), keeping their id; every other edit also takes an engagement.
    profiles, moved = [], []
    drawn = generator.professionals(args.single_profiles)
    for k, j in enumerate(
        rng.choice(len(professionals), size=min(args.single_profiles, len(professionals)))
    ):
        old = professionals[j]
        edited = replace(drawn[k], id=old.id)
        if k % 2:
            edited = replace(edited, current_engagements=min(1, edited.max_concurrent_engagements))
        t = time.perf_counter()
        moved.append(len(engine.update_professional(old.id, edited)))
        profiles.append((time.perf_counter() - t) * 1000)
    eligible = result.professionals_eligible
    report = {
        "professionals": args.professionals,
        "needs": args.needs,
        "generate_seconds": round(generated, 2),
        "full_recompute_seconds": round(full, 2),
        "full_recompute_cpu_seconds": round(full_cpu, 2),
        "full_recompute_parts": {"build_index": round(indexed, 2), **result.seconds},
        "render_all_explanation_texts_seconds": round(rendered, 2),
        "full_recompute_with_texts_seconds": round(full + rendered, 2),
        "explanation_texts": texts,
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "rss_after_generation_mib": round(rss_before, 1),
        "peak_rss_mib_after_full_recompute": round(rss_after_full, 1),
        "one_need_ms_median": round(statistics.median(singles), 2) if singles else None,
        "one_need_ms_max": round(max(singles), 2) if singles else None,
        "one_profile_ms_median": round(statistics.median(profiles), 2) if profiles else None,
        "one_profile_ms_p90": (
            round(sorted(profiles)[int(0.9 * (len(profiles) - 1))], 2) if profiles else None
        ),
        "one_profile_ms_max": round(max(profiles), 2) if profiles else None,
        "one_profile_needs_moved_median": statistics.median(moved) if moved else None,
        "pairs_possible": args.professionals * args.needs,
        "pairs_retrieved": retrieved,
        "pairs_scored": scored,
        "professionals_eligible_share": round(eligible / len(professionals), 4),
        "professionals_proposed_share": round(
            result.professionals_proposed / len(professionals), 4
        ),
        "proposed_share_of_eligible": round(result.professionals_proposed / max(1, eligible), 4),
        "proposals": len(proposals),
        "proposals_per_need_mean": round(float(counts.mean()), 2),
        "needs_with_full_shortlist_share": round(float((counts >= args.proposals).mean()), 4),
        "needs_without_proposal": int((counts == 0).sum()),
        "max_proposals_per_professional": int(exposure.max()),
        "allocated_pairs": sum(p.allocated for p in proposals),
        "stable": result.stability.stable,
        "blocking_pairs": result.stability.blocking_pairs,
        "blocking_pairs_after_single_recomputes": after_singles,
        "blocking_pairs_after_profile_edits": engine.stability().blocking_pairs,
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.sample:
        first = next(ps[0] for ps in result.proposals.values() if ps)
        print(json.dumps(_as_dict(first), ensure_ascii=False, indent=1))
    return 0


def _as_dict(proposal: Proposal) -> dict[str, object]:
    return {
        "need_id": proposal.need_id,
        "professional_id": proposal.professional_id,
        "rank": proposal.rank,
        "allocated": proposal.allocated,
        "summary": proposal.summary,
        "explanation": proposal.explanation.as_json(),
    }


if __name__ == "__main__":
    sys.exit(main())
