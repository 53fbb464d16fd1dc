"""Every query of the talent domain. Row-level security does the visibility filtering."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from psycopg.rows import namedtuple_row, tuple_row
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    Uuid,
    any_,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.milestones.models import Milestone
from renkei.organizations.models import Organization
from renkei.regions.models import ParticipationStatus, Region, RegionMember
from renkei.talent.models import (
    Match,
    MatchCost,
    MatchStatus,
    NeedStatus,
    Professional,
    ProfessionalProfile,
    SubsidyApplication,
    SubsidyScheme,
    TalentNeed,
    TalentNeedMilestone,
)
from renkei.text_search import bigrams

# A professional's engagements that take their hours: contracted or running.
ENGAGED = (MatchStatus.CONTRACTED, MatchStatus.ACTIVE)


def needs(
    *,
    status: NeedStatus | None = None,
    prefecture_code: str | None = None,
    skill: str | None = None,
    search: str | None = None,
    organization_id: uuid.UUID | None = None,
) -> Select[TalentNeed]:
    """Needs the viewer may see, narrowed by status, workplace, a skill's slug or a search."""
    stmt = select(TalentNeed)
    if status is not None:
        stmt = stmt.where(TalentNeed.status == status)
    if organization_id is not None:
        stmt = stmt.where(TalentNeed.organization_id == organization_id)
    if prefecture_code is not None:
        stmt = stmt.where(TalentNeed.workplace_prefecture_code == prefecture_code)
    if skill is not None:
        wanted = type_coerce([{"skill": skill}], JSONB)
        stmt = stmt.where(
            type_coerce(TalentNeed.required_skills, JSONB).contains(wanted)
            | type_coerce(TalentNeed.preferred_skills, JSONB).contains(wanted)
        )
    terms = bigrams(search) if search is not None else []
    if terms:
        stmt = stmt.where(type_coerce(TalentNeed.search_terms, ARRAY(Text)).contains(terms))
    return stmt


def matches(
    *,
    organization_id: uuid.UUID | None = None,
    professional_id: uuid.UUID | None = None,
    status: MatchStatus | None = None,
    introduced_by: uuid.UUID | None = None,
) -> Select[Match]:
    stmt = select(Match)
    if organization_id is not None:
        stmt = stmt.where(Match.organization_id == organization_id)
    if introduced_by is not None:
        stmt = stmt.where(Match.introduced_by_organization_id == introduced_by)
    if professional_id is not None:
        stmt = stmt.where(Match.professional_id == professional_id)
    if status is not None:
        stmt = stmt.where(Match.status == status)
    return stmt


async def get_need(session: AsyncSession, need_id: uuid.UUID) -> TalentNeed | None:
    return await session.get(TalentNeed, need_id)


async def get_match(session: AsyncSession, match_id: uuid.UUID) -> Match | None:
    return await session.get(Match, match_id)


async def match_of(
    session: AsyncSession, need_id: uuid.UUID, professional_id: uuid.UUID
) -> Match | None:
    return await session.scalar(
        select(Match).where(Match.need_id == need_id, Match.professional_id == professional_id)
    )


async def own_professional(session: AsyncSession, user_id: uuid.UUID) -> Professional | None:
    return await session.scalar(select(Professional).where(Professional.user_id == user_id))


async def profile(session: AsyncSession, professional_id: uuid.UUID) -> ProfessionalProfile | None:
    return await session.get(ProfessionalProfile, professional_id)


async def profiles_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> Sequence[ProfessionalProfile]:
    stmt = select(ProfessionalProfile).where(ProfessionalProfile.professional_id.in_(ids))
    return (await session.scalars(stmt)).all()


async def pseudonym_taken(session: AsyncSession, pseudonym: str) -> bool:
    """Whether a pseudonym is used; the platform's view, as a professional sees only theirs."""
    found = await session.scalar(select(Professional.id).where(Professional.pseudonym == pseudonym))
    return found is not None


async def lock(session: AsyncSession, row: TalentNeed | Match | ProfessionalProfile) -> None:
    """Re-read a row under a row lock, so that concurrent changes take turns."""
    await session.refresh(row, with_for_update=True)


# The engine's inputs, read as the platform.


class NeedFacts(Protocol):
    """What the engine reads of a need: a TalentNeed, or a row of NEED_FACTS."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def organization_id(self) -> uuid.UUID: ...
    @property
    def workplace_prefecture_code(self) -> str: ...
    @property
    def required_skills(self) -> list[dict[str, Any]]: ...
    @property
    def preferred_skills(self) -> list[dict[str, Any]]: ...
    @property
    def engagement_types(self) -> list[str]: ...
    @property
    def hours_per_month(self) -> int: ...
    @property
    def duration_months(self) -> int: ...
    @property
    def remote_policy(self) -> str: ...
    @property
    def site_visits_per_month(self) -> int: ...
    @property
    def fee_min_jpy(self) -> int: ...
    @property
    def fee_max_jpy(self) -> int: ...
    @property
    def starts_on(self) -> date: ...
    @property
    def openings(self) -> int: ...


class ProfileFacts(Protocol):
    """What the engine reads of a profile: a ProfessionalProfile, or a row of PROFILE_FACTS."""

    @property
    def professional_id(self) -> uuid.UUID: ...
    @property
    def skills(self) -> list[dict[str, Any]]: ...
    @property
    def engagement_types(self) -> list[str]: ...
    @property
    def hours_per_month(self) -> int: ...
    @property
    def available_from(self) -> date: ...
    @property
    def remote_preference(self) -> str: ...
    @property
    def max_site_visits_per_month(self) -> int: ...
    @property
    def residence_prefecture_code(self) -> str: ...
    @property
    def travel_prefecture_codes(self) -> list[str]: ...
    @property
    def ties(self) -> list[dict[str, Any]]: ...
    @property
    def fee_min_jpy(self) -> int: ...
    @property
    def fee_max_jpy(self) -> int: ...
    @property
    def max_engagements(self) -> int: ...


# The columns of those facts. The engine's inputs are read as plain rows, not as ORM entities:
# at 100,000 profiles the entities (and the session's identity map) cost seconds and memory
# that the specs built from them do not need.
NEED_FACTS = (
    TalentNeed.id,
    TalentNeed.organization_id,
    TalentNeed.workplace_prefecture_code,
    TalentNeed.required_skills,
    TalentNeed.preferred_skills,
    TalentNeed.engagement_types,
    TalentNeed.hours_per_month,
    TalentNeed.duration_months,
    TalentNeed.remote_policy,
    TalentNeed.site_visits_per_month,
    TalentNeed.fee_min_jpy,
    TalentNeed.fee_max_jpy,
    TalentNeed.starts_on,
    TalentNeed.openings,
)
PROFILE_FACTS = (
    ProfessionalProfile.professional_id,
    ProfessionalProfile.skills,
    ProfessionalProfile.engagement_types,
    ProfessionalProfile.hours_per_month,
    ProfessionalProfile.available_from,
    ProfessionalProfile.remote_preference,
    ProfessionalProfile.max_site_visits_per_month,
    ProfessionalProfile.residence_prefecture_code,
    ProfessionalProfile.travel_prefecture_codes,
    ProfessionalProfile.ties,
    ProfessionalProfile.fee_min_jpy,
    ProfessionalProfile.fee_max_jpy,
    ProfessionalProfile.max_engagements,
)


async def open_needs(session: AsyncSession) -> Sequence[NeedFacts]:
    """Every open need's facts, as rows (not entities)."""
    stmt = select(*NEED_FACTS).where(TalentNeed.status == NeedStatus.OPEN).order_by(TalentNeed.id)
    return (await session.execute(stmt)).all()


async def open_profiles(session: AsyncSession) -> Sequence[ProfileFacts]:
    """Every open profile's facts, as rows (not entities)."""
    stmt = (
        select(*PROFILE_FACTS)
        .where(ProfessionalProfile.is_open.is_(True))
        .order_by(ProfessionalProfile.professional_id)
    )
    return (await session.execute(stmt)).all()


# The warm engine's bulk reads: straight through the driver (psycopg, binary), as tuples. At
# 100,000 profiles SQLAlchemy's processing of each row's columns cost seconds.


async def _fetch(
    session: AsyncSession, sql: str, params: dict[str, Any] | None = None, *, named: bool = False
) -> list[Any]:
    """The rows of a statement, run on the session's connection (its transaction, its viewer)."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    factory = namedtuple_row if named else tuple_row
    async with raw.cursor(binary=True, row_factory=factory) as cursor:
        await cursor.execute(sql, params)
        return list(await cursor.fetchall())


def _names(columns: Sequence[Any]) -> list[str]:
    return [c.expression.name for c in columns]


# A fingerprint of a row's facts (a 64-bit hash of their values): a row whose fingerprint is
# the one seen before has the same facts, however it was written (a direct edit included).
_PROFILE_FACT_NAMES = _names(PROFILE_FACTS)
_PROFILE_PRINT = f"hash_record_extended(row({', '.join(_PROFILE_FACT_NAMES[1:])}), 0)"
_NEED_FACT_NAMES = _names(NEED_FACTS)
_NEED_PRINT = f"hash_record_extended(row({', '.join(_NEED_FACT_NAMES[1:])}), 0)"
_OPEN_PROFILE_PRINTS = (
    f"SELECT professional_id, {_PROFILE_PRINT} FROM professional_profiles WHERE is_open"
)
_OPEN_PROFILE_FACTS = (
    f"SELECT {_PROFILE_PRINT} AS fingerprint, {', '.join(_PROFILE_FACT_NAMES)}"
    " FROM professional_profiles WHERE is_open"
)
_OPEN_NEED_PRINTS = f"SELECT id, {_NEED_PRINT} FROM talent_needs WHERE status = 'OPEN'"
_OPEN_NEED_FACTS = (
    f"SELECT {_NEED_PRINT} AS fingerprint, {', '.join(_NEED_FACT_NAMES)}"
    " FROM talent_needs WHERE status = 'OPEN'"
)


class PrintedProfile(ProfileFacts, Protocol):
    """A profile's facts and their fingerprint."""

    @property
    def fingerprint(self) -> int: ...


class PrintedNeed(NeedFacts, Protocol):
    """A need's facts and their fingerprint."""

    @property
    def fingerprint(self) -> int: ...


async def open_profile_prints(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Every open profile's fingerprint, by professional."""
    return dict(await _fetch(session, _OPEN_PROFILE_PRINTS))


async def open_profile_facts(
    session: AsyncSession, ids: Sequence[uuid.UUID] | None = None
) -> list[PrintedProfile]:
    """The open profiles' facts with their fingerprints: these professionals' (None: all)."""
    if ids is None:
        return await _fetch(session, _OPEN_PROFILE_FACTS, named=True)
    sql = _OPEN_PROFILE_FACTS + " AND professional_id = ANY(%(ids)s)"
    return await _fetch(session, sql, {"ids": list(ids)}, named=True)


async def open_need_prints(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Every open need's fingerprint, by need."""
    return dict(await _fetch(session, _OPEN_NEED_PRINTS))


async def open_need_facts(
    session: AsyncSession, ids: Sequence[uuid.UUID] | None = None
) -> list[PrintedNeed]:
    """The open needs' facts with their fingerprints: these needs' (None: all)."""
    if ids is None:
        return await _fetch(session, _OPEN_NEED_FACTS, named=True)
    sql = _OPEN_NEED_FACTS + " AND id = ANY(%(ids)s)"
    return await _fetch(session, sql, {"ids": list(ids)}, named=True)


async def engagements(session: AsyncSession) -> dict[uuid.UUID, tuple[int, int]]:
    """Per professional: how many contracted or active matches, and their hours a month."""
    rows = await _fetch(
        session,
        "SELECT professional_id, count(*)::int, coalesce(sum(contract_hours_per_month), 0)::int"
        " FROM matches WHERE status = ANY(%(engaged)s) GROUP BY professional_id",
        {"engaged": [s.value for s in ENGAGED]},
    )
    return {professional_id: (count, hours) for professional_id, count, hours in rows}


async def region_prefectures(
    session: AsyncSession, organization_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, frozenset[str]]:
    """The prefectures of the regions each organization takes part in."""
    rows = await session.execute(
        select(RegionMember.organization_id, Region.prefecture_codes)
        .join(Region, Region.id == RegionMember.region_id)
        .where(
            RegionMember.organization_id.in_(organization_ids),
            RegionMember.status == ParticipationStatus.ACTIVE,
        )
    )
    found: dict[uuid.UUID, set[str]] = {}
    for organization_id, codes in rows:
        found.setdefault(organization_id, set()).update(codes)
    return {k: frozenset(v) for k, v in found.items()}


async def matches_of_needs(session: AsyncSession, need_ids: Sequence[uuid.UUID]) -> Sequence[Match]:
    stmt = select(Match).where(Match.need_id.in_(need_ids))
    return (await session.scalars(stmt)).all()


async def stale_proposals(session: AsyncSession) -> Sequence[Match]:
    """PROPOSED matches of needs that are no longer open."""
    stmt = (
        select(Match)
        .join(TalentNeed, TalentNeed.id == Match.need_id)
        .where(Match.status == MatchStatus.PROPOSED, TalentNeed.status != NeedStatus.OPEN)
    )
    return (await session.scalars(stmt)).all()


# Subsidies ----------------------------------------------------------------------------------


async def subsidy_schemes(
    session: AsyncSession, *, prefecture_code: str | None = None, fiscal_year: int | None = None
) -> list[SubsidyScheme]:
    """The subsidy schemes, by prefecture, 年度, tier rank and name, narrowed by the filters."""
    stmt = select(SubsidyScheme).order_by(
        SubsidyScheme.prefecture_code,
        SubsidyScheme.fiscal_year,
        SubsidyScheme.tier_rank,
        SubsidyScheme.name,
    )
    if prefecture_code is not None:
        stmt = stmt.where(SubsidyScheme.prefecture_code == prefecture_code)
    if fiscal_year is not None:
        stmt = stmt.where(SubsidyScheme.fiscal_year == fiscal_year)
    return list(await session.scalars(stmt))


async def subsidy_scheme_named(
    session: AsyncSession, *, prefecture_code: str, fiscal_year: int, name: str
) -> SubsidyScheme | None:
    """A prefecture's tier of a 年度 by its name (they are unique)."""
    stmt = select(SubsidyScheme).where(
        SubsidyScheme.prefecture_code == prefecture_code,
        SubsidyScheme.fiscal_year == fiscal_year,
        SubsidyScheme.name == name,
    )
    return (await session.scalars(stmt)).one_or_none()


async def match_costs(session: AsyncSession, *, match_id: uuid.UUID) -> list[MatchCost]:
    """The match's cost ledger, oldest first (empty for anyone but the firm)."""
    rows = await session.scalars(
        select(MatchCost)
        .where(MatchCost.match_id == match_id)
        .order_by(MatchCost.incurred_on, MatchCost.created_at, MatchCost.id)
    )
    return list(rows)


async def contract_started_before(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    besides: uuid.UUID,
    statuses: Sequence[MatchStatus],
    on: date,
) -> bool:
    """Whether the firm has another match in these statuses whose contract started before `on`."""
    found = await session.scalar(
        select(Match.id)
        .where(
            Match.organization_id == organization_id,
            Match.id != besides,
            Match.status.in_(statuses),
            Match.contract_starts_on < on,
        )
        .limit(1)
    )
    return found is not None


# Jobs ---------------------------------------------------------------------------------------


async def proposed_match_ids(
    session: AsyncSession,
    *,
    need_ids: Iterable[uuid.UUID] | None,
    among: Iterable[uuid.UUID] | None = None,
) -> set[uuid.UUID]:
    """Ids of the PROPOSED matches of these needs (of every need when None), among these
    matches (when given)."""
    stmt = select(Match.id).where(Match.status == MatchStatus.PROPOSED)
    if need_ids is not None:
        stmt = stmt.where(Match.need_id == any_(_uuids(need_ids)))
    if among is not None:
        stmt = stmt.where(Match.id == any_(_uuids(among)))
    return set((await session.scalars(stmt)).all())


class ProposalParties(Protocol):
    """A new proposal as it is told: the match, its need, its professional and its firm."""

    @property
    def match_id(self) -> uuid.UUID: ...
    @property
    def rank(self) -> int | None: ...
    @property
    def need_id(self) -> uuid.UUID: ...
    @property
    def title(self) -> str: ...
    @property
    def professional_id(self) -> uuid.UUID: ...
    @property
    def pseudonym(self) -> str: ...
    @property
    def user_id(self) -> uuid.UUID: ...
    @property
    def contact_email(self) -> str: ...
    @property
    def firm_id(self) -> uuid.UUID: ...
    @property
    def firm_name(self) -> str: ...


async def matches_with_parties(
    session: AsyncSession, *, match_ids: Iterable[uuid.UUID]
) -> Sequence[ProposalParties]:
    """These matches with their need, professional and firm, by firm, need, rank and pseudonym:
    the columns told only (a night may tell of 100,000 proposals, each with its explanation)."""
    rows = await session.execute(
        select(
            Match.id.label("match_id"),
            Match.rank,
            TalentNeed.id.label("need_id"),
            TalentNeed.title,
            Professional.id.label("professional_id"),
            Professional.pseudonym,
            Professional.user_id,
            Professional.contact_email,
            Organization.id.label("firm_id"),
            Organization.name.label("firm_name"),
        )
        .join(TalentNeed, TalentNeed.id == Match.need_id)
        .join(Professional, Professional.id == Match.professional_id)
        .join(Organization, Organization.id == Match.organization_id)
        .where(Match.id == any_(_uuids(match_ids)))
        .order_by(Organization.name, TalentNeed.title, Match.rank, Professional.pseudonym)
    )
    return rows.all()


def _uuids(ids: Iterable[uuid.UUID]) -> ColumnElement[list[uuid.UUID]]:
    """Ids as one array parameter: an IN list of 100,000 ids passes PostgreSQL's limit of
    65,535 parameters a statement."""
    return literal(list(ids), ARRAY(Uuid()))


# The projects and milestones a need serves


async def participating_project_ids(session: AsyncSession) -> set[uuid.UUID]:
    """The projects the acting organization takes part in (an active participant)."""
    ids = await session.scalars(select(func.renkei_participating_project_ids()))
    return set(ids.all())


async def milestones_of_project(
    session: AsyncSession, project_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> list[Milestone]:
    """Those of these milestones that are the project's (and the viewer sees)."""
    statement = select(Milestone).where(Milestone.project_id == project_id, Milestone.id.in_(ids))
    return list((await session.scalars(statement)).all())


async def milestones_of_need(session: AsyncSession, need_id: uuid.UUID) -> list[Milestone]:
    """The milestones a need serves that the viewer sees, by due date."""
    statement = (
        select(Milestone)
        .join(TalentNeedMilestone, TalentNeedMilestone.milestone_id == Milestone.id)
        .where(TalentNeedMilestone.need_id == need_id)
        .order_by(Milestone.due_on, Milestone.id)
    )
    return list((await session.scalars(statement)).all())


async def replace_need_milestones(
    session: AsyncSession, need: TalentNeed, milestone_ids: Sequence[uuid.UUID]
) -> None:
    """The need serves these milestones, and no others."""
    await session.execute(delete(TalentNeedMilestone).where(TalentNeedMilestone.need_id == need.id))
    session.add_all(
        TalentNeedMilestone(
            need_id=need.id, milestone_id=milestone_id, organization_id=need.organization_id
        )
        for milestone_id in dict.fromkeys(milestone_ids)
    )
    await session.flush()


async def needs_of_project(session: AsyncSession, project_id: uuid.UUID) -> list[TalentNeed]:
    """The needs serving a project that the viewer sees, newest first."""
    statement = (
        select(TalentNeed)
        .where(TalentNeed.project_id == project_id)
        .order_by(TalentNeed.created_at.desc(), TalentNeed.id)
    )
    return list((await session.scalars(statement)).all())


# The warm engine's reads and bulk writes ------------------------------------------------------


async def open_profile(
    session: AsyncSession, professional_id: uuid.UUID
) -> ProfessionalProfile | None:
    """The professional's profile when it is open to proposals, else None."""
    return await session.scalar(
        select(ProfessionalProfile).where(
            ProfessionalProfile.professional_id == professional_id,
            ProfessionalProfile.is_open.is_(True),
        )
    )


async def engagements_of(session: AsyncSession, professional_id: uuid.UUID) -> tuple[int, int]:
    """The professional's contracted or active matches, and their hours a month."""
    rows = await session.execute(
        select(Match.contract_hours_per_month).where(
            Match.professional_id == professional_id, Match.status.in_(ENGAGED)
        )
    )
    hours = [h or 0 for (h,) in rows]
    return len(hours), sum(hours)


@dataclass(slots=True)
class StoredProposals:
    """What the database holds of the engine's proposals, to compare with an engine's."""

    # Each need's PROPOSED matches as (professional, rank, score), by rank.
    proposed: dict[uuid.UUID, tuple[tuple[uuid.UUID, int, float], ...]]
    # Each need's professionals whose match the sides moved on with (neither PROPOSED nor
    # EXPIRED): storing leaves those matches as they are, whatever the engine proposes.
    moved_on: dict[uuid.UUID, set[uuid.UUID]]


async def stored_proposals(session: AsyncSession) -> StoredProposals:
    """The PROPOSED matches, and the pairs the sides moved on with, of every need."""
    rows = await _fetch(
        session,
        "SELECT need_id, professional_id, rank, score::float8, status = 'PROPOSED'"
        " FROM matches WHERE status <> 'EXPIRED' ORDER BY need_id, rank",
    )
    proposed: dict[uuid.UUID, list[tuple[uuid.UUID, int, float]]] = {}
    moved_on: dict[uuid.UUID, set[uuid.UUID]] = {}
    for need_id, professional_id, rank, score, is_proposed in rows:
        if is_proposed:
            shortlist = proposed.get(need_id)
            if shortlist is None:
                shortlist = proposed[need_id] = []
            shortlist.append((professional_id, rank, score))
        else:
            moved_on.setdefault(need_id, set()).add(professional_id)
    del rows
    return StoredProposals({n: tuple(shortlist) for n, shortlist in proposed.items()}, moved_on)


# Proposals are copied (COPY) into a table of this transaction, then upserted from it in one
# statement: parameters and VALUES lists cost more to send than the rows themselves.
_PROPOSAL_ROWS = """
    CREATE TEMP TABLE IF NOT EXISTS proposal_rows (
        need_id uuid, professional_id uuid, organization_id uuid, score numeric, rank integer,
        explanation jsonb
    ) ON COMMIT DELETE ROWS
"""
_COPY_PROPOSAL_ROWS = (
    "COPY proposal_rows (need_id, professional_id, organization_id, score, rank, explanation) "
    "FROM STDIN"
)
_UPSERT_PROPOSAL_ROWS = text(
    """
    INSERT INTO matches (id, need_id, professional_id, organization_id, status, score, rank,
                         explanation, version, created_at, updated_at)
    SELECT gen_random_uuid(), need_id, professional_id, organization_id, 'PROPOSED', score,
           rank, explanation, 1, :now, :now
    FROM proposal_rows
    ON CONFLICT (need_id, professional_id) DO UPDATE
    SET status = 'PROPOSED', score = excluded.score, rank = excluded.rank,
        explanation = excluded.explanation, version = matches.version + 1,
        updated_at = excluded.updated_at
    WHERE matches.status = 'EXPIRED'
       OR matches.status = 'PROPOSED'
          AND (matches.score, matches.rank, matches.explanation)
              IS DISTINCT FROM (excluded.score, excluded.rank, excluded.explanation)
    """
)
# A need's PROPOSED matches that are not among its new proposals.
_EXPIRE_NOT_PROPOSED = text(
    """
    UPDATE matches SET status = 'EXPIRED', version = version + 1, updated_at = :now
    WHERE status = 'PROPOSED' AND need_id = ANY(CAST(:need_ids AS uuid[]))
      AND NOT EXISTS (SELECT FROM proposal_rows r
                      WHERE r.need_id = matches.need_id
                        AND r.professional_id = matches.professional_id)
    """
)


# A proposal to store: need, professional, firm, score, rank, explanation as JSON text.
ProposalRow = tuple[uuid.UUID, uuid.UUID, uuid.UUID, Decimal, int, str]


async def store_proposals(
    session: AsyncSession,
    need_ids: Sequence[uuid.UUID],
    rows: Iterable[ProposalRow],
    *,
    now: datetime,
) -> None:
    """Make `rows` the proposals of these needs: a new pair is inserted, an EXPIRED one or a
    PROPOSED one whose rank, score or reasons moved is updated (an unchanged one is left as it
    is), a match the sides moved on is left, and the needs' other PROPOSED matches expire.
    The rows are consumed as they are copied: they need not all be in memory at once."""
    if not need_ids:
        return
    await session.execute(text(_PROPOSAL_ROWS))
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    async with raw.cursor() as cursor, cursor.copy(_COPY_PROPOSAL_ROWS) as copy:
        for row in rows:
            await copy.write_row(row)
    await session.execute(_UPSERT_PROPOSAL_ROWS, {"now": now})
    await session.execute(_EXPIRE_NOT_PROPOSED, {"now": now, "need_ids": list(need_ids)})
    await session.execute(text("TRUNCATE proposal_rows"))


async def expire_closed_proposals(session: AsyncSession, *, now: datetime) -> int:
    """Expire, in one statement, the PROPOSED matches of needs that are no longer open."""
    closed = select(TalentNeed.id).where(TalentNeed.status != NeedStatus.OPEN)
    result = await session.execute(
        update(Match)
        .where(Match.status == MatchStatus.PROPOSED, Match.need_id.in_(closed))
        .values(status=MatchStatus.EXPIRED, version=Match.version + 1, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Subsidy applications and their deadline reminders ------------------------------------------


async def subsidy_application(
    session: AsyncSession, match_id: uuid.UUID
) -> SubsidyApplication | None:
    """The firm's record that it applied for the match's subsidy (None for anyone else)."""
    return await session.scalar(
        select(SubsidyApplication).where(SubsidyApplication.match_id == match_id)
    )


async def save_subsidy_application(
    session: AsyncSession,
    *,
    match: Match,
    applied_on: date,
    recorded_by_id: uuid.UUID | None,
    now: datetime,
) -> SubsidyApplication:
    """Record (or correct) the day the firm applied for the match's subsidy."""
    values = {"applied_on": applied_on, "recorded_by_id": recorded_by_id}
    await session.execute(
        insert(SubsidyApplication)
        .values(match_id=match.id, organization_id=match.organization_id, **values)
        .on_conflict_do_update(index_elements=["match_id"], set_={**values, "updated_at": now})
    )
    found = await session.scalar(
        select(SubsidyApplication)
        .where(SubsidyApplication.match_id == match.id)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def longest_application_deadline(session: AsyncSession) -> int | None:
    """The most days before the contract or start that any scheme's tier asks to apply."""
    return await session.scalar(
        select(func.max(SubsidyScheme.deadline_days)).where(
            SubsidyScheme.deadline_basis.is_not(None)
        )
    )


async def matches_awaiting_subsidy_application(
    session: AsyncSession,
    *,
    statuses: Sequence[MatchStatus],
    starting_from: date,
    starting_by: date,
) -> Sequence[Match]:
    """Matches in these statuses whose firm recorded no subsidy application, in a prefecture
    with a tier that has an application deadline, starting (as contracted, else as the need
    plans) within the days given."""
    starts = func.coalesce(Match.contract_starts_on, TalentNeed.starts_on)
    result = await session.scalars(
        select(Match)
        .join(TalentNeed, TalentNeed.id == Match.need_id)
        .where(
            Match.status.in_(statuses),
            starts.between(starting_from, starting_by),
            ~exists().where(SubsidyApplication.match_id == Match.id),
            exists().where(
                SubsidyScheme.prefecture_code == TalentNeed.workplace_prefecture_code,
                SubsidyScheme.deadline_days.is_not(None),
                SubsidyScheme.deadline_basis.is_not(None),
            ),
        )
        .order_by(Match.id)
    )
    return result.all()
