"""A project's details copy the region it is open to (migration 0018): when the project stops
or starts being open to its region, what its region's members see of it follows at once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from factories import act_as, create_organization, create_user
from renkei.db import SessionFactory, unit_of_work
from renkei.kpis import service as kpis
from renkei.kpis.models import Kpi
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone
from renkei.projects import service as projects
from renkei.projects.models import ProjectCategory, ProjectVisibility
from renkei.regions import service as regions


async def test_a_region_member_sees_a_project_s_details_only_while_it_is_open_to_the_region(
    sessions: SessionFactory,
) -> None:
    # given a region whose secretariat leads a project open to the region, with a milestone
    # and a KPI, and a member organization that does not take part in the project
    secretariat_owner = await create_user(sessions, "owner@secretariat-copy.example")
    secretariat = await create_organization(sessions, secretariat_owner, slug="secretariat-copy")
    member_owner = await create_user(sessions, "owner@member-copy.example")
    member = await create_organization(
        sessions, member_owner, slug="member-copy", home_prefecture_code="43"
    )
    lead = await act_as(sessions, secretariat_owner, secretariat)
    async with unit_of_work(sessions, lead) as session:
        region = await regions.create_region(
            session,
            lead,
            slug="copy-kyushu",
            name="九州広域リージョン (複写)",
            prefecture_codes=["40", "43"],
            declaration_text="広域連携を宣言する",
            declared_on=date(2025, 10, 20),
        )
        invitation = await regions.invite_region_member(
            session, lead, region_id=region.id, organization_id=member.id
        )
    member_viewer = await act_as(sessions, member_owner, member)
    async with unit_of_work(sessions, member_viewer) as session:
        await regions.answer_region_invitation(
            session, member_viewer, region_member_id=invitation.id, accept=True
        )
    async with unit_of_work(sessions, lead) as session:
        project = await projects.create_project(
            session,
            lead,
            name="地域MaaS",
            category=ProjectCategory.GX_ENERGY,
            region_id=region.id,
            visibility=ProjectVisibility.REGION,
            prefecture_codes=["40", "43"],
        )
        await milestones.create_milestone(
            session,
            lead,
            project_id=project.id,
            title="実証開始",
            due_on=date(2027, 3, 31),
            horizon_years=1,
        )
        await kpis.create_kpi(
            session, lead, project_id=project.id, name="利用者数", unit="人", baseline_value=0
        )

    async def seen() -> tuple[int | None, int | None]:
        async with unit_of_work(sessions, member_viewer) as session:
            return (
                await session.scalar(select(func.count()).select_from(Milestone)),
                await session.scalar(select(func.count()).select_from(Kpi)),
            )

    async def make(visibility: ProjectVisibility, version: int) -> int:
        async with unit_of_work(sessions, lead) as session:
            changed = await projects.update_project(
                session, lead, project_id=project.id, version=version, visibility=visibility
            )
            return changed.version

    before = await seen()
    # when the lead makes the project participants-only
    version = await make(ProjectVisibility.PARTICIPANTS, project.version)
    # then the member no longer sees its milestone or KPI
    hidden = await seen()
    # and when the lead opens it to the region again, the member sees them again
    await make(ProjectVisibility.REGION, version)
    assert (before, hidden, await seen()) == ((1, 1), (0, 0), (1, 1))
