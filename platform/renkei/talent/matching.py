"""The matching engine: proposes professionals for talent needs (マッチング).

1. Retrieval: a need's candidates are the professionals who share one of its required skills,
   found through the skill index (a sparse product); pairs that share nothing are never scored.
2. Hard constraints (engagement type, capacity, hours, fee ranges, presence, start date) drop
   infeasible pairs; the rest get a reciprocal score (renkei.talent.scoring).
3. Each need keeps its best `candidates_per_need` by that score. Deferred acceptance (needs
   propose, professionals hold within their engagements and hours) allocates the openings,
   and the allocation's stability is checked.
4. Each need's shortlist of `proposals_per_need` is its allocated professionals, then its best
   other candidates, drawn rank by rank across all needs under rising per-professional caps
   (`exposure_caps`): so that proposals do not all go to the same few people.

Nothing here touches the database: the service feeds specs in and stores proposals.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from renkei.talent.allocation import Allocation, CandidateList, draw_shortlists
from renkei.talent.explanation import Explainer, Explanation, summary
from renkei.talent.index import NeedTable, ProfessionalTable
from renkei.talent.retrieval import Candidates, RetrievalStats, Retriever
from renkei.talent.skills import SkillTaxonomy, default_taxonomy
from renkei.talent.specs import NeedSpec, ProfessionalSpec

Positions = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    candidates_per_need: int = 150
    proposals_per_need: int = 20
    # Proposals per professional: first at most the first cap, then (for needs still short of
    # proposals) at most the next.
    exposure_caps: tuple[int, ...] = (1, 3, 6)
    start_grace_days: int = 30  # a professional free this many days after the start still fits
    chunk_pairs: int = 1_000_000  # retrieved pairs handled at once (bounds memory)


@dataclass(frozen=True, slots=True)
class Proposal:
    """A professional proposed for a need, with why."""

    need_id: Hashable
    professional_id: Hashable
    rank: int
    score: float
    firm_score: float
    professional_score: float
    allocated: bool  # holds one of the need's openings in the stable allocation
    explanation: Explanation

    @property
    def summary(self) -> str:
        return summary(self.score, self.firm_score, self.professional_score)


@dataclass(frozen=True, slots=True)
class StabilityReport:
    stable: bool
    blocking_pairs: int
    examples: tuple[tuple[Hashable, Hashable], ...]


@dataclass(slots=True)
class MatchingResult:
    proposals: dict[Hashable, list[Proposal]]
    stability: StabilityReport
    professionals: int
    professionals_eligible: int  # with at least one feasible need
    professionals_proposed: int  # receiving at least one proposal
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _NeedState:
    key: int
    spec: NeedSpec
    pros: npt.NDArray[np.int64]  # candidates, best reciprocal score first
    firm: npt.NDArray[np.float32]
    professional: npt.NDArray[np.float32]
    total: npt.NDArray[np.float32]
    components: npt.NDArray[np.float32]
    proposed: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    proposals: list[Proposal] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NeedRecompute:
    """What recomputing one need gives: its proposals, and other needs whose allocated
    professionals changed because this need took them (their proposals were redrawn)."""

    proposals: list[Proposal]
    displaced_need_ids: list[Hashable]


class MatchingEngine:
    """Holds the professionals' index and the current allocation of needs."""

    def __init__(
        self,
        professionals: Sequence[ProfessionalSpec],
        *,
        taxonomy: SkillTaxonomy | None = None,
        config: MatchingConfig | None = None,
    ) -> None:
        self.taxonomy = taxonomy or default_taxonomy()
        self.config = config or MatchingConfig()
        self.columns = {s.slug: i for i, s in enumerate(self.taxonomy)}
        self.pros = ProfessionalTable(professionals, self.columns)
        self.stats = RetrievalStats()
        self._retriever = Retriever(
            self.pros,
            candidates_per_need=self.config.candidates_per_need,
            start_grace_days=self.config.start_grace_days,
            chunk_pairs=self.config.chunk_pairs,
            stats=self.stats,
        )
        self._explainer = Explainer(self.taxonomy)
        self._allocation = Allocation(self.pros.free_engagements, self.pros.free_hours)
        self._exposure = np.zeros(len(self.pros), dtype=np.int32)
        self._needs: dict[Hashable, _NeedState] = {}
        self._by_key: dict[int, _NeedState] = {}
        self._next_key = 0

    # State

    def _new_state(self, need: NeedSpec, candidates: Candidates, row: int) -> _NeedState:
        old = self._needs.get(need.id)
        if old is None:
            key = self._next_key
            self._next_key += 1
        else:
            key = old.key
        n = candidates.lengths[row]
        state = _NeedState(
            key=key,
            spec=need,
            pros=candidates.pros[row, :n],
            firm=candidates.firm[row, :n],
            professional=candidates.professional[row, :n],
            total=candidates.total[row, :n],
            components=candidates.components[row, :n],
        )
        self._needs[need.id] = state
        self._by_key[key] = state
        self._allocation.add(key, self._candidate_list(state))
        return state

    def _candidate_list(self, state: _NeedState) -> CandidateList:
        order = np.argsort(-state.firm, kind="stable")  # a need proposes by its own preference
        return CandidateList(
            professionals=state.pros[order].tolist(),
            need_preference=state.firm[order].tolist(),
            professional_preference=state.professional[order].tolist(),
            openings=state.spec.openings,
            hours=state.spec.hours_per_month,
        )

    def _reset(self) -> None:
        self._allocation = Allocation(self.pros.free_engagements, self.pros.free_hours)
        self._exposure[:] = 0
        self._needs.clear()
        self._by_key.clear()

    # Full recompute

    def recompute_all(self, needs: Sequence[NeedSpec]) -> MatchingResult:
        """Propose professionals for every open need, from scratch."""
        clock = _Clock()
        self._reset()
        table = NeedTable(needs, self.columns)
        candidates = self._retriever.candidates(table)
        clock.lap("retrieve_and_score")
        states = [self._new_state(need, candidates, r) for r, need in enumerate(table.specs)]
        self._allocation.run()
        self._allocation.repair()
        clock.lap("allocate")

        allocated = np.zeros(candidates.pros.shape, dtype=bool)
        for r, state in enumerate(states):
            for p in self._allocation.lists[state.key].held:
                allocated[r, np.flatnonzero(candidates.pros[r] == p)[0]] = True
        chosen = draw_shortlists(
            candidates.pros,
            candidates.total,
            allocated,
            per_need=self.config.proposals_per_need,
            exposure_caps=self.config.exposure_caps,
            exposure=self._exposure,
        )
        clock.lap("draw_shortlists")
        for r, state in enumerate(states):
            row = chosen[r, : candidates.lengths[r]]
            state.proposed = state.pros[row]
            state.proposals = self._proposals(state, row)
        clock.lap("proposals")
        stability = self.stability()
        clock.lap("check_stability")
        return MatchingResult(
            proposals={s.spec.id: s.proposals for s in states},
            stability=stability,
            professionals=len(self.pros),
            professionals_eligible=int(candidates.eligible.sum()),
            professionals_proposed=int((self._exposure > 0).sum()),
            seconds=clock.laps,
        )

    # One need at a time

    def recompute_for_need(self, need: NeedSpec) -> NeedRecompute:
        """Propose professionals for one new or changed need, against the current allocation
        and with the index built for the full recompute.

        The need proposes as in deferred acceptance; a professional who prefers it lets go of
        another need, which proposes on down its list (its id is returned). Seats this need
        gives up are not offered again to needs turned down before: `stability()` tells whether
        that left blocking pairs, and the next full recompute removes them."""
        self._release(need.id)
        candidates = self._retriever.candidates(NeedTable([need], self.columns))
        state = self._new_state(need, candidates, 0)
        changed = self._allocation.run([state.key])
        self._redraw(state)
        displaced = []
        for key in sorted(changed - {state.key}):
            other = self._by_key[key]
            self._redraw(other)
            displaced.append(other.spec.id)
        return NeedRecompute(state.proposals, displaced)

    def remove_need(self, need_id: Hashable) -> None:
        """Forget a need that is no longer open (filled, paused, closed)."""
        self._release(need_id)
        state = self._needs.pop(need_id, None)
        if state is not None:
            del self._by_key[state.key]

    def _release(self, need_id: Hashable) -> None:
        state = self._needs.get(need_id)
        if state is None:
            return
        np.subtract.at(self._exposure, state.proposed, 1)
        state.proposed = np.zeros(0, np.int64)
        self._allocation.withdraw(state.key)

    def _redraw(self, state: _NeedState) -> None:
        np.subtract.at(self._exposure, state.proposed, 1)
        held = self._allocation.lists[state.key].held
        allocated = np.isin(state.pros, list(held))
        chosen = draw_shortlists(
            state.pros[None, :],
            state.total[None, :],
            allocated[None, :],
            per_need=self.config.proposals_per_need,
            exposure_caps=self.config.exposure_caps,
            exposure=self._exposure,
        )[0]
        state.proposed = state.pros[chosen]
        state.proposals = self._proposals(state, chosen)

    # Reading

    def proposals(self, need_id: Hashable) -> list[Proposal]:
        state = self._needs.get(need_id)
        return [] if state is None else state.proposals

    def stability(self) -> StabilityReport:
        """Blocking pairs of the current allocation, among the needs' candidate lists."""
        pairs = self._allocation.blocking_pairs()
        examples = tuple((self._by_key[n].spec.id, self.pros.ids[p]) for n, p in pairs[:10])
        return StabilityReport(stable=not pairs, blocking_pairs=len(pairs), examples=examples)

    def blocking_pairs_by_need(self) -> dict[Hashable, int]:
        """How many blocking pairs each need is in (needs in none are left out)."""
        counts: dict[Hashable, int] = {}
        for n, _p in self._allocation.blocking_pairs():
            need_id = self._by_key[n].spec.id
            counts[need_id] = counts.get(need_id, 0) + 1
        return counts

    def _proposals(self, state: _NeedState, chosen: npt.NDArray[np.bool_]) -> list[Proposal]:
        held = self._allocation.lists[state.key].held
        explainer = self._explainer.for_need(state.spec)
        proposals = []
        positions = np.flatnonzero(chosen)
        rows = zip(
            state.pros[positions].tolist(),
            state.total[positions].tolist(),
            state.firm[positions].tolist(),
            state.professional[positions].tolist(),
            state.components[positions].tolist(),
            strict=True,
        )
        for rank, (p, total, firm, prof, values) in enumerate(rows, start=1):
            pro = self.pros.specs[p]
            proposals.append(
                Proposal(
                    need_id=state.spec.id,
                    professional_id=pro.id,
                    rank=rank,
                    score=round(total, 4),
                    firm_score=round(firm, 4),
                    professional_score=round(prof, 4),
                    allocated=p in held,
                    explanation=explainer.explain(pro, values),
                )
            )
        return proposals


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now
