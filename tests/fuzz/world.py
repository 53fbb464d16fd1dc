"""The fuzzer's world: four organizations of three kinds, two regions, three projects and talent,
built through the product's own services, and the four viewers the fuzzer acts as.

- 福岡県 (a PREFECTURE): member of region R, partner of project P1. Viewer: its ADMIN.
- 博多精工 (firm A): member of R, leads P3, posts need NA. Viewer: a MEMBER.
- 九州経済連合会 (S): R's secretariat, leads P1, partner of P2.
- 別府観光 (firm B): invited to R (no answer), secretariat of region R2, leads P2, partner of
  P3, invited to P1, posts need NB; has an API client and a pending member invitation.
- A professional with a profile and no organization (viewer), and another (Bob) who applied to NB.
- No token at all (viewer).

Every project has funding, two milestones with a dependency and a counterpart, a KPI with a
target and an observation, and a baseline; R has a KPI of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from factories import act_as, add_member, create_organization, create_user, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.nodes import NODE_TYPES
from renkei.graphql.relay import to_global_id
from renkei.identity import clients
from renkei.identity.models import ApiClient, User
from renkei.identity.tokens import TokenService
from renkei.kpis import service as kpis
from renkei.milestones import baselines, dependencies
from renkei.milestones import service as milestones
from renkei.organizations import service as organizations
from renkei.organizations.models import Invitation, Membership, Organization, OrganizationKind
from renkei.projects import service as projects
from renkei.projects.models import (
    FundingKind,
    ParticipantRole,
    ProjectCategory,
    ProjectStatus,
    ProjectVisibility,
)
from renkei.regions import service as regions
from renkei.talent import lifecycle, proposals
from renkei.talent import service as talent
from renkei.talent.models import NeedStatus
from renkei.tenancy import MembershipRole, Viewer
from talent.talent_world import need_fields, profile_fields

T = TypeVar("T")

PREFECTURE_ADMIN, FIRM_USER, PROFESSIONAL, ANONYMOUS = (
    "prefecture-admin",
    "firm-user",
    "professional",
    "anonymous",
)
VIEWERS = (PREFECTURE_ADMIN, FIRM_USER, PROFESSIONAL, ANONYMOUS)


@dataclass(frozen=True)
class FuzzViewer:
    """Who sends the fuzzer's requests, and what is theirs: their organization and themselves."""

    name: str
    token: str | None = field(repr=False)
    organization_id: uuid.UUID | None
    user_id: uuid.UUID | None

    @property
    def own(self) -> list[str]:
        return [str(k) for k in (self.organization_id, self.user_id) if k is not None]


@dataclass
class FuzzWorld:
    viewers: dict[str, FuzzViewer]
    organizations: list[uuid.UUID]
    users: list[uuid.UUID]
    ids: dict[str, list[str]]  # global ids of every tenant's rows, by type

    @property
    def global_ids(self) -> list[str]:
        return [i for ids in self.ids.values() for i in ids]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Short, in the report of a failing example (hypothesis prints the fixtures too)."""
        printer.text(
            f"FuzzWorld({len(self.organizations)} organizations, {len(self.global_ids)} ids)"
        )


async def _as(
    sessions: SessionFactory,
    user: User,
    organization: Organization | None,
    work: Callable[[AsyncSession, Viewer], Awaitable[T]],
) -> T:
    viewer = await act_as(sessions, user, organization)
    async with unit_of_work(sessions, viewer) as session:
        return await work(session, viewer)


@dataclass
class _Org:
    row: Organization
    owner: User


async def _organization(
    sessions: SessionFactory,
    slug: str,
    name: str,
    kind: OrganizationKind,
    prefecture: str,
    local_government_code: str | None = None,
) -> _Org:
    owner = await create_user(sessions, f"owner@{slug}.fuzz.example")
    row = await create_organization(
        sessions,
        owner,
        slug=slug,
        name=name,
        kind=kind,
        home_prefecture_code=prefecture,
        local_government_code=local_government_code,
    )
    return _Org(row, owner)


async def _join_region(
    sessions: SessionFactory, secretariat: _Org, region_id: uuid.UUID, guest: _Org, accept: bool
) -> None:
    invitation = await _as(
        sessions,
        secretariat.owner,
        secretariat.row,
        lambda s, v: regions.invite_region_member(
            s, v, region_id=region_id, organization_id=guest.row.id
        ),
    )
    if accept:
        await _as(
            sessions,
            guest.owner,
            guest.row,
            lambda s, v: regions.answer_region_invitation(
                s, v, region_member_id=invitation.id, accept=True
            ),
        )


async def _project(
    sessions: SessionFactory,
    lead: _Org,
    partner: _Org,
    *,
    name: str,
    region_id: uuid.UUID | None,
    visibility: ProjectVisibility,
    invited: _Org | None = None,
) -> None:
    """A project with everything below it: the fuzzer's ids reach all of it."""
    project = await _as(
        sessions,
        lead.owner,
        lead.row,
        lambda s, v: projects.create_project(
            s,
            v,
            name=name,
            summary=f"{name} の概要",
            category=ProjectCategory.SEMICONDUCTOR,
            region_id=region_id,
            visibility=visibility,
            prefecture_codes=["40", "43"],
        ),
    )
    await _as(
        sessions,
        lead.owner,
        lead.row,
        lambda s, v: projects.change_project_status(
            s, v, project_id=project.id, version=1, status=ProjectStatus.ACTIVE
        ),
    )
    for guest, accept in ((partner, True), (invited, False)):
        if guest is None:
            continue
        participant = await _as(
            sessions,
            lead.owner,
            lead.row,
            lambda s, v, guest=guest: projects.invite_participant(
                s,
                v,
                project_id=project.id,
                organization_id=guest.row.id,
                role=ParticipantRole.PARTNER,
            ),
        )
        if accept:
            await _as(
                sessions,
                guest.owner,
                guest.row,
                lambda s, v, participant=participant: projects.answer_participation(
                    s, v, participant_id=participant.id, accept=True
                ),
            )
    await _as(
        sessions,
        lead.owner,
        lead.row,
        lambda s, v: projects.add_funding_source(
            s,
            v,
            project_id=project.id,
            kind=FundingKind.NATIONAL_GRANT,
            name="新しい地方経済・生活環境創生交付金",
            amount_jpy=30_000_000,
            fiscal_year=2026,
            funder_organization_id=partner.row.id,
        ),
    )
    first = await _as(
        sessions,
        lead.owner,
        lead.row,
        lambda s, v: milestones.create_milestone(
            s,
            v,
            project_id=project.id,
            title="設計完了",
            due_on=date(2027, 3, 31),
            horizon_years=1,
            counterpart_organization_id=partner.row.id,
        ),
    )
    second = await _as(
        sessions,
        partner.owner,
        partner.row,
        lambda s, v: milestones.create_milestone(
            s,
            v,
            project_id=project.id,
            title="試作",
            starts_on=date(2027, 4, 1),
            due_on=date(2027, 9, 30),
            horizon_years=3,
        ),
    )
    await _as(
        sessions,
        partner.owner,
        partner.row,
        lambda s, v: dependencies.add_dependency(
            s, v, predecessor_id=first.id, successor_id=second.id
        ),
    )
    kpi = await _as(
        sessions,
        lead.owner,
        lead.row,
        lambda s, v: kpis.create_kpi(
            s,
            v,
            project_id=project.id,
            name="人材育成数",
            unit="人",
            baseline_value=100,
            baseline_on=date(2025, 4, 1),
        ),
    )
    await _as(
        sessions,
        lead.owner,
        lead.row,
        lambda s, v: kpis.set_kpi_target(s, v, kpi_id=kpi.id, fiscal_year=2026, value=200),
    )
    await _as(
        sessions,
        partner.owner,
        partner.row,
        lambda s, v: kpis.record_kpi_observation(
            s,
            v,
            kpi_id=kpi.id,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 6, 30),
            value=120,
            note="第1四半期",
        ),
    )
    await _as(
        sessions,
        lead.owner,
        lead.row,
        lambda s, v: baselines.create_baseline(s, v, project_id=project.id, name="採択時"),
    )


async def _ids_by_type(sessions: SessionFactory) -> dict[str, list[str]]:
    """The global ids of every row of every type an id argument takes, whoever owns it."""
    types: dict[str, Any] = {name: node.model for name, node in NODE_TYPES.items()}
    types.update(
        Organization=Organization,
        User=User,
        Membership=Membership,
        Invitation=Invitation,
        ApiClient=ApiClient,
    )
    found = {}
    async with unit_of_work(sessions, Viewer.platform()) as session:
        for name, model in sorted(types.items()):
            ids = await session.scalars(select(model.id).order_by(model.id))
            found[name] = [to_global_id(name, row_id) for row_id in ids]
    return found


async def build_fuzz_world(sessions: SessionFactory, tokens: TokenService) -> FuzzWorld:
    kinds = OrganizationKind
    prefecture = await _organization(
        sessions, "fuzz-fukuoka", "福岡県", kinds.PREFECTURE, "40", "400009"
    )
    firm_a = await _organization(sessions, "fuzz-hakata", "博多精工", kinds.COMPANY, "40")
    secretariat = await _organization(
        sessions, "fuzz-kyukeiren", "九州経済連合会", kinds.ECONOMIC_ORGANIZATION, "40"
    )
    firm_b = await _organization(sessions, "fuzz-beppu", "別府観光", kinds.COMPANY, "44")
    prefecture_admin = await create_user(sessions, "admin@fuzz-fukuoka.fuzz.example")
    await add_member(
        sessions, prefecture.row, prefecture.owner, prefecture_admin, MembershipRole.ADMIN
    )
    firm_user = await create_user(sessions, "member@fuzz-hakata.fuzz.example")
    await add_member(sessions, firm_a.row, firm_a.owner, firm_user, MembershipRole.MEMBER)
    firm_b_member = await create_user(sessions, "member@fuzz-beppu.fuzz.example")
    await add_member(sessions, firm_b.row, firm_b.owner, firm_b_member, MembershipRole.MEMBER)

    region = await _as(
        sessions,
        secretariat.owner,
        secretariat.row,
        lambda s, v: regions.create_region(
            s,
            v,
            slug="fuzz-kyushu",
            name="九州広域リージョン",
            prefecture_codes=["40", "43", "44"],
            declaration_text="九州の広域連携を宣言する",
            declared_on=date(2025, 10, 20),
        ),
    )
    for guest, accept in ((prefecture, True), (firm_a, True), (firm_b, False)):
        await _join_region(sessions, secretariat, region.id, guest, accept)
    await _as(
        sessions,
        firm_b.owner,
        firm_b.row,
        lambda s, v: regions.create_region(
            s, v, slug="fuzz-chugoku", name="中国広域リージョン", prefecture_codes=["33", "34"]
        ),
    )
    region_kpi = await _as(
        sessions,
        secretariat.owner,
        secretariat.row,
        lambda s, v: kpis.create_kpi(
            s, v, region_id=region.id, name="周遊観光客数", unit="万人", baseline_value=1000
        ),
    )
    await _as(
        sessions,
        prefecture.owner,
        prefecture.row,
        lambda s, v: kpis.record_kpi_observation(
            s,
            v,
            kpi_id=region_kpi.id,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 6, 30),
            value=1100,
        ),
    )
    await _project(
        sessions,
        secretariat,
        prefecture,
        name="九州半導体サプライチェーン",
        region_id=region.id,
        visibility=ProjectVisibility.REGION,
        invited=firm_b,
    )
    await _project(
        sessions,
        firm_b,
        secretariat,
        name="別府温泉周遊",
        region_id=None,
        visibility=ProjectVisibility.PARTICIPANTS,
    )
    await _project(
        sessions,
        firm_a,
        firm_b,
        name="博多精密部品",
        region_id=region.id,
        visibility=ProjectVisibility.PUBLIC,
    )
    await _as(
        sessions,
        firm_b.owner,
        firm_b.row,
        lambda s, v: organizations.invite_member(
            s,
            v,
            organization_id=firm_b.row.id,
            email="newcomer@fuzz-beppu.fuzz.example",
            role=MembershipRole.MEMBER,
        ),
    )
    await _as(
        sessions,
        prefecture.owner,
        prefecture.row,
        lambda s, v: organizations.invite_member(
            s,
            v,
            organization_id=prefecture.row.id,
            email=firm_user.email,
            role=MembershipRole.VIEWER,
        ),
    )
    await _as(
        sessions,
        firm_b.owner,
        firm_b.row,
        lambda s, v: clients.create_api_client(
            s, v, organization_id=firm_b.row.id, name="dashboard", scopes=["projects:read"]
        ),
    )

    professional = await create_user(sessions, "pro@fuzz.example", "Pro")
    bob = await create_user(sessions, "bob@fuzz.example", "Bob")
    for user, name in ((professional, "Pro"), (bob, "Bob")):
        await _as(
            sessions,
            user,
            None,
            lambda s, v, name=name: talent.save_profile(s, v, values=profile_fields(name)),
        )
    needs = []
    for firm, title in ((firm_a, "財務の立て直し"), (firm_b, "観光DX")):
        need = await _as(
            sessions,
            firm.owner,
            firm.row,
            lambda s, v, title=title: talent.create_need(s, v, values=need_fields(title=title)),
        )
        await _as(
            sessions,
            firm.owner,
            firm.row,
            lambda s, v, need=need: talent.change_need_status(
                s, v, need_id=need.id, status=NeedStatus.OPEN
            ),
        )
        needs.append(need)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await proposals.recompute_for_need(session, Viewer.platform(), need_id=needs[0].id)
    await _as(sessions, bob, None, lambda s, v: lifecycle.apply_to_need(s, v, need_id=needs[1].id))

    async with unit_of_work(sessions, Viewer.platform()) as session:
        users = list(await session.scalars(select(User.id).order_by(User.id)))
    viewers = {
        PREFECTURE_ADMIN: FuzzViewer(
            PREFECTURE_ADMIN,
            token_for(tokens, prefecture_admin, prefecture.row),
            prefecture.row.id,
            prefecture_admin.id,
        ),
        FIRM_USER: FuzzViewer(
            FIRM_USER, token_for(tokens, firm_user, firm_a.row), firm_a.row.id, firm_user.id
        ),
        PROFESSIONAL: FuzzViewer(
            PROFESSIONAL, token_for(tokens, professional), None, professional.id
        ),
        ANONYMOUS: FuzzViewer(ANONYMOUS, None, None, None),
    }
    return FuzzWorld(
        viewers=viewers,
        organizations=[o.row.id for o in (prefecture, firm_a, secretariat, firm_b)],
        users=users,
        ids=await _ids_by_type(sessions),
    )
