"""The visibility matrix's world: a region, three projects (one per visibility) and everyone
around them, built once per test module through the product's own services.

R (secretariat S) holds three projects led by L: PARTICIPANTS, REGION and PUBLIC. A takes part
in all three; I is invited to the PARTICIPANTS one and has not answered; M is a member of R and
takes part in none; O has no tie at all. Each organization has an OWNER, an ADMIN, a MEMBER and a
VIEWER; a personal account (no organization) and an anonymous caller complete the cast.

Every project has participants, a funding source, milestones with a dependency, a KPI with
targets and an observation, a baseline and activity; R has a KPI of its own. A milestone of the
REGION project depends on one of the PARTICIPANTS project (A takes part in both), and the job that
flags late dependents has run on it.

Texts carry markers, so that a test can tell whether anything of a project leaked into a response:
`SUMMARY-<visibility>` in what the public summary shows (the project's name and summary),
`DETAIL-<visibility>` in everything below it, `REGIONKPI` in R's own KPI.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Connection, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from factories import act_as, add_member, create_organization, create_user, token_for
from renkei.activity.models import Activity, SubjectType
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.kpis import service as kpis
from renkei.kpis.models import Kpi, KpiObservation, KpiTarget
from renkei.milestones import baselines, dependencies
from renkei.milestones import service as milestones
from renkei.milestones.models import Baseline, BaselineMilestone, Milestone, MilestoneDependency
from renkei.organizations.models import Organization
from renkei.projects import service as projects
from renkei.projects.models import (
    FundingKind,
    FundingSource,
    ParticipantRole,
    Project,
    ProjectCategory,
    ProjectParticipant,
    ProjectStatus,
    ProjectVisibility,
)
from renkei.regions import service as regions
from renkei.regions.models import Region
from renkei.tenancy import MembershipRole, Viewer

T = TypeVar("T")

ROLES = tuple(MembershipRole)
# The organizations, by the part they play (the keys of the test's tables).
LEAD, PARTNER, SECRETARIAT, REGION_MEMBER, INVITED, OUTSIDER = (
    "lead",
    "partner",
    "secretariat",
    "region-member",
    "invited",
    "outsider",
)
ORGANIZATIONS = (LEAD, PARTNER, SECRETARIAT, REGION_MEMBER, INVITED, OUTSIDER)
PERSONAL, ANONYMOUS = "personal", "anonymous"
VISIBILITIES = tuple(v.value for v in ProjectVisibility)
REGION_MARKER = "REGIONKPI"


def summary_marker(visibility: str) -> str:
    return f"SUMMARY-{visibility}"


def detail_marker(visibility: str) -> str:
    return f"DETAIL-{visibility}"


# Sessions on one connection ------------------------------------------------------------------


class ForgetfulSession(Session):
    """Every transaction starts with no viewer, as on a fresh pooled connection (see conftest)."""


@sa_event.listens_for(ForgetfulSession, "after_begin")
def _forget_viewer(
    _session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    if transaction.nested:
        return
    connection.execute(
        text(
            "SELECT set_config('renkei.user_id', '', true), set_config('renkei.email', '', true),"
            " set_config('renkei.organization_id', '', true), set_config('renkei.role', '', true),"
            " set_config('renkei.system', '', true)"
        )
    )


def sessions_on(connection: AsyncConnection) -> SessionFactory:
    """Sessions as the application role, each transaction a savepoint of `connection`'s."""
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
        sync_session_class=ForgetfulSession,
    )


@asynccontextmanager
async def rolled_back(connection: AsyncConnection) -> AsyncIterator[None]:
    """Whatever happens inside is undone afterwards: the world stays as it was built."""
    savepoint = await connection.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            await savepoint.rollback()


# Who acts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """One caller: a person acting for an organization in a role, a personal account, or nobody."""

    key: str  # "MEMBER@outsider", "personal", "anonymous"
    organization: str  # the organization's part, or PERSONAL / ANONYMOUS
    role: MembershipRole | None
    token: str | None = field(repr=False, compare=False)
    viewer: Viewer = field(repr=False, compare=False)


@dataclass
class Party:
    organization: Organization
    people: dict[MembershipRole, User] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.organization.id

    @property
    def owner(self) -> User:
        return self.people[MembershipRole.OWNER]


# What exists ---------------------------------------------------------------------------------


@dataclass
class ProjectObjects:
    """The ids of one project and of everything below it."""

    visibility: str
    project: uuid.UUID
    version: int
    lead_participant: uuid.UUID
    partner_participant: uuid.UUID
    invitation: uuid.UUID | None
    funding: uuid.UUID
    m1: uuid.UUID  # owner L, counterpart A, progress 100: waits for A's sign-off
    m2: uuid.UUID  # owner A, depends on m1
    m3: uuid.UUID  # owner L, no dependency
    m4: uuid.UUID | None  # REGION only: owner A, depends on the PARTICIPANTS project's m1
    milestone_versions: dict[uuid.UUID, int]
    dependencies: set[tuple[uuid.UUID, uuid.UUID]]  # (predecessor, successor) into this project
    baseline: uuid.UUID
    baseline_milestones: set[tuple[uuid.UUID, uuid.UUID]]
    kpi: uuid.UUID
    targets: set[tuple[uuid.UUID, int]]
    observation: uuid.UUID
    activity: dict[uuid.UUID, SubjectType] = field(default_factory=dict)

    @property
    def milestones(self) -> set[uuid.UUID]:
        return {m for m in (self.m1, self.m2, self.m3, self.m4) if m is not None}


@dataclass
class RegionObjects:
    region: uuid.UUID
    kpi: uuid.UUID
    targets: set[tuple[uuid.UUID, int]]
    observation: uuid.UUID
    activity: set[uuid.UUID]


@dataclass
class VisibilityWorld:
    sessions: SessionFactory
    parties: dict[str, Party]
    principals: list[Principal]
    region: RegionObjects
    projects: dict[str, ProjectObjects]  # by visibility

    def principal(self, key: str) -> Principal:
        return next(p for p in self.principals if p.key == key)

    def project_of_milestone(self, milestone_id: uuid.UUID) -> ProjectObjects:
        return next(p for p in self.projects.values() if milestone_id in p.milestones)


# Building ------------------------------------------------------------------------------------

REGION_PREFECTURES = ["40", "43", "47"]
PROJECT_PREFECTURES = ["40", "43"]


async def _act(
    sessions: SessionFactory,
    party: Party,
    work: Callable[[AsyncSession, Viewer], Awaitable[T]],
    role: MembershipRole = MembershipRole.OWNER,
) -> T:
    viewer = await act_as(sessions, party.people[role], party.organization)
    async with unit_of_work(sessions, viewer) as session:
        return await work(session, viewer)


async def _party(sessions: SessionFactory, key: str, name: str, prefecture: str) -> Party:
    owner = await create_user(sessions, f"owner@{key}.visibility.example")
    organization = await create_organization(
        sessions, owner, slug=f"vis-{key}", name=name, home_prefecture_code=prefecture
    )
    party = Party(organization, {MembershipRole.OWNER: owner})
    for role in ROLES[1:]:
        person = await create_user(sessions, f"{role.value.lower()}@{key}.visibility.example")
        await add_member(sessions, organization, owner, person, role)
        party.people[role] = person
    return party


async def _region(sessions: SessionFactory, parties: dict[str, Party]) -> Region:
    secretariat = parties[SECRETARIAT]
    region = await _act(
        sessions,
        secretariat,
        lambda s, v: regions.create_region(
            s,
            v,
            slug="visibility-kyushu",
            name="九州広域リージョン (可視性)",
            prefecture_codes=REGION_PREFECTURES,
            declaration_text="九州・沖縄の広域連携を宣言する",
            declared_on=date(2025, 10, 20),
        ),
    )
    for key in (LEAD, REGION_MEMBER):
        invitation = await _act(
            sessions,
            secretariat,
            lambda s, v, key=key: regions.invite_region_member(
                s, v, region_id=region.id, organization_id=parties[key].id
            ),
        )
        await _act(
            sessions,
            parties[key],
            lambda s, v, invitation=invitation: regions.answer_region_invitation(
                s, v, region_member_id=invitation.id, accept=True
            ),
        )
    return region


async def _participant(
    sessions: SessionFactory, lead: Party, project: Project, guest: Party, *, accept: bool
) -> uuid.UUID:
    participant = await _act(
        sessions,
        lead,
        lambda s, v: projects.invite_participant(
            s, v, project_id=project.id, organization_id=guest.id, role=ParticipantRole.PARTNER
        ),
    )
    if accept:
        await _act(
            sessions,
            guest,
            lambda s, v: projects.answer_participation(
                s, v, participant_id=participant.id, accept=True
            ),
        )
    return participant.id


async def _milestone(
    sessions: SessionFactory, owner: Party, project_id: uuid.UUID, title: str, **fields: Any
) -> Milestone:
    return await _act(
        sessions,
        owner,
        lambda s, v: milestones.create_milestone(
            s, v, project_id=project_id, title=title, **fields
        ),
    )


async def _depend(
    sessions: SessionFactory, editor: Party, predecessor: uuid.UUID, successor: uuid.UUID
) -> None:
    await _act(
        sessions,
        editor,
        lambda s, v: dependencies.add_dependency(
            s, v, predecessor_id=predecessor, successor_id=successor
        ),
    )


async def _project(
    sessions: SessionFactory, parties: dict[str, Party], region: Region, visibility: str
) -> ProjectObjects:
    lead, partner = parties[LEAD], parties[PARTNER]
    detail = detail_marker(visibility)
    project = await _act(
        sessions,
        lead,
        lambda s, v: projects.create_project(
            s,
            v,
            name=f"{summary_marker(visibility)} 九州半導体サプライチェーン",
            summary=f"公開概要 {summary_marker(visibility)}",
            category=ProjectCategory.SEMICONDUCTOR,
            region_id=region.id,
            visibility=ProjectVisibility(visibility),
            prefecture_codes=PROJECT_PREFECTURES,
        ),
    )
    await _act(
        sessions,
        lead,
        lambda s, v: projects.change_project_status(
            s, v, project_id=project.id, version=1, status=ProjectStatus.ACTIVE
        ),
    )
    partner_participant = await _participant(sessions, lead, project, partner, accept=True)
    invitation = None
    if visibility == ProjectVisibility.PARTICIPANTS.value:
        invitation = await _participant(sessions, lead, project, parties[INVITED], accept=False)
    funding = await _act(
        sessions,
        lead,
        lambda s, v: projects.add_funding_source(
            s,
            v,
            project_id=project.id,
            kind=FundingKind.NATIONAL_GRANT,
            name=f"{detail} 新しい地方経済・生活環境創生交付金",
            amount_jpy=50_000_000,
            fiscal_year=2025,
            funder_organization_id=partner.id,
        ),
    )
    m1 = await _milestone(
        sessions,
        lead,
        project.id,
        f"{detail} 設計完了",
        description=f"{detail} 工程の説明",
        due_on=date(2027, 3, 31),
        horizon_years=1,
        counterpart_organization_id=partner.id,
    )
    await _act(
        sessions,
        lead,
        lambda s, v: milestones.change_milestone_status(
            s, v, milestone_id=m1.id, version=1, progress=100
        ),
    )
    m2 = await _milestone(
        sessions,
        partner,
        project.id,
        f"{detail} 試作",
        starts_on=date(2027, 4, 1),
        due_on=date(2027, 9, 30),
        horizon_years=3,
    )
    m3 = await _milestone(
        sessions, lead, project.id, f"{detail} 部材調達", due_on=date(2026, 12, 31), horizon_years=1
    )
    await _depend(sessions, partner, m1.id, m2.id)
    kpi = await _act(
        sessions,
        lead,
        lambda s, v: kpis.create_kpi(
            s,
            v,
            project_id=project.id,
            name=f"{detail} 半導体人材育成数",
            unit="人",
            baseline_value=100,
            baseline_on=date(2025, 4, 1),
        ),
    )
    for year, value in ((2025, 150), (2026, 200)):
        await _act(
            sessions,
            lead,
            lambda s, v, year=year, value=value: kpis.set_kpi_target(
                s, v, kpi_id=kpi.id, fiscal_year=year, value=value
            ),
        )
    observation = await _act(
        sessions,
        partner,
        lambda s, v: kpis.record_kpi_observation(
            s,
            v,
            kpi_id=kpi.id,
            period_start=date(2025, 4, 1),
            period_end=date(2025, 6, 30),
            value=120,
            note=f"{detail} 第1四半期",
        ),
        MembershipRole.MEMBER,
    )
    baseline = await _act(
        sessions,
        lead,
        lambda s, v: baselines.create_baseline(
            s, v, project_id=project.id, name=f"{detail} ビジョン採択時"
        ),
    )
    return ProjectObjects(
        visibility=visibility,
        project=project.id,
        version=0,
        lead_participant=uuid.UUID(int=0),
        partner_participant=partner_participant,
        invitation=invitation,
        funding=funding.id,
        m1=m1.id,
        m2=m2.id,
        m3=m3.id,
        m4=None,
        milestone_versions={},
        dependencies={(m1.id, m2.id)},
        baseline=baseline.id,
        baseline_milestones=set(),
        kpi=kpi.id,
        targets={(kpi.id, 2025), (kpi.id, 2026)},
        observation=observation.id,
    )


async def _region_kpi(
    sessions: SessionFactory, parties: dict[str, Party], region: Region
) -> tuple[Kpi, KpiObservation]:
    kpi = await _act(
        sessions,
        parties[SECRETARIAT],
        lambda s, v: kpis.create_kpi(
            s,
            v,
            region_id=region.id,
            name=f"{REGION_MARKER} 広域周遊観光客数",
            unit="万人",
            baseline_value=1000,
        ),
    )
    await _act(
        sessions,
        parties[SECRETARIAT],
        lambda s, v: kpis.set_kpi_target(s, v, kpi_id=kpi.id, fiscal_year=2025, value=1200),
    )
    observation = await _act(
        sessions,
        parties[REGION_MEMBER],
        lambda s, v: kpis.record_kpi_observation(
            s,
            v,
            kpi_id=kpi.id,
            period_start=date(2025, 4, 1),
            period_end=date(2025, 6, 30),
            value=1100,
            note=f"{REGION_MARKER} 第1四半期",
        ),
        MembershipRole.MEMBER,
    )
    return kpi, observation


async def _principals(
    sessions: SessionFactory, tokens: TokenService, parties: dict[str, Party], personal: User
) -> list[Principal]:
    found = []
    for key in ORGANIZATIONS:
        party = parties[key]
        for role in ROLES:
            user = party.people[role]
            found.append(
                Principal(
                    key=f"{role.value}@{key}",
                    organization=key,
                    role=role,
                    token=token_for(tokens, user, party.organization),
                    viewer=await act_as(sessions, user, party.organization),
                )
            )
    found.append(
        Principal(
            key=PERSONAL,
            organization=PERSONAL,
            role=None,
            token=token_for(tokens, personal),
            viewer=await act_as(sessions, personal),
        )
    )
    found.append(Principal(ANONYMOUS, ANONYMOUS, None, None, Viewer.anonymous()))
    return found


async def _complete(world: VisibilityWorld) -> None:
    """Fill in what the services decided: versions, the lead's participation, activity."""
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        for objects in world.projects.values():
            project = await session.get_one(Project, objects.project)
            objects.version = project.version
            objects.lead_participant = await session.scalar(
                select(ProjectParticipant.id).where(
                    ProjectParticipant.project_id == objects.project,
                    ProjectParticipant.role == ParticipantRole.LEAD,
                )
            )
            versions = await session.execute(
                select(Milestone.id, Milestone.version).where(
                    Milestone.project_id == objects.project
                )
            )
            objects.milestone_versions = {m: v for m, v in versions}
            frozen = await session.execute(
                select(BaselineMilestone.baseline_id, BaselineMilestone.milestone_id).where(
                    BaselineMilestone.project_id == objects.project
                )
            )
            objects.baseline_milestones = {(b, m) for b, m in frozen}
        by_project = {o.project: o for o in world.projects.values()}
        activity = await session.execute(
            select(Activity.id, Activity.project_id, Activity.region_id, Activity.subject_type)
        )
        for activity_id, project_id, region_id, subject_type in activity:
            if project_id in by_project:
                by_project[project_id].activity[activity_id] = subject_type
            elif project_id is None and region_id == world.region.region:
                world.region.activity.add(activity_id)


async def build_world(sessions: SessionFactory, tokens: TokenService) -> VisibilityWorld:
    parties = {
        LEAD: await _party(sessions, LEAD, "L 熊本半導体クラスター", "43"),
        PARTNER: await _party(sessions, PARTNER, "A 福岡工業大学", "40"),
        SECRETARIAT: await _party(sessions, SECRETARIAT, "S 九州経済連合会", "40"),
        REGION_MEMBER: await _party(sessions, REGION_MEMBER, "M 沖縄県", "47"),
        INVITED: await _party(sessions, INVITED, "I 西日本シティ銀行", "40"),
        OUTSIDER: await _party(sessions, OUTSIDER, "O 北海道大学", "01"),
    }
    personal = await create_user(sessions, "professional@visibility.example")
    region = await _region(sessions, parties)
    by_visibility = {v: await _project(sessions, parties, region, v) for v in VISIBILITIES}
    # A milestone of the REGION project waits for one of the PARTICIPANTS project: A takes part
    # in both. The predecessor is due after the successor starts, so the job flags it at risk.
    hidden, shown = by_visibility["PARTICIPANTS"], by_visibility["REGION"]
    m4 = await _milestone(
        sessions,
        parties[PARTNER],
        shown.project,
        f"{detail_marker('REGION')} 量産準備",
        starts_on=date(2027, 1, 1),
        due_on=date(2027, 6, 30),
        horizon_years=3,
    )
    await _depend(sessions, parties[PARTNER], hidden.m1, m4.id)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await dependencies.flag_at_risk_dependents(session, hidden.m1)
    shown.m4 = m4.id
    shown.dependencies.add((hidden.m1, m4.id))
    region_kpi, region_observation = await _region_kpi(sessions, parties, region)
    world = VisibilityWorld(
        sessions=sessions,
        parties=parties,
        principals=await _principals(sessions, tokens, parties, personal),
        region=RegionObjects(
            region=region.id,
            kpi=region_kpi.id,
            targets={(region_kpi.id, 2025)},
            observation=region_observation.id,
            activity=set(),
        ),
        projects=by_visibility,
    )
    await _complete(world)
    return world


# Reading the database as a viewer -------------------------------------------------------------

# Each table of issue 4, and the columns that name a row in the world's id sets.
TABLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "projects": (Project, ("id",)),
    "project_participants": (ProjectParticipant, ("id",)),
    "funding_sources": (FundingSource, ("id",)),
    "milestones": (Milestone, ("id",)),
    "milestone_dependencies": (MilestoneDependency, ("predecessor_id", "successor_id")),
    "baselines": (Baseline, ("id",)),
    "baseline_milestones": (BaselineMilestone, ("baseline_id", "milestone_id")),
    "kpis": (Kpi, ("id",)),
    "kpi_targets": (KpiTarget, ("kpi_id", "fiscal_year")),
    "kpi_observations": (KpiObservation, ("id",)),
    "activities": (Activity, ("id",)),
}


@dataclass
class SqlView:
    """What selecting every row of each table returns one viewer: row keys, and the rows' texts."""

    keys: dict[str, set[Any]]
    texts: dict[str, list[dict[str, str]]]  # by table: each row's columns, as text


async def read_as(sessions: SessionFactory, viewer: Viewer) -> SqlView:
    """Every row of each table that row-level security shows `viewer`, resolvers aside."""
    keys: dict[str, set[Any]] = defaultdict(set)
    texts: dict[str, list[dict[str, str]]] = defaultdict(list)
    async with unit_of_work(sessions, viewer) as session:
        for table, (model, columns) in TABLES.items():
            for row in (await session.execute(select(model.__table__))).mappings():
                values = tuple(row[c] for c in columns)
                keys[table].add(values[0] if len(values) == 1 else values)
                texts[table].append({c: str(v) for c, v in row.items()})
    return SqlView(keys=dict(keys), texts=dict(texts))


_FINGERPRINT_TABLES = (
    "regions",
    "region_members",
    *TABLES,
    "outbox",
)
FINGERPRINT = text(
    " UNION ALL ".join(
        f"SELECT '{t}' AS t, count(*) AS n,"
        f" md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM {t} x"
        for t in _FINGERPRINT_TABLES
    )
)


async def fingerprint(sessions: SessionFactory) -> dict[str, tuple[int, str]]:
    """Every row of every table of issue 4 (and the outbox), as the platform sees them."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return {t: (n, h) for t, n, h in await session.execute(FINGERPRINT)}
