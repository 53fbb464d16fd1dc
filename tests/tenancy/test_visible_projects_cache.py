"""renkei_project_ids() keeps its answer for the transaction, and forgets it on every change of
who takes part in what: a statement never sees with an older membership than the transaction's."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from factories import act_as, create_organization, create_user
from renkei.db import SessionFactory, unit_of_work
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone
from renkei.projects import service as projects
from renkei.projects.models import ProjectCategory, ProjectVisibility


async def test_joining_a_project_shows_its_milestones_in_the_same_transaction(
    sessions: SessionFactory,
) -> None:
    # given a participants-only project with a milestone, and an organization invited to it
    lead_owner = await create_user(sessions, "owner@lead-cache.example")
    lead = await create_organization(sessions, lead_owner, slug="lead-cache")
    partner_owner = await create_user(sessions, "owner@partner-cache.example")
    partner = await create_organization(
        sessions, partner_owner, slug="partner-cache", home_prefecture_code="43"
    )
    leader = await act_as(sessions, lead_owner, lead)
    async with unit_of_work(sessions, leader) as session:
        project = await projects.create_project(
            session,
            leader,
            name="水素サプライチェーン",
            category=ProjectCategory.GX_ENERGY,
            visibility=ProjectVisibility.PARTICIPANTS,
            prefecture_codes=["40", "43"],
        )
        await milestones.create_milestone(
            session,
            leader,
            project_id=project.id,
            title="実証開始",
            due_on=date(2027, 3, 31),
            horizon_years=1,
        )
        invitation = await projects.invite_participant(
            session, leader, project_id=project.id, organization_id=partner.id, role="PARTNER"
        )
    partner_viewer = await act_as(sessions, partner_owner, partner)
    count = select(func.count()).select_from(Milestone)
    async with unit_of_work(sessions, partner_viewer) as session:
        # when, in one transaction, the partner looks, accepts, and looks again
        before = await session.scalar(count)
        await projects.answer_participation(
            session, partner_viewer, participant_id=invitation.id, accept=True
        )
        after = await session.scalar(count)
        # then the second look sees the project's milestone
        assert (before, after) == (0, 1)
    async with unit_of_work(sessions, leader) as session:
        # and when the lead removes the partner, the partner no longer sees it
        await projects.remove_participant(session, leader, participant_id=invitation.id)
    async with unit_of_work(sessions, partner_viewer) as session:
        assert await session.scalar(count) == 0
