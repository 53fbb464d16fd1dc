"""Bad input is refused with a 4xx and a code before it reaches a resolver or the database;
mutations need a viewer; domain errors are logged as such, not as faults."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from factories import create_user, token_for

# The messages asserted here are the English ones (Accept-Language: en).
pytestmark = pytest.mark.usefixtures("in_english")

GRAPHQL_RESPONSE = "application/graphql-response+json"
CREATE_ORGANIZATION = """
mutation CreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { name } userErrors { field code message } }
}
"""
ORGANIZATION_BY_SLUG = "query Org($slug: String!) { organization(slug: $slug) { name } }"
FIRST_AND_LAST = "query Both { organizations(first: 2, last: 2) { nodes { name } } }"
SIGN_IN_FIRST = "sign in first: send an Authorization: Bearer <token> header"


def create_input(**fields):
    return {"input": {"kind": "COMPANY", "homePrefectureCode": "40", "slug": "nul-co", **fields}}


def invalid(message):
    return {"errors": [{"message": message, "extensions": {"code": "INVALID"}}]}


async def post_raw(client, body: bytes, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post("/graphql", content=body, headers=headers)


# Nesting


async def test_a_body_nested_100000_deep_is_400(client):
    # given
    body = b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * 100_000 + b"]" * 100_000
    body += b"}}"
    # when
    response = await post_raw(client, body)
    # then
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == invalid("the body is nested too deeply")


@pytest.mark.parametrize("parameter", ["variables", "extensions"])
async def test_get_parameters_nested_5000_deep_are_400(client, parameter):
    # when: as deep as a URL allows, beyond the decoder's recursion
    response = await client.get(
        "/graphql",
        params={"query": "{ __typename }", parameter: "[" * 5_000 + "]" * 5_000},
    )
    # then
    assert response.status_code == 400
    assert response.json() == invalid(f"{parameter} is nested too deeply")


async def test_variables_nested_beyond_64_levels_are_400(client, sessions, tokens):
    # given: deep enough to reach the resolvers' coercion, not the decoder's limit
    token = token_for(tokens, await create_user(sessions, "deep@a.example"))
    deep = {"name": "x"}
    for _ in range(200):
        deep = {"inner": deep}
    # when
    response = await post_raw(
        client,
        json.dumps({"query": CREATE_ORGANIZATION, "variables": {"input": deep}}).encode(),
        token,
    )
    # then
    assert response.status_code == 400
    assert response.json() == invalid("variables are nested more than 64 levels deep")


# Strings PostgreSQL refuses


async def test_a_nul_in_variables_is_400_before_the_database(client, sessions, tokens):
    # given
    token = token_for(tokens, await create_user(sessions, "nul@a.example"))
    variables = create_input(name="ヌル\x00株式会社")
    # when
    response = await post_raw(
        client, json.dumps({"query": CREATE_ORGANIZATION, "variables": variables}).encode(), token
    )
    # then
    assert response.status_code == 400
    assert response.json() == invalid("a string in variables contains a NUL character")


async def test_a_nul_in_a_string_literal_is_400_before_the_database(client, sessions, tokens):
    # given
    token = token_for(tokens, await create_user(sessions, "nul@a.example"))
    query = (
        'mutation { createOrganization(input: {slug: "nul-co", name: "ヌル\\u0000", kind: COMPANY,'
        ' homePrefectureCode: "40"}) { userErrors { code } } }'
    )
    # when
    response = await post_raw(client, json.dumps({"query": query}).encode(), token)
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "this string contains a NUL character",
                "locations": [{"line": 1, "column": 61}],
                "extensions": {"code": "INVALID"},
            }
        ]
    }


async def test_a_lone_surrogate_in_variables_is_400(client, sessions, tokens):
    # given: JSON's escape of half a UTF-16 pair, which no UTF-8 text can hold
    token = token_for(tokens, await create_user(sessions, "half@a.example"))
    body = json.dumps({"query": CREATE_ORGANIZATION, "variables": create_input(name="X")})
    body = body.replace('"name": "X"', '"name": "\\ud800"')
    # when
    response = await post_raw(client, body.encode(), token)
    # then
    assert response.status_code == 400
    assert response.json() == invalid(
        "a string in variables contains a lone UTF-16 surrogate, which is not valid UTF-8"
    )


async def test_a_lone_surrogate_in_the_operation_name_is_400(client):
    # when: it would be echoed in "the document has no operation named ..."
    response = await post_raw(client, b'{"query": "{ __typename }", "operationName": "\\udfff"}')
    # then
    assert response.status_code == 400
    assert response.json() == invalid(
        "operationName contains a lone UTF-16 surrogate, which is not valid UTF-8"
    )


# Mutations need a viewer


@pytest.mark.parametrize(
    "variables",
    [create_input(name="匿名"), {"input": 5}, {}],
    ids=["valid input", "input of the wrong type", "no input"],
)
async def test_a_mutation_without_a_token_is_401_before_its_input_is_read(client, variables):
    # when
    response = await post_raw(
        client, json.dumps({"query": CREATE_ORGANIZATION, "variables": variables}).encode()
    )
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {
        "errors": [{"message": SIGN_IN_FIRST, "extensions": {"code": "UNAUTHENTICATED"}}]
    }


async def test_a_query_without_a_token_still_runs(client):
    # when
    response = await client.post("/graphql", json={"query": '{ prefecture(code: "21") { name } }'})
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"prefecture": {"name": "岐阜県"}}}


# Logs


def records_of(caplog, logger="strawberry.execution"):
    return [r for r in caplog.records if r.name == logger]


async def test_a_domain_error_is_logged_at_info_without_a_traceback(
    client, sessions, tokens, caplog
):
    # given
    token = token_for(tokens, await create_user(sessions, "both@a.example"))
    caplog.set_level(logging.INFO)
    # when
    response = await client.post(
        "/graphql", json={"query": FIRST_AND_LAST}, headers={"Authorization": f"Bearer {token}"}
    )
    # then
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID"
    [record] = records_of(caplog)
    assert (record.levelno, record.exc_info) == (logging.INFO, None)
    assert record.getMessage() == "refused at organizations: INVALID pass first or last, not both"


async def test_a_refused_document_is_logged_at_info(client, caplog):
    # given
    caplog.set_level(logging.INFO)
    # when
    await client.post("/graphql", json={"query": '{ prefecture(code: "21") { population } }'})
    # then
    [record] = records_of(caplog)
    assert (record.levelno, record.exc_info) == (logging.INFO, None)


async def test_a_fault_is_logged_at_error_with_its_traceback(client, sessions, caplog):
    # given: the database finds none of Renkei's tables
    async with sessions() as session, session.begin():
        await session.execute(text("SET LOCAL search_path = nowhere"))
    caplog.set_level(logging.INFO)
    # when
    await client.post(
        "/graphql", json={"query": ORGANIZATION_BY_SLUG, "variables": {"slug": "gifu-lab"}}
    )
    # then
    [record] = records_of(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "UndefinedTable" in record.getMessage()
