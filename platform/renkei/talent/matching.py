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

import os
import time
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from renkei.talent.allocation import Allocation, CandidateList, draw_shortlist, draw_shortlists
from renkei.talent.explanation import Explainer, Explanation, summary
from renkei.talent.index import NeedTable, ProfessionalTable
from renkei.talent.retrieval import Candidates, RetrievalStats, Retriever
from renkei.talent.scoring import feasible, score
from renkei.talent.skills import SkillTaxonomy, default_taxonomy
from renkei.talent.specs import NeedSpec, ProfessionalSpec

Positions = npt.NDArray[np.int64]
# Needs whose candidate lists changed since the professionals' reverse index was built (each is
# checked one by one) before it is built again.
_RELIST_AFTER = 2_000


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    candidates_per_need: int = 150
    proposals_per_need: int = 20
    # Proposals per professional: first at most the first cap, then (for needs still short of
    # proposals) at most the next.
    exposure_caps: tuple[int, ...] = (1, 3, 6)
    start_grace_days: int = 30  # a professional free this many days after the start still fits
    chunk_pairs: int = 1_000_000  # retrieved pairs handled at once (bounds memory)
    # Batches of retrieved pairs checked and scored at once, in threads (a full recompute
    # uses that many cores; each holds a batch's arrays, about 150 MB at 1,000,000 pairs).
    threads: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))


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
    proposals: Mapping[Hashable, list[Proposal]]  # by need; each need's made when first read
    stability: StabilityReport
    professionals: int
    professionals_eligible: int  # with at least one feasible need
    professionals_proposed: int  # receiving at least one proposal
    seconds: dict[str, float] = field(default_factory=dict)  # wall time by phase
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # this process's CPU time


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
    # The drawn shortlist: positions in the candidate arrays it was drawn from (kept: a
    # profile edit replaces the need's arrays before it draws again), best first, and which
    # of them hold one of the need's openings. Its Proposal objects (with explanations) are
    # made when first read: a full recompute draws 200,000 that are mostly never read.
    drawn: Positions = field(default_factory=lambda: np.zeros(0, np.int64))
    drawn_from: _Scores | None = None
    drawn_allocated: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    made: list[Proposal] | None = None


class _Scores(NamedTuple):
    """A need's candidates' scores, as a shortlist was drawn from them."""

    total: npt.NDArray[np.float32]
    firm: npt.NDArray[np.float32]
    professional: npt.NDArray[np.float32]
    components: npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class _Pair:
    firm: float
    professional: float
    total: float
    components: npt.NDArray[np.float32]


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
        previous: ProfessionalTable | None = None,
    ) -> None:
        """`previous`: an earlier engine's table, whose rows of the same spec objects are
        copied rather than built again (ProfessionalTable)."""
        self.taxonomy = taxonomy or default_taxonomy()
        self.config = config or MatchingConfig()
        self.columns = {s.slug: i for i, s in enumerate(self.taxonomy)}
        self.pros = ProfessionalTable(professionals, self.columns, previous=previous)
        self.stats = RetrievalStats()
        self._retriever = Retriever(
            self.pros,
            candidates_per_need=self.config.candidates_per_need,
            start_grace_days=self.config.start_grace_days,
            chunk_pairs=self.config.chunk_pairs,
            stats=self.stats,
            threads=self.config.threads,
        )
        self._explainer = Explainer(self.taxonomy)
        self._allocation = Allocation(self.pros.free_engagements, self.pros.free_hours)
        self._exposure = np.zeros(len(self.pros), dtype=np.int32)
        self._needs: dict[Hashable, _NeedState] = {}
        self._by_key: dict[int, _NeedState] = {}
        self._next_key = 0
        # The needs of the last full recompute, as a table (a profile edit scores the changed
        # professional against all of them at once); needs changed since are `_loose`.
        self._table: NeedTable | None = None
        self._table_rows: dict[Hashable, int] = {}
        self._loose: dict[Hashable, NeedSpec] = {}
        # Which needs list a professional: built from every list at once when first asked
        # (a professional's row -> need keys, as CSR), and the needs whose lists changed since.
        self._listed_in: tuple[Positions, Positions] | None = None
        self._changed_lists: set[int] = set()

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
        self._changed_lists.add(key)
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
        self._table = None
        self._table_rows.clear()
        self._loose.clear()
        self._listed_in = None
        self._changed_lists.clear()

    # Full recompute

    def recompute_all(self, needs: Sequence[NeedSpec]) -> MatchingResult:
        """Propose professionals for every open need, from scratch."""
        clock = Clock()
        self._reset()
        table = NeedTable(needs, self.columns)
        self._table = table
        self._table_rows = {need_id: r for r, need_id in enumerate(table.ids)}
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
            n = candidates.lengths[r]
            self._drawn(state, chosen[r, :n], allocated[r, :n])
        clock.lap("proposals")
        stability = self.stability()
        clock.lap("check_stability")
        return MatchingResult(
            proposals=_Proposals(self, {s.spec.id: s for s in states}),
            stability=stability,
            professionals=len(self.pros),
            professionals_eligible=int(candidates.eligible.sum()),
            professionals_proposed=int((self._exposure > 0).sum()),
            seconds=clock.laps,
            cpu_seconds=clock.cpu,
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
        self._table_rows.pop(need.id, None)
        self._loose[need.id] = need
        candidates = self._retriever.candidates(NeedTable([need], self.columns))
        state = self._new_state(need, candidates, 0)
        changed = self._allocation.run([state.key])
        self._redraw(state)
        displaced = []
        for key in sorted(changed - {state.key}):
            other = self._by_key[key]
            self._redraw(other)
            displaced.append(other.spec.id)
        return NeedRecompute(self._made(state), displaced)

    def remove_need(self, need_id: Hashable) -> None:
        """Forget a need that is no longer open (filled, paused, closed)."""
        self._release(need_id)
        self._table_rows.pop(need_id, None)
        self._loose.pop(need_id, None)
        state = self._needs.pop(need_id, None)
        if state is not None:
            del self._by_key[state.key]

    # One professional at a time

    def update_professional(
        self, professional_id: Hashable, spec: ProfessionalSpec | None
    ) -> list[Hashable]:
        """A professional's profile or engagements changed (None: they take no work any more).

        Their row of the index is replaced, their pair with every need is scored again at once
        (scores are per pair, so nobody else's change), and only the needs whose candidate lists
        they enter, leave or move in are changed: those needs give up their seats and propose
        again, as in `recompute_for_need`. Returns the needs whose proposals moved or name them
        (their explanation changed).

        A need whose full list (`candidates_per_need`) they leave keeps one candidate fewer
        until the next full recompute (its next candidate was never kept)."""
        row = self.pros.row_of.get(professional_id)
        if row is None:
            if spec is None:
                return []
            row = self.pros.append(spec)
            self._allocation.slots = self.pros.free_engagements
            self._allocation.free_hours = self.pros.free_hours
            self._exposure = np.append(self._exposure, np.int32(0))
        else:
            self.pros.replace(row, spec)
        scored = self._scores_of(row)
        touched = {self._needs[need_id].key: self._needs[need_id] for need_id in scored}
        touched.update((state.key, state) for state in self._lists_with(row))
        moved: list[_NeedState] = []
        for state in touched.values():
            if self._move(state, row, scored.get(state.spec.id)):
                moved.append(state)
        changed = self._allocation.run([state.key for state in moved])
        redraw = {state.key: state for state in moved}
        for key in sorted(changed - redraw.keys()):
            redraw[key] = self._by_key[key]
        moved_ids = []
        for state in redraw.values():
            before = self._shortlist(state)
            self._redraw(state)
            after = self._shortlist(state)
            if before != after or any(p == professional_id for p, _, _ in after):
                moved_ids.append(state.spec.id)
        return moved_ids

    def _scores_of(self, row: int) -> dict[Hashable, _Pair]:
        """The professional's feasible pairs with every need (sharing a required skill), by
        need: firm, professional and total score, and the components."""
        found: dict[Hashable, _Pair] = {}
        postings = self.pros.postings(row)
        if not len(postings):
            return found
        tables: list[tuple[NeedTable, Positions]] = []
        if self._table is not None and self._table_rows:
            tables.append((self._table, np.fromiter(self._table_rows.values(), np.int64)))
        if self._loose:
            loose = NeedTable(list(self._loose.values()), self.columns)
            tables.append((loose, np.arange(len(loose), dtype=np.int64)))
        for table, rows in tables:
            shares = np.asarray(table.required[:, postings].getnnz(axis=1) > 0)
            ni = rows[shares[rows]]
            pi = np.full(len(ni), row, dtype=np.int64)
            keep = feasible(table, self.pros, ni, pi, start_grace_days=self.config.start_grace_days)
            ni, pi = ni[keep], pi[keep]
            if not len(ni):
                continue
            scores = score(table, self.pros, ni, pi, start_grace_days=self.config.start_grace_days)
            for j, r in enumerate(ni.tolist()):
                found[table.ids[r]] = _Pair(
                    float(scores.firm[j]),
                    float(scores.professional[j]),
                    float(scores.total[j]),
                    scores.components[:, j],
                )
        return found

    def _move(self, state: _NeedState, row: int, pair: _Pair | None) -> bool:
        """Put the professional's new pair into the need's candidate list (or take them out);
        False when the list stays as it was."""
        keep = state.pros != row
        was_in = not keep.all()
        pros, total = state.pros[keep], state.total[keep]
        firm, professional = state.firm[keep], state.professional[keep]
        components = state.components[keep]
        k = self.config.candidates_per_need
        if pair is not None and (len(pros) < k or pair.total > float(total[-1])):
            at = int(np.searchsorted(-total, -np.float32(pair.total), side="right"))
            pros = np.insert(pros, at, row)[:k]
            total = np.insert(total, at, pair.total)[:k]
            firm = np.insert(firm, at, pair.firm)[:k]
            professional = np.insert(professional, at, pair.professional)[:k]
            components = np.insert(components, at, pair.components, axis=0)[:k]
        elif not was_in:
            return False
        state.pros, state.total, state.firm = pros, total, firm
        state.professional, state.components = professional, components
        self._allocation.add(state.key, self._candidate_list(state))
        self._changed_lists.add(state.key)
        return True

    def _lists_with(self, row: int) -> list[_NeedState]:
        """The needs whose candidate lists hold this professional."""
        if self._listed_in is None or len(self._changed_lists) > _RELIST_AFTER:
            states = list(self._by_key.values())
            flat = np.concatenate([s.pros for s in states]) if states else np.zeros(0, np.int64)
            keys = np.repeat([s.key for s in states], [len(s.pros) for s in states])
            order = np.argsort(flat, kind="stable")
            counts = np.bincount(flat, minlength=len(self.pros))
            self._listed_in = (np.concatenate(([0], np.cumsum(counts))), keys[order])
            self._changed_lists.clear()
        indptr, keys = self._listed_in
        maybe = set(self._changed_lists)
        if row + 1 < len(indptr):
            maybe.update(keys[indptr[row] : indptr[row + 1]].tolist())
        found = []
        for key in maybe:
            state = self._by_key.get(key)
            if state is not None and (state.pros == row).any():
                found.append(state)
        return found

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
        chosen = draw_shortlist(
            state.pros,
            allocated,
            per_need=self.config.proposals_per_need,
            exposure_caps=self.config.exposure_caps,
            exposure=self._exposure,
        )
        self._drawn(state, chosen, allocated)

    def _drawn(
        self,
        state: _NeedState,
        chosen: npt.NDArray[np.bool_],
        allocated: npt.NDArray[np.bool_],
    ) -> None:
        """Keep a need's drawn shortlist (`chosen` and `allocated` over its candidates)."""
        state.drawn = np.flatnonzero(chosen)
        state.drawn_from = _Scores(state.total, state.firm, state.professional, state.components)
        state.drawn_allocated = allocated[state.drawn]
        state.proposed = state.pros[state.drawn]
        state.made = None

    # Reading

    def proposals(self, need_id: Hashable) -> list[Proposal]:
        state = self._needs.get(need_id)
        return [] if state is None else self._made(state)

    def shortlist(self, need_id: Hashable) -> tuple[tuple[Hashable, int, float], ...]:
        """A need's proposals as (professional, rank, score), as `proposals` has them, without
        making the proposals (nor their explanations)."""
        state = self._needs.get(need_id)
        return () if state is None else self._shortlist(state)

    def _shortlist(self, state: _NeedState) -> tuple[tuple[Hashable, int, float], ...]:
        if state.drawn_from is None:
            return ()
        ids = self.pros.ids
        total = state.drawn_from.total[state.drawn]
        rows = zip(state.proposed.tolist(), total.tolist(), strict=True)
        return tuple((ids[p], rank, round(t, 4)) for rank, (p, t) in enumerate(rows, start=1))

    def candidates(self, need_id: Hashable) -> list[tuple[Hashable, float]]:
        """A need's candidate list: professionals and their scores, best first."""
        state = self._needs.get(need_id)
        if state is None:
            return []
        ids = self.pros.ids
        pairs = zip(state.pros.tolist(), state.total.tolist(), strict=True)
        return [(ids[p], round(t, 4)) for p, t in pairs]

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

    def _made(self, state: _NeedState) -> list[Proposal]:
        """The need's drawn shortlist as proposals, made once (until it is drawn again)."""
        if state.made is not None:
            return state.made
        scores = state.drawn_from
        if scores is None:
            return []
        explainer = self._explainer.for_need(state.spec)
        proposals = []
        positions = state.drawn
        rows = zip(
            state.proposed.tolist(),
            scores.total[positions].tolist(),
            scores.firm[positions].tolist(),
            scores.professional[positions].tolist(),
            scores.components[positions].tolist(),
            state.drawn_allocated.tolist(),
            strict=True,
        )
        for rank, (p, total, firm, prof, values, allocated) in enumerate(rows, start=1):
            pro = self.pros.specs[p]
            proposals.append(
                Proposal(
                    need_id=state.spec.id,
                    professional_id=pro.id,
                    rank=rank,
                    score=round(total, 4),
                    firm_score=round(firm, 4),
                    professional_score=round(prof, 4),
                    allocated=allocated,
                    explanation=explainer.explain(pro, values),
                )
            )
        state.made = proposals
        return proposals


class _Proposals(Mapping[Hashable, list[Proposal]]):
    """A full recompute's proposals by need, each need's made when first read."""

    def __init__(self, engine: MatchingEngine, states: dict[Hashable, _NeedState]) -> None:
        self._engine = engine
        self._states = states

    def __getitem__(self, need_id: Hashable) -> list[Proposal]:
        return self._engine._made(self._states[need_id])

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)


class Clock:
    """Wall and CPU time (this process's) by phase: on a shared machine the two differ."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._last = time.perf_counter()
        self._last_cpu = time.process_time()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.laps[name] = round(now - self._last, 3)
        self.cpu[name] = round(cpu - self._last_cpu, 3)
        self._last, self._last_cpu = now, cpu
