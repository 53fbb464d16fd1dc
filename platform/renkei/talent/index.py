"""Columnar tables of professionals and needs, and the skill index that retrieves candidates.

Everything the hard constraints and the score read is a numpy array indexed by row, so that a
batch of (need, professional) pairs is checked and scored with a few vectorized operations.
Prefecture sets are 47-bit masks in an int64 (bit i is the prefecture of JIS code i + 1).

The index is a skills × professionals sparse matrix (one posting list per skill) that
holds only professionals with room for another engagement. A needs × skills matrix of required
skill weights times it gives, for each need, exactly the professionals who share a required skill
and their weighted coverage: pairs that share nothing are never produced.

Needs are retrieved in groups that share the categorical hard constraints (engagement types, a
floor of hours, presence and workplace), each against a `Pool`: the index restricted to the
professionals who can satisfy those constraints. So a hybrid need in 島根県 only meets people who
would go to 島根県, and most retrieved pairs are feasible; the exact check follows anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import sparse

from renkei.errors import Invalid
from renkei.geography.data import PREFECTURES
from renkei.i18n.messages import _
from renkei.talent.specs import EngagementType, NeedSpec, ProfessionalSpec, RemotePolicy, TieKind

PREFECTURE_INDEX: dict[str, int] = {p.code: i for i, p in enumerate(PREFECTURES)}
ENGAGEMENT_BITS: dict[EngagementType, int] = {
    EngagementType.SIDE_JOB: 1,
    EngagementType.FULL_TIME: 2,
    EngagementType.SECONDMENT: 4,
}
POLICY_RANK: dict[RemotePolicy, int] = {
    RemotePolicy.REMOTE: 0,
    RemotePolicy.HYBRID: 1,
    RemotePolicy.ONSITE: 2,
}
TIE_KINDS: tuple[TieKind, ...] = tuple(TieKind)
_UNLIMITED_VISITS = 31  # a professional who accepts on-site work accepts any visits
# A professional's skill as one byte: the level (0 for none) in the low 3 bits, whole years of
# practice (at most 31) above them. One gather then reads both.
LEVEL_BITS = 3
LEVEL_MASK = (1 << LEVEL_BITS) - 1
MAX_YEARS = 31
# Floors of hours a month by which pools are cut (a need of 30 hours looks among those with 30+).
# Pools kept for single needs' recomputes, in all at most (all of them at 100,000 professionals,
# where they take about 100 MB; the most recently used at 1,000,000, where all took about 1 GB).
POOL_CACHE_BYTES = 256 * 2**20
HOUR_FLOORS = np.array([0, 10, 20, 30, 40, 60, 80, 120, 160], dtype=np.int32)

IntArray = npt.NDArray[np.int64]
_TIE_ROW = {kind: k for k, kind in enumerate(TIE_KINDS)}
# A professional's one-dimensional columns (a row is added to each when one is appended).
_ROW_ARRAYS = (
    "engagements", "free_hours", "free_engagements", "load", "fee_min", "fee_max",
    "available_day", "presence", "max_visits", "residence", "reach", "top_levels", "tied",
)  # fmt: skip


def prefecture_mask(codes: Sequence[str] | frozenset[str]) -> int:
    mask = 0
    for code in codes:
        mask |= 1 << PREFECTURE_INDEX[code]
    return mask


def _bloc_masks() -> npt.NDArray[np.int64]:
    """For each prefecture, the mask of its 広域地方計画 bloc (itself alone if it has none)."""
    masks = np.zeros(len(PREFECTURES), dtype=np.int64)
    for i, p in enumerate(PREFECTURES):
        bloc = p.planning_bloc
        same = [q.code for q in PREFECTURES if bloc and q.planning_bloc == bloc]
        masks[i] = prefecture_mask(same or [p.code])
    return masks


BLOC_MASKS = _bloc_masks()


def _column(columns: Mapping[str, int], slug: str, owner: object) -> int:
    """A skill's column; `owner` (its professional or need) named only in the error."""
    column = columns.get(slug)
    if column is None:
        raise Invalid(
            _("{owner}: 「{slug}」 is not a skill of the taxonomy.", owner=owner, slug=slug),
            field="skills",
        )
    return column


class _Owner(NamedTuple):
    """Who names a skill, written out only in an error (not for each of a million skills)."""

    kind: str
    id: object

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class ProfessionalTable:
    """The professionals, column by column, and the skill index over them."""

    def __init__(
        self,
        professionals: Sequence[ProfessionalSpec],
        columns: Mapping[str, int],
        *,
        previous: ProfessionalTable | None = None,
    ):
        """The table of these professionals. From `previous` (a table built before over the
        same skills), the rows of the very same spec objects are copied, not filled again:
        a nightly rebuild where few profiles changed fills only theirs."""
        n, width = len(professionals), len(columns)
        self.columns = columns
        self.specs = list(professionals)
        self.ids = [p.id for p in professionals]
        self.row_of = {pid: i for i, pid in enumerate(self.ids)}
        if len(self.row_of) != n:
            raise Invalid(_("Professional ids are unique."), field="id")
        self.engagements = np.zeros(n, dtype=np.int8)
        self.free_hours = np.zeros(n, dtype=np.int32)
        self.free_engagements = np.zeros(n, dtype=np.int32)
        self.load = np.zeros(n, dtype=np.float32)  # share of engagement slots in use
        self.fee_min = np.zeros(n, dtype=np.int64)
        self.fee_max = np.zeros(n, dtype=np.int64)
        self.available_day = np.zeros(n, dtype=np.int32)
        self.presence = np.zeros(n, dtype=np.int8)  # POLICY_RANK of the most presence accepted
        self.max_visits = np.zeros(n, dtype=np.int16)
        self.residence = np.zeros(n, dtype=np.int64)  # one-bit mask
        self.reach = np.zeros(n, dtype=np.int64)  # residence and travel prefectures
        self.ties = np.zeros((len(TIE_KINDS), n), dtype=np.int64)
        # One more column than skills, always 0: where a need's unused skill slots point.
        self.skill_codes = np.zeros((n, width + 1), dtype=np.uint8)
        self.top_levels = np.ones(n, dtype=np.float32)
        self.tied = np.zeros(n, dtype=np.int64)  # all prefectures they have ties to
        self._vacant: set[int] = set()  # rows emptied by replace(i, None)
        for i in self._copy_rows(previous):
            self._fill(i, self.specs[i])
        # The index, a posting list per skill, kept by professional (one column each) so that
        # one professional's postings are replaced in place.
        self._by_skill_columns = self._index()
        self._pools: dict[PoolKey, Pool] = {}
        self._pool_bytes = 0

    def _copy_rows(self, previous: ProfessionalTable | None) -> list[int]:
        """Copy from `previous` the rows of the spec objects it holds; return the rest."""
        if previous is None or previous.columns != self.columns:
            return list(range(len(self.specs)))
        source = np.full(len(self.specs), -1, dtype=np.int64)
        old_row, old_specs, vacant = previous.row_of.get, previous.specs, previous._vacant
        for i, p in enumerate(self.specs):
            r = old_row(p.id)
            if r is not None and old_specs[r] is p and r not in vacant:
                source[i] = r
        into = np.flatnonzero(source >= 0)
        src = source[into]
        for name in (*_ROW_ARRAYS, "skill_codes"):
            getattr(self, name)[into] = getattr(previous, name)[src]
        self.ties[:, into] = previous.ties[:, src]
        return np.flatnonzero(source < 0).tolist()

    def _index(self) -> sparse.csc_matrix:
        """Skills × professionals: each professional who takes work, under each of their
        skills (a skill's code is its level, never 0, and its years)."""
        n, width = len(self.ids), len(self.columns)
        takes_work = (self.free_engagements > 0) & (self.free_hours > 0)
        rows, cols = np.nonzero(self.skill_codes[:, :width])
        keep = takes_work[rows]
        rows, cols = rows[keep], cols[keep]
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        data = np.ones(len(cols), dtype=np.float32)
        return sparse.csc_matrix((data, cols.astype(np.int32), indptr), shape=(width, n))

    def forget_pools(self) -> None:
        """Let the pools' cache go (the table is about to be replaced)."""
        self._pools.clear()
        self._pool_bytes = 0

    def _fill(self, i: int, p: ProfessionalSpec) -> list[int]:
        """Write row i from the spec; return the skill columns they are indexed under."""
        mask = 0
        for t in p.engagement_types:
            mask |= ENGAGEMENT_BITS[t]
        self.engagements[i] = mask
        self.free_hours[i] = p.free_hours
        self.free_engagements[i] = p.free_engagements
        self.load[i] = (
            min(1.0, p.current_engagements / p.max_concurrent_engagements)
            if p.max_concurrent_engagements
            else 1.0
        )
        self.fee_min[i] = p.fee_min
        self.fee_max[i] = p.fee_max
        self.available_day[i] = p.available_from.toordinal()
        self.presence[i] = POLICY_RANK[p.remote_preference]
        self.max_visits[i] = (
            _UNLIMITED_VISITS
            if p.remote_preference is RemotePolicy.ONSITE
            else p.max_site_visits_per_month
        )
        home = 1 << PREFECTURE_INDEX[p.residence_prefecture_code]
        self.residence[i] = home
        self.reach[i] = home | prefecture_mask(p.travel_prefecture_codes)
        self.ties[:, i] = 0
        tied = 0
        for tie in p.ties:
            bit = 1 << PREFECTURE_INDEX[tie.prefecture_code]
            self.ties[_TIE_ROW[tie.kind], i] |= bit
            tied |= bit
        self.tied[i] = tied
        self.skill_codes[i] = 0
        postings: list[int] = []
        takes_work = p.free_engagements > 0 and p.free_hours > 0
        for slug, skill in p.skills.items():
            c = _column(self.columns, slug, _Owner("professional", p.id))
            years = min(MAX_YEARS, int(skill.years))
            self.skill_codes[i, c] = skill.level | years << LEVEL_BITS
            if takes_work:
                postings.append(c)
        # The sum of the three best levels: how much of their strength a need can use.
        top = sum(sorted((skill.level for skill in p.skills.values()), reverse=True)[:3])
        self.top_levels[i] = max(top, 1)
        return postings

    # Changes in place: one professional at a time (the warm engine's profile edits).

    def replace(self, i: int, p: ProfessionalSpec | None) -> None:
        """Row i becomes this spec (None: they take no work any more, and are not indexed)."""
        stale = [key for key in self._pools if self._member(key, i)]
        if p is None:
            self.engagements[i] = 0
            self.free_hours[i] = 0
            self.free_engagements[i] = 0
            self._vacant.add(i)
            postings: list[int] = []
        else:
            if p.id != self.ids[i]:
                raise ValueError("a row keeps its professional")
            self.specs[i] = p
            self._vacant.discard(i)
            postings = self._fill(i, p)
        self._set_postings(i, postings)
        stale += [key for key in self._pools if self._member(key, i)]
        for key in stale:
            pool = self._pools.pop(key, None)
            if pool is not None:
                self._pool_bytes -= pool.nbytes

    def append(self, p: ProfessionalSpec) -> int:
        """Add a professional as a new row (arrays are reallocated: callers that keep a
        reference to `free_engagements` or `free_hours` must take the new ones)."""
        if p.id in self.row_of:
            raise Invalid(_("Professional ids are unique."), field="id")
        i = len(self.ids)
        for name in _ROW_ARRAYS:
            column = getattr(self, name)
            setattr(self, name, np.concatenate([column, np.zeros(1, dtype=column.dtype)]))
        self.ties = np.concatenate([self.ties, np.zeros((len(TIE_KINDS), 1), np.int64)], axis=1)
        self.skill_codes = np.concatenate(
            [self.skill_codes, np.zeros((1, self.skill_codes.shape[1]), np.uint8)]
        )
        self.specs.append(p)
        self.ids.append(p.id)
        self.row_of[p.id] = i
        m = self._by_skill_columns
        self._by_skill_columns = sparse.csc_matrix(
            (m.data, m.indices, np.append(m.indptr, m.indptr[-1])), shape=(m.shape[0], i + 1)
        )
        self.replace(i, p)
        return i

    def postings(self, i: int) -> IntArray:
        """The skill columns professional i is indexed under (none if they take no work)."""
        m = self._by_skill_columns
        return np.asarray(m.indices[m.indptr[i] : m.indptr[i + 1]], dtype=np.int64)

    def _set_postings(self, i: int, columns: list[int]) -> None:
        m = self._by_skill_columns
        start, stop = int(m.indptr[i]), int(m.indptr[i + 1])
        new = np.asarray(sorted(columns), dtype=m.indices.dtype)
        if stop - start == len(new) and np.array_equal(m.indices[start:stop], new):
            return
        indices = np.concatenate([m.indices[:start], new, m.indices[stop:]])
        indptr = m.indptr.copy()
        indptr[i + 1 :] += len(new) - (stop - start)
        data = np.ones(len(indices), dtype=np.float32)
        self._by_skill_columns = sparse.csc_matrix((data, indices, indptr), shape=m.shape)

    def _member(self, key: PoolKey, i: int) -> bool:
        """Whether row i belongs to the pool of this key (as `pool` chooses its members)."""
        engagements, hour_floor, presence, visits, workplace = key
        ok = bool(self.engagements[i] & engagements) and bool(
            self.free_hours[i] >= HOUR_FLOORS[hour_floor]
        )
        if presence:
            ok = ok and bool(self.presence[i] >= presence) and bool(self.max_visits[i] >= visits)
            ok = ok and bool(self.reach[i] & (1 << workplace))
        return ok

    def __len__(self) -> int:
        return len(self.ids)

    def pool(self, key: PoolKey) -> Pool:
        """The index restricted to those who meet a group's categorical constraints (cached,
        the most recently used kept within POOL_CACHE_BYTES: a full recompute builds hundreds
        of pools, about 20 times the index in all)."""
        pool = self._pools.pop(key, None)
        if pool is None:
            engagements, hour_floor, presence, visits, workplace = key
            ok = (self.engagements & engagements) != 0
            ok &= self.free_hours >= HOUR_FLOORS[hour_floor]
            if presence:
                ok &= (self.presence >= presence) & (self.max_visits >= visits)
                ok &= (self.reach & (1 << workplace)) != 0
            members = np.flatnonzero(ok)
            matrix = self._by_skill_columns[:, members].tocsr()
            pool = Pool(matrix, members)
            self._pool_bytes += pool.nbytes
        self._pools[key] = pool  # last: the most recently used
        while self._pool_bytes > POOL_CACHE_BYTES and len(self._pools) > 1:
            oldest = next(iter(self._pools))
            self._pool_bytes -= self._pools.pop(oldest).nbytes
        return pool


# engagement bits, index into HOUR_FLOORS, presence rank, site visits, workplace prefecture index
PoolKey = tuple[int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class Pool:
    """Posting lists (skills × members) of the professionals who may fit a group of needs:
    who takes work, shares its engagement types, has its floor of hours and, for a need with
    presence, accepts that presence in its prefecture."""

    matrix: sparse.csr_matrix
    members: IntArray  # professional rows, by matrix column

    @property
    def nbytes(self) -> int:
        m = self.matrix
        return int(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes + self.members.nbytes)

    @property
    def posting_lengths(self) -> npt.NDArray[np.float64]:
        lengths: npt.NDArray[np.float64] = np.diff(self.matrix.indptr).astype(np.float64)
        return lengths


class NeedTable:
    """A batch of needs, column by column.

    Each need's skills are laid out in slots, slot-major (slots × needs, so that one slot of
    many pairs is a contiguous vector), with weights normalized within the required and within
    the preferred skills, so that coverage is a share of the weight. An unused slot points at
    the professionals' always-empty last skill column, with no weight.
    """

    def __init__(self, needs: Sequence[NeedSpec], columns: Mapping[str, int]):
        m = len(needs)
        self.specs = list(needs)
        self.ids = [n.id for n in needs]
        slots = max((len(n.required_skills) + len(n.preferred_skills) for n in needs), default=1)
        self.slot_skill = np.full((slots, m), len(columns), dtype=np.int64)
        self.slot_required_weight = np.zeros((slots, m), dtype=np.float32)
        self.slot_preferred_weight = np.zeros((slots, m), dtype=np.float32)
        self.has_preferred = np.zeros(m, dtype=bool)
        self.slots_used = np.zeros(m, dtype=np.int8)  # a need's skill slots (the rest unused)
        self.engagements = np.zeros(m, dtype=np.int8)
        self.hours = np.zeros(m, dtype=np.int32)
        self.fee_min = np.zeros(m, dtype=np.int64)
        self.fee_max = np.zeros(m, dtype=np.int64)
        self.start_day = np.zeros(m, dtype=np.int32)
        self.presence = np.zeros(m, dtype=np.int8)
        self.visits = np.zeros(m, dtype=np.int16)
        self.place = np.zeros(m, dtype=np.int64)  # index of the workplace prefecture
        self.workplace = np.zeros(m, dtype=np.int64)  # the same as a one-bit mask
        self.region = np.zeros(m, dtype=np.int64)  # the region's prefectures and the workplace
        self.nearby = np.zeros(m, dtype=np.int64)  # the region and the workplace's bloc
        self.openings = np.zeros(m, dtype=np.int32)
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        for i, n in enumerate(needs):
            # A need that names only preferred skills is matched on them.
            required = n.required_skills or n.preferred_skills
            preferred = n.preferred_skills if n.required_skills else {}
            j = 0
            for group, is_required in ((required, True), (preferred, False)):
                total = sum(group.values())
                for slug, weight in group.items():
                    c = _column(columns, slug, _Owner("need", n.id))
                    self.slot_skill[j, i] = c
                    if is_required:
                        self.slot_required_weight[j, i] = weight / total
                        rows.append(i)
                        cols.append(c)
                        weights.append(weight / total)
                    else:
                        self.slot_preferred_weight[j, i] = weight / total
                    j += 1
            self.slots_used[i] = j
            self.has_preferred[i] = bool(preferred)
            mask = 0
            for t in n.engagement_types:
                mask |= ENGAGEMENT_BITS[t]
            self.engagements[i] = mask
            self.hours[i] = n.hours_per_month
            self.fee_min[i] = n.fee_min
            self.fee_max[i] = n.fee_max
            self.start_day[i] = n.start_date.toordinal()
            self.presence[i] = POLICY_RANK[n.remote_policy]
            self.visits[i] = n.site_visits_per_month
            place = PREFECTURE_INDEX[n.workplace_prefecture_code]
            self.place[i] = place
            self.workplace[i] = 1 << place
            self.region[i] = (1 << place) | prefecture_mask(n.region_prefecture_codes)
            self.nearby[i] = self.region[i] | BLOC_MASKS[place]
            self.openings[i] = n.openings
        self.required = sparse.csr_matrix(
            (np.asarray(weights, dtype=np.float32), (rows, cols)), shape=(m, len(columns))
        )

    def __len__(self) -> int:
        return len(self.ids)

    def slot_used_of(self, rows: IntArray) -> IntArray:
        """The skill slots used by these needs' rows."""
        return self.slots_used[rows].astype(np.int64)

    def groups(self) -> dict[PoolKey, IntArray]:
        """The needs (rows, ascending) by the pool they are retrieved from."""
        floors = np.searchsorted(HOUR_FLOORS, self.hours, side="right") - 1
        on_site = self.presence > 0
        keys = np.stack(
            [
                self.engagements.astype(np.int64),
                floors,
                self.presence,
                np.where(on_site, self.visits, 0),
                np.where(on_site, self.place, 0),
            ],
            axis=1,
        )
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        order = np.argsort(inverse.ravel(), kind="stable")
        bounds = np.searchsorted(inverse.ravel()[order], np.arange(len(unique) + 1))
        return {
            tuple(int(v) for v in unique[g]): order[bounds[g] : bounds[g + 1]]  # type: ignore[misc]
            for g in range(len(unique))
        }

    def retrieval_estimate(self, rows: IntArray, pool: Pool) -> IntArray:
        """An upper bound of each need's candidates: the length of its skills' posting lists."""
        binary = self.required[rows]
        binary.data[:] = 1.0
        return np.asarray(binary @ pool.posting_lengths, dtype=np.int64)
