"""The visibility matrix's writes: every mutation tried, its direct SQL twin, and the probes that
show whether anything changed (used by test_visibility_matrix)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.kpis.models import Kpi, KpiObservation, ObservationSource
from renkei.milestones.models import Baseline, Milestone, MilestoneDependency, MilestoneStatus
from renkei.projects.models import (
    FundingKind,
    FundingSource,
    ParticipantRole,
    Project,
    ProjectParticipant,
    ProjectStatus,
)
from renkei.regions.models import ParticipationStatus
from renkei.tenancy import Viewer
from tenancy.visibility_cells import (
    FULL,
    IN_REGION,
    NONE,
    REGION_TARGET,
    organization_of,
    sees,
)
from tenancy.visibility_world import (
    ANONYMOUS,
    LEAD,
    OUTSIDER,
    ProjectObjects,
    VisibilityWorld,
)

# Writes -------------------------------------------------------------------------------------

ERRORS = "userErrors { field code message }"


@dataclass(frozen=True)
class Ids:
    """What a write aims at: one project and its objects, or the region and its KPI."""

    project: uuid.UUID
    version: int
    m1: uuid.UUID
    m1_version: int
    m2: uuid.UUID
    m2_version: int
    m3: uuid.UUID
    kpi: uuid.UUID
    lead: uuid.UUID
    invitee: uuid.UUID  # an organization a project may invite: O
    region: uuid.UUID
    region_kpi: uuid.UUID

    def guessed(self) -> Ids:
        """The same aims, with an unknown id wherever a hidden object's id would be."""
        new = uuid.uuid4
        return Ids(
            project=new(),
            version=self.version,
            m1=new(),
            m1_version=self.m1_version,
            m2=new(),
            m2_version=self.m2_version,
            m3=new(),
            kpi=new(),
            lead=self.lead,
            invitee=self.invitee,
            region=new(),
            region_kpi=new(),
        )


@dataclass(frozen=True)
class Write:
    """One kind of change: the mutation, what must be visible to aim at it, the same change
    written directly in SQL, and what reads it back."""

    name: str
    aim: str  # "project", "milestone", "kpi", "region" or "region-kpi"
    mutation: Callable[[Ids], str]
    payload: str
    sql: Callable[[Ids], Any]
    probe: Callable[[Ids], Any]


def _g(type_name: str, key: uuid.UUID) -> str:
    return f'"{to_global_id(type_name, key)}"'


def _count(column: Any, value: uuid.UUID) -> Any:
    return select(func.count()).where(column == value)


def _now() -> datetime:
    return datetime.now(UTC)


WRITES = [
    Write(
        "update-project",
        "project",
        lambda i: (
            f"updateProject(input: {{id: {_g('Project', i.project)}, version: {i.version},"
            f' name: "改名した計画"}}) {{ project {{ id }} {ERRORS} }}'
        ),
        "project",
        lambda i: update(Project).where(Project.id == i.project).values(name="直接の改名"),
        lambda i: select(Project.version, Project.name).where(Project.id == i.project),
    ),
    Write(
        "change-project-status",
        "project",
        lambda i: (
            f"changeProjectStatus(input: {{id: {_g('Project', i.project)}, status: ON_HOLD,"
            f" version: {i.version}}}) {{ project {{ id }} {ERRORS} }}"
        ),
        "project",
        lambda i: (
            update(Project).where(Project.id == i.project).values(status=ProjectStatus.ON_HOLD)
        ),
        lambda i: select(Project.status).where(Project.id == i.project),
    ),
    Write(
        "invite-participant",
        "project",
        lambda i: (
            f"inviteProjectParticipant(input: {{projectId: {_g('Project', i.project)},"
            f" organizationId: {_g('Organization', i.invitee)}, role: SUPPORTER}})"
            f" {{ participant {{ id }} {ERRORS} }}"
        ),
        "participant",
        lambda i: insert(ProjectParticipant).values(
            id=uuid.uuid4(),
            project_id=i.project,
            organization_id=i.invitee,
            role=ParticipantRole.SUPPORTER,
            status=ParticipationStatus.INVITED,
        ),
        lambda i: _count(ProjectParticipant.project_id, i.project),
    ),
    Write(
        "add-funding",
        "project",
        lambda i: (
            f"addFundingSource(input: {{projectId: {_g('Project', i.project)},"
            ' kind: BANK_FINANCE, name: "地域金融機関の融資", amountJpy: 10000000})'
            f" {{ fundingSource {{ id }} {ERRORS} }}"
        ),
        "fundingSource",
        lambda i: insert(FundingSource).values(
            id=uuid.uuid4(),
            project_id=i.project,
            kind=FundingKind.BANK_FINANCE,
            name="直接の融資",
            amount_jpy=10_000_000,
        ),
        lambda i: _count(FundingSource.project_id, i.project),
    ),
    Write(
        "create-milestone",
        "project",
        lambda i: (
            f"createMilestone(input: {{projectId: {_g('Project', i.project)},"
            ' title: "追加の工程", dueOn: "2027-12-31", horizonYears: 1})'
            f" {{ milestone {{ id }} {ERRORS} }}"
        ),
        "milestone",
        lambda i: insert(Milestone).values(
            id=uuid.uuid4(),
            project_id=i.project,
            title="直接の工程",
            due_on=date(2027, 12, 31),
            horizon_years=1,
            owner_organization_id=i.lead,
        ),
        lambda i: _count(Milestone.project_id, i.project),
    ),
    Write(
        "update-milestone",
        "milestone",
        lambda i: (
            f"updateMilestone(input: {{id: {_g('Milestone', i.m2)},"
            f' version: {i.m2_version}, title: "改題した試作"}}) {{ milestone {{ id }} {ERRORS} }}'
        ),
        "milestone",
        lambda i: update(Milestone).where(Milestone.id == i.m2).values(title="直接の改題"),
        lambda i: select(Milestone.version, Milestone.title).where(Milestone.id == i.m2),
    ),
    Write(
        "change-milestone-status",
        "milestone",
        lambda i: (
            f"changeMilestoneStatus(input: {{id: {_g('Milestone', i.m2)},"
            f" version: {i.m2_version}, progress: 50}}) {{ milestone {{ id }} {ERRORS} }}"
        ),
        "milestone",
        lambda i: update(Milestone).where(Milestone.id == i.m2).values(progress=50),
        lambda i: select(Milestone.progress).where(Milestone.id == i.m2),
    ),
    Write(
        "sign-off-milestone",
        "milestone",
        lambda i: (
            f"signOffMilestone(input: {{id: {_g('Milestone', i.m1)},"
            f" version: {i.m1_version}}}) {{ milestone {{ id }} {ERRORS} }}"
        ),
        "milestone",
        lambda i: (
            update(Milestone)
            .where(Milestone.id == i.m1)
            .values(status=MilestoneStatus.DONE, signed_off_at=_now())
        ),
        lambda i: select(Milestone.status).where(Milestone.id == i.m1),
    ),
    Write(
        "add-dependency",
        "milestone",
        lambda i: (
            f"addMilestoneDependency(input: {{predecessorId: {_g('Milestone', i.m3)},"
            f" successorId: {_g('Milestone', i.m2)}}}) {{ successor {{ id }} {ERRORS} }}"
        ),
        "successor",
        lambda i: insert(MilestoneDependency).values(
            predecessor_id=i.m3,
            successor_id=i.m2,
            predecessor_project_id=i.project,
            successor_project_id=i.project,
        ),
        lambda i: _count(MilestoneDependency.successor_id, i.m2),
    ),
    Write(
        "create-kpi",
        "project",
        lambda i: (
            f"createKpi(input: {{projectId: {_g('Project', i.project)},"
            f' name: "新規雇用者数", unit: "人", baseline: 0}}) {{ kpi {{ id }} {ERRORS} }}'
        ),
        "kpi",
        lambda i: insert(Kpi).values(
            id=uuid.uuid4(), project_id=i.project, name="直接のKPI", unit="人", baseline_value=0
        ),
        lambda i: _count(Kpi.project_id, i.project),
    ),
    Write(
        "record-kpi-observation",
        "kpi",
        lambda i: (
            f"recordKpiObservation(input: {{kpiId: {_g('Kpi', i.kpi)},"
            ' periodStart: "2025-07-01", periodEnd: "2025-09-30", value: 130})'
            f" {{ kpiObservation {{ id }} {ERRORS} }}"
        ),
        "kpiObservation",
        lambda i: insert(KpiObservation).values(
            id=uuid.uuid4(),
            kpi_id=i.kpi,
            project_id=i.project,
            period_start=date(2025, 7, 1),
            period_end=date(2025, 9, 30),
            value=130,
            source=ObservationSource.MEMBER,
        ),
        lambda i: _count(KpiObservation.kpi_id, i.kpi),
    ),
    Write(
        "create-baseline",
        "project",
        lambda i: (
            f"createBaseline(input: {{projectId: {_g('Project', i.project)},"
            f' name: "補助金申請時"}}) {{ baseline {{ id }} {ERRORS} }}'
        ),
        "baseline",
        lambda i: insert(Baseline).values(id=uuid.uuid4(), project_id=i.project, name="直接"),
        lambda i: _count(Baseline.project_id, i.project),
    ),
    Write(
        "create-region-kpi",
        "region",
        lambda i: (
            f"createKpi(input: {{regionId: {_g('Region', i.region)},"
            f' name: "広域連携協定数", unit: "件", baseline: 0}}) {{ kpi {{ id }} {ERRORS} }}'
        ),
        "kpi",
        lambda i: insert(Kpi).values(
            id=uuid.uuid4(), region_id=i.region, name="直接のKPI", unit="件", baseline_value=0
        ),
        lambda i: _count(Kpi.region_id, i.region),
    ),
    Write(
        "record-region-kpi-observation",
        "region-kpi",
        lambda i: (
            f"recordKpiObservation(input: {{kpiId: {_g('Kpi', i.region_kpi)},"
            ' periodStart: "2025-07-01", periodEnd: "2025-09-30", value: 1150})'
            f" {{ kpiObservation {{ id }} {ERRORS} }}"
        ),
        "kpiObservation",
        lambda i: insert(KpiObservation).values(
            id=uuid.uuid4(),
            kpi_id=i.region_kpi,
            region_id=i.region,
            period_start=date(2025, 7, 1),
            period_end=date(2025, 9, 30),
            value=1150,
            source=ObservationSource.MEMBER,
        ),
        lambda i: _count(KpiObservation.kpi_id, i.region_kpi),
    ),
]
WRITES_BY_NAME = {w.name: w for w in WRITES}
REGION_WRITES = {"create-region-kpi", "record-region-kpi-observation"}


def _writes_on(target: str) -> list[Write]:
    on_region = target == REGION_TARGET
    return [w for w in WRITES if (w.name in REGION_WRITES) == on_region]


def _hidden(principal: str, target: str, write: Write) -> bool:
    """Whether the principal cannot see what the write aims at (it may not learn it exists)."""
    if write.aim == "region":
        return principal == ANONYMOUS  # declarations are public to everyone signed in
    if write.aim == "region-kpi":
        return organization_of(principal) not in IN_REGION
    shown = sees(principal, target)
    return shown == NONE if write.aim == "project" else shown != FULL


def _ids(world: VisibilityWorld, target: str) -> Ids:
    # The region's writes aim at R; the project's ids are those of the REGION project then.
    objects: ProjectObjects = world.projects["REGION" if target == REGION_TARGET else target]
    return Ids(
        project=objects.project,
        version=objects.version,
        m1=objects.m1,
        m1_version=objects.milestone_versions[objects.m1],
        m2=objects.m2,
        m2_version=objects.milestone_versions[objects.m2],
        m3=objects.m3,
        kpi=objects.kpi,
        lead=world.parties[LEAD].id,
        invitee=world.parties[OUTSIDER].id,
        region=world.region.region,
        region_kpi=world.region.kpi,
    )


def _document(writes: list[Write], ids: Ids) -> str:
    fields = "\n  ".join(f"{w.name.replace('-', '_')}: {w.mutation(ids)}" for w in writes)
    return "mutation Writes {\n  " + fields + "\n}"


async def _probe(world: VisibilityWorld, writes: list[Write], ids: Ids) -> dict[str, Any]:
    """What each write would change, read back as the platform."""
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        return {w.name: tuple((await session.execute(w.probe(ids))).one()) for w in writes}
