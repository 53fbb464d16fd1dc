"""The viewer, node lookups, reference geography and activity: compiled as the resolvers answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import CommittedDatabase
from factories import create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.compiled import direct
from renkei.graphql.relay import to_global_id
from renkei.identity import service as identity
from renkei.identity.scopes import ALL_SCOPES, ORGANIZATIONS_READ, PROJECTS_READ
from renkei.identity.tokens import TokenService
from renkei.organizations import service as organizations
from renkei.organizations.models import Invitation, Organization
from renkei.tenancy import MembershipRole, Viewer

VIEWER = """
query Me {
  viewer {
    __typename role scopes
    user { id email displayName memberships { nodes { role organization { name } } } }
    actingOrganization { id name }
    invitations { id email role status organization { name } }
  }
}
"""

FIELDS = """
  __typename id
  ... on Organization { name slug homePrefecture { code } }
  ... on Membership { role }
  ... on User { email }
  ... on Invitation { email status }
  ... on Prefecture { name planningBloc { code } }
"""
NODE = "query Node($id: ID!) { node(id: $id) {" + FIELDS + "} }"
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) {" + FIELDS + "} }"

GEOGRAPHY = """
query Geography($bloc: String, $code: String!) {
  all: prefectures { id code name nameKana nameRomaji planningBloc { code } }
  bloc: prefectures(planningBloc: $bloc) { code name }
  prefecture(code: $code) { id name planningBloc { code name nameRomaji } }
  planningBlocs { code name nameRomaji prefectures { code } }
}
"""

CREATE_REGION = """
mutation CreateRegion($input: CreateRegionInput!) {
  createRegion(input: $input) {
    region { activity { nodes { id } } }
    userErrors { field code message }
  }
}
"""
ACTIVITY = """
query Activity($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Activity {
      id subjectType action summary before after createdAt
      actor { email } actingOrganization { name }
    }
  }
}
"""


@dataclass
class World:
    owner_token: str
    organization: Organization
    other: Organization
    hidden_invitation: Invitation


async def _invite(
    sessions: SessionFactory, organization: Organization, inviter: uuid.UUID, email: str
) -> Invitation:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        viewer = await identity.viewer_for(
            session, inviter, organization_id=organization.id, scopes=ALL_SCOPES
        )
        return await organizations.invite_member(
            session, viewer, organization_id=organization.id, email=email, role=MembershipRole.ADMIN
        )


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> World:
    """The owner of 岐阜ラボ, invited to 大分ラボ; 大分ラボ also invited someone else."""
    owner = await create_user(sessions, "owner@gifu.example", "岐阜 太郎")
    organization = await create_organization(sessions, owner, slug="gifu-lab", name="岐阜ラボ")
    stranger = await create_user(sessions, "owner@oita.example")
    other = await create_organization(
        sessions, stranger, slug="oita-lab", name="大分ラボ", home_prefecture_code="44"
    )
    await _invite(sessions, other, stranger.id, "owner@gifu.example")
    hidden = await _invite(sessions, other, stranger.id, "someone@oita.example")
    return World(token_for(tokens, owner, organization), organization, other, hidden)


async def test_the_viewer_compiled_answers_as_the_resolvers(
    compiled_and_resolved, world: World, sessions: SessionFactory, tokens: TokenService
) -> None:
    # when the owner asks who they are, acting for their organization
    data = (await compiled_and_resolved(VIEWER, token=world.owner_token))["data"]
    # then
    viewer = data["viewer"]
    assert viewer["role"] == "OWNER"
    assert viewer["actingOrganization"]["name"] == "岐阜ラボ"
    assert [i["organization"]["name"] for i in viewer["invitations"]] == ["大分ラボ"]
    assert viewer["user"]["displayName"] == "岐阜 太郎"


async def test_the_viewer_acting_for_no_one_and_anonymous(
    compiled_and_resolved, world: World, sessions: SessionFactory, tokens: TokenService
) -> None:
    # given the owner's token for no organization
    owner = await create_user(sessions, "owner@gifu.example")
    token = token_for(tokens, owner)
    # when
    acting_for_none = (await compiled_and_resolved(VIEWER, token=token))["data"]["viewer"]
    anonymous = (await compiled_and_resolved(VIEWER))["data"]
    # then
    assert (acting_for_none["role"], acting_for_none["actingOrganization"]) == (None, None)
    assert anonymous == {"viewer": None}


async def test_a_shared_plan_answers_each_token_its_own_scopes(
    client, world: World, sessions: SessionFactory, tokens: TokenService
) -> None:
    """Plans are cached by query text and variables: the scopes are the request's, never the
    first asker's."""
    # given one user's two tokens, one narrowed to reading organizations and projects
    owner = await create_user(sessions, "owner@gifu.example")
    narrow = frozenset({ORGANIZATIONS_READ, PROJECTS_READ})
    # when both ask the same query, twice each
    answers = [
        (await graphql(client, VIEWER, token=token))["data"]["viewer"]
        for token in (world.owner_token, token_for(tokens, owner, scopes=narrow)) * 2
    ]
    # then each answer has its own token's scopes
    everything, only_reads = answers[0]["scopes"], answers[1]["scopes"]
    assert only_reads == sorted(narrow)
    assert len(everything) > len(only_reads)
    assert [a["scopes"] for a in answers] == [everything, only_reads] * 2
    assert answers[0]["role"] == "OWNER" and answers[1]["role"] is None


async def test_node_and_nodes_compiled_answer_null_where_the_resolvers_do(
    compiled_and_resolved, world: World
) -> None:
    # given ids of every kind: seen, hidden by another tenant, malformed, of unknown types
    own = to_global_id("Organization", world.organization.id)
    other = to_global_id("Organization", world.other.id)
    hidden = to_global_id("Invitation", world.hidden_invitation.id)
    nobody = to_global_id("User", uuid.uuid4())
    malformed = ["not an id", to_global_id("User", "not-a-uuid"), "", "T3JnYW5pemF0aW9u"]
    unknown = [
        to_global_id("Nothing", uuid.uuid4()),
        to_global_id("IdentityProvider", uuid.uuid4()),
    ]
    prefectures = [to_global_id("Prefecture", "21"), to_global_id("Prefecture", "99")]
    ids = [own, other, hidden, nobody, *malformed, *unknown, *prefectures, own]
    # when each is asked alone and all together
    for global_id in ids:
        await compiled_and_resolved(NODE, {"id": global_id}, token=world.owner_token)
    data = (await compiled_and_resolved(NODES, {"ids": ids}, token=world.owner_token))["data"]
    # then another tenant's invitation, unknown and malformed ids are null, as the resolver says
    names = [n and (n.get("name") or n.get("email") or n["id"]) for n in data["nodes"]]
    assert names == ["岐阜ラボ", "大分ラボ"] + [None] * 8 + ["岐阜県", None, "岐阜ラボ"]


async def test_a_node_of_a_type_the_token_may_not_read_is_refused_as_by_the_resolvers(
    client, resolvers_only, world: World, sessions: SessionFactory, tokens: TokenService
) -> None:
    # given a token that reads projects only
    owner = await create_user(sessions, "owner@gifu.example")
    token = token_for(tokens, owner, world.organization, frozenset({PROJECTS_READ}))
    ids = [to_global_id("Prefecture", "21"), to_global_id("Organization", world.other.id)]
    # when
    compiled = await graphql(client, NODES, {"ids": ids}, token=token)
    resolved = await graphql(resolvers_only, NODES, {"ids": ids}, token=token)
    # then the whole lookup is refused, whichever path answers
    assert compiled == resolved
    assert compiled["errors"][0]["extensions"]["code"] == "INSUFFICIENT_SCOPE"


@pytest.mark.parametrize(
    ("bloc", "code"), [("KYUSHU", "40"), ("SHUTOKEN", " 1"), (None, "99"), ("NOWHERE", "47 ")]
)
async def test_prefectures_and_planning_blocs_compiled(
    compiled_and_resolved, world: World, bloc: str | None, code: str
) -> None:
    # when reference data is asked, signed in and anonymous
    variables = {"bloc": bloc, "code": code}
    data = (await compiled_and_resolved(GEOGRAPHY, variables, token=world.owner_token))["data"]
    await compiled_and_resolved(GEOGRAPHY, variables)
    # then
    assert len(data["all"]) == 47
    assert [b["code"] for b in data["planningBlocs"]][:2] == ["TOHOKU", "SHUTOKEN"]


async def test_activity_compiled_with_its_actor_and_organization(
    client, compiled_and_resolved, world: World
) -> None:
    # given a region founded by the owner, which records its activity
    created = await graphql(
        client,
        CREATE_REGION,
        {
            "input": {
                "slug": "tokai",
                "name": "東海地域連携会議",
                "prefectureCodes": ["21", "22", "23", "24"],
                "declarationText": "東海の広域連携を宣言する",
                "declaredOn": "2025-10-20",
            }
        },
        token=world.owner_token,
    )
    assert created["data"]["createRegion"]["userErrors"] == []
    ids = [a["id"] for a in created["data"]["createRegion"]["region"]["activity"]["nodes"]]
    # when its entries are read by id
    data = (await compiled_and_resolved(ACTIVITY, {"ids": ids}, token=world.owner_token))["data"]
    # then they carry what changed, by whom, for which organization
    first = data["nodes"][0]
    assert first["action"] == "created"
    assert first["after"]["name"] == "東海地域連携会議"
    assert first["actor"] == {"email": "owner@gifu.example"}
    assert first["actingOrganization"] == {"name": "岐阜ラボ"}
    assert first["summary"] == "広域リージョン: 作成"


async def test_activity_summaries_are_in_the_readers_language_compiled_or_not(
    client, resolvers_only, world: World
) -> None:
    # given a region's creation and its first change, recorded as activity
    created = await graphql(
        client,
        CREATE_REGION,
        {
            "input": {
                "slug": "hokuriku",
                "name": "北陸連携会議",
                "prefectureCodes": ["16", "17", "18"],
                "declarationText": "北陸の広域連携を宣言する",
                "declaredOn": "2025-11-01",
            }
        },
        token=world.owner_token,
    )
    ids = [a["id"] for a in created["data"]["createRegion"]["region"]["activity"]["nodes"]]
    query = "query S($ids: [ID!]!) { nodes(ids: $ids) { ... on Activity { summary } } }"
    # when they are read in Japanese and in English, compiled and through the resolvers
    answers = {
        (language, path): (
            await graphql(http, query, {"ids": ids}, token=world.owner_token, language=language)
        )["data"]["nodes"][0]["summary"]
        for language in ("ja", "en")
        for path, http in (("compiled", client), ("resolvers", resolvers_only))
    }
    # then each reader reads their own language, whichever path answered
    assert answers == {
        ("ja", "compiled"): "広域リージョン: 作成",
        ("ja", "resolvers"): "広域リージョン: 作成",
        ("en", "compiled"): "region: created",
        ("en", "resolvers"): "region: created",
    }


async def test_a_repeated_viewer_query_in_one_exchange_answers_each_token_its_scopes(
    committed: CommittedDatabase, tokens: TokenService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipelined path (renkei.graphql.compiled.direct) binds the scopes of its own token."""
    # given one user's wide and narrow tokens
    owner = await create_user(committed.sessions, "owner@direct-viewer.example")
    organization = await create_organization(committed.sessions, owner, slug="direct-viewer")
    wide = token_for(tokens, owner, organization)
    narrow = token_for(tokens, owner, organization, frozenset({ORGANIZATIONS_READ}))
    exchanges = []
    answer = direct.answer

    async def counted(*args: Any, **kwargs: Any) -> direct.Answer:
        exchanges.append(args)
        return await answer(*args, **kwargs)

    monkeypatch.setattr(direct, "answer", counted)
    # when each asks the same query, again and again
    answers = [
        (await graphql(committed.client, VIEWER, token=token))["data"]["viewer"]
        for token in (wide, narrow, wide, narrow, narrow)
    ]
    # then the repeats were answered in one exchange, each with its own token's scopes
    assert len(exchanges) >= 3
    assert [a["scopes"] for a in answers] == [
        sorted(ALL_SCOPES),
        [ORGANIZATIONS_READ],
        sorted(ALL_SCOPES),
        [ORGANIZATIONS_READ],
        [ORGANIZATIONS_READ],
    ]
    assert {a["role"] for a in answers} == {"OWNER"}
