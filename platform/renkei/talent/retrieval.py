"""From needs to their best candidates: retrieval through the skill index, hard constraints,
scoring, and each need's top candidates.

Needs are retrieved group by group (each group against its pool, renkei.talent.index); the
retrieved pairs of several small groups are checked and scored together, in batches of about
`chunk_pairs`, so that a few hundred groups cost a few hundred sparse products and not a few
hundred rounds of array work. A need's pairs stay contiguous all along.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from renkei.talent.index import NeedTable, Pool, ProfessionalTable
from renkei.talent.scoring import COMPONENTS, feasible_in_pool, score

Positions = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]


@dataclass(slots=True)
class RetrievalStats:
    """Counters: how much work retrieval let through (tests assert on them)."""

    pairs_retrieved: int = 0  # pairs sharing a required skill: checked against hard constraints
    pairs_scored: int = 0  # pairs that passed the hard constraints: scored


@dataclass(frozen=True, slots=True)
class Candidates:
    """Each need's best candidates by reciprocal score, best first (rows padded with -1)."""

    pros: Positions  # needs × k
    firm: Floats
    professional: Floats
    total: Floats
    components: Floats  # needs × k × components
    lengths: Positions  # how many candidates each need has
    eligible: npt.NDArray[np.bool_]  # professionals with at least one feasible need

    @classmethod
    def empty(cls, needs: int, k: int, professionals: int) -> Candidates:
        return cls(
            pros=np.full((needs, k), -1, dtype=np.int64),
            firm=np.zeros((needs, k), dtype=np.float32),
            professional=np.zeros((needs, k), dtype=np.float32),
            total=np.zeros((needs, k), dtype=np.float32),
            components=np.zeros((needs, k, len(COMPONENTS)), dtype=np.float32),
            lengths=np.zeros(needs, dtype=np.int64),
            eligible=np.zeros(professionals, dtype=bool),
        )


class Retriever:
    def __init__(
        self,
        pros: ProfessionalTable,
        *,
        candidates_per_need: int,
        start_grace_days: int,
        chunk_pairs: int,
        stats: RetrievalStats,
        threads: int = 1,
    ) -> None:
        self.pros = pros
        self.k = candidates_per_need
        self.grace = start_grace_days
        self.chunk_pairs = chunk_pairs
        self.stats = stats
        self.threads = threads

    def candidates(self, table: NeedTable) -> Candidates:
        """The best feasible candidates of every need of the table.

        With `threads` > 1, batches are checked and scored that many at a time in threads
        (numpy and scipy let the interpreter go while they work), while this thread
        retrieves the next: each need's candidates are the same whichever thread finds them."""
        out = Candidates.empty(len(table), self.k, len(self.pros))
        if self.threads <= 1:
            for batch in self._batches(table):
                self._count(self._take(table, out, *batch))
            return out
        with ThreadPoolExecutor(self.threads, thread_name_prefix="retrieval") as executor:
            running: deque[Future[tuple[int, int]]] = deque()
            try:
                for batch in self._batches(table):
                    running.append(executor.submit(self._take, table, out, *batch))
                    while len(running) >= self.threads:
                        self._count(running.popleft().result())
                while running:
                    self._count(running.popleft().result())
            finally:
                for future in running:
                    future.cancel()
        return out

    def _count(self, counts: tuple[int, int]) -> None:
        self.stats.pairs_retrieved += counts[0]
        self.stats.pairs_scored += counts[1]

    def _take(
        self, table: NeedTable, out: Candidates, rows: Positions, counts: Positions, pi: Positions
    ) -> tuple[int, int]:
        """Check and score one batch's pairs and keep each of its needs' best in `out`;
        returns the pairs retrieved and scored."""
        retrieved = len(pi)
        ni = np.repeat(rows, counts)
        keep = feasible_in_pool(table, self.pros, ni, pi, start_grace_days=self.grace)
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        ends = np.cumsum(counts)
        starts, stops = kept_before[ends - counts], kept_before[ends]
        pi = pi[keep]
        del ni, keep, kept_before
        # Needs with more skill slots first (each need's pairs kept together, in order):
        # `score` then reads slot j for a prefix of the pairs only.
        order = np.argsort(-table.slot_used_of(rows), kind="stable")
        rows, starts, stops = rows[order], starts[order], stops[order]
        kept = stops - starts
        moved_to = np.concatenate(([0], np.cumsum(kept)))[:-1]
        pi = pi[np.arange(len(pi)) + np.repeat(starts - moved_to, kept)]
        starts, stops = moved_to, moved_to + kept
        ni = np.repeat(rows, kept)
        scores = score(table, self.pros, ni, pi, start_grace_days=self.grace, by_slots=True)
        out.eligible[pi] = True
        # Each need's best k, best first: chosen need by need (ties as argpartition breaks
        # them), written all at once.
        k, worst_first = self.k, -scores.total
        picks: list[Positions] = []
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            part = worst_first[start:stop]
            if stop - start > k:
                top = np.argpartition(part, k - 1)[:k]
                top = top[np.argsort(part[top], kind="stable")]
            else:
                top = np.argsort(part, kind="stable")
            picks.append(start + top)
        lengths = np.fromiter((len(p) for p in picks), dtype=np.int64, count=len(picks))
        picked = np.concatenate(picks) if picks else np.zeros(0, np.int64)
        at = np.repeat(rows, lengths)
        rank = np.arange(len(picked)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out.lengths[rows] = lengths
        out.pros[at, rank] = pi[picked]
        out.firm[at, rank] = scores.firm[picked]
        out.professional[at, rank] = scores.professional[picked]
        out.total[at, rank] = scores.total[picked]
        out.components[at, rank] = scores.components[:, picked].T
        return retrieved, len(pi)

    def _batches(self, table: NeedTable) -> Iterator[tuple[Positions, Positions, Positions]]:
        """(need rows, candidates per need, candidates), about `chunk_pairs` pairs at a time."""
        rows: list[Positions] = []
        counts: list[Positions] = []
        found: list[Positions] = []
        size = 0
        for key, group in table.groups().items():
            pool = self.pros.pool(key)
            for part in self._parts(table, group, pool):
                product = table.required[part] @ pool.matrix
                rows.append(part)
                counts.append(np.diff(product.indptr))
                found.append(pool.members[product.indices])
                size += len(found[-1])
                if size >= self.chunk_pairs:
                    yield np.concatenate(rows), np.concatenate(counts), np.concatenate(found)
                    rows, counts, found, size = [], [], [], 0
        if rows:
            yield np.concatenate(rows), np.concatenate(counts), np.concatenate(found)

    def _parts(self, table: NeedTable, group: Positions, pool: Pool) -> Iterator[Positions]:
        """A group's needs in parts whose retrieved pairs stay within `chunk_pairs`."""
        estimate = np.cumsum(table.retrieval_estimate(group, pool))
        start = 0
        while start < len(group):
            base = estimate[start - 1] if start else 0
            stop = int(np.searchsorted(estimate, base + self.chunk_pairs, side="right"))
            stop = min(len(group), max(stop, start + 1))
            yield group[start:stop]
            start = stop
