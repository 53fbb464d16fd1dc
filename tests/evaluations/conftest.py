"""Fixtures of the 効果検証 tests: the KPI tests' world of 九州."""

from __future__ import annotations

import pytest

from kpis.world import World, make_party, make_project, make_region
from renkei.db import SessionFactory
from renkei.projects.models import ProjectVisibility
from renkei.tenancy import MembershipRole


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
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
