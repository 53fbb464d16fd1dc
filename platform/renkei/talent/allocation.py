"""Capacity-aware allocation: deferred acceptance (Gale–Shapley) with needs proposing, a check of
its stability, and the drawing of each need's shortlist under per-professional exposure caps.

Each need ranks its candidates by its own (firm-side) score and has `openings` seats. Each
professional ranks needs by their own (professional-side) score and can hold proposals within
their free engagements and free hours. A pair blocks an allocation when the need would rather
have the professional than one of its seats (or has a seat free) and the professional would take
the need, with room to spare or by letting go of needs they like less.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(slots=True)
class CandidateList:
    """A need's acceptable professionals, best first by the need's own preference."""

    professionals: list[int]
    need_preference: list[float]
    professional_preference: list[float]
    openings: int
    hours: int
    next: int = 0  # the next candidate to propose to
    held: set[int] = field(default_factory=set)

    @property
    def open_seats(self) -> int:
        return self.openings - len(self.held)


@dataclass(slots=True)
class _Holding:
    preference: float
    need: int
    hours: int


def _room_after_letting_go(
    holdings: Sequence[_Holding], preference: float, hours: int, slots: int, free_hours: int
) -> int | None:
    """How many of the least-preferred holdings a professional must let go to take a need they
    value at `preference` (0: there is room), or None if they would not take it."""
    used_slots, used_hours = len(holdings), sum(h.hours for h in holdings)
    if used_slots + 1 <= slots and used_hours + hours <= free_hours:
        return 0
    for dropped, holding in enumerate(sorted(holdings, key=lambda h: h.preference), start=1):
        if holding.preference >= preference:
            return None
        used_slots -= 1
        used_hours -= holding.hours
        if used_slots + 1 <= slots and used_hours + hours <= free_hours:
            return dropped
    return None


class Allocation:
    """Deferred acceptance state; needs are keyed by int, professionals by table row."""

    def __init__(self, slots: npt.NDArray[np.int32], free_hours: npt.NDArray[np.int32]):
        self.slots = slots
        self.free_hours = free_hours
        self.lists: dict[int, CandidateList] = {}
        self.holdings: dict[int, list[_Holding]] = {}
        # The last blocking pairs found, until the allocation changes (a full recompute asks
        # twice: to repair them, then to report its stability).
        self._blocking: list[tuple[int, int]] | None = None

    def add(self, need: int, candidates: CandidateList) -> None:
        """Register a need's list, replacing (and releasing) any earlier one."""
        self.withdraw(need)
        self.lists[need] = candidates

    def withdraw(self, need: int) -> None:
        """Release the seats a need holds and forget it."""
        self._blocking = None
        old = self.lists.pop(need, None)
        if old is None:
            return
        for p in old.held:
            self.holdings[p] = [h for h in self.holdings[p] if h.need != need]

    def run(self, needs: Iterable[int] | None = None) -> set[int]:
        """Let the given needs (by default all) propose until each has its seats filled or its
        list exhausted; return the needs whose seats changed (including those displaced)."""
        self._blocking = None
        queue = deque(self.lists if needs is None else needs)
        changed: set[int] = set()
        while queue:
            n = queue.popleft()
            cl = self.lists[n]
            while cl.open_seats > 0 and cl.next < len(cl.professionals):
                j = cl.next
                cl.next += 1
                p = cl.professionals[j]
                if p in cl.held:
                    continue
                displaced = self._offer(p, n, cl.professional_preference[j], cl.hours)
                if displaced is None:
                    continue
                cl.held.add(p)
                changed.add(n)
                for m in displaced:
                    self.lists[m].held.discard(p)
                    changed.add(m)
                    queue.append(m)
        return changed

    def repair(self, rounds: int = 3) -> None:
        """Resolve blocking pairs left by deferred acceptance.

        With hours, a professional may let go of several small needs for one large one, and
        then have room for a need they rejected before; a stable allocation need not exist.
        Each round, a need in a blocking pair gives up its least-wanted seat (if it has no free
        one) and proposes again from that professional on.
        """
        for _ in range(rounds):
            pairs = self.blocking_pairs()
            if not pairs:
                return
            best: dict[int, int] = {}
            for n, p in pairs:  # per need, the professional it wants most
                cl = self.lists[n]
                position = cl.professionals.index(p)
                if n not in best or position < best[n]:
                    best[n] = position
            for n, position in best.items():
                cl = self.lists[n]
                if cl.open_seats == 0:
                    rank = {q: j for j, q in enumerate(cl.professionals)}
                    worst = max(cl.held, key=rank.__getitem__)
                    cl.held.discard(worst)
                    self.holdings[worst] = [h for h in self.holdings[worst] if h.need != n]
                cl.next = min(cl.next, position)
            self.run(best)

    def _offer(self, p: int, need: int, preference: float, hours: int) -> list[int] | None:
        holdings = self.holdings.setdefault(p, [])
        drop = _room_after_letting_go(
            holdings, preference, hours, int(self.slots[p]), int(self.free_hours[p])
        )
        if drop is None:
            return None
        holdings.sort(key=lambda h: h.preference)
        displaced = [h.need for h in holdings[:drop]]
        del holdings[:drop]
        holdings.append(_Holding(preference, need, hours))
        return displaced

    def assignment(self) -> dict[int, set[int]]:
        return {n: cl.held for n, cl in self.lists.items()}

    def blocking_pairs(self) -> list[tuple[int, int]]:
        if self._blocking is None:
            self._blocking = find_blocking_pairs(
                self.lists, self.assignment(), self.slots, self.free_hours
            )
        return list(self._blocking)


def find_blocking_pairs(
    lists: Mapping[int, CandidateList],
    assignment: Mapping[int, Collection[int]],
    slots: Sequence[int] | npt.NDArray[np.int32],
    free_hours: Sequence[int] | npt.NDArray[np.int32],
) -> list[tuple[int, int]]:
    """The (need, professional) pairs, among the candidate lists, that would both rather be
    together than keep what the assignment gives them."""
    holdings: dict[int, list[_Holding]] = {}
    for n, pros in assignment.items():
        cl = lists[n]
        position = {p: j for j, p in enumerate(cl.professionals)}
        for p in pros:
            preference = cl.professional_preference[position[p]]
            holdings.setdefault(p, []).append(_Holding(preference, n, cl.hours))
    blocking: list[tuple[int, int]] = []
    for n, cl in lists.items():
        held = assignment.get(n, ())
        if len(held) < cl.openings:
            threshold = float("-inf")
        else:
            threshold = min(
                cl.need_preference[j] for j, p in enumerate(cl.professionals) if p in held
            )
        for j, p in enumerate(cl.professionals):
            if cl.need_preference[j] <= threshold:
                break  # the list is in the need's order: nobody further is wanted more
            if p in held:
                continue
            drop = _room_after_letting_go(
                holdings.get(p, ()),
                cl.professional_preference[j],
                cl.hours,
                int(slots[p]),
                int(free_hours[p]),
            )
            if drop is not None:
                blocking.append((n, p))
    return blocking


def draw_shortlists(
    candidates: npt.NDArray[np.int64],
    total: npt.NDArray[np.float32],
    allocated: npt.NDArray[np.bool_],
    *,
    per_need: int,
    exposure_caps: Sequence[int],
    exposure: npt.NDArray[np.int32],
) -> npt.NDArray[np.bool_]:
    """Choose up to `per_need` proposals per need (rows of `candidates`, best first, -1 for
    none): its allocated seats, then the best others, rank by rank across all needs, skipping
    professionals already proposed as often as the cap allows. Caps rise pass by pass (e.g. 2
    then 6): first everyone gets a turn, then needs still short take the best remaining.
    `exposure` (proposals per professional) is updated in place."""
    chosen = allocated.copy()
    count = chosen.sum(axis=1)
    np.add.at(exposure, candidates[allocated], 1)
    for cap in exposure_caps:
        for r in range(candidates.shape[1]):
            column = candidates[:, r]
            rows = np.flatnonzero((column >= 0) & ~chosen[:, r] & (count < per_need))
            if not len(rows):
                continue
            pros = column[rows]
            # Where several needs reach one professional at this rank, the best pairs go first.
            order = np.lexsort((-total[rows, r], pros))
            rows, pros = rows[order], pros[order]
            starts = np.flatnonzero(np.r_[True, pros[1:] != pros[:-1]])
            within = np.arange(len(pros)) - np.repeat(starts, np.diff(np.r_[starts, len(pros)]))
            ok = exposure[pros] + within < cap
            rows, pros = rows[ok], pros[ok]
            chosen[rows, r] = True
            count[rows] += 1
            np.add.at(exposure, pros, 1)
    return chosen


def draw_shortlist(
    candidates: npt.NDArray[np.int64],
    allocated: npt.NDArray[np.bool_],
    *,
    per_need: int,
    exposure_caps: Sequence[int],
    exposure: npt.NDArray[np.int32],
) -> npt.NDArray[np.bool_]:
    """`draw_shortlists` for one need (its candidates best first): the same choice, in a plain
    loop, since array operations on one short row cost more than they save."""
    chosen = allocated.tolist()
    pros = candidates.tolist()
    count = sum(chosen)
    np.add.at(exposure, candidates[allocated], 1)
    for cap in exposure_caps:
        for r, p in enumerate(pros):
            if count >= per_need:
                break
            if p < 0 or chosen[r] or exposure[p] >= cap:
                continue
            chosen[r] = True
            count += 1
            exposure[p] += 1
    return np.asarray(chosen, dtype=bool)
