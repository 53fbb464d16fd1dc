"""The KPI tests' world: a region with a secretariat and members, projects with their partners.

Built through the regions' and projects' own services, as the organizations would do it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx2

from factories import act_as, add_member, create_organization, create_user
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import User
from renkei.kpis import service
from renkei.kpis.models import Kpi, KpiDirection
from renkei.organizations.models import Organization
from renkei.projects import service as projects
from renkei.projects.models import ParticipantRole, Project, ProjectCategory, ProjectVisibility
from renkei.regions import service as regions
from renkei.regions.models import Region
from renkei.tenancy import MembershipRole, Viewer


async def graphql_in(
    client: httpx2.AsyncClient,
    language: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str,
) -> dict[str, Any]:
    """POST an operation for a reader of `language` (Accept-Language); the status must be 200."""
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Party:
    """An organization and its people, by their role in it."""

    organization: Organization
    people: dict[MembershipRole, User] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.organization.id


async def make_party(
    sessions: SessionFactory, slug: str, *, roles: tuple[MembershipRole, ...] = ()
) -> Party:
    owner = await create_user(sessions, f"owner@{slug}.example.jp")
    organization = await create_organization(sessions, owner, slug=slug, name=slug)
    party = Party(organization, {MembershipRole.OWNER: owner})
    for role in roles:
        person = await create_user(sessions, f"{role.value.lower()}@{slug}.example.jp")
        await add_member(sessions, organization, owner, person, role)
        party.people[role] = person
    return party


async def make_region(
    sessions: SessionFactory, secretariat: Party, members: list[Party], *, slug: str = "kyushu"
) -> Region:
    """Founded by the secretariat; each member organization's owner accepts its invitation."""
    founder = await act_as(
        sessions, secretariat.people[MembershipRole.OWNER], secretariat.organization
    )
    async with unit_of_work(sessions, founder) as session:
        region = await regions.create_region(
            session,
            founder,
            slug=slug,
            name="九州広域リージョン",
            prefecture_codes=["40", "43", "47"],
        )
    for member in members:
        async with unit_of_work(sessions, founder) as session:
            invitation = await regions.invite_region_member(
                session, founder, region_id=region.id, organization_id=member.id
            )
        answering = await act_as(sessions, member.people[MembershipRole.OWNER], member.organization)
        async with unit_of_work(sessions, answering) as session:
            await regions.answer_region_invitation(
                session, answering, region_member_id=invitation.id, accept=True
            )
    return region


async def make_project(
    sessions: SessionFactory,
    lead: Party,
    partners: list[Party],
    *,
    name: str,
    region: Region | None = None,
    visibility: ProjectVisibility = ProjectVisibility.PARTICIPANTS,
    invited: tuple[Party, ...] = (),
) -> Project:
    """Created by the lead's owner; partners accept, the `invited` leave it unanswered."""
    creator = await act_as(sessions, lead.people[MembershipRole.OWNER], lead.organization)
    async with unit_of_work(sessions, creator) as session:
        project = await projects.create_project(
            session,
            creator,
            name=name,
            category=ProjectCategory.SEMICONDUCTOR,
            region_id=region.id if region else None,
            visibility=visibility,
            prefecture_codes=["40", "43"],
        )
    for party in (*partners, *invited):
        async with unit_of_work(sessions, creator) as session:
            participant = await projects.invite_participant(
                session,
                creator,
                project_id=project.id,
                organization_id=party.id,
                role=ParticipantRole.PARTNER,
            )
        if party in invited:
            continue
        answering = await act_as(sessions, party.people[MembershipRole.OWNER], party.organization)
        async with unit_of_work(sessions, answering) as session:
            await projects.answer_participation(
                session, answering, participant_id=participant.id, accept=True
            )
    return project


@dataclass
class World:
    """九州: a secretariat, a project led by a university with a partner, and bystanders."""

    sessions: SessionFactory
    secretariat: Party
    lead: Party
    partner: Party
    regional: Party  # an active member of the region, in none of its projects
    invited: Party  # invited to the project, not yet answered
    outsider: Party
    region: Region
    project: Project  # visible to the region's members
    private_project: Project  # in the region, visible to its participants only

    async def viewer(self, party: Party, role: MembershipRole = MembershipRole.OWNER) -> Viewer:
        return await act_as(self.sessions, party.people[role], party.organization)

    async def kpi(
        self,
        *,
        project: Project | None = None,
        region: Region | None = None,
        name: str = "半導体人材の育成数",
        unit: str = "人",
        direction: KpiDirection = KpiDirection.INCREASE,
        baseline: Decimal | int = 100,
        targets: dict[int, Decimal | int] | None = None,
    ) -> Kpi:
        """A KPI made by its definer: the project lead's owner, or the secretariat's."""
        definer = self.secretariat if region is not None else self.lead
        viewer = await self.viewer(definer)
        async with unit_of_work(self.sessions, viewer) as session:
            kpi = await service.create_kpi(
                session,
                viewer,
                project_id=None if region is not None else (project or self.project).id,
                region_id=region.id if region is not None else None,
                name=name,
                unit=unit,
                direction=direction,
                baseline_value=baseline,
            )
            for year, value in (targets or {}).items():
                await service.set_kpi_target(
                    session, viewer, kpi_id=kpi.id, fiscal_year=year, value=value
                )
        return kpi

    async def observe(
        self,
        kpi: Kpi,
        start: Any,
        end: Any,
        value: Decimal | int | float,
        party: Party | None = None,
    ) -> None:
        viewer = await self.viewer(party or self.lead)
        async with unit_of_work(self.sessions, viewer) as session:
            await service.record_kpi_observation(
                session, viewer, kpi_id=kpi.id, period_start=start, period_end=end, value=value
            )


async def kyushu_world(sessions: SessionFactory) -> World:
    """九州: a secretariat, a lead, a partner, a regional member, an invited bank, an outsider;
    a region-visible project and a private one. The KPI and 効果検証 tests' world."""
    secretariat = await make_party(sessions, "kyushu-keizai")
    lead = await make_party(sessions, "kumamoto-u", roles=(MembershipRole.ADMIN,))
    partner = await make_party(
        sessions, "tosu-fab", roles=(MembershipRole.MEMBER, MembershipRole.VIEWER)
    )
    regional = await make_party(sessions, "fukuoka-pref")
    invited = await make_party(sessions, "saga-bank")
    outsider = await make_party(sessions, "sapporo-ict")
    region = await make_region(sessions, secretariat, [lead, partner, regional])
    project = await make_project(
        sessions,
        lead,
        [partner],
        name="九州半導体人材育成コンソーシアム",
        region=region,
        visibility=ProjectVisibility.REGION,
        invited=(invited,),
    )
    private_project = await make_project(
        sessions, lead, [], name="次世代パワー半導体共同研究", region=region
    )
    return World(
        sessions,
        secretariat,
        lead,
        partner,
        regional,
        invited,
        outsider,
        region,
        project,
        private_project,
    )
