"""効果検証: a round freezes attainment, shows 産官学金労言 participation, and its improvements
become milestones; all through the services, as a secretariat would do it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kpis.world import World
from renkei.db import unit_of_work
from renkei.errors import Conflict, Forbidden, Invalid, NotFound
from renkei.evaluations import repository, service
from renkei.evaluations.models import FindingKind
from renkei.evaluations.participation import SectorCategory, participation
from renkei.kpis import goals
from renkei.kpis.models import KpiDirection
from renkei.milestones import repository as milestones
from renkei.organizations.models import OrganizationKind
from renkei.projects import service as projects
from renkei.projects.models import ParticipantRole
from renkei.tenancy import MembershipRole

D = Decimal


async def _round(world: World, *, held_on: date = date(2026, 7, 15)):
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        return await service.create_round(
            session,
            viewer,
            region_id=world.region.id,
            title="令和8年度 第1回 効果検証会議",
            held_on=held_on,
        )


async def test_a_recorded_round_keeps_its_figures_when_later_observations_come_in(world: World):
    # given a KPI from 100 toward 200 by FY2026, 150 observed for June 2026
    kpi = await world.kpi(region=world.region, baseline=100, targets={2026: 200})
    await world.observe(kpi, date(2026, 6, 1), date(2026, 6, 30), 150, party=world.regional)
    round_ = await _round(world)
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        await service.add_kpi_review(session, viewer, round_id=round_.id, kpi_id=kpi.id)
        await service.record_round(session, viewer, round_id=round_.id)
    # when a later observation (and a correction of June) comes in
    await world.observe(kpi, date(2026, 7, 1), date(2026, 7, 31), 190, party=world.regional)
    await world.observe(kpi, date(2026, 6, 1), date(2026, 6, 30), 180, party=world.regional)
    # then the round still reports 50 % from June's 150
    async with unit_of_work(world.sessions, viewer) as session:
        (review,) = await repository.kpi_reviews(session, [round_.id])
        with pytest.raises(Conflict):
            await service.add_kpi_review(session, viewer, round_id=round_.id, kpi_id=kpi.id)
    assert (review.latest, review.percent, review.target) == (D(150), D("50.0"), D(200))
    assert review.target_period == "FY2026"
    assert review.latest_period_end == date(2026, 6, 30)
    assert review.frozen_at is not None


async def test_observations_after_the_round_date_are_not_counted(world: World):
    # given an observation for August, after a round held in July
    kpi = await world.kpi(region=world.region, baseline=100, targets={2026: 200})
    await world.observe(kpi, date(2026, 5, 1), date(2026, 5, 31), 120, party=world.regional)
    await world.observe(kpi, date(2026, 8, 1), date(2026, 8, 31), 170, party=world.regional)
    round_ = await _round(world, held_on=date(2026, 7, 15))
    viewer = await world.viewer(world.secretariat)
    # when
    async with unit_of_work(world.sessions, viewer) as session:
        await service.add_kpi_review(session, viewer, round_id=round_.id, kpi_id=kpi.id)
        await service.publish_round(session, viewer, round_id=round_.id)
        (review,) = await repository.kpi_reviews(session, [round_.id])
        published = await repository.get(session, round_.id)
    # then May's value, and publishing recorded the round
    assert (review.latest, review.percent) == (D(120), D("20.0"))
    assert published is not None and published.recorded_at is not None
    assert published.published_at is not None


def test_organization_kinds_map_to_the_six_sectors_and_the_missing_are_named():
    # given a firm, a prefecture, a 広域連合, a 地方独立行政法人 and a bank
    kinds = [
        OrganizationKind.COMPANY,
        OrganizationKind.PREFECTURE,
        OrganizationKind.WIDE_AREA_UNION,
        OrganizationKind.LOCAL_INCORPORATED_AGENCY,
        OrganizationKind.FINANCIAL_INSTITUTION,
        OrganizationKind.NPO,
    ]
    # when
    result = participation(kinds)
    # then 労 and 言 are missing; the NPO counts as other
    assert result.counts[SectorCategory.GOVERNMENT] == 2
    assert result.missing == [SectorCategory.LABOR, SectorCategory.MEDIA]
    assert SectorCategory.OTHER in result.present
    assert not result.complete
    full = participation([*kinds, OrganizationKind.LABOR_ORGANIZATION, OrganizationKind.MEDIA])
    assert full.complete


async def test_participants_are_kept_with_their_kind(world: World):
    round_ = await _round(world)
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        for party in (world.lead, world.partner, world.regional):
            await service.add_participant(
                session, viewer, round_id=round_.id, organization_id=party.id
            )
        # adding one twice keeps one row
        await service.add_participant(
            session, viewer, round_id=round_.id, organization_id=world.lead.id
        )
        rows = await repository.participants(session, [round_.id])
    assert [r.organization_name for r in rows] == ["kumamoto-u", "tosu-fab", "fukuoka-pref"]


async def test_an_improvement_becomes_a_milestone_of_the_chosen_project(world: World):
    # given the secretariat takes part in the region's project
    creator = await world.viewer(world.lead)
    async with unit_of_work(world.sessions, creator) as session:
        invitation = await projects.invite_participant(
            session,
            creator,
            project_id=world.project.id,
            organization_id=world.secretariat.id,
            role=ParticipantRole.PARTNER,
        )
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        await projects.answer_participation(
            session, viewer, participant_id=invitation.id, accept=True
        )
    round_ = await _round(world)
    # when the round decides an improvement owned by the lead, due in March 2027
    async with unit_of_work(world.sessions, viewer) as session:
        finding = await service.add_finding(
            session,
            viewer,
            round_id=round_.id,
            kind=FindingKind.IMPROVEMENT,
            body="企業向け説明会を県ごとに年2回開催する",
            owner_organization_id=world.lead.id,
            due_on=date(2027, 3, 31),
            project_id=world.project.id,
        )
        milestone = await milestones.get(session, finding.milestone_id)
    # then the project has the milestone, owned by the lead, due that day
    assert milestone is not None
    assert milestone.project_id == world.project.id
    assert milestone.title == "企業向け説明会を県ごとに年2回開催する"
    assert (milestone.owner_organization_id, milestone.due_on) == (world.lead.id, date(2027, 3, 31))
    assert milestone.horizon_years == 1


async def test_an_improvement_needs_an_owner_a_due_date_and_a_project(world: World):
    round_ = await _round(world)
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        with pytest.raises(Invalid) as no_owner:
            await service.add_finding(
                session, viewer, round_id=round_.id, kind=FindingKind.IMPROVEMENT, body="x"
            )
        with pytest.raises(Invalid) as no_project:
            await service.add_finding(
                session,
                viewer,
                round_id=round_.id,
                kind=FindingKind.IMPROVEMENT,
                body="x",
                owner_organization_id=world.lead.id,
                due_on=date(2027, 3, 31),
            )
    assert no_owner.value.field == "ownerId"
    assert no_project.value.field == "projectId"


async def test_only_the_secretariats_admins_run_a_regions_round(world: World):
    member = await world.viewer(world.lead)
    async with unit_of_work(world.sessions, member) as session:
        with pytest.raises(Forbidden):
            await service.create_round(
                session, member, region_id=world.region.id, title="t", held_on=date(2026, 7, 1)
            )


async def test_calendar_year_targets_are_chosen_by_their_deadline(world: World):
    # given a FY2025 target (deadline 2026-03-31) and a 2025年 target (deadline 2025-12-31)
    kpi = await world.kpi(region=world.region, baseline=100, targets={2025: 300})
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        await goals.set_calendar_target(session, viewer, kpi_id=kpi.id, year=2025, value=200)
        await goals.set_calendar_target(session, viewer, kpi_id=kpi.id, year=2030, value=500)
    await world.observe(kpi, date(2025, 10, 1), date(2025, 10, 31), 150, party=world.regional)
    await world.observe(kpi, date(2026, 2, 1), date(2026, 2, 28), 250, party=world.regional)
    # when attainment is read in November 2025 and in March 2026
    async with unit_of_work(world.sessions, viewer) as session:
        november = await goals.kpi_at_date(session, kpi, date(2025, 11, 15))
        march = await goals.kpi_at_date(session, kpi, date(2026, 3, 15))
    # then the calendar year's target first, then the fiscal year's
    assert november.target is not None and november.target.period == "CY2025"
    assert november.percent == D("50.0")
    assert march.target is not None and march.target.period == "FY2025"
    assert march.percent == D("75.0")
    calendar_only = goals.at_date(
        direction=KpiDirection.INCREASE,
        baseline=D(100),
        targets=goals.dated_targets({}, {2030: D(500)}),
        latest=None,
    )
    assert calendar_only.reason_code == "NO_OBSERVATION"


async def test_a_relative_target_is_met_at_the_reference_level(world: World):
    # given "at least the 東京圏 level" of 3.2 %, observed 2.9 % then 3.3 %
    kpi = await world.kpi(region=world.region, name="開業率", unit="%", baseline=D("2.5"))
    viewer = await world.viewer(world.secretariat)
    async with unit_of_work(world.sessions, viewer) as session:
        await goals.set_relative_target(
            session,
            viewer,
            kpi_id=kpi.id,
            reference_name="東京圏の水準",
            reference_value=D("3.2"),
            description="東京圏の開業率以上",
        )
        with pytest.raises(Invalid):
            await goals.set_relative_target(
                session, viewer, kpi_id=kpi.id, reference_name="x", reference_value=1, factor=0
            )
    await world.observe(kpi, date(2026, 4, 1), date(2026, 4, 30), D("2.9"), party=world.regional)
    async with unit_of_work(world.sessions, viewer) as session:
        before = await goals.kpi_at_date(session, kpi, date(2026, 5, 1))
    await world.observe(kpi, date(2026, 5, 1), date(2026, 5, 31), D("3.3"), party=world.regional)
    async with unit_of_work(world.sessions, viewer) as session:
        after = await goals.kpi_at_date(session, kpi, date(2026, 6, 1))
    # then
    assert (before.relative_value, before.relative_achieved) == (D("3.2"), False)
    assert after.relative_achieved is True


async def test_a_member_not_admin_cannot_set_calendar_targets(world: World):
    kpi = await world.kpi(baseline=100)
    partner = await world.viewer(world.partner, MembershipRole.MEMBER)
    async with unit_of_work(world.sessions, partner) as session:
        with pytest.raises(Forbidden):
            await goals.set_calendar_target(session, partner, kpi_id=kpi.id, year=2030, value=1)


async def test_a_projects_round_reviews_its_own_kpis_and_plans_into_its_own_project(world: World):
    # given the lead's round of its project, a KPI of the project and one of the region
    own = await world.kpi(baseline=10, targets={2026: 20})
    other = await world.kpi(region=world.region, name="域内の製造品出荷額", baseline=1)
    lead = await world.viewer(world.lead)
    async with unit_of_work(world.sessions, lead) as session:
        found = await service.create_round(
            session, lead, project_id=world.project.id, title="第1回", held_on=date(2026, 7, 1)
        )
        await service.add_kpi_review(session, lead, round_id=found.id, kpi_id=own.id)
        # when it adds the region's KPI, then that is not one of the project's
        with pytest.raises(NotFound):
            await service.add_kpi_review(session, lead, round_id=found.id, kpi_id=other.id)
        # and an improvement joins the project's own plan, no project named
        improvement = await service.add_finding(
            session,
            lead,
            round_id=found.id,
            kind=FindingKind.IMPROVEMENT,
            body="研修の受講枠を増やす",
            owner_organization_id=world.partner.id,
            due_on=date(2029, 3, 31),
        )
        milestone = await milestones.get(session, improvement.milestone_id)
    assert found.subject_name == "九州半導体人材育成コンソーシアム"
    assert milestone is not None and milestone.project_id == world.project.id
    assert milestone.horizon_years == 3
