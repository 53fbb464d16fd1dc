"""Loads `seed/evaluations.json` after the regions: national goals of the 総合戦略, KPI goals
(calendar-year and relative targets, links to national goals) and 効果検証 rounds, through the
product's services as the secretariat would do it. Safe to run again: a round whose title the
region has already, and a goal whose code exists, are skipped."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.db import SessionFactory, unit_of_work
from renkei.evaluations import service as evaluations
from renkei.evaluations.models import EvaluationRound, FindingKind
from renkei.kpis import goals
from renkei.kpis.models import Kpi, NationalGoal
from renkei.organizations.models import Organization
from renkei.projects.models import Project
from renkei.regions.models import Region
from renkei.tenancy import Viewer, set_viewer

Spec = dict[str, Any]
FILE = "evaluations.json"


async def _as(session: AsyncSession, viewer: Viewer) -> Viewer:
    await session.flush()
    await set_viewer(session, viewer)
    return viewer


async def _region(session: AsyncSession, slug: str) -> Region | None:
    return await session.scalar(select(Region).where(Region.slug == slug))


async def _kpi(session: AsyncSession, region: Region, name: str) -> Kpi:
    """The region's KPI, or its projects', by name."""
    in_region = select(Project.id).where(Project.region_id == region.id)
    found = await session.scalar(
        select(Kpi).where(
            Kpi.name == name, (Kpi.region_id == region.id) | Kpi.project_id.in_(in_region)
        )
    )
    if found is None:
        raise LookupError(f"{region.slug}: no KPI named {name}")
    return found


async def _organization(session: AsyncSession, slug: str) -> uuid.UUID:
    found = await session.scalar(select(Organization.id).where(Organization.slug == slug))
    if found is None:
        raise LookupError(f"no organization with the slug {slug}")
    return found


async def _national_goals(session: AsyncSession, specs: list[Spec]) -> dict[str, uuid.UUID]:
    """Reference data, written by the platform."""
    await _as(session, Viewer.platform())
    codes: dict[str, uuid.UUID] = {}
    for spec in specs:
        goal = await session.scalar(select(NationalGoal).where(NationalGoal.code == spec["code"]))
        if goal is None:
            goal = NationalGoal(
                id=uuid.uuid4(),
                code=spec["code"],
                name=spec["name"],
                target_value=None
                if spec["target_value"] is None
                else Decimal(spec["target_value"]),
                unit=spec["unit"],
                target_year=spec.get("target_year"),
                source_url=spec.get("source_url"),
                confirmed=spec["confirmed"],
                note=spec.get("note", ""),
            )
            session.add(goal)
            await session.flush()
        codes[goal.code] = goal.id
    return codes


async def _kpi_goals(
    session: AsyncSession, actors: dict[str, Viewer], spec: Spec, codes: dict[str, uuid.UUID]
) -> None:
    await _as(session, Viewer.platform())
    region = await _region(session, spec["region"])
    if region is None:
        return
    kpi = await _kpi(session, region, spec["kpi"])
    definer_id = region.secretariat_organization_id
    if kpi.project_id is not None:
        project = await session.scalar(select(Project).where(Project.id == kpi.project_id))
        assert project is not None
        definer_id = project.lead_organization_id
    definer = next(v for v in actors.values() if v.organization_id == definer_id)
    viewer = await _as(session, definer)
    for year, value in spec.get("calendar_targets", {}).items():
        await goals.set_calendar_target(session, viewer, kpi_id=kpi.id, year=int(year), value=value)
    relative = spec.get("relative_target")
    if relative:
        await goals.set_relative_target(session, viewer, kpi_id=kpi.id, **relative)
    if "national_goal" in spec:
        await goals.link_national_goal(
            session,
            viewer,
            kpi_id=kpi.id,
            national_goal_id=codes[spec["national_goal"]],
            contribution=spec.get("contribution", ""),
        )


async def _round(session: AsyncSession, actors: dict[str, Viewer], spec: Spec) -> bool:
    await _as(session, Viewer.platform())
    region = await _region(session, spec["region"])
    if region is None:
        return False
    exists = await session.scalar(
        select(EvaluationRound.id).where(
            EvaluationRound.region_id == region.id, EvaluationRound.title == spec["title"]
        )
    )
    if exists is not None:
        return False
    kpis = [(await _kpi(session, region, k["name"]), k.get("comment", "")) for k in spec["kpis"]]
    owners = {i["owner"]: await _organization(session, i["owner"]) for i in spec["improvements"]}
    projects = {
        i["project"]: await session.scalar(
            select(Project.id).where(Project.region_id == region.id, Project.name == i["project"])
        )
        for i in spec["improvements"]
    }
    participants = [await _organization(session, slug) for slug in spec["participants"]]
    viewer = await _as(session, actors[spec["acting"]])
    found = await evaluations.create_round(
        session,
        viewer,
        region_id=region.id,
        title=spec["title"],
        held_on=date.fromisoformat(spec["held_on"]),
        summary=spec.get("summary", ""),
        demo=spec.get("demo", False),
    )
    for organization_id in participants:
        await evaluations.add_participant(
            session, viewer, round_id=found.id, organization_id=organization_id
        )
    for kpi, comment in kpis:
        await evaluations.add_kpi_review(
            session, viewer, round_id=found.id, kpi_id=kpi.id, comment=comment
        )
    for body in spec.get("findings", []):
        await evaluations.add_finding(
            session, viewer, round_id=found.id, kind=FindingKind.FINDING, body=body
        )
    for item in spec["improvements"]:
        await evaluations.add_finding(
            session,
            viewer,
            round_id=found.id,
            kind=FindingKind.IMPROVEMENT,
            body=item["body"],
            owner_organization_id=owners[item["owner"]],
            due_on=date.fromisoformat(item["due_on"]),
            project_id=projects[item["project"]],
        )
    if spec.get("publish"):
        await evaluations.publish_round(session, viewer, round_id=found.id)
    elif spec.get("record"):
        await evaluations.record_round(session, viewer, round_id=found.id)
    return True


async def seed_evaluations(sessions: SessionFactory, directory: Path, actors_of: Any) -> int:
    """Load the file in one transaction; how many rounds were new."""
    path = directory / FILE
    if not path.exists():
        return 0
    spec: Spec = json.loads(path.read_text(encoding="utf-8"))
    async with unit_of_work(sessions, Viewer.platform()) as session:
        actors: dict[str, Viewer] = await actors_of(session)
        codes = await _national_goals(session, spec.get("national_goals", []))
        for item in spec.get("kpi_goals", []):
            await _kpi_goals(session, actors, item, codes)
        created = 0
        for item in spec.get("rounds", []):
            created += await _round(session, actors, item)
        await session.flush()
        return created
