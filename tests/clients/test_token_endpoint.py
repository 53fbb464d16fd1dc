"""/oauth/token: the client credentials grant, with the errors of RFC 6749 §5.2."""

from __future__ import annotations

import logging

import pytest
from joserfc import jwt

from clients.machine import create_client, request_token, revoke, stored_client
from renkei.identity.scopes import KPI_WRITE, ORGANIZATIONS_READ

SCOPES = frozenset({ORGANIZATIONS_READ, KPI_WRITE})
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "client authentication failed: check the client id and secret",
}
CHALLENGE = (
    'Basic error="invalid_client", '
    'error_description="client authentication failed: check the client id and secret"'
)


def rfc(body: dict[str, str]) -> dict[str, str]:
    """The members RFC 6749 §5.2 defines: without the description in the reader's language."""
    return {k: v for k, v in body.items() if "#" not in k}


@pytest.mark.parametrize("method", ["basic", "post"])
async def test_a_client_gets_a_short_lived_token_for_its_service_account(
    sessions, client, tokens, method
):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await request_token(client, issued.client.client_id, issued.secret, method=method)
    # then
    assert response.status_code == 200
    assert {k: response.headers[k] for k in NO_STORE} == NO_STORE
    body = response.json()
    assert {k: v for k, v in body.items() if k != "access_token"} == {
        "token_type": "Bearer",
        "expires_in": 900,
        "scope": "kpi:write organizations:read",
    }
    claims = tokens.verify(body["access_token"])
    assert claims.user_id == issued.client.service_user_id
    assert claims.organization_id == issued.organization.id
    assert claims.scopes == SCOPES
    assert claims.expires_at - jwt.decode(body["access_token"], tokens.keys).claims["iat"] == 900
    assert jwt.decode(body["access_token"], tokens.keys).claims["client_id"] == (
        issued.client.client_id
    )
    stored = await stored_client(sessions, issued.client.client_id)
    assert stored is not None and stored.last_used_at is not None


async def test_a_client_may_ask_for_fewer_scopes_than_it_has(sessions, client, tokens):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await request_token(
        client, issued.client.client_id, issued.secret, scope=ORGANIZATIONS_READ
    )
    # then
    assert response.status_code == 200
    assert response.json()["scope"] == ORGANIZATIONS_READ
    assert tokens.verify(response.json()["access_token"]).scopes == {ORGANIZATIONS_READ}


@pytest.mark.parametrize("method", ["basic", "post"])
async def test_a_wrong_secret_is_refused(sessions, client, method):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await request_token(
        client, issued.client.client_id, issued.secret[:-2] + "xx", method=method
    )
    # then
    assert response.status_code == 401
    assert rfc(response.json()) == INVALID_CLIENT
    assert response.headers["www-authenticate"] == CHALLENGE
    stored = await stored_client(sessions, issued.client.client_id)
    assert stored is not None and stored.last_used_at is None


@pytest.mark.parametrize("method", ["basic", "post"])
async def test_an_unknown_client_is_refused_alike(sessions, client, method):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when: a real secret, under a client id that does not exist
    response = await request_token(client, "rk_" + "0" * 32, issued.secret, method=method)
    # then
    assert response.status_code == 401
    assert rfc(response.json()) == INVALID_CLIENT
    assert response.headers["www-authenticate"] == CHALLENGE


@pytest.mark.parametrize("method", ["basic", "post"])
async def test_a_revoked_client_is_refused_alike(sessions, client, method):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    await revoke(sessions, issued)
    # when
    response = await request_token(client, issued.client.client_id, issued.secret, method=method)
    # then
    assert response.status_code == 401
    assert rfc(response.json()) == INVALID_CLIENT
    assert response.headers["www-authenticate"] == CHALLENGE


async def test_a_scope_beyond_the_clients_is_refused(sessions, client):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await request_token(
        client, issued.client.client_id, issued.secret, scope="organizations:read projects:write"
    )
    # then
    assert response.status_code == 400
    assert rfc(response.json()) == {
        "error": "invalid_scope",
        "error_description": "the client may not ask for projects:write",
    }


async def test_another_grant_type_is_refused(sessions, client):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await request_token(
        client, issued.client.client_id, issued.secret, grant_type="password"
    )
    # then
    assert response.status_code == 400
    assert rfc(response.json()) == {
        "error": "unsupported_grant_type",
        "error_description": "this server supports grant_type=client_credentials only",
    }
    assert {k: response.headers[k] for k in NO_STORE} == NO_STORE


@pytest.mark.parametrize(
    ("content", "headers", "description"),
    [
        (b"scope=kpi%3Awrite", {}, "the grant_type parameter is missing"),
        (
            b"grant_type=client_credentials&grant_type=client_credentials",
            {},
            "the parameter grant_type is repeated",
        ),
        (
            b'{"grant_type": "client_credentials"}',
            {"Content-Type": "application/json"},
            "send the parameters as application/x-www-form-urlencoded",
        ),
    ],
    ids=["no grant type", "repeated parameter", "json body"],
)
async def test_a_malformed_request_is_refused(sessions, client, content, headers, description):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    # when
    response = await client.post(
        "/oauth/token",
        content=content,
        headers=headers,
        auth=(issued.client.client_id, issued.secret),
    )
    # then
    assert response.status_code == 400
    assert rfc(response.json()) == {"error": "invalid_request", "error_description": description}


async def test_two_ways_of_authenticating_at_once_are_refused(sessions, client):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
        },
        auth=(issued.client.client_id, issued.secret),
    )
    # then
    assert response.status_code == 400
    assert rfc(response.json()) == {
        "error": "invalid_request",
        "error_description": "authenticate the client with one method, not two",
    }


async def test_outside_development_plain_http_is_refused(sessions, production_client):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await request_token(production_client, issued.client.client_id, issued.secret)
    # then
    assert response.status_code == 400
    assert rfc(response.json()) == {"error": "invalid_request", "error_description": "use https"}


async def test_outside_development_https_works(sessions, production_client):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await production_client.post(
        "https://renkei.test/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(issued.client.client_id, issued.secret),
    )
    # then
    assert response.status_code == 200
    assert response.json()["scope"] == "kpi:write organizations:read"


async def test_neither_secret_nor_token_reaches_the_logs(sessions, client, caplog):
    # given
    caplog.set_level(logging.DEBUG)
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await request_token(client, issued.client.client_id, issued.secret)
    # then
    assert response.status_code == 200
    assert caplog.records, "the request was logged"
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert issued.secret not in logged
    assert response.json()["access_token"] not in logged


@pytest.mark.parametrize("method", ["basic", "post"])
async def test_a_nul_in_a_parameter_is_an_invalid_request_not_a_fault(client, method):
    # when a client id carries a NUL character, which no PostgreSQL text can hold
    response = await request_token(client, "renkei\x00client", "secret", method=method)
    # then the endpoint answers as RFC 6749 says, before anything reaches the database
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


async def test_a_refusal_is_described_in_japanese_beside_the_rfcs_english(sessions, client):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when a client asks without saying its language
    response = await request_token(client, issued.client.client_id, "wrong secret")
    # then error_description stays ASCII, as RFC 6749 §5.2 wants, and the Japanese is beside it
    assert response.status_code == 401
    assert response.headers["content-language"] == "ja"
    assert response.json() == {
        **INVALID_CLIENT,
        "error_description#ja": "クライアント認証に失敗しました。"
        "クライアント ID とシークレットを確認してください。",
    }
    assert response.headers["www-authenticate"] == CHALLENGE


async def test_a_malformed_request_is_described_in_japanese_too(client):
    # when
    response = await client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, headers={}
    )
    # then
    assert response.status_code == 400
    assert response.json()["error_description#ja"] == (
        "パラメーターは application/x-www-form-urlencoded で送ってください。"
    )


async def test_a_client_reading_english_gets_the_rfcs_members_only(sessions, client):
    # given
    issued = await create_client(sessions, scopes=SCOPES)
    # when
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "password"},
        auth=(issued.client.client_id, issued.secret),
        headers={"Accept-Language": "en"},
    )
    # then
    assert response.status_code == 400
    assert response.headers["content-language"] == "en"
    assert response.json() == {
        "error": "unsupported_grant_type",
        "error_description": "this server supports grant_type=client_credentials only",
    }
