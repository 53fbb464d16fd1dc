"""Loads the development seed data through the product's own services. Safe to run again."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from renkei.db import SessionFactory, unit_of_work
from renkei.identity import service as identity
from renkei.identity.scopes import ALL_SCOPES
from renkei.organizations import service as organizations
from renkei.organizations.models import Organization, OrganizationKind
from renkei.tenancy import MembershipRole, Viewer

logger = logging.getLogger(__name__)

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"


async def _user_id(sessions: SessionFactory, person: dict[str, str]) -> Any:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        user = await identity.ensure_user(
            session, Viewer.platform(), email=person["email"], display_name=person["display_name"]
        )
        return user.id


async def seed_organization(sessions: SessionFactory, spec: dict[str, Any]) -> bool:
    """Create one organization with its owner and members; False when it exists already."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        if await session.scalar(select(Organization.id).where(Organization.slug == spec["slug"])):
            return False
    owner_id = await _user_id(sessions, spec["owner"])
    async with sessions() as session, session.begin():
        owner = await identity.viewer_for(
            session, owner_id, organization_id=None, scopes=ALL_SCOPES
        )
        organization = await organizations.create_organization(
            session,
            owner,
            slug=spec["slug"],
            name=spec["name"],
            kind=OrganizationKind(spec["kind"]),
            home_prefecture_code=spec["home_prefecture_code"],
            corporate_number=spec.get("corporate_number"),
            local_government_code=spec.get("local_government_code"),
        )
    for member in spec.get("members", []):
        member_id = await _user_id(sessions, member)
        async with sessions() as session, session.begin():
            owner = await identity.viewer_for(
                session, owner_id, organization_id=organization.id, scopes=ALL_SCOPES
            )
            invitation = await organizations.invite_member(
                session,
                owner,
                organization_id=organization.id,
                email=member["email"],
                role=MembershipRole(member["role"]),
            )
        async with sessions() as session, session.begin():
            invitee = await identity.viewer_for(
                session, member_id, organization_id=None, scopes=ALL_SCOPES
            )
            await organizations.accept_invitation(session, invitee, invitation_id=invitation.id)
    return True


async def seed(sessions: SessionFactory, path: Path | None = None) -> int:
    """Load the seed file; return how many organizations were new."""
    data = json.loads((path or SEED_DIR / "foundation.json").read_text(encoding="utf-8"))
    created = 0
    for spec in data["organizations"]:
        created += await seed_organization(sessions, spec)
    logger.info("seed data loaded", extra={"new_organizations": created})
    return created
