"""A small world for the grant tests: organizations with people, a region, a project they take
part in (built through the services), a grant scheme as the platform publishes it, and the API
called as each of them would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from factories import act_as, add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.grants.models import GrantScheme
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone
from renkei.organizations.models import Organization
from renkei.projects import service as projects
from renkei.projects.models import ParticipantRole, Project, ProjectCategory, ProjectStatus
from renkei.regions import service as regions
from renkei.regions.models import Region
from renkei.tenancy import MembershipRole, Viewer


@dataclass
class Party:
    organization: Organization
    owner: User
    people: dict[MembershipRole, User] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.organization.id


@dataclass
class World:
    sessions: SessionFactory
    client: httpx2.AsyncClient
    tokens: TokenService

    async def party(self, name: str, prefecture: str = "40") -> Party:
        slug = f"org-{uuid.uuid4().hex[:8]}"
        owner = await create_user(self.sessions, f"owner@{slug}.example")
        organization = await create_organization(
            self.sessions, owner, slug=slug, name=name, home_prefecture_code=prefecture
        )
        return Party(organization, owner)

    async def person(self, party: Party, role: MembershipRole) -> User:
        if role is MembershipRole.OWNER:
            return party.owner
        user = party.people.get(role)
        if user is None:
            user = await create_user(self.sessions, f"{role.value.lower()}@{party.id}.example")
            await add_member(self.sessions, party.organization, party.owner, user, role)
            party.people[role] = user
        return user

    async def viewer(self, party: Party, role: MembershipRole = MembershipRole.OWNER) -> Viewer:
        return await act_as(self.sessions, await self.person(party, role), party.organization)

    async def token(self, party: Party, role: MembershipRole = MembershipRole.OWNER) -> str:
        return token_for(self.tokens, await self.person(party, role), party.organization)

    async def region(self, secretariat: Party) -> Region:
        viewer = await self.viewer(secretariat)
        async with unit_of_work(self.sessions, viewer) as session:
            return await regions.create_region(
                session,
                viewer,
                slug=f"region-{uuid.uuid4().hex[:8]}",
                name="九州広域リージョン（テスト）",
                prefecture_codes=["40", "43"],
            )

    async def project(
        self, lead: Party, *partners: Party, region: Region | None = None, name: str = "半導体"
    ) -> Project:
        viewer = await self.viewer(lead)
        async with unit_of_work(self.sessions, viewer) as session:
            project = await projects.create_project(
                session,
                viewer,
                name=name,
                category=ProjectCategory.SEMICONDUCTOR,
                prefecture_codes=["40", "43"],
                region_id=region.id if region else None,
            )
            await projects.change_project_status(
                session, viewer, project_id=project.id, version=1, status=ProjectStatus.ACTIVE
            )
        for partner in partners:
            await self.join(project, lead, partner)
        return project

    async def join(self, project: Project, lead: Party, guest: Party) -> None:
        viewer = await self.viewer(lead)
        async with unit_of_work(self.sessions, viewer) as session:
            participant = await projects.invite_participant(
                session,
                viewer,
                project_id=project.id,
                organization_id=guest.id,
                role=ParticipantRole.PARTNER,
            )
        viewer = await self.viewer(guest)
        async with unit_of_work(self.sessions, viewer) as session:
            await projects.answer_participation(
                session, viewer, participant_id=participant.id, accept=True
            )

    async def milestone(
        self, project: Project, owner: Party, title: str, due_on: date
    ) -> Milestone:
        viewer = await self.viewer(owner)
        async with unit_of_work(self.sessions, viewer) as session:
            return await milestones.create_milestone(
                session, viewer, project_id=project.id, title=title, due_on=due_on, horizon_years=1
            )

    async def scheme(self, **values: Any) -> GrantScheme:
        """A scheme as the platform publishes it (invented for the tests)."""
        defaults: dict[str, Any] = {
            "name": "地域未来交付金（テスト）",
            "ministry": "",
            "fiscal_year": 2026,
            "rate": None,
            "cap_jpy": 1_500_000_000,
            "region_allowance_jpy": 1_000_000_000,
            "source_url": "https://example.jp/notice",
            "notes": "",
            "unconfirmed_fields": ["rate"],
        }
        scheme = GrantScheme(id=uuid.uuid4(), **{**defaults, **values})
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            session.add(scheme)
        return scheme

    async def call(
        self, document: str, variables: dict[str, Any], *, token: str, language: str | None = None
    ) -> dict[str, Any]:
        body = await graphql(self.client, document, variables, token=token, language=language)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


def gid(type_name: str, key: uuid.UUID) -> str:
    return to_global_id(type_name, key)


RATE = Decimal("0.5")


@pytest.fixture
def world(sessions: SessionFactory, client: httpx2.AsyncClient, tokens: TokenService) -> World:
    return World(sessions, client, tokens)
