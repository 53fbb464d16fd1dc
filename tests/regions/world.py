"""A secretariat with people in every role, two other organizations, and helpers to act."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from factories import act_as, add_member, create_organization, create_user, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.regions import service
from renkei.regions.models import Region, RegionMember, RegionRole
from renkei.tenancy import MembershipRole, Viewer

T = TypeVar("T")

# 九州's region: the seven 九州 prefectures with 山口 and 沖縄 (declared 2025-10-20).
KYUSHU_PREFECTURES = ["40", "41", "42", "43", "44", "45", "46", "47", "35"]


@dataclass
class World:
    """九州経済連合会 runs regions (owner, admin, member, viewer); 熊本半導体クラスター (owner,
    a member) is invited to them; 広島大学 (owner) stands outside."""

    sessions: SessionFactory
    tokens: TokenService
    secretariat: Organization
    secretariat_owner: User
    secretariat_admin: User
    secretariat_member: User
    secretariat_viewer: User
    kumamoto: Organization
    kumamoto_owner: User
    kumamoto_member: User
    hiroshima: Organization
    hiroshima_owner: User

    def token(self, user: User, organization: Organization) -> str:
        return token_for(self.tokens, user, organization)

    async def act(
        self,
        user: User,
        organization: Organization,
        work: Callable[[AsyncSession, Viewer], Awaitable[T]],
    ) -> T:
        """Run a service call in its own transaction, as the user acting for the organization."""
        viewer = await act_as(self.sessions, user, organization)
        async with unit_of_work(self.sessions, viewer) as session:
            return await work(session, viewer)

    async def found_region(
        self,
        *,
        slug: str = "kyushu",
        name: str = "九州地域戦略会議",
        prefecture_codes: list[str] | None = None,
        **fields: Any,
    ) -> Region:
        return await self.act(
            self.secretariat_owner,
            self.secretariat,
            lambda session, viewer: service.create_region(
                session,
                viewer,
                slug=slug,
                name=name,
                prefecture_codes=prefecture_codes or KYUSHU_PREFECTURES,
                declaration_text=fields.pop(
                    "declaration_text", "九州・山口・沖縄の広域連携を宣言する"
                ),
                declared_on=fields.pop("declared_on", date(2025, 10, 20)),
                **fields,
            ),
        )

    async def invite(
        self,
        region: Region,
        organization: Organization,
        *,
        role: RegionRole = RegionRole.MEMBER,
        is_signatory: bool = False,
    ) -> RegionMember:
        return await self.act(
            self.secretariat_owner,
            self.secretariat,
            lambda session, viewer: service.invite_region_member(
                session,
                viewer,
                region_id=region.id,
                organization_id=organization.id,
                role=role,
                is_signatory=is_signatory,
            ),
        )

    async def join(
        self, region: Region, organization: Organization, owner: User, **invitation: Any
    ) -> RegionMember:
        """Invite the organization and accept as its owner, as both sides would."""
        member = await self.invite(region, organization, **invitation)
        return await self.act(
            owner,
            organization,
            lambda session, viewer: service.answer_region_invitation(
                session, viewer, region_member_id=member.id, accept=True
            ),
        )


async def create_world(sessions: SessionFactory, tokens: TokenService) -> World:
    secretariat_owner = await create_user(sessions, "owner@q-keiren.example")
    secretariat_admin = await create_user(sessions, "admin@q-keiren.example")
    secretariat_member = await create_user(sessions, "staff@q-keiren.example")
    secretariat_viewer = await create_user(sessions, "viewer@q-keiren.example")
    secretariat = await create_organization(
        sessions, secretariat_owner, slug="q-keiren", name="九州経済連合会"
    )
    await add_member(
        sessions, secretariat, secretariat_owner, secretariat_admin, MembershipRole.ADMIN
    )
    await add_member(sessions, secretariat, secretariat_owner, secretariat_member)
    await add_member(
        sessions, secretariat, secretariat_owner, secretariat_viewer, MembershipRole.VIEWER
    )
    kumamoto_owner = await create_user(sessions, "owner@kumamoto-semi.example")
    kumamoto_member = await create_user(sessions, "staff@kumamoto-semi.example")
    kumamoto = await create_organization(
        sessions,
        kumamoto_owner,
        slug="kumamoto-semi",
        name="熊本半導体クラスター",
        home_prefecture_code="43",
    )
    await add_member(sessions, kumamoto, kumamoto_owner, kumamoto_member)
    hiroshima_owner = await create_user(sessions, "owner@hiroshima-u.example")
    hiroshima = await create_organization(
        sessions,
        hiroshima_owner,
        slug="hiroshima-u",
        name="広島大学",
        home_prefecture_code="34",
    )
    return World(
        sessions=sessions,
        tokens=tokens,
        secretariat=secretariat,
        secretariat_owner=secretariat_owner,
        secretariat_admin=secretariat_admin,
        secretariat_member=secretariat_member,
        secretariat_viewer=secretariat_viewer,
        kumamoto=kumamoto,
        kumamoto_owner=kumamoto_owner,
        kumamoto_member=kumamoto_member,
        hiroshima=hiroshima,
        hiroshima_owner=hiroshima_owner,
    )
