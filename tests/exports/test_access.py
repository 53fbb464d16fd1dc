"""Who may download what: sign-in as for /graphql, projects:read, and nothing about hidden rows."""

from __future__ import annotations

import uuid

import pytest

from clients.machine import access_token, create_client
from exports.world import World
from factories import token_for
from kpis.world import make_project
from renkei.graphql.relay import to_global_id
from renkei.identity.scopes import KPI_WRITE, PROJECTS_READ
from renkei.projects.models import ProjectVisibility
from renkei.tenancy import MembershipRole

FILES = ("roadmap.svg", "roadmap.ics", "milestones.csv", "kpis.csv", "kpis.xlsx")
ENGLISH = {"Accept-Language": "en"}


def errors(message: str, code: str) -> dict[str, list[dict[str, object]]]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


@pytest.mark.parametrize("file", FILES)
async def test_an_outsider_gets_404_for_a_project_it_cannot_see_as_for_one_that_does_not_exist(
    world: World, file: str
) -> None:
    # given 東京商事 takes no part in the PARTICIPANTS project, nor in the region
    hidden = await world.get(world.project_path(world.power_rnd, file), world.outsider)
    missing = await world.get(
        f"/exports/projects/{to_global_id('Project', uuid.uuid4())}/{file}", world.outsider
    )
    # then both answers are the same 404, which says nothing of the hidden project
    assert hidden.status_code == missing.status_code == 404
    assert (
        hidden.json() == missing.json() == errors("該当するプロジェクトはありません。", "NOT_FOUND")
    )
    assert hidden.headers["content-language"] == "ja"
    # and a member of the region that is not a participant gets the same
    regional = await world.get(world.project_path(world.power_rnd, file), world.regional)
    assert regional.status_code == 404
    # in English for a reader who asks for it
    english = await world.get(world.project_path(world.power_rnd, file), world.outsider, ENGLISH)
    assert english.json() == errors("No such project.", "NOT_FOUND")


async def test_a_public_summary_does_not_open_the_roadmap(world: World) -> None:
    # given a PUBLIC project: everyone signed in reads its summary, only its people its plans
    project = await make_project(
        world.sessions,
        world.lead,
        [],
        name="九州周遊観光ルート",
        region=world.region,
        visibility=ProjectVisibility.PUBLIC,
    )
    response = await world.get(world.project_path(project, "roadmap.svg"), world.outsider)
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert response.json()["errors"][0]["message"] == (
        "貴団体に公開されているのは、このプロジェクトの概要だけです。"
        "工程表とKPIは、プロジェクトの参加団体と広域リージョンの構成団体が閲覧できます。"
    )
    english = await world.get(world.project_path(project, "roadmap.svg"), world.outsider, ENGLISH)
    assert "public summary" in english.json()["errors"][0]["message"]
    # while a member of its region sees it
    member = await world.get(world.project_path(project, "roadmap.svg"), world.regional)
    assert member.status_code == 200


@pytest.mark.parametrize("file", FILES)
async def test_without_credentials_the_answer_is_401(world: World, file: str) -> None:
    response = await world.get(world.project_path(world.supply_chain, file))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == errors(
        "サインインしてください。Authorization: Bearer <token> ヘッダーを送信してください。",
        "UNAUTHENTICATED",
    )
    region = await world.get(world.region_path(file), headers=ENGLISH)
    assert region.status_code == 401
    assert region.json() == errors(
        "Sign in first: send an Authorization: Bearer <token> header.", "UNAUTHENTICATED"
    )


async def test_a_bad_token_is_401(world: World) -> None:
    path = world.project_path(world.supply_chain, "roadmap.svg")
    garbled = await world.get(path, headers={"Authorization": "Bearer not-a-jwt"})
    assert garbled.status_code == 401
    assert garbled.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    basic = await world.get(path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    # a token in the URL is not looked at: such URLs end up in logs
    token = world.token(world.lead)
    in_url = await world.client.get(f"{path}?access_token={token}")
    assert in_url.status_code == 401


async def test_a_client_token_without_projects_read_is_403(world: World) -> None:
    # given an API client of the lead organization that may only report KPI values
    issued = await create_client(
        world.sessions,
        scopes=frozenset({KPI_WRITE}),
        organization=world.lead.organization,
        owner=world.lead.people[MembershipRole.OWNER],
    )
    token = await access_token(world.client, issued)
    path = world.project_path(world.supply_chain, "milestones.csv")
    # when it asks for an export
    response = await world.get(path, headers={"Authorization": f"Bearer {token}"})
    # then it is refused for its scope, and told which one
    assert response.status_code == 403
    assert response.json() == errors(
        "このトークンには projects:read スコープがありません。"
        "トークンを要求するときに指定してください。",
        "INSUFFICIENT_SCOPE",
    )
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="projects:read"'
    )
    # and a person's token narrowed the same way is refused the same way
    narrowed = token_for(
        world.tokens,
        world.lead.people[MembershipRole.OWNER],
        world.lead.organization,
        scopes=frozenset({KPI_WRITE}),
    )
    person = await world.get(path, headers={"Authorization": f"Bearer {narrowed}"})
    assert person.status_code == 403


async def test_a_client_token_with_projects_read_downloads_its_organizations_projects(
    world: World,
) -> None:
    issued = await create_client(
        world.sessions,
        scopes=frozenset({PROJECTS_READ}),
        organization=world.lead.organization,
        owner=world.lead.people[MembershipRole.OWNER],
    )
    token = await access_token(world.client, issued)
    response = await world.get(
        world.project_path(world.power_rnd, "milestones.csv"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert "共同研究契約の締結" in response.content.decode("utf-8-sig")


@pytest.mark.parametrize(
    "path", ["/exports/projects/not-an-id/roadmap.svg", "/exports/projects/{region_id}/roadmap.svg"]
)
async def test_a_malformed_project_id_is_400(world: World, path: str) -> None:
    path = path.format(region_id=to_global_id("Region", world.region.id))
    response = await world.get(path, world.lead, ENGLISH)
    assert response.status_code == 400
    # the words are renkei.graphql.relay's, as for /graphql
    assert response.json()["errors"][0]["message"].lower().startswith("not an id of type project")


@pytest.mark.parametrize(
    "path", ["/exports/regions/{project_id}/kpis.csv", "/exports/regions/Not%20A%20Slug/kpis.csv"]
)
async def test_a_malformed_region_id_is_400(world: World, path: str) -> None:
    path = path.format(project_id=to_global_id("Project", world.supply_chain.id))
    response = await world.get(path, world.lead)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "広域リージョン（Region）のIDでも、広域リージョンのスラッグでもありません。"
    )
    english = await world.get(path, world.lead, ENGLISH)
    assert english.json()["errors"][0]["message"] == (
        "Not an id of type Region, nor a region's slug."
    )


async def test_an_unknown_region_is_404(world: World) -> None:
    for key in ("kanto", to_global_id("Region", uuid.uuid4())):
        response = await world.get(f"/exports/regions/{key}/roadmap.svg", world.lead)
        assert response.status_code == 404
        assert response.json() == errors("該当する広域リージョンはありません。", "NOT_FOUND")


async def test_an_unknown_file_is_404(world: World) -> None:
    response = await world.get(world.project_path(world.supply_chain, "roadmap.pdf"), world.lead)
    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == (
        "そのような出力ファイルはありません。"
        "roadmap.svg, roadmap.ics, milestones.csv, kpis.csv, kpis.xlsx"
        " のいずれかを指定してください。"
    )
