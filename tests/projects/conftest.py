"""A small world for the project tests: organizations, a region, projects, built through the
product's own services, and GraphQL calls as each organization's people would make them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from factories import act_as, add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.projects import service as projects
from renkei.projects.models import ParticipantRole, Project, ProjectCategory, ProjectParticipant
from renkei.regions import service as regions
from renkei.regions.models import Region
from renkei.tenancy import MembershipRole


@pytest.fixture
def client(client: httpx2.AsyncClient) -> httpx2.AsyncClient:
    """Renkei answers in Japanese by default (tests/organizations/test_japanese_first.py checks
    it); these tests are about other things and compare English messages, so they ask for it."""
    client.headers["Accept-Language"] = "en"
    return client


@dataclass
class Party:
    """An organization and its owner, with other members by role when a test needs them."""

    organization: Organization
    owner: User
    people: dict[MembershipRole, User] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.organization.id

    @property
    def name(self) -> str:
        return self.organization.name


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
        user = party.people.get(role)
        if user is None:
            user = await create_user(self.sessions, f"{role.value.lower()}@{party.id}.example")
            await add_member(self.sessions, party.organization, party.owner, user, role)
            party.people[role] = user
        return user

    async def token(self, party: Party, role: MembershipRole = MembershipRole.OWNER) -> str:
        user = party.owner if role is MembershipRole.OWNER else await self.person(party, role)
        return token_for(self.tokens, user, party.organization)

    async def region(
        self,
        secretariat: Party,
        *members: Party,
        name: str = "九州広域リージョン",
        prefectures: tuple[str, ...] = ("40", "43"),
    ) -> Region:
        """A region run by `secretariat`, which every other party has joined."""
        viewer = await act_as(self.sessions, secretariat.owner, secretariat.organization)
        async with unit_of_work(self.sessions, viewer) as session:
            region = await regions.create_region(
                session,
                viewer,
                slug=f"region-{uuid.uuid4().hex[:8]}",
                name=name,
                prefecture_codes=list(prefectures),
            )
            invitations = [
                await regions.invite_region_member(
                    session, viewer, region_id=region.id, organization_id=member.id
                )
                for member in members
            ]
        for member, invitation in zip(members, invitations, strict=True):
            viewer = await act_as(self.sessions, member.owner, member.organization)
            async with unit_of_work(self.sessions, viewer) as session:
                await regions.answer_region_invitation(
                    session, viewer, region_member_id=invitation.id, accept=True
                )
        return region

    async def project(
        self,
        lead: Party,
        name: str = "九州半導体人材育成",
        *,
        category: ProjectCategory = ProjectCategory.SEMICONDUCTOR,
        **fields: Any,
    ) -> Project:
        if "region_id" not in fields and "prefecture_codes" not in fields:
            fields["prefecture_codes"] = ["40", "43"]
        viewer = await act_as(self.sessions, lead.owner, lead.organization)
        async with unit_of_work(self.sessions, viewer) as session:
            return await projects.create_project(
                session, viewer, name=name, category=category, **fields
            )

    async def join(
        self, project: Project, lead: Party, guest: Party, role: ParticipantRole
    ) -> ProjectParticipant:
        """Invite `guest` and accept, as both organizations' owners would."""
        viewer = await act_as(self.sessions, lead.owner, lead.organization)
        async with unit_of_work(self.sessions, viewer) as session:
            participant = await projects.invite_participant(
                session, viewer, project_id=project.id, organization_id=guest.id, role=role
            )
        viewer = await act_as(self.sessions, guest.owner, guest.organization)
        async with unit_of_work(self.sessions, viewer) as session:
            return await projects.answer_participation(
                session, viewer, participant_id=participant.id, accept=True
            )

    async def call(
        self, document: str, variables: dict[str, Any] | None = None, *, token: str
    ) -> dict[str, Any]:
        """The operation's data; fails the test on a top-level error."""
        body = await graphql(self.client, document, variables, token=token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def world(sessions: SessionFactory, client: httpx2.AsyncClient, tokens: TokenService) -> World:
    return World(sessions, client, tokens)
