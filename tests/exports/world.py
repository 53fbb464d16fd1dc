"""The export tests' world: 九州広域リージョン with two projects, their milestones and KPIs.

Built through the products' own services, as the organizations would do it:
- 九州経済連合会 runs the region; 熊本県, 九州大学 and 肥後銀行 are members; 東京商事 is not.
- 半導体サプライチェーン (REGION visibility): 熊本県 leads, 九州大学 takes part.
- パワー半導体共同研究 (PARTICIPANTS): the same two; 肥後銀行 sees neither its milestones nor KPIs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import httpx2

from factories import act_as, create_organization, create_user, token_for
from kpis.world import Party, make_project, make_region
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.kpis import service as kpis
from renkei.kpis.models import Kpi
from renkei.milestones import dependencies
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone
from renkei.organizations.models import OrganizationKind
from renkei.projects.models import Project, ProjectVisibility
from renkei.regions.models import Region
from renkei.tenancy import MembershipRole, Viewer

SUPPLY_CHAIN = "半導体サプライチェーン"
POWER_RND = "パワー半導体共同研究"


async def party(
    sessions: SessionFactory,
    name: str,
    kind: OrganizationKind,
    prefecture: str = "43",
    local_government_code: str | None = None,
) -> Party:
    slug = f"org-{uuid.uuid4().hex[:8]}"
    owner = await create_user(sessions, f"owner@{slug}.example.jp")
    organization = await create_organization(
        sessions,
        owner,
        slug=slug,
        name=name,
        kind=kind,
        home_prefecture_code=prefecture,
        local_government_code=local_government_code,
    )
    return Party(organization, {MembershipRole.OWNER: owner})


@dataclass
class World:
    sessions: SessionFactory
    client: httpx2.AsyncClient
    tokens: TokenService
    secretariat: Party
    lead: Party  # 熊本県
    partner: Party  # 九州大学
    regional: Party  # 肥後銀行: in the region, in no project
    outsider: Party  # 東京商事: in neither
    region: Region
    supply_chain: Project  # REGION visibility
    power_rnd: Project  # PARTICIPANTS only
    # Made by the organizations once the world stands:
    prototype: Milestone = field(init=False)  # 試作ライン稼働, 熊本県's, 九州大学 signs off
    training: Milestone = field(init=False)  # 半導体人材育成の開始, 九州大学's, after the prototype
    contract: Milestone = field(init=False)  # 共同研究契約の締結, in the PARTICIPANTS project
    region_kpi: Kpi = field(init=False)
    project_kpi: Kpi = field(init=False)
    private_kpi: Kpi = field(init=False)

    def token(self, party: Party) -> str:
        return token_for(self.tokens, party.people[MembershipRole.OWNER], party.organization)

    async def viewer(self, party: Party) -> Viewer:
        return await act_as(self.sessions, party.people[MembershipRole.OWNER], party.organization)

    async def get(
        self, path: str, party: Party | None = None, headers: dict[str, str] | None = None
    ) -> httpx2.Response:
        sent = dict(headers or {})
        if party is not None:
            sent["Authorization"] = f"Bearer {self.token(party)}"
        return await self.client.get(path, headers=sent)

    @staticmethod
    def project_path(project: Project, file: str) -> str:
        return f"/exports/projects/{to_global_id('Project', project.id)}/{file}"

    def region_path(self, file: str, *, by_slug: bool = False) -> str:
        key = self.region.slug if by_slug else to_global_id("Region", self.region.id)
        return f"/exports/regions/{key}/{file}"

    async def milestone(
        self,
        project: Project,
        owner: Party,
        title: str,
        *,
        due_on: date,
        starts_on: date | None = None,
        horizon_years: int = 1,
        counterpart: Party | None = None,
    ) -> Milestone:
        viewer = await self.viewer(owner)
        async with unit_of_work(self.sessions, viewer) as session:
            return await milestones.create_milestone(
                session,
                viewer,
                project_id=project.id,
                title=title,
                due_on=due_on,
                starts_on=starts_on,
                horizon_years=horizon_years,
                counterpart_organization_id=counterpart.id if counterpart else None,
            )

    async def kpi(
        self,
        definer: Party,
        name: str,
        unit: str,
        *,
        project: Project | None = None,
        region: Region | None = None,
        baseline: int,
        targets: dict[int, int],
    ) -> Kpi:
        viewer = await self.viewer(definer)
        async with unit_of_work(self.sessions, viewer) as session:
            kpi = await kpis.create_kpi(
                session,
                viewer,
                project_id=project.id if project else None,
                region_id=region.id if region else None,
                name=name,
                unit=unit,
                baseline_value=baseline,
            )
            for year, value in targets.items():
                await kpis.set_kpi_target(
                    session, viewer, kpi_id=kpi.id, fiscal_year=year, value=value
                )
        return kpi

    async def observe(
        self, reporter: Party, kpi: Kpi, start: date, end: date, value: Decimal | int
    ) -> None:
        viewer = await self.viewer(reporter)
        async with unit_of_work(self.sessions, viewer) as session:
            await kpis.record_kpi_observation(
                session, viewer, kpi_id=kpi.id, period_start=start, period_end=end, value=value
            )


async def build_world(
    sessions: SessionFactory, client: httpx2.AsyncClient, tokens: TokenService
) -> World:
    economic = OrganizationKind.ECONOMIC_ORGANIZATION
    secretariat = await party(sessions, "九州経済連合会", economic, "40")
    lead = await party(sessions, "熊本県", OrganizationKind.PREFECTURE, "43", "430005")
    partner = await party(sessions, "九州大学", OrganizationKind.UNIVERSITY, "40")
    regional = await party(sessions, "肥後銀行", OrganizationKind.FINANCIAL_INSTITUTION)
    outsider = await party(sessions, "東京商事", OrganizationKind.COMPANY, "13")
    region = await make_region(sessions, secretariat, [lead, partner, regional], slug="kyushu")
    supply_chain = await make_project(
        sessions,
        lead,
        [partner],
        name=SUPPLY_CHAIN,
        region=region,
        visibility=ProjectVisibility.REGION,
    )
    power_rnd = await make_project(
        sessions,
        lead,
        [partner],
        name=POWER_RND,
        region=region,
        visibility=ProjectVisibility.PARTICIPANTS,
    )
    world = World(
        sessions,
        client,
        tokens,
        secretariat,
        lead,
        partner,
        regional,
        outsider,
        region,
        supply_chain,
        power_rnd,
    )
    world.prototype = await world.milestone(
        supply_chain,
        lead,
        "試作ライン稼働",
        starts_on=date(2025, 4, 1),
        due_on=date(2025, 9, 30),
        counterpart=partner,
    )
    world.training = await world.milestone(
        supply_chain,
        partner,
        "半導体人材育成の開始",
        starts_on=date(2025, 10, 1),
        due_on=date(2026, 3, 31),
        horizon_years=3,
    )
    viewer = await world.viewer(partner)
    async with unit_of_work(sessions, viewer) as session:
        await dependencies.add_dependency(
            session, viewer, predecessor_id=world.prototype.id, successor_id=world.training.id
        )
    world.contract = await world.milestone(
        power_rnd, lead, "共同研究契約の締結", due_on=date(2025, 12, 26)
    )
    world.region_kpi = await world.kpi(
        secretariat, "半導体関連の新規雇用", "人", region=region, baseline=0, targets={2025: 1000}
    )
    await world.observe(lead, world.region_kpi, date(2025, 4, 1), date(2025, 9, 30), 450)
    world.project_kpi = await world.kpi(
        lead,
        "半導体人材の育成数",
        "人",
        project=supply_chain,
        baseline=100,
        targets={2025: 200, 2026: 300},
    )
    await world.observe(lead, world.project_kpi, date(2025, 4, 1), date(2025, 9, 30), 150)
    world.private_kpi = await world.kpi(
        lead, "共同研究の特許出願数", "件", project=power_rnd, baseline=0, targets={2025: 10}
    )
    return world
