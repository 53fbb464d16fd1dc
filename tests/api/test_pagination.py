"""Keyset pagination of connections: forward with first/after, backward with last/before."""

from __future__ import annotations

import pytest

from factories import add_member, create_organization, create_user, graphql, token_for

# The messages asserted here are the English ones (Accept-Language: en).
pytestmark = pytest.mark.usefixtures("in_english")

NAMES = [
    "Aomori Lab",
    "Beppu Works",
    "Chiba Bank",
    "Dazaifu City",
    "Ebina Press",
    "Fukui U",
    "Gifu Pref",
]

FORWARD = """
query Forward($first: Int!, $after: String) {
  organizations(first: $first, after: $after) {
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
BACKWARD = """
query Backward($last: Int!, $before: String) {
  organizations(last: $last, before: $before) {
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
EDGES_AND_NODES = """
query EdgesAndNodes($first: Int, $last: Int) {
  organizations(first: $first, last: $last) {
    edges { node { id name slug } }
    nodes { id name slug }
  }
}
"""
MEMBERS = """
query Members($slug: String!, $after: String) {
  organization(slug: $slug) {
    members(first: 2, after: $after) {
      edges { node { user { email } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


@pytest.fixture
async def token(sessions, tokens):
    """A signed-in viewer (anonymous viewers see no organization) and seven organizations."""
    owner = await create_user(sessions, "owner@renkei.example")
    # Created out of order: the connection sorts by name, not by creation.
    for name in reversed(NAMES):
        await create_organization(sessions, owner, slug=name.lower().replace(" ", "-"), name=name)
    return token_for(tokens, owner)


def page(body):
    connection = body["data"]["organizations"]
    names = [edge["node"]["name"] for edge in connection["edges"]]
    info = connection["pageInfo"]
    cursors = [edge["cursor"] for edge in connection["edges"]]
    # The page's ends are its first and last edges.
    assert info["startCursor"] == (cursors[0] if cursors else None)
    assert info["endCursor"] == (cursors[-1] if cursors else None)
    return names, info["hasPreviousPage"], info["hasNextPage"]


async def test_walking_forward(client, token):
    # when
    first = await graphql(client, FORWARD, {"first": 3}, token=token)
    end = first["data"]["organizations"]["pageInfo"]["endCursor"]
    second = await graphql(client, FORWARD, {"first": 3, "after": end}, token=token)
    end = second["data"]["organizations"]["pageInfo"]["endCursor"]
    third = await graphql(client, FORWARD, {"first": 3, "after": end}, token=token)
    # then: (names, hasPreviousPage, hasNextPage)
    assert page(first) == (["Aomori Lab", "Beppu Works", "Chiba Bank"], False, True)
    assert page(second) == (["Dazaifu City", "Ebina Press", "Fukui U"], True, True)
    assert page(third) == (["Gifu Pref"], True, False)


async def test_walking_backward(client, token):
    # when
    last = await graphql(client, BACKWARD, {"last": 3}, token=token)
    start = last["data"]["organizations"]["pageInfo"]["startCursor"]
    middle = await graphql(client, BACKWARD, {"last": 3, "before": start}, token=token)
    start = middle["data"]["organizations"]["pageInfo"]["startCursor"]
    first = await graphql(client, BACKWARD, {"last": 3, "before": start}, token=token)
    # then: (names, hasPreviousPage, hasNextPage), each page still in name order
    assert page(last) == (["Ebina Press", "Fukui U", "Gifu Pref"], True, False)
    assert page(middle) == (["Beppu Works", "Chiba Bank", "Dazaifu City"], True, True)
    assert page(first) == (["Aomori Lab"], False, True)


async def test_a_page_that_ends_exactly_at_the_end(client, token):
    # when
    body = await graphql(client, FORWARD, {"first": 7}, token=token)
    # then
    assert page(body) == (NAMES, False, False)


async def test_past_the_last_item_is_an_empty_page(client, token):
    # given
    last = await graphql(client, BACKWARD, {"last": 1}, token=token)
    end = last["data"]["organizations"]["pageInfo"]["endCursor"]
    # when
    body = await graphql(client, FORWARD, {"first": 3, "after": end}, token=token)
    # then
    assert page(body) == ([], True, False)


async def test_before_the_first_item_is_an_empty_page(client, token):
    # given
    first = await graphql(client, FORWARD, {"first": 1}, token=token)
    start = first["data"]["organizations"]["pageInfo"]["startCursor"]
    # when
    body = await graphql(client, BACKWARD, {"last": 3, "before": start}, token=token)
    # then
    assert page(body) == ([], False, True)


async def test_cursors_go_back_and_forth(client, token):
    # given: the second forward page
    first = await graphql(client, FORWARD, {"first": 3}, token=token)
    end = first["data"]["organizations"]["pageInfo"]["endCursor"]
    second = await graphql(client, FORWARD, {"first": 3, "after": end}, token=token)
    start = second["data"]["organizations"]["pageInfo"]["startCursor"]
    # when: back from its start
    back = await graphql(client, BACKWARD, {"last": 3, "before": start}, token=token)
    # then
    assert back["data"]["organizations"]["edges"] == first["data"]["organizations"]["edges"]


GARBAGE = {
    "not base64": "garbage",
    "not ASCII": "é",
    "a list of one value": "WyJvbmx5IG9uZSJd",
    "an id that is no UUID": "WyJhIiwgIm5vdC1hLXV1aWQiXQ==",
    "not a list": "eyJuYW1lIjogImEifQ==",
}


@pytest.mark.parametrize("argument", ["after", "before"])
async def test_a_garbage_cursor_is_a_clear_error(client, token, argument):
    # given
    query = (
        f"query Garbage($cursor: String!) {{ organizations(first: 3, {argument}: $cursor)"
        " { nodes { name } } }"
    )
    for case, cursor in GARBAGE.items():
        # when
        body = await graphql(client, query, {"cursor": cursor}, token=token)
        # then
        assert body == {
            "data": None,
            "errors": [
                {
                    "message": f"{argument} is not a cursor of this list",
                    "locations": [{"line": 1, "column": 35}],
                    "path": ["organizations"],
                    "extensions": {"code": "INVALID", "field": argument},
                }
            ],
        }, case


@pytest.mark.parametrize(("first", "last"), [(4, None), (None, 4), (None, None)])
async def test_nodes_are_the_nodes_of_the_edges(client, token, first, last):
    # when
    body = await graphql(client, EDGES_AND_NODES, {"first": first, "last": last}, token=token)
    # then
    connection = body["data"]["organizations"]
    assert connection["nodes"] == [edge["node"] for edge in connection["edges"]]
    assert len(connection["nodes"]) == (4 if first or last else 7)


async def test_nested_connections_page_too(client, sessions, tokens):
    # given: an organization of three members, seen by one of them
    owner = await create_user(sessions, "a-owner@renkei.example")
    org = await create_organization(sessions, owner, slug="kobe-lab", name="Kobe Lab")
    for email in ("b-member@renkei.example", "c-member@renkei.example"):
        await add_member(sessions, org, owner, await create_user(sessions, email))
    token = token_for(tokens, owner, org)
    # when
    first = await graphql(client, MEMBERS, {"slug": "kobe-lab"}, token=token)
    after = first["data"]["organization"]["members"]["pageInfo"]["endCursor"]
    second = await graphql(client, MEMBERS, {"slug": "kobe-lab", "after": after}, token=token)
    # then: members come in the order they joined
    assert members(first) == (["a-owner@renkei.example", "b-member@renkei.example"], False, True)
    assert members(second) == (["c-member@renkei.example"], True, False)


def members(body):
    connection = body["data"]["organization"]["members"]
    emails = [edge["node"]["user"]["email"] for edge in connection["edges"]]
    info = connection["pageInfo"]
    return emails, info["hasPreviousPage"], info["hasNextPage"]
