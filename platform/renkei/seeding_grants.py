"""Loads `seed/grants.json`: grant schemes as the record states them, and demo applications taken
through their cycle by the lead organization's admin, through the product's own services.

A scheme of the same name and 年度 is left as it is; an application whose project already has one
of the same title is skipped. Run after the regions (the applications belong to their projects).
"""

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
from renkei.errors import DomainError
from renkei.grants import repository
from renkei.grants import service as grants
from renkei.grants.models import GrantApplication, GrantScheme
from renkei.organizations.models import Organization
from renkei.projects.models import Project
from renkei.regions.models import Region
from renkei.tenancy import Viewer, set_viewer

Spec = dict[str, Any]


class GrantSeedError(RuntimeError):
    """The seed asks for something the services refuse; names the item."""


def _day(value: str | None) -> Any:
    return date.fromisoformat(value) if value else None


async def _scheme(session: AsyncSession, spec: Spec) -> GrantScheme:
    found = await repository.scheme_named(
        session, name=spec["name"], fiscal_year=spec["fiscal_year"]
    )
    if found is not None:
        return found
    scheme = GrantScheme(
        id=uuid.uuid4(),
        name=spec["name"],
        ministry=spec.get("ministry", ""),
        fiscal_year=spec["fiscal_year"],
        rate=Decimal(str(spec["rate"])) if spec.get("rate") is not None else None,
        cap_jpy=spec.get("cap_jpy"),
        budget_jpy=spec.get("budget_jpy"),
        region_allowance_jpy=spec.get("region_allowance_jpy"),
        period_starts_on=_day(spec.get("period_starts_on")),
        period_ends_on=_day(spec.get("period_ends_on")),
        source_url=spec.get("source_url", ""),
        notes=spec.get("notes", ""),
        unconfirmed_fields=list(spec.get("unconfirmed_fields", [])),
        demo=bool(spec.get("demo", False)),
    )
    session.add(scheme)
    await session.flush()
    return scheme


async def _lead_actor(session: AsyncSession, project: Project) -> Viewer:
    from renkei.seeding import _actors

    actors = await _actors(session)
    slug = await session.scalar(
        select(Organization.slug).where(Organization.id == project.lead_organization_id)
    )
    if slug is None or slug not in actors:
        raise GrantSeedError(f"no one acts for the lead of {project.name}")
    return actors[slug]


async def _application(session: AsyncSession, spec: Spec) -> bool:
    await set_viewer(session, Viewer.platform())
    project = await session.scalar(
        select(Project)
        .join(Region, Region.id == Project.region_id)
        .where(Region.slug == spec["region"], Project.name == spec["project"])
    )
    if project is None:
        raise GrantSeedError(f"no project {spec['project']} in {spec['region']}")
    taken = await session.scalar(
        select(GrantApplication.id).where(
            GrantApplication.project_id == project.id, GrantApplication.title == spec["title"]
        )
    )
    if taken is not None:
        return False
    scheme = await repository.scheme_named(
        session, name=spec["scheme"], fiscal_year=spec["fiscal_year"]
    )
    if scheme is None:
        raise GrantSeedError(f"no scheme {spec['scheme']} {spec['fiscal_year']}")
    viewer = await _lead_actor(session, project)
    await session.flush()
    await set_viewer(session, viewer)
    application = await grants.create_application(
        session,
        viewer,
        project_id=project.id,
        scheme_id=scheme.id,
        title=spec["title"],
        requested_cost_jpy=spec["requested_cost_jpy"],
        rate=spec.get("rate"),
        uses_region_allowance=bool(spec.get("uses_region_allowance")),
        demo=bool(spec.get("demo")),
    )
    if spec.get("applied_on"):
        await grants.apply(
            session, viewer, application_id=application.id, applied_on=_day(spec["applied_on"])
        )
    if decision := spec.get("decision"):
        await grants.decide(
            session,
            viewer,
            application_id=application.id,
            amount_jpy=decision["amount_jpy"],
            decided_on=_day(decision["decided_on"]),
            conditions=decision.get("conditions", ""),
            report_due_on=_day(decision.get("report_due_on")),
        )
    if reported := spec.get("report"):
        await grants.report(
            session,
            viewer,
            application_id=application.id,
            spending_jpy=reported["spending_jpy"],
            reported_on=_day(reported["reported_on"]),
        )
    if settled := spec.get("settlement"):
        await grants.settle(
            session,
            viewer,
            application_id=application.id,
            final_amount_jpy=settled["final_amount_jpy"],
            settled_on=_day(settled["settled_on"]),
        )
    return True


def _load(path: Path) -> Spec | None:
    if not path.exists():
        return None
    data: Spec = json.loads(path.read_text(encoding="utf-8"))
    return data


async def seed_grants(sessions: SessionFactory, path: Path) -> int:
    """Load the schemes and the applications in one transaction; how many applications were
    new."""
    spec = _load(path)
    if spec is None:
        return 0
    created = 0
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await set_viewer(session, Viewer.platform())
        for scheme in spec.get("schemes", []):
            await _scheme(session, scheme)
        for item in spec.get("applications", []):
            try:
                created += await _application(session, item)
            except DomainError as exc:
                raise GrantSeedError(f"grant application {item['title']}: {exc}") from exc
    return created
