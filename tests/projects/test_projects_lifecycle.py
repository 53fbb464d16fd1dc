"""Projects over GraphQL: who creates them and where, their description, their status."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from factories import graphql, token_for
from renkei.activity.models import Activity as ActivityRow
from renkei.db import unit_of_work
from renkei.graphql.relay import parse_global_id, to_global_id
from renkei.identity.scopes import ORGANIZATIONS_READ
from renkei.projects.models import ProjectStatus
from renkei.tenancy import MembershipRole, Viewer

CREATE_PROJECT = """
mutation CreateProject($input: CreateProjectInput!) {
  createProject(input: $input) {
    project {
      id name summary category status visibility version allowedTransitions startsOn endsOn
      prefectures { code name }
      lead { name }
      region { name }
      participants { nodes { role status organization { name } } }
      activity { nodes { action after } }
    }
    userErrors { field code message }
  }
}
"""

UPDATE_PROJECT = """
mutation UpdateProject($input: UpdateProjectInput!) {
  updateProject(input: $input) {
    project { name summary version prefectures { code } }
    userErrors { field code message }
  }
}
"""

CHANGE_STATUS = """
mutation ChangeProjectStatus($input: ChangeProjectStatusInput!) {
  changeProjectStatus(input: $input) {
    project { status version allowedTransitions }
    userErrors { field code message }
  }
}
"""

PROJECT = """
query Project($id: ID!) {
  project(id: $id) {
    name summary status version
    activity { nodes { action before after actingOrganization { name } } }
  }
}
"""

MY_PROJECTS = """
query MyProjects { projects { nodes { name } } }
"""


def row_id(global_id: str) -> uuid.UUID:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return uuid.UUID(parsed[1])


def gid(type_name: str, row: Any) -> str:
    return to_global_id(type_name, row.id)


def create_input(**fields: Any) -> dict[str, Any]:
    return {"input": {"name": "九州半導体人材育成", "category": "SEMICONDUCTOR", **fields}}


async def test_an_admin_creates_a_standalone_project_that_their_organization_leads(world):
    # given
    kumamoto = await world.party("熊本県", "43")
    token = await world.token(kumamoto, MembershipRole.ADMIN)
    # when
    data = await world.call(
        CREATE_PROJECT,
        create_input(
            summary="半導体工場の技術者を育てる",
            prefectureCodes=["４３", "40", "43"],
            startsOn="2025-04-01",
            endsOn="2030-03-31",
        ),
        token=token,
    )
    # then
    payload = data["createProject"]
    assert payload["userErrors"] == []
    project = payload["project"]
    assert {k: project[k] for k in ("name", "summary", "category", "status", "visibility")} == {
        "name": "九州半導体人材育成",
        "summary": "半導体工場の技術者を育てる",
        "category": "SEMICONDUCTOR",
        "status": "PLANNED",
        "visibility": "PARTICIPANTS",
    }
    assert project["version"] == 1
    assert project["allowedTransitions"] == ["ACTIVE", "CANCELLED"]
    assert (project["startsOn"], project["endsOn"]) == ("2025-04-01", "2030-03-31")
    assert project["prefectures"] == [
        {"code": "40", "name": "福岡県"},
        {"code": "43", "name": "熊本県"},
    ]
    assert project["lead"] == {"name": "熊本県"}
    assert project["region"] is None
    assert project["participants"]["nodes"] == [
        {"role": "LEAD", "status": "ACTIVE", "organization": {"name": "熊本県"}}
    ]
    [created] = project["activity"]["nodes"]
    assert created["action"] == "created"
    assert created["after"]["name"] == "九州半導体人材育成"
    assert created["after"]["status"] == "PLANNED"


async def test_a_project_in_a_region_covers_its_prefectures_and_shows_to_its_members(world):
    # given
    secretariat = await world.party("九州経済連合会")
    fukuoka = await world.party("福岡県", "40")
    region = await world.region(secretariat, fukuoka, prefectures=("40", "43", "44"))
    # when
    data = await world.call(
        CREATE_PROJECT,
        create_input(regionId=gid("Region", region)),
        token=await world.token(fukuoka),
    )
    # then
    project = data["createProject"]["project"]
    assert data["createProject"]["userErrors"] == []
    assert project["region"] == {"name": "九州広域リージョン"}
    assert project["visibility"] == "REGION"
    assert [p["code"] for p in project["prefectures"]] == ["40", "43", "44"]
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        entries = (
            await session.scalars(
                select(ActivityRow).where(ActivityRow.project_id == row_id(project["id"]))
            )
        ).all()
    assert sorted((e.subject_type.value, e.action, e.region_id) for e in entries) == [
        ("PARTICIPANT", "joined", region.id),
        ("PROJECT", "created", region.id),
    ]


REFUSED_CREATIONS = {
    "one prefecture alone": (
        {"prefectureCodes": ["40"]},
        {
            "field": "prefectureCodes",
            "code": "INVALID",
            "message": "a project outside a region spans at least two prefectures: "
            "add a prefecture or create it in a region",
        },
    ),
    "no prefecture alone": (
        {},
        {
            "field": "prefectureCodes",
            "code": "INVALID",
            "message": "a project outside a region spans at least two prefectures: "
            "add a prefecture or create it in a region",
        },
    ),
    "region visibility alone": (
        {"prefectureCodes": ["40", "43"], "visibility": "REGION"},
        {
            "field": "visibility",
            "code": "INVALID",
            "message": "only a project in a region can be shown to the region's members",
        },
    ),
    "unknown prefecture": (
        {"prefectureCodes": ["40", "48"]},
        {
            "field": "prefectureCodes",
            "code": "UNKNOWN_PREFECTURE",
            "message": 'unknown prefecture code "48": '
            "use a JIS X 0401 code from 01 (北海道) to 47 (沖縄県)",
        },
    ),
    "ends before it starts": (
        {"prefectureCodes": ["40", "43"], "startsOn": "2026-04-01", "endsOn": "2026-03-31"},
        {"field": "endsOn", "code": "INVALID", "message": "a project cannot end before it starts"},
    ),
    "empty name": (
        {"prefectureCodes": ["40", "43"], "name": "  "},
        {"field": "name", "code": "INVALID", "message": "a name of 1 to 200 characters is needed"},
    ),
}


@pytest.mark.parametrize("case", REFUSED_CREATIONS, ids=list(REFUSED_CREATIONS))
async def test_a_project_that_breaks_a_creation_rule_is_refused_and_not_created(world, case):
    # given
    fields, error = REFUSED_CREATIONS[case]
    kumamoto = await world.party("熊本県", "43")
    token = await world.token(kumamoto)
    # when
    data = await world.call(CREATE_PROJECT, create_input(**fields), token=token)
    # then
    assert data["createProject"] == {"project": None, "userErrors": [error]}
    assert (await world.call(MY_PROJECTS, token=token))["projects"]["nodes"] == []


async def test_a_project_in_a_region_stays_within_the_regions_prefectures(world):
    # given
    secretariat = await world.party("九州経済連合会")
    region = await world.region(secretariat, prefectures=("40", "43"))
    token = await world.token(secretariat)
    # when
    data = await world.call(
        CREATE_PROJECT,
        create_input(regionId=gid("Region", region), prefectureCodes=["43", "13", "27"]),
        token=token,
    )
    # then
    assert data["createProject"]["userErrors"] == [
        {
            "field": "prefectureCodes",
            "code": "INVALID",
            "message": "Tokyo (13) and Osaka (27) lie outside 九州広域リージョン: "
            "a project in a region covers some of the region's prefectures",
        }
    ]


async def test_only_active_members_of_a_region_create_projects_in_it(world):
    # given
    secretariat = await world.party("九州経済連合会")
    region = await world.region(secretariat)
    outsider = await world.party("広島県", "34")
    token = await world.token(outsider)
    # when
    data = await world.call(
        CREATE_PROJECT, create_input(regionId=gid("Region", region)), token=token
    )
    # then
    assert data["createProject"] == {
        "project": None,
        "userErrors": [
            {
                "field": "regionId",
                "code": "FORBIDDEN",
                "message": "only member organizations of 九州広域リージョン "
                "may create a project in it",
            }
        ],
    }
    assert (await world.call(MY_PROJECTS, token=token))["projects"]["nodes"] == []


@pytest.mark.parametrize("role", [MembershipRole.MEMBER, MembershipRole.VIEWER])
async def test_members_and_viewers_cannot_create_projects(world, role):
    # given
    kumamoto = await world.party("熊本県", "43")
    token = await world.token(kumamoto, role)
    # when
    data = await world.call(CREATE_PROJECT, create_input(prefectureCodes=["40", "43"]), token=token)
    # then
    assert data["createProject"]["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "only an organization's owners and admins may create a project for it",
        }
    ]


async def test_a_lead_admin_renames_a_project_and_the_change_is_recorded(world):
    # given
    kumamoto = await world.party("熊本県", "43")
    project = await world.project(kumamoto, summary="旧い要約")
    token = await world.token(kumamoto, MembershipRole.ADMIN)
    # when
    data = await world.call(
        UPDATE_PROJECT,
        {"input": {"id": gid("Project", project), "version": 1, "name": "九州半導体人材育成2.0"}},
        token=token,
    )
    # then
    assert data["updateProject"] == {
        "project": {
            "name": "九州半導体人材育成2.0",
            "summary": "旧い要約",
            "version": 2,
            "prefectures": [{"code": "40"}, {"code": "43"}],
        },
        "userErrors": [],
    }
    read = (await world.call(PROJECT, {"id": gid("Project", project)}, token=token))["project"]
    assert [a["action"] for a in read["activity"]["nodes"]] == ["created", "updated"]
    updated = read["activity"]["nodes"][1]
    assert updated["before"] == {"name": "九州半導体人材育成", "version": 1}
    assert updated["after"] == {"name": "九州半導体人材育成2.0", "version": 2}
    assert updated["actingOrganization"] == {"name": "熊本県"}


async def test_a_stale_version_conflicts_and_nothing_is_written(world):
    # given: two admins read version 1; the first one saves
    kumamoto = await world.party("熊本県", "43")
    project = await world.project(kumamoto)
    token = await world.token(kumamoto)
    first = {"input": {"id": gid("Project", project), "version": 1, "summary": "最初の変更"}}
    assert (await world.call(UPDATE_PROJECT, first, token=token))["updateProject"][
        "userErrors"
    ] == []
    # when: the second one saves over what they read
    second = {
        "input": {"id": gid("Project", project), "version": 1, "name": "上書き", "summary": "後"}
    }
    data = await world.call(UPDATE_PROJECT, second, token=token)
    status = await world.call(
        CHANGE_STATUS,
        {"input": {"id": gid("Project", project), "status": "ACTIVE", "version": 1}},
        token=token,
    )
    # then
    conflict = {
        "field": "version",
        "code": "CONFLICT",
        "message": "this project was changed since you read it (you read version 1, it is now "
        "at version 2): reload it and try again",
    }
    assert data["updateProject"] == {"project": None, "userErrors": [conflict]}
    assert status["changeProjectStatus"] == {"project": None, "userErrors": [conflict]}
    read = (await world.call(PROJECT, {"id": gid("Project", project)}, token=token))["project"]
    assert (read["name"], read["summary"], read["status"], read["version"]) == (
        "九州半導体人材育成",
        "最初の変更",
        "PLANNED",
        2,
    )
    assert [a["action"] for a in read["activity"]["nodes"]] == ["created", "updated"]


async def test_an_update_that_changes_nothing_keeps_the_version(world):
    # given
    kumamoto = await world.party("熊本県", "43")
    project = await world.project(kumamoto)
    token = await world.token(kumamoto)
    # when
    data = await world.call(
        UPDATE_PROJECT,
        {"input": {"id": gid("Project", project), "version": 1, "name": "九州半導体人材育成"}},
        token=token,
    )
    # then
    assert data["updateProject"]["project"]["version"] == 1
    read = (await world.call(PROJECT, {"id": gid("Project", project)}, token=token))["project"]
    assert [a["action"] for a in read["activity"]["nodes"]] == ["created"]


# How to bring a new (PLANNED) project to each status.
PATHS = {
    ProjectStatus.PLANNED: [],
    ProjectStatus.ACTIVE: [ProjectStatus.ACTIVE],
    ProjectStatus.ON_HOLD: [ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD],
    ProjectStatus.COMPLETED: [ProjectStatus.ACTIVE, ProjectStatus.COMPLETED],
    ProjectStatus.CANCELLED: [ProjectStatus.CANCELLED],
}
ALLOWED = {
    ("PLANNED", "ACTIVE"),
    ("PLANNED", "CANCELLED"),
    ("ACTIVE", "ON_HOLD"),
    ("ACTIVE", "COMPLETED"),
    ("ACTIVE", "CANCELLED"),
    ("ON_HOLD", "ACTIVE"),
    ("ON_HOLD", "CANCELLED"),
}
NEXT = {
    "PLANNED": ["ACTIVE", "CANCELLED"],
    "ACTIVE": ["ON_HOLD", "COMPLETED", "CANCELLED"],
    "ON_HOLD": ["ACTIVE", "CANCELLED"],
    "COMPLETED": [],
    "CANCELLED": [],
}
# What people read for each status (the codes stay what the API sends).
LABELS = {
    "PLANNED": '"planned"',
    "ACTIVE": '"active"',
    "ON_HOLD": '"on hold"',
    "COMPLETED": '"completed"',
    "CANCELLED": '"cancelled"',
}
REFUSALS = {
    "PLANNED": 'a project goes from "planned" to "active" or "cancelled", not to {to}',
    "ACTIVE": 'a project goes from "active" to "on hold", "completed", or "cancelled", not to {to}',
    "ON_HOLD": 'a project goes from "on hold" to "active" or "cancelled", not to {to}',
    "COMPLETED": 'the status "completed" is final: it no longer changes',
    "CANCELLED": 'the status "cancelled" is final: it no longer changes',
}
PAIRS = [(a.value, b.value) for a in ProjectStatus for b in ProjectStatus]


@pytest.mark.parametrize(("start", "to"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
async def test_a_project_takes_the_allowed_status_transitions_only(world, start, to):
    # given
    kumamoto = await world.party("熊本県", "43")
    project = await world.project(kumamoto)
    token = await world.token(kumamoto)
    for step in PATHS[ProjectStatus(start)]:
        moved = await world.call(
            CHANGE_STATUS, {"input": {"id": gid("Project", project), "status": step}}, token=token
        )
        assert moved["changeProjectStatus"]["userErrors"] == []
    version = 1 + len(PATHS[ProjectStatus(start)])
    # when
    data = await world.call(
        CHANGE_STATUS,
        {"input": {"id": gid("Project", project), "status": to, "version": version}},
        token=token,
    )
    # then
    read = (await world.call(PROJECT, {"id": gid("Project", project)}, token=token))["project"]
    if (start, to) in ALLOWED:
        assert data["changeProjectStatus"] == {
            "project": {"status": to, "version": version + 1, "allowedTransitions": NEXT[to]},
            "userErrors": [],
        }
        assert read["activity"]["nodes"][-1]["action"] == "status_changed"
        assert read["activity"]["nodes"][-1]["after"] == {"status": to, "version": version + 1}
    else:
        assert data["changeProjectStatus"] == {
            "project": None,
            "userErrors": [
                {
                    "field": "status",
                    "code": "INVALID",
                    "message": REFUSALS[start].format(to=LABELS[to]),
                }
            ],
        }
        assert (read["status"], read["version"]) == (start, version)


async def test_a_token_without_the_projects_scopes_neither_reads_nor_writes_projects(world):
    # given: a token that may read organizations only
    kumamoto = await world.party("熊本県", "43")
    await world.project(kumamoto)
    token = token_for(
        world.tokens, kumamoto.owner, kumamoto.organization, frozenset({ORGANIZATIONS_READ})
    )
    # when
    read = await graphql(world.client, MY_PROJECTS, token=token)
    written = await world.call(
        CREATE_PROJECT, create_input(prefectureCodes=["40", "43"]), token=token
    )
    # then
    assert read["data"] is None
    assert [(e["message"], e["extensions"]) for e in read["errors"]] == [
        (
            "this token lacks the projects:read scope",
            {"code": "INSUFFICIENT_SCOPE", "scope": "projects:read"},
        )
    ]
    assert written["createProject"] == {
        "project": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "this token lacks the projects:write scope",
            }
        ],
    }
    names = (await world.call(MY_PROJECTS, token=await world.token(kumamoto)))["projects"]
    assert names["nodes"] == [{"name": "九州半導体人材育成"}]
