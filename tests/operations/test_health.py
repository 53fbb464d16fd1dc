"""What operators and other services see: liveness, readiness, metrics, request ids, keys."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from renkei.db import SessionFactory
from renkei.graphql.app import create_app
from renkei.graphql.hardening import metrics_app
from renkei.identity.tokens import TokenService

TYPENAME = "query { __typename }"

# Private members of an RSA JWK (RFC 7518, section 6.3.2).
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}


@pytest.fixture
async def client_without_redis(
    sessions: SessionFactory, tokens: TokenService
) -> AsyncIterator[httpx2.AsyncClient]:
    """The API with a Redis URL where nothing listens (port 1)."""
    app = create_app(
        sessions=sessions, tokens=tokens, redis_url="redis://127.0.0.1:1", development=True
    )
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
        ) as http,
    ):
        yield http


def _graphql_requests(metrics_text: str) -> float:
    for family in text_string_to_metric_families(metrics_text):
        if family.name == "renkei_http_requests":
            return sum(
                sample.value
                for sample in family.samples
                if sample.name == "renkei_http_requests_total"
                and sample.labels == {"method": "POST", "route": "/graphql", "status": "200"}
            )
    return 0.0


async def test_healthz_answers_without_asking_anything(client):
    # when
    response = await client.get("/healthz")
    # then
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_checks_database_migrations_and_redis(client):
    # when
    response = await client.get("/readyz")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "ok"},
    }


async def test_readyz_is_503_and_names_redis_when_redis_is_down(client_without_redis):
    # when
    response = await client_without_redis.get("/readyz")
    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    assert body["checks"]["redis"].startswith("unavailable: ")


async def _scrape() -> httpx2.Response:
    """/metrics as its own listener serves it (renkei.graphql.hardening.metrics_app)."""
    transport = httpx2.ASGITransport(app=metrics_app())
    async with httpx2.AsyncClient(transport=transport, base_url="http://metrics.internal") as http:
        return await http.get("/metrics")


async def test_metrics_count_graphql_requests_by_route(client):
    # given
    before = _graphql_requests((await _scrape()).text)
    # when
    assert (await client.post("/graphql", json={"query": TYPENAME})).status_code == 200
    response = await _scrape()
    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert _graphql_requests(response.text) == before + 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/.well-known/jwks.json"),
        ("POST", "/graphql"),
        ("GET", "/no-such-page"),
    ],
)
async def test_every_response_carries_a_request_id(client, method, path):
    # when
    first = await client.request(method, path, json={"query": TYPENAME})
    second = await client.request(method, path, json={"query": TYPENAME})
    # then
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2
    assert all(re.fullmatch("[0-9a-f]{32}", request_id) for request_id in ids)


async def test_an_incoming_request_id_is_echoed(client):
    # given
    request_id = f"lb-{uuid.uuid4()}"
    # when
    response = await client.post(
        "/graphql", json={"query": TYPENAME}, headers={"X-Request-ID": request_id}
    )
    # then
    assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize("incoming", ["caf\xe9".encode("latin-1"), b"", b" a\x01b"])
async def test_an_unusable_request_id_is_replaced(client, incoming):
    # when
    response = await client.get("/healthz", headers={"X-Request-ID": incoming})
    # then
    assert re.fullmatch("[0-9a-f]{32}", response.headers["x-request-id"])


async def test_a_long_request_id_is_cut_to_64_characters(client):
    # when
    response = await client.get("/healthz", headers={"X-Request-ID": "r" * 100})
    # then
    assert response.headers["x-request-id"] == "r" * 64


async def test_jwks_publishes_public_keys_that_verify_issued_tokens(client, tokens):
    # given
    user_id = uuid.uuid4()
    token = tokens.issue(user_id=user_id, organization_id=None, scopes=frozenset({"profile"}))
    # when
    response = await client.get("/.well-known/jwks.json")
    # then
    assert response.status_code == 200
    published = response.json()
    assert published["keys"]
    for key in published["keys"]:
        assert PRIVATE_MEMBERS.isdisjoint(key), key.keys()
    decoded = jwt.decode(token, KeySet.import_key_set(published), algorithms=["RS256"])
    assert decoded.claims["sub"] == str(user_id)
    assert decoded.claims["iss"] == tokens.issuer


async def test_readyz_serves_on_while_a_newer_release_has_migrated(committed):
    # given a database migrated by a newer release, to a revision this code does not know
    owner = create_async_engine(committed.owner_url)
    async with owner.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    # when
    response = await committed.client.get("/readyz")
    # then the old release stays ready (migrations are backward compatible by rule)
    assert response.json()["checks"]["migrations"] == "ok"
    # and a database behind this code is not ready, and says what to do
    async with owner.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    behind = await committed.client.get("/readyz")
    await owner.dispose()
    assert behind.status_code == 503
    assert behind.json()["checks"]["migrations"].endswith("run `renkei migrate`")
