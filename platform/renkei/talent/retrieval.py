"""From needs to their best candidates: retrieval through the skill index, hard constraints,
scoring, and each need's top candidates.

Needs are retrieved group by group (each group against its pool, renkei.talent.index); the
retrieved pairs of several small groups are checked and scored together, in batches of about
`chunk_pairs`, so that a few hundred groups cost a few hundred sparse products and not a few
hundred rounds of array work. A need's pairs stay contiguous all along.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from renkei.talent.index import NeedTable, Pool, ProfessionalTable
from renkei.talent.scoring import COMPONENTS, feasible, score

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
    ) -> None:
        self.pros = pros
        self.k = candidates_per_need
        self.grace = start_grace_days
        self.chunk_pairs = chunk_pairs
        self.stats = stats

    def candidates(self, table: NeedTable) -> Candidates:
        """The best feasible candidates of every need of the table."""
        out = Candidates.empty(len(table), self.k, len(self.pros))
        for rows, counts, pi in self._batches(table):
            ni = np.repeat(rows, counts)
            self.stats.pairs_retrieved += len(pi)
            keep = feasible(table, self.pros, ni, pi, start_grace_days=self.grace)
            kept_before = np.concatenate(([0], np.cumsum(keep)))
            ends = np.cumsum(counts)
            starts, stops = kept_before[ends - counts], kept_before[ends]
            ni, pi = ni[keep], pi[keep]
            self.stats.pairs_scored += len(pi)
            scores = score(table, self.pros, ni, pi, start_grace_days=self.grace)
            out.eligible[pi] = True
            for r, start, stop in zip(rows.tolist(), starts.tolist(), stops.tolist(), strict=True):
                picked = start + self._best(scores.total[start:stop])
                n = out.lengths[r] = len(picked)
                out.pros[r, :n] = pi[picked]
                out.firm[r, :n] = scores.firm[picked]
                out.professional[r, :n] = scores.professional[picked]
                out.total[r, :n] = scores.total[picked]
                out.components[r, :n] = scores.components[:, picked].T
        return out

    def _best(self, total: Floats) -> Positions:
        """Positions of the best k scores, best first."""
        k = self.k
        top = np.argpartition(-total, k - 1)[:k] if len(total) > k else np.arange(len(total))
        return top[np.argsort(-total[top], kind="stable")]

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
