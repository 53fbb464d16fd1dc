"""Loads the talent seed (`seed/talent.json`) through the talent services. Safe to run again.

Firms of the seeded regions post their needs (人材ニーズ) and open them, acting through their admin
(or owner); professionals, users created by the platform, save their own profiles; then the
matching engine runs once as the platform, so PROPOSED matches with their explanations exist.
A need whose title exists for its firm, or a professional whose user has a professional record,
is skipped. Everything is one transaction, after the organizations and regions are loaded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.db import SessionFactory, unit_of_work
from renkei.errors import DomainError
from renkei.identity import service as identity
from renkei.identity.models import User
from renkei.identity.scopes import ALL_SCOPES
from renkei.organizations.models import Membership, Organization
from renkei.talent import proposals, service
from renkei.talent.models import NeedStatus, Professional, TalentNeed
from renkei.tenancy import MembershipRole, Viewer, set_viewer

logger = logging.getLogger(__name__)

TALENT_FILE = Path(__file__).resolve().parents[2] / "seed" / "talent.json"

Spec = dict[str, Any]


class TalentSeedError(RuntimeError):
    """The talent seed asks for something the services refuse; names the item."""


@dataclass(frozen=True, slots=True)
class TalentSeeded:
    needs: int  # new needs, opened
    professionals: int  # new professionals with their profiles
    proposed: int  # PROPOSED matches after the engine ran (0 when nothing was new)


def _load(path: Path) -> Spec:
    data: Spec = json.loads(path.read_text(encoding="utf-8"))
    return data


async def _become(session: AsyncSession, viewer: Viewer) -> Viewer:
    await session.flush()
    await set_viewer(session, viewer)
    return viewer


async def _firm_actors(session: AsyncSession, slugs: set[str]) -> dict[str, Viewer]:
    """Who posts each firm's needs: its admin if it has one, else its owner."""
    rows = await session.execute(
        select(Organization.slug, Organization.id, Membership.role, User.id, User.email)
        .join(Membership, Membership.organization_id == Organization.id)
        .join(User, User.id == Membership.user_id)
        .where(
            Organization.slug.in_(slugs),
            Membership.role.in_([MembershipRole.ADMIN, MembershipRole.OWNER]),
        )
        .order_by(Organization.slug, Membership.role, Membership.created_at)
    )
    actors: dict[str, Viewer] = {}
    for slug, organization_id, role, user_id, email in rows:
        actors.setdefault(
            slug,
            Viewer(
                user_id=user_id,
                email=email,
                organization_id=organization_id,
                role=role,
                scopes=ALL_SCOPES,
            ),
        )
    return actors


def _need_fields(spec: Spec) -> service.NeedFields:
    return service.NeedFields(
        title=spec["title"],
        challenge=spec.get("challenge", ""),
        deliverables=spec.get("deliverables", ""),
        required_skills=[(s, float(w)) for s, w in spec.get("required_skills", [])],
        preferred_skills=[(s, float(w)) for s, w in spec.get("preferred_skills", [])],
        engagement_types=spec["engagement_types"],
        hours_per_month=spec["hours_per_month"],
        duration_months=spec.get("duration_months", 6),
        remote_policy=spec["remote_policy"],
        site_visits_per_month=spec.get("site_visits_per_month", 0),
        workplace_prefecture_code=spec["workplace_prefecture_code"],
        workplace_municipality=spec.get("workplace_municipality", ""),
        fee_min_jpy=spec["fee_min_jpy"],
        fee_max_jpy=spec["fee_max_jpy"],
        starts_on=date.fromisoformat(spec["starts_on"]),
    )


def _profile_fields(spec: Spec) -> service.ProfileFields:
    return service.ProfileFields(
        full_name=spec["full_name"],
        contact_email=spec["email"],
        current_employer=spec.get("current_employer"),
        headline=spec["headline"],
        skills=[(s, int(level), float(years)) for s, level, years in spec["skills"]],
        experience_summary=spec.get("experience_summary", ""),
        engagement_types=spec.get("engagement_types", ["SIDE_JOB"]),
        hours_per_month=spec["hours_per_month"],
        available_from=date.fromisoformat(spec["available_from"]),
        remote_preference=spec["remote_preference"],
        residence_prefecture_code=spec["residence_prefecture_code"],
        max_site_visits_per_month=spec.get("max_site_visits_per_month", 0),
        travel_prefecture_codes=spec.get("travel_prefecture_codes", []),
        ties=[(code, kind) for code, kind in spec.get("ties", [])],
        fee_min_jpy=spec["fee_min_jpy"],
        fee_max_jpy=spec["fee_max_jpy"],
        max_engagements=spec.get("max_engagements", 1),
    )


async def _seed_needs(session: AsyncSession, specs: list[Spec]) -> int:
    await _become(session, Viewer.platform())
    rows = await session.execute(
        select(Organization.slug, TalentNeed.title).join(
            Organization, Organization.id == TalentNeed.organization_id
        )
    )
    existing = {(slug, title) for slug, title in rows}
    actors = await _firm_actors(session, {s["organization"] for s in specs})
    created = 0
    for spec in specs:
        if (spec["organization"], spec["title"]) in existing:
            continue
        if spec["organization"] not in actors:
            raise TalentSeedError(f"need {spec['title']}: no organization {spec['organization']}")
        viewer = await _become(session, actors[spec["organization"]])
        try:
            need = await service.create_need(session, viewer, values=_need_fields(spec))
            await service.change_need_status(
                session, viewer, need_id=need.id, status=NeedStatus.OPEN
            )
        except DomainError as exc:
            raise TalentSeedError(f"need {spec['title']}: {exc}") from exc
        created += 1
    return created


async def _seed_professionals(session: AsyncSession, specs: list[Spec]) -> int:
    await _become(session, Viewer.platform())
    existing = set(
        await session.scalars(
            select(User.email).join(Professional, Professional.user_id == User.id)
        )
    )
    created = 0
    for spec in specs:
        await _become(session, Viewer.platform())
        user = await identity.ensure_user(
            session, Viewer.platform(), email=spec["email"], display_name=spec["full_name"]
        )
        if user.email in existing:
            continue
        viewer = await _become(
            session, Viewer(user_id=user.id, email=user.email, scopes=ALL_SCOPES)
        )
        try:
            await service.save_profile(session, viewer, values=_profile_fields(spec))
        except DomainError as exc:
            raise TalentSeedError(f"professional {spec['email']}: {exc}") from exc
        created += 1
    return created


async def seed_talent(sessions: SessionFactory, path: Path = TALENT_FILE) -> TalentSeeded:
    """Create the needs and professionals that do not exist yet, then propose matches."""
    spec = _load(path)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        needs = await _seed_needs(session, spec["needs"])
        professionals = await _seed_professionals(session, spec["professionals"])
        proposed = 0
        if needs or professionals:
            platform = await _become(session, Viewer.platform())
            proposed = (await proposals.recompute_all(session, platform)).proposed
        await session.flush()
    logger.info(
        "talent seed loaded",
        extra={"new_needs": needs, "new_professionals": professionals, "proposed": proposed},
    )
    return TalentSeeded(needs, professionals, proposed)
