"""A worker's resident matching engine, kept current by the outbox messages.

Built once from the database (every open profile and need, as `proposals.recompute_all` reads
them), then changed in place: a need opened or changed is recomputed alone against the current
allocation (`MatchingEngine.recompute_for_need`), a need no longer open is removed, and a
changed profile (or a professional's engagements, moved by a match step) replaces that
professional's row and changes only the needs whose candidates they are or become. Only the
needs whose proposals moved are written, with multi-row upserts.

Changes are applied in two halves so that a handler can read the proposals before and after:
`need_changed` / `professional_changed` change the engine in memory and say which needs moved,
`store` writes those needs' proposals. The nightly `rebuild` builds a fresh engine from the
database, counts the needs whose proposals the warm one had wrong (its drift), and stores all.
"""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.talent import repository
from renkei.talent.index import ProfessionalTable
from renkei.talent.matching import Clock, MatchingConfig, MatchingEngine
from renkei.talent.models import NeedStatus, TalentNeed
from renkei.talent.service import need_spec, professional_spec
from renkei.talent.specs import NeedSpec, ProfessionalSpec

# What a need's proposals are, for comparing two engines: professionals by rank, with scores.
Shortlist = tuple[tuple[Hashable, int, float], ...]


@dataclass(frozen=True, slots=True)
class Rebuilt:
    needs: int
    drift: int  # needs whose warm proposals differed from the fresh engine's (0 when cold)
    stable: bool
    stored: int  # needs whose proposals were written (the database's were not the fresh ones)
    new: set[uuid.UUID]  # matches PROPOSED now and not before: to be told
    seconds: dict[str, float]  # by phase
    cpu_seconds: dict[str, float]  # this process's CPU time by phase


class WarmEngine:
    """One process's matching engine over every open profile and need, and what it proposes."""

    def __init__(self, config: MatchingConfig | None = None) -> None:
        self.config = config
        self.engine: MatchingEngine | None = None
        self._professionals: dict[uuid.UUID, ProfessionalSpec] = {}
        self._needs: dict[uuid.UUID, NeedSpec] = {}
        self._firms: dict[uuid.UUID, uuid.UUID] = {}  # a need's organization
        # The fingerprints of the rows the specs were read from (renkei.talent.repository); a
        # spec changed since in memory has none, and is read again by the next load.
        self._profile_prints: dict[uuid.UUID, int] = {}
        self._need_prints: dict[uuid.UUID, int] = {}
        self._stable = True  # whether the last full recompute's allocation had no blocking pair
        self.seconds: dict[str, float] = {}  # the last full recompute's phases (wall)
        self.cpu_seconds: dict[str, float] = {}  # and this process's CPU time in them

    @property
    def loaded(self) -> bool:
        return self.engine is not None

    def drop(self) -> None:
        """Forget everything (the memory too): the next use loads from the database."""
        self.engine = None
        self._professionals.clear()
        self._needs.clear()
        self._firms.clear()
        self._profile_prints.clear()
        self._need_prints.clear()

    # Loading

    async def load(self, session: AsyncSession) -> set[uuid.UUID]:
        """Build the engine from the database: every open profile and need. Returns the
        needs whose spec, or whose proposed professionals' specs, differ from those held
        before (all of them when nothing was loaded).

        Only the rows whose facts changed since they were read (their fingerprints differ,
        however they were written) are read again; the others keep their specs, and their
        rows of the engine's table are copied from the last one."""
        with _no_cycle_collection():
            moved, _shortlists = await self._load(session)
        return moved

    async def _load(
        self, session: AsyncSession
    ) -> tuple[set[uuid.UUID], dict[uuid.UUID, Shortlist]]:
        """`load`, which also returns the fresh engine's shortlists."""
        clock = Clock()
        previous_table = self.engine.pros if self.engine is not None else None
        self.engine = None  # one engine in memory at a time, not the old beside the new
        if previous_table is not None:
            previous_table.forget_pools()
        changed = await self._load_professionals(session)
        moved = await self._load_needs(session)
        clock.lap("read")
        self._rebuild(previous_table)
        del previous_table
        self.seconds = {**clock.laps, **self.seconds}
        self.cpu_seconds = {**clock.cpu, **self.cpu_seconds}
        shortlists = self.shortlists()
        for need_id, shortlist in shortlists.items():
            if need_id not in moved and any(p in changed for p, _rank, _score in shortlist):
                moved.add(need_id)
        return moved, shortlists

    async def _load_professionals(self, session: AsyncSession) -> set[uuid.UUID]:
        """Every open profile's spec, read again where its fingerprint moved; returns the
        professionals whose spec is new or changed."""
        prints = await repository.open_profile_prints(session)
        taken = await repository.engagements(session)
        known, previous = self._profile_prints, self._professionals
        kept = [pid for pid, fingerprint in prints.items() if known.get(pid) == fingerprint]
        if len(kept) == len(prints):
            rows = []
        elif kept:
            unknown = [pid for pid, fingerprint in prints.items() if known.get(pid) != fingerprint]
            rows = await repository.open_profile_facts(session, unknown)
        else:
            rows = await repository.open_profile_facts(session)
        del prints
        specs: dict[uuid.UUID, ProfessionalSpec] = {}
        fingerprints: dict[uuid.UUID, int] = {}
        for pid in kept:
            spec = previous[pid]
            used = taken.get(pid, (0, 0))
            if (spec.current_engagements, spec.hours_in_use) != used:
                spec = replace(spec, current_engagements=used[0], hours_in_use=used[1])
            specs[pid] = spec
            fingerprints[pid] = known[pid]
        for row in rows:
            pid = row.professional_id
            count, hours = taken.get(pid, (0, 0))
            spec = professional_spec(row, engagements=count, hours_in_use=hours)
            old = previous.get(pid)
            specs[pid] = old if old == spec else spec  # the same object: its row is copied
            fingerprints[pid] = row.fingerprint
        del rows, taken, kept
        changed = {pid for pid, spec in specs.items() if previous.get(pid) is not spec}
        # By professional id (as the database orders them), whatever was read when.
        self._professionals = {pid: specs[pid] for pid in sorted(specs, key=_uuid_int)}
        self._profile_prints = fingerprints
        return changed

    async def _load_needs(self, session: AsyncSession) -> set[uuid.UUID]:
        """Every open need's spec, read again where its fingerprint moved (or its firm's
        regions did); returns the needs whose spec is new or changed."""
        prints = await repository.open_need_prints(session)
        known, previous = self._need_prints, self._needs
        kept = [n for n, fingerprint in prints.items() if known.get(n) == fingerprint]
        unknown = [n for n, fingerprint in prints.items() if known.get(n) != fingerprint]
        if not unknown:
            rows = []
        elif kept:
            rows = await repository.open_need_facts(session, unknown)
        else:
            rows = await repository.open_need_facts(session)
        firms = {_firm(previous[n]) for n in kept} | {r.organization_id for r in rows}
        regions = await repository.region_prefectures(session, list(firms))
        specs: dict[uuid.UUID, NeedSpec] = {}
        fingerprints: dict[uuid.UUID, int] = {}
        for need_id in kept:
            spec = previous[need_id]
            reach = regions.get(_firm(spec), frozenset()) | {spec.workplace_prefecture_code}
            if spec.region_prefecture_codes != reach:
                spec = replace(spec, region_prefecture_codes=reach)
            specs[need_id] = spec
            fingerprints[need_id] = known[need_id]
        for row in rows:
            spec = need_spec(row, regions.get(row.organization_id, frozenset()))
            old = previous.get(row.id)
            specs[row.id] = old if old == spec else spec
            fingerprints[row.id] = row.fingerprint
        moved = {n for n, spec in specs.items() if previous.get(n) is not spec}
        self._needs = {n: specs[n] for n in sorted(specs, key=_uuid_int)}
        self._firms = {n: _firm(spec) for n, spec in self._needs.items()}
        self._need_prints = fingerprints
        return moved

    def _rebuild(self, previous: ProfessionalTable | None) -> None:
        self.engine = None  # let the old engine go before the new one is built
        clock = Clock()
        self.engine = MatchingEngine(
            list(self._professionals.values()), config=self.config, previous=previous
        )
        clock.lap("index")
        result = self.engine.recompute_all(list(self._needs.values()))
        self._stable = result.stability.stable
        self.seconds = {**clock.laps, **result.seconds}
        self.cpu_seconds = {**clock.cpu, **result.cpu_seconds}

    def shortlists(self) -> dict[uuid.UUID, Shortlist]:
        """Every open need's proposals, to compare engines."""
        engine = self._engine()
        return {need_id: engine.shortlist(need_id) for need_id in self._needs}

    def _engine(self) -> MatchingEngine:
        if self.engine is None:
            raise RuntimeError("the warm engine is not loaded")
        return self.engine

    # Changes, in memory: each returns the needs whose proposals moved.

    async def need_changed(self, session: AsyncSession, need_id: uuid.UUID) -> list[uuid.UUID]:
        """A need was opened, changed or closed: recompute it alone, or forget it."""
        engine = self._engine()
        self._need_prints.pop(need_id, None)
        need = await session.get(TalentNeed, need_id, populate_existing=True)
        if need is None or need.status is not NeedStatus.OPEN:
            engine.remove_need(need_id)
            self._needs.pop(need_id, None)
            self._firms.pop(need_id, None)
            return [need_id]
        regions = await repository.region_prefectures(session, [need.organization_id])
        spec = need_spec(need, regions.get(need.organization_id, frozenset()))
        self._needs[need_id] = spec
        self._firms[need_id] = need.organization_id
        recomputed = engine.recompute_for_need(spec)
        displaced = [n for n in recomputed.displaced_need_ids if isinstance(n, uuid.UUID)]
        return [need_id, *displaced]

    async def professional_changed(
        self, session: AsyncSession, professional_id: uuid.UUID
    ) -> list[uuid.UUID]:
        """A profile (or the professional's engagements) changed: replace their spec.

        The engine replaces their row and changes only the needs whose candidate lists they
        enter, leave or move in (MatchingEngine.update_professional); those needs' proposals
        that moved, or that name this professional, are returned to be stored."""
        engine = self._engine()
        self._profile_prints.pop(professional_id, None)
        profile = await repository.open_profile(session, professional_id)
        spec = None
        if profile is not None:
            count, hours = await repository.engagements_of(session, professional_id)
            spec = professional_spec(profile, engagements=count, hours_in_use=hours)
        if self._professionals.get(professional_id) == spec:
            return []
        if spec is None:
            self._professionals.pop(professional_id, None)
        else:
            self._professionals[professional_id] = spec
        moved = engine.update_professional(professional_id, spec)
        return [n for n in moved if isinstance(n, uuid.UUID)]

    async def rebuild(self, session: AsyncSession, *, rewrite: bool = False) -> Rebuilt:
        """Build afresh from the database and make the database's proposals the fresh ones.

        The drift counts the needs whose warm proposals differ from the fresh ones (or exist
        in one only). Only the needs whose stored proposals differ (professional, rank or
        score), whose spec or proposed professionals' specs changed, or all with `rewrite`
        (after new words for the explanations), are written; the PROPOSED matches of needs
        no longer open expire."""
        with _no_cycle_collection():
            return await self._rebuilt(session, rewrite=rewrite)

    async def _rebuilt(self, session: AsyncSession, *, rewrite: bool) -> Rebuilt:
        """`rebuild`, the cycle collector off."""
        clock = Clock()
        before = self.shortlists() if self.loaded else None
        moved, after = await self._load(session)
        clock.lap("load")
        drift = 0
        if before is not None:
            drift = sum(1 for n in before.keys() | after.keys() if before.get(n) != after.get(n))
        del before
        stored = await repository.stored_proposals(session)
        stale = [
            need_id
            for need_id, shortlist in after.items()
            if rewrite or need_id in moved or not _holds(stored, need_id, shortlist)
        ]
        del stored, after
        clock.lap("compare")
        proposed = await repository.proposed_match_ids(session, need_ids=stale) if stale else set()
        await self.store(session, stale)
        new = await repository.proposed_match_ids(session, need_ids=stale) if stale else set()
        new -= proposed
        clock.lap("store")
        await repository.expire_closed_proposals(session, now=datetime.now(UTC))
        clock.lap("expire")
        seconds = {**self.seconds, **{k: v for k, v in clock.laps.items() if k != "load"}}
        cpu = {**self.cpu_seconds, **{k: v for k, v in clock.cpu.items() if k != "load"}}
        return Rebuilt(len(self._needs), drift, self._stable, len(stale), new, seconds, cpu)

    async def unstored(self, session: AsyncSession) -> list[uuid.UUID]:
        """The needs whose stored proposals are not this engine's, as the nightly compares
        them, and the needs no longer open that still have PROPOSED matches."""
        stored = await repository.stored_proposals(session)
        shortlists = self.shortlists()
        differ = [n for n, shortlist in shortlists.items() if not _holds(stored, n, shortlist)]
        return differ + [n for n in stored.proposed if n not in shortlists]

    # Storing

    async def store(self, session: AsyncSession, need_ids: Iterable[uuid.UUID]) -> None:
        """Write these needs' proposals: upsert the proposed, expire the others still PROPOSED."""
        needs = list(dict.fromkeys(need_ids))
        await repository.store_proposals(session, needs, self._rows(needs), now=datetime.now(UTC))

    def _rows(self, need_ids: list[uuid.UUID]) -> Iterator[repository.ProposalRow]:
        """The needs' proposals as rows, each explanation written as JSON only when copied."""
        engine = self._engine()
        for need_id in need_ids:
            firm = self._firms.get(need_id)
            if firm is None:
                continue
            for proposal in engine.proposals(need_id):
                professional_id = proposal.professional_id
                assert isinstance(professional_id, uuid.UUID)
                explanation = json.dumps(proposal.explanation.as_json(), ensure_ascii=False)
                score = Decimal(str(proposal.score))
                yield need_id, professional_id, firm, score, proposal.rank, explanation


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while the engine is built: its collections of the whole
    heap (millions of objects at 100,000 professionals) took 6 of a night's 20 s. Nothing the
    engine makes needs it; it runs again after, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _holds(stored: repository.StoredProposals, need_id: uuid.UUID, shortlist: Shortlist) -> bool:
    """Whether the database holds this shortlist as the need's proposals: PROPOSED matches
    with these ranks and scores, but for the pairs the sides moved on with, and no other."""
    moved_on = stored.moved_on.get(need_id, set())
    expected = tuple(p for p in shortlist if p[0] not in moved_on)
    return stored.proposed.get(need_id, ()) == expected


def _uuid_int(value: uuid.UUID) -> int:
    """A uuid's order in the database (bytewise, as its integer)."""
    return value.int


def _firm(need: NeedSpec) -> uuid.UUID:
    """The organization of a need read from the database."""
    firm = need.organization_id
    assert isinstance(firm, uuid.UUID)
    return firm
