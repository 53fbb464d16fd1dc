"""A small world for the milestone tests: organizations with people, projects they take part in
(built through the projects service), milestones, and the API called as each of them would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from factories import act_as, add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.milestones import dependencies
from renkei.milestones import repository as milestone_repository
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone
from renkei.organizations.models import Organization
from renkei.outbox import OutboxMessage
from renkei.projects import service as projects
from renkei.projects.models import ParticipantRole, Project, ProjectCategory, ProjectStatus
from renkei.regions import service as regions
from renkei.regions.models import Region
from renkei.tenancy import MembershipRole, Viewer


@dataclass
class Party:
    """An organization and its owner, with other members by role when a test needs them."""

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

    async def region(self, secretariat: Party, name: str = "九州広域リージョン") -> Region:
        """A region run by `secretariat`."""
        viewer = await self.viewer(secretariat)
        async with unit_of_work(self.sessions, viewer) as session:
            return await regions.create_region(
                session,
                viewer,
                slug=f"region-{uuid.uuid4().hex[:8]}",
                name=name,
                prefecture_codes=["40", "43"],
            )

    async def project(
        self,
        lead: Party,
        *partners: Party,
        name: str = "九州半導体サプライチェーン強化",
        region: Region | None = None,
    ) -> Project:
        """An ACTIVE project led by `lead`, which every partner has joined."""
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

    async def join(
        self,
        project: Project,
        lead: Party,
        guest: Party,
        role: ParticipantRole = ParticipantRole.PARTNER,
    ) -> None:
        viewer = await self.viewer(lead)
        async with unit_of_work(self.sessions, viewer) as session:
            participant = await projects.invite_participant(
                session, viewer, project_id=project.id, organization_id=guest.id, role=role
            )
        viewer = await self.viewer(guest)
        async with unit_of_work(self.sessions, viewer) as session:
            await projects.answer_participation(
                session, viewer, participant_id=participant.id, accept=True
            )

    async def milestone(
        self,
        project: Project,
        owner: Party,
        title: str,
        due_on: date,
        **fields: Any,
    ) -> Milestone:
        fields.setdefault("horizon_years", 1)
        viewer = await self.viewer(owner)
        async with unit_of_work(self.sessions, viewer) as session:
            return await milestones.create_milestone(
                session, viewer, project_id=project.id, title=title, due_on=due_on, **fields
            )

    async def depend(self, editor: Party, predecessor: Milestone, successor: Milestone) -> None:
        viewer = await self.viewer(editor)
        async with unit_of_work(self.sessions, viewer) as session:
            await dependencies.add_dependency(
                session, viewer, predecessor_id=predecessor.id, successor_id=successor.id
            )

    async def read(self, milestone_id: uuid.UUID) -> Milestone:
        """The milestone as the platform sees it now."""
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            found = await milestone_repository.get(session, milestone_id)
            assert found is not None
            return found

    async def outbox(self, topic: str) -> list[dict[str, Any]]:
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.topic == topic)
                .order_by(OutboxMessage.created_at)
            )
            return [row.payload for row in rows]

    async def call(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str,
        language: str | None = None,
    ) -> dict[str, Any]:
        """The operation's data, for a reader of `language` (Accept-Language) when given;
        fails the test on a top-level error."""
        if language is None:
            body = await graphql(self.client, document, variables, token=token)
        else:
            response = await self.client.post(
                "/graphql",
                json={"query": document, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
            )
            assert response.status_code == 200, response.text
            body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def world(sessions: SessionFactory, client: httpx2.AsyncClient, tokens: TokenService) -> World:
    return World(sessions, client, tokens)
