"""Query limits, all checked before execution: nesting, depth, aliases, tokens, page sizes, cost."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from graphql import Source, get_introspection_query, parse
from graphql.language import Lexer, TokenKind

from factories import create_organization, create_user, token_for
from renkei.graphql.limits import operation_cost
from renkei.graphql.relay import to_global_id
from renkei.graphql.schema import build_schema

# The messages asserted here are the English ones (Accept-Language: en).
pytestmark = pytest.mark.usefixtures("in_english")

GRAPHQL_RESPONSE = "application/graphql-response+json"

# 12 fields deep (organization, members, nodes, user, memberships, nodes, ...): the most allowed.
TWELVE_DEEP = """
query TwelveDeep {
  organization(slug: "gifu-lab") {
    members(first: 1) { nodes { user { memberships(first: 1) { nodes {
      organization { members(first: 1) { nodes { user { memberships(first: 1) { nodes {
        role
      } } } } } }
    } } } } }
  }
}
"""
THIRTEEN_DEEP = """
query ThirteenDeep {
  organization(slug: "gifu-lab") {
    members(first: 1) { nodes { user { memberships(first: 1) { nodes {
      organization { members(first: 1) { nodes { user { memberships(first: 1) { nodes {
        organization { name }
      } } } } } }
    } } } } }
  }
}
"""
NESTED_ORGANIZATIONS = """
query Nested {
  organizations(first: 10) {
    edges { node { name members(first: 10) { edges { node { role user { email } } } } } }
  }
}
"""
COSTLY = """
query Costly {
  organizations(first: 100) { edges { node {
    members(first: 100) { edges { node { user {
      memberships(first: 100) { edges { node { role } } }
    } } } }
  } } }
}
"""
COSTLY_THROUGH_A_FRAGMENT = """
query CostlyFragment {
  organizations(first: 100) { nodes { ...Everyone } }
}
fragment Everyone on Organization {
  members(first: 100) { nodes { user { memberships(first: 100) { nodes { role } } } } }
}
"""
COSTLY_THROUGH_NODE = """
query CostlyNode($id: ID!) {
  node(id: $id) { ... on Organization {
    members(first: 100) { nodes { user { memberships(first: 100) { nodes {
      organization { members(first: 100) { nodes { role } } }
    } } } } }
  } }
}
"""
COSTLY_THROUGH_NODES = """
query CostlyNodes($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Organization {
    members(first: 100) { nodes { user { memberships(first: 100) { nodes { role } } } } }
  } }
}
"""
TWICE_TEN_THOUSAND = """
query AtTheLimit {
  a: organizations(first: 100) { nodes { members(first: 99) { nodes { role } } } }
  b: organizations(first: 100) { nodes { members(first: 99) { nodes { role } } } }
}
"""
ONE_MORE = """
query OverTheLimit {
  a: organizations(first: 100) { nodes { members(first: 99) { nodes { role } } } }
  b: organizations(first: 100) { nodes { members(first: 99) { nodes { role } } } }
  c: organizations(first: 1) { nodes { name } }
}
"""
PAGE_SIZE = "query PageSize($n: Int) { organizations(first: $n) { nodes { name } } }"
PAGE_SIZE_WITH_DEFAULT = (
    "query PageSize($n: Int = 1000) { organizations(first: $n) { nodes { name } } }"
)
TWO_OPERATIONS = """
query Small { organizations(first: 10) { nodes { name } } }
query Large($n: Int) {
  organizations(first: $n) { nodes { members(first: 100) { nodes { role } } } }
}
"""
FIRST_AND_LAST = "query Both { organizations(first: 2, last: 2) { nodes { name } } }"


async def post(client, query, variables=None, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


@pytest.fixture(scope="module")
def schema():
    return build_schema()._schema


def refused(response):
    """The errors of a request refused before execution: 400, and no data."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" not in body
    return body["errors"]


# Nesting and depth


async def test_a_thousand_levels_deep_is_refused_before_parsing(client, statement_counter):
    # given
    query = "query Deep {" + " organizations { nodes {" * 500 + " name" + " } }" * 500 + " }"
    # when
    with statement_counter as statements:
        response = await post(client, query)
    # then
    assert refused(response) == [
        {
            "message": "the document is nested more than 64 levels deep: "
            "a query may be at most 12 fields deep",
            "locations": [{"line": 1, "column": 780}],
            "extensions": {"code": "QUERY_TOO_DEEP"},
        }
    ]
    assert not any("FROM organizations" in s for s in statements.statements)


async def test_deeply_nested_values_are_refused_before_parsing(client):
    # given
    query = "{ nodes(ids: " + "[" * 100 + '"x"' + "]" * 100 + ") { id } }"
    # when
    response = await post(client, query)
    # then
    assert refused(response)[0]["extensions"] == {"code": "QUERY_TOO_DEEP"}


async def test_twelve_fields_deep_runs(client, sessions, tokens):
    # given
    owner = await create_user(sessions, "owner@gifu.example")
    org = await create_organization(sessions, owner, slug="gifu-lab", name="岐阜ラボ")
    # when
    response = await post(client, TWELVE_DEEP, token=token_for(tokens, owner, org))
    # then
    assert response.status_code == 200
    owner_membership = {"nodes": [{"role": "OWNER"}]}
    assert response.json() == {
        "data": {
            "organization": {
                "members": {
                    "nodes": [
                        {
                            "user": {
                                "memberships": {
                                    "nodes": [
                                        {
                                            "organization": {
                                                "members": {
                                                    "nodes": [
                                                        {"user": {"memberships": owner_membership}}
                                                    ]
                                                }
                                            }
                                        }
                                    ]
                                }
                            }
                        }
                    ]
                }
            }
        }
    }


async def test_thirteen_fields_deep_is_refused(client, statement_counter):
    # when
    with statement_counter as statements:
        response = await post(client, THIRTEEN_DEEP)
    # then
    assert refused(response) == [
        {
            "message": "'ThirteenDeep' exceeds maximum operation depth of 12",
            "locations": [{"line": 6, "column": 24}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert not any("FROM " in s for s in statements.statements)


async def test_a_legit_nested_query_runs(client, sessions, tokens):
    # given
    owner = await create_user(sessions, "owner@gifu.example")
    org = await create_organization(sessions, owner, slug="gifu-lab", name="岐阜ラボ")
    # when
    response = await post(client, NESTED_ORGANIZATIONS, token=token_for(tokens, owner, org))
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "organizations": {
                "edges": [
                    {
                        "node": {
                            "name": "岐阜ラボ",
                            "members": {
                                "edges": [
                                    {
                                        "node": {
                                            "role": "OWNER",
                                            "user": {"email": "owner@gifu.example"},
                                        }
                                    }
                                ]
                            },
                        }
                    }
                ]
            }
        }
    }


# Aliases and tokens


def aliases(count):
    return (
        "query Aliases {"
        + " ".join(f'p{i}: prefecture(code: "21") {{ code }}' for i in range(count))
        + " }"
    )


async def test_thirty_aliases_run(client):
    # when
    response = await post(client, aliases(30))
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {f"p{i}": {"code": "21"} for i in range(30)}}


async def test_thirty_one_aliases_are_refused(client):
    # when
    response = await post(client, aliases(31))
    # then
    assert refused(response) == [
        {
            "message": "31 aliases found. Allowed: 30",
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]


def lookups(tokens):
    """30 aliased lookups of 99 ids each, padded with __typename to this many tokens."""
    ids = ", ".join(['"x"'] * 99)
    padding = tokens - 2 - 30 * 111
    parts = [
        f"n{i}: nodes(ids: [{ids}]) {{ id{' __typename' * (padding // 30 + (i < padding % 30))} }}"
        for i in range(30)
    ]
    query = "{ " + " ".join(parts) + " }"
    assert count_tokens(query) == tokens
    return query


def count_tokens(query):
    lexer = Lexer(Source(query))
    count = 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


async def test_a_document_of_5000_tokens_runs(client):
    # when
    response = await post(client, lookups(5000))
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {f"n{i}": [None] * 99 for i in range(30)}}


async def test_a_document_of_5001_tokens_is_refused(client):
    # when
    response = await post(client, lookups(5001))
    # then
    assert [error["message"] for error in refused(response)] == [
        "Syntax Error: Document contains more than 5000 tokens. Parsing aborted."
    ]


# Page sizes


@pytest.mark.parametrize(
    ("query", "variables", "message", "column"),
    [
        (
            "{ organizations(first: 1000) { nodes { name } } }",
            {},
            "first must be between 1 and 100, got 1000",
            17,
        ),
        (PAGE_SIZE, {"n": 1000}, "first must be between 1 and 100, got 1000", 41),
        (PAGE_SIZE_WITH_DEFAULT, {}, "first must be between 1 and 100, got 1000", 48),
        (
            "{ organizations(first: 0) { nodes { name } } }",
            {},
            "first must be between 1 and 100, got 0",
            17,
        ),
        (
            "{ organizations(last: -1) { nodes { name } } }",
            {},
            "last must be between 1 and 100, got -1",
            17,
        ),
        (
            "{ organizations { nodes { members(first: 101) { nodes { role } } } } }",
            {},
            "first must be between 1 and 100, got 101",
            35,
        ),
    ],
)
async def test_a_page_size_out_of_range_is_refused(client, query, variables, message, column):
    # when
    response = await post(client, query, variables)
    # then
    assert refused(response) == [
        {
            "message": message,
            "locations": [{"line": 1, "column": column}],
            "extensions": {"code": "PAGE_SIZE_OUT_OF_RANGE"},
        }
    ]


async def test_a_page_size_out_of_range_under_a_node_is_refused(client):
    # given
    query = '{ node(id: "x") { ... on Organization { members(first: 1000) { nodes { role } } } } }'
    # when
    response = await post(client, query)
    # then
    assert refused(response) == [
        {
            "message": "first must be between 1 and 100, got 1000",
            "locations": [{"line": 1, "column": 49}],
            "extensions": {"code": "PAGE_SIZE_OUT_OF_RANGE"},
        }
    ]


async def test_first_and_last_together_are_refused(client, sessions, tokens):
    # given
    user = await create_user(sessions, "a@gifu.example")
    # when
    response = await post(client, FIRST_AND_LAST, token=token_for(tokens, user))
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "pass first or last, not both",
                "locations": [{"line": 1, "column": 14}],
                "path": ["organizations"],
                "extensions": {"code": "INVALID", "field": "first"},
            }
        ],
    }


# The node count


def too_costly(total, line=2, column=1):
    return [
        {
            "message": f"this query could return {total} nodes, more than the 20000 allowed: "
            "ask for smaller pages (first/last) or fewer nested lists",
            "locations": [{"line": line, "column": column}],
            "extensions": {"code": "QUERY_TOO_COSTLY"},
        }
    ]


async def test_a_costly_query_is_refused_before_any_sql(client, statement_counter):
    # when
    with statement_counter as statements:
        response = await post(client, COSTLY)
    # then: 100 organizations + 100 × 100 members + 100 × 100 × 100 memberships
    assert refused(response) == too_costly(1_010_100)
    # Only the transaction and the viewer's settings: no table was read.
    assert [s for s in statements.statements if "FROM " in s] == []


async def test_the_cost_counts_through_fragments(client):
    # when
    response = await post(client, COSTLY_THROUGH_A_FRAGMENT)
    # then
    assert refused(response) == too_costly(1_010_100)


async def test_the_cost_counts_through_a_node(client):
    # given
    organization_id = to_global_id("Organization", uuid.uuid4())
    # when
    response = await post(client, COSTLY_THROUGH_NODE, {"id": organization_id})
    # then
    assert refused(response) == too_costly(1_010_100)


async def test_the_cost_of_nodes_is_multiplied_by_the_ids(client):
    # given
    ids = [to_global_id("Organization", uuid.uuid4()) for _ in range(100)]
    # when
    response = await post(client, COSTLY_THROUGH_NODES, {"ids": ids})
    # then: 100 nodes, each with 100 members, each with 100 memberships
    assert refused(response) == too_costly(1_010_100)


async def test_twenty_thousand_nodes_are_allowed(client):
    # when: two times 100 organizations + 100 × 99 members
    response = await post(client, TWICE_TEN_THOUSAND)
    # then: an anonymous viewer sees no organization
    assert response.status_code == 200
    assert response.json() == {"data": {"a": {"nodes": []}, "b": {"nodes": []}}}


async def test_one_node_more_is_refused(client):
    # when
    response = await post(client, ONE_MORE)
    # then
    assert refused(response) == too_costly(20_001)


# Fragments, counted as they expand


def fragment_bomb(levels):
    """`...L0`, each fragment spreading the next one twice: 2^levels copies of the last one."""
    spreads = "\n".join(
        f"fragment L{i} on Query {{ ...L{i + 1} ...L{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...L0 }}\n{spreads}\nfragment L{levels} on Query {{ prefectures {{ code }} }}"


async def test_a_fragment_bomb_is_refused_before_validation(client):
    # given: 834 bytes that expand to two million fields
    query = fragment_bomb(20)
    assert len(query.encode()) == 834
    # when
    response = await post(client, query)
    # then
    assert refused(response) == [
        {
            "message": "this query selects 2097152 fields once its fragments are expanded, "
            "more than the 5000 allowed: spread fewer fragments or select fewer fields",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "QUERY_TOO_LARGE"},
        }
    ]


async def test_other_clients_are_answered_while_fragment_bombs_arrive(committed):
    # given: an API with a pool of connections, so that requests run side by side
    client = committed.client
    # when: ten bombs of different texts (none remembered) and one ordinary query at once
    bombs = [post(client, fragment_bomb(20) + "#" * i) for i in range(10)]
    responses = await asyncio.gather(*bombs, post(client, '{ prefecture(code: "21") { name } }'))
    # then
    *refusals, answer = responses
    assert [refused(r)[0]["extensions"]["code"] for r in refusals] == ["QUERY_TOO_LARGE"] * 10
    assert answer.json() == {"data": {"prefecture": {"name": "岐阜県"}}}


async def test_an_expanded_query_of_5000_fields_runs(client):
    # when: 2^11 copies of two fields, 4,096 fields
    response = await post(client, fragment_bomb(11))
    # then: the copies merge into one field when the query runs
    assert response.status_code == 200
    assert len(response.json()["data"]["prefectures"]) == 47


async def test_fragments_nested_more_than_64_deep_are_refused(client):
    # given: a chain of fragments, each spreading the next once
    chain = "\n".join(f"fragment L{i} on Query {{ ...L{i + 1} }}" for i in range(80))
    query = f"query {{ ...L0 }}\n{chain}\nfragment L80 on Query {{ __typename }}"
    # when
    response = await post(client, query)
    # then
    assert refused(response) == [
        {
            "message": "the fragments of this document nest more than 64 levels deep",
            "locations": [{"line": 65, "column": 23}],
            "extensions": {"code": "QUERY_TOO_DEEP"},
        }
    ]


async def test_the_cost_of_spread_fragments_multiplies(client):
    # given: 100 organizations with 10 members each, spread three times
    query = """
    query Spread { ...Three }
    fragment Three on Query { ...Page ...Page ...Page }
    fragment Page on Query {
      organizations(first: 100) { nodes { members(first: 100) { nodes { role } } } }
    }
    """
    # when
    response = await post(client, query)
    # then: 3 × (100 + 100 × 100)
    assert refused(response) == too_costly(30_300, line=2, column=5)


async def test_depth_counts_through_fragments(client):
    # given
    query = """
    query DeepFragments { organization(slug: "gifu-lab") { ...Members } }
    fragment Members on Organization {
      members(first: 1) { nodes { user { memberships(first: 1) { nodes { ...Again } } } } }
    }
    fragment Again on Membership {
      organization { members(first: 1) { nodes { user { memberships(first: 1) { nodes {
        organization { name }
      } } } } } }
    }
    """
    # when
    response = await post(client, query)
    # then
    assert refused(response) == [
        {
            "message": "'DeepFragments' exceeds maximum operation depth of 12",
            "locations": [{"line": 8, "column": 24}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]


# Introspection


def type_of(levels):
    return "ofType { " * levels + "name" + " }" * levels


async def test_nine_nested_of_type_run(client):
    # when
    response = await post(client, '{ __type(name: "ID") { ' + type_of(9) + " } }")
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"__type": {"ofType": None}}}


async def test_ten_nested_of_type_are_refused(client):
    # when
    response = await post(client, 'query Wrapped { __type(name: "ID") { ' + type_of(10) + " } }")
    # then
    assert refused(response) == [
        {
            "message": "'Wrapped' nests ofType 10 levels deep, more than the 9 allowed",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "QUERY_TOO_DEEP"},
        }
    ]


async def test_graphiqls_introspection_query_runs(client):
    # when: the query GraphiQL sends, with its nine nested ofType
    response = await post(client, get_introspection_query(descriptions=True))
    # then
    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["queryType"] == {"name": "Query", "kind": "OBJECT"}


# The cost, for billing


def test_operation_cost_is_the_node_count_of_the_operation_that_runs(schema):
    # given
    document = parse(TWO_OPERATIONS)
    # then
    assert operation_cost(schema, document, {"n": 50}, "Small") == 10
    assert operation_cost(schema, document, {"n": 50}, "Large") == 50 + 50 * 100
    assert operation_cost(schema, parse(fragment_bomb(20)), None, None) == 0
    assert operation_cost(schema, parse(COSTLY_THROUGH_A_FRAGMENT), None, None) == 1_010_100


# Plain lists, counted towards the size of the response


def nested_blocs(levels):
    inner = "code"
    for level in range(levels):
        inner = (
            f"prefectures {{ planningBloc {{ {inner} }} }}"
            if level
            else f"prefectures {{ {inner} }}"
        )
    return f"query Blocs {{ planningBlocs {{ {inner} }} }}"


async def test_lists_nested_in_lists_are_refused(client):
    # when: each level of prefectures multiplies the answer (20 blocs × 47 × 47 × 47 estimated)
    response = await post(client, nested_blocs(3))
    # then
    assert refused(response) == [
        {
            "message": "this query could return about 2121600 objects, counting 20 for each list"
            " (47 for prefectures), more than the 200000 allowed: nest fewer lists",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "QUERY_TOO_LARGE"},
        }
    ]


async def test_a_list_in_a_list_runs(client):
    # when
    response = await post(client, nested_blocs(2))
    # then
    assert response.status_code == 200
    blocs = response.json()["data"]["planningBlocs"]
    codes = {
        inner["code"]
        for bloc in blocs
        for prefecture in bloc["prefectures"]
        for inner in (prefecture["planningBloc"] or {"prefectures": []})["prefectures"]
    }
    assert "21" in codes


# Repeated fields, which validation compares pairwise


async def test_a_field_repeated_100_times_runs(client):
    # when
    response = await post(client, "{ " + " ".join(['prefecture(code: "21") { code }'] * 100) + " }")
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"prefecture": {"code": "21"}}}


async def test_repeats_within_repeats_multiply(client):
    # given: 50 times the same field, each selecting the same subfield 90 times (4,500 pairs)
    query = "query Repeats { " + " ".join(["prefectures { " + "code " * 90 + "}"] * 50) + " }"
    # when
    response = await post(client, query)
    # then
    assert refused(response) == [
        {
            "message": "this query repeats a field 4500 times over once its fragments are "
            "expanded (a repeated field within a repeated field multiplies), more than the 100 "
            "allowed: select each field once",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "QUERY_TOO_LARGE"},
        }
    ]
