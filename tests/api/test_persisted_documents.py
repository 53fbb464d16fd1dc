"""Trusted documents: Apollo's automatic persisted queries, and registered documents only.

A client sends `extensions.persistedQuery.sha256Hash` instead of the text; the server answers
PersistedQueryNotFound until the client has sent the text once with its hash."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis.asyncio as redis
from prometheus_client import REGISTRY

from factories import create_organization, create_user
from renkei.crypto import SecretBox
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.auth import SESSION_COOKIE, SignInConfig
from renkei.graphql.documents import (
    DocumentSettings,
    Registered,
    document_id,
    manifest_of,
    render_manifest,
)
from renkei.identity import signin
from renkei.identity.oidc import OidcClient
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService
from renkei.tenancy import Viewer

JSON = "application/json"

App = Callable[..., httpx2.AsyncClient]


@pytest.fixture
def prefix() -> str:
    """The Redis keys of this test's documents: no other test's."""
    return f"test:apq:{uuid.uuid4().hex}:"


@pytest.fixture
async def app(
    sessions: SessionFactory, tokens: TokenService, redis_url: str, prefix: str
) -> AsyncIterator[App]:
    """Builds the API with these document settings, on Redis keys of this test alone."""
    clients: list[httpx2.AsyncClient] = []

    def build(**settings: Any) -> httpx2.AsyncClient:
        documents = DocumentSettings(key_prefix=prefix, **settings)
        api = create_app(
            sessions=sessions,
            tokens=tokens,
            redis_url=redis_url,
            development=False,
            documents=documents,
        )
        client = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=api),
            base_url="http://renkei.test",
            headers={"Accept": JSON, "Accept-Language": "en"},
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


def _query() -> str:
    """A query no other test (nor an earlier run) has registered."""
    return f'query Kyushu {{ k{uuid.uuid4().hex}: prefectures(planningBloc: "KYUSHU") {{ code }} }}'


def _persisted(id_: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": id_}}


def _codes(response: httpx2.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


async def test_an_unknown_hash_is_registered_once_then_runs_by_id(app: App) -> None:
    # given
    client = app()
    query = _query()
    id_ = document_id(query)
    # when the client sends the hash alone
    first = await client.post("/graphql", json={"extensions": _persisted(id_)})
    # then it is told to send the text
    assert first.status_code == 404
    assert first.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    # when it sends the text with its hash
    registered = await client.post("/graphql", json={"query": query, "extensions": _persisted(id_)})
    # then the query runs
    assert registered.status_code == 200, registered.text
    (codes,) = registered.json()["data"].values()
    assert {"code": "40"} in codes
    # and from now on the hash alone runs it, over POST and over GET, in other processes too
    again = await app().post("/graphql", json={"extensions": _persisted(id_)})
    by_get = await app().get("/graphql", params={"extensions": json.dumps(_persisted(id_))})
    assert again.json() == registered.json()
    assert (by_get.status_code, by_get.json()) == (200, registered.json())


async def test_a_hash_that_is_not_the_text_s_is_refused(app: App) -> None:
    # given
    client = app()
    query, other = _query(), _query()
    # when
    response = await client.post(
        "/graphql", json={"query": query, "extensions": _persisted(document_id(other))}
    )
    # then nothing runs, and the other hash is still unknown
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "the query's SHA-256 is not extensions.persistedQuery.sha256Hash",
                "extensions": {"code": "PERSISTED_QUERY_HASH_MISMATCH"},
            }
        ]
    }
    unknown = await client.post("/graphql", json={"extensions": _persisted(document_id(other))})
    assert _codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    ("persisted", "code"),
    [
        ({"version": 2, "sha256Hash": "0" * 64}, "PERSISTED_QUERY_NOT_SUPPORTED"),
        ({"version": 1, "sha256Hash": "not a hash"}, "PERSISTED_QUERY_INVALID"),
        ({"version": 1}, "PERSISTED_QUERY_INVALID"),
    ],
)
async def test_a_malformed_persisted_query_is_refused(app: App, persisted, code) -> None:
    response = await app().post("/graphql", json={"extensions": {"persistedQuery": persisted}})
    assert (response.status_code, _codes(response)) == (400, [code])


async def test_an_invalid_document_is_answered_but_not_kept(app: App) -> None:
    # given a document that does not validate
    query = f"query Broken {{ nope{uuid.uuid4().hex} }}"
    client = app()
    # when it is sent with its hash
    sent = await client.post(
        "/graphql", json={"query": query, "extensions": _persisted(document_id(query))}
    )
    # then the client reads the validation error, and the hash stays unknown
    assert _codes(sent) == ["GRAPHQL_VALIDATION_FAILED"]
    later = await app().post("/graphql", json={"extensions": _persisted(document_id(query))})
    assert _codes(later) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_redis_keeps_a_bounded_number_of_documents(app: App) -> None:
    # given a server that keeps two documents at most
    queries = [_query() for _ in range(3)]
    client = app(max_documents=2)
    # when three are registered
    for query in queries:
        response = await client.post(
            "/graphql", json={"query": query, "extensions": _persisted(document_id(query))}
        )
        assert response.status_code == 200, response.text
    # then the oldest is gone (another process, with no copy of its own, asks)
    fresh = app(max_documents=2)
    answers = [
        await fresh.post("/graphql", json={"extensions": _persisted(document_id(q))})
        for q in queries
    ]
    assert [a.status_code for a in answers] == [404, 200, 200]


async def test_a_kept_document_expires_and_a_long_one_is_not_kept(
    app: App, redis_url: str, prefix: str
) -> None:
    # given a server keeping documents for a minute
    client = app(ttl_seconds=60)
    query = _query()
    long_query = _query().replace("{ code }", "{ code " + "name " * 4000 + "}")
    # when both are sent with their hashes
    for text in (query, long_query):
        response = await client.post(
            "/graphql", json={"query": text, "extensions": _persisted(document_id(text))}
        )
        assert response.status_code == 200, response.text
    # then Redis keeps the first for a minute at most, the long one not at all
    store = redis.from_url(redis_url)
    try:
        kept = await store.ttl(prefix + document_id(query))
        long_kept = await store.exists(prefix + document_id(long_query))
    finally:
        await store.aclose()
    assert 0 < kept <= 60
    assert long_kept == 0
    assert _codes(
        await app().post("/graphql", json={"extensions": _persisted(document_id(long_query))})
    ) == ["PERSISTED_QUERY_NOT_FOUND"]


# -- registered documents only --------------------------------------------------------------


@pytest.fixture
def manifest(tmp_path: Path) -> tuple[Path, str]:
    """A client's manifest registering one query; (its path, the query)."""
    query = 'query RegisteredKyushu { prefectures(planningBloc: "KYUSHU") { code name } }'
    path = tmp_path / "manifest.json"
    path.write_text(render_manifest(manifest_of([("RegisteredKyushu", "query", query)])))
    return path, query


async def test_registered_only_refuses_any_other_text(app: App, manifest) -> None:
    # given a server that runs registered documents only for public clients
    path, _registered = manifest
    client = app(registered=Registered.PUBLIC, manifests=(path,))
    query = _query()
    # when a public client sends a text of its own, or registers one
    text = await client.post("/graphql", json={"query": query})
    apq = await client.post(
        "/graphql", json={"query": query, "extensions": _persisted(document_id(query))}
    )
    by_get = await client.get("/graphql", params={"query": query})
    # then nothing runs
    assert text.status_code == 400
    assert text.json() == {
        "errors": [
            {
                "message": "this server runs registered documents only: send the document's id "
                "in extensions.persistedQuery.sha256Hash",
                "extensions": {"code": "PERSISTED_QUERY_ID_REQUIRED"},
            }
        ]
    }
    assert (apq.status_code, _codes(apq)) == (404, ["PERSISTED_QUERY_NOT_IN_LIST"])
    assert _codes(by_get) == ["PERSISTED_QUERY_ID_REQUIRED"]


async def test_registered_only_runs_registered_ids(app: App, manifest) -> None:
    # given
    path, registered = manifest
    client = app(registered=Registered.ALL, manifests=(path,))
    # when the client sends the registered document's id (or its very text)
    by_id = await client.post("/graphql", json={"extensions": _persisted(document_id(registered))})
    by_get = await client.get(
        "/graphql",
        params={
            "operationName": "RegisteredKyushu",
            "extensions": json.dumps(_persisted(document_id(registered))),
        },
    )
    by_text = await client.post("/graphql", json={"query": registered})
    # then it runs
    assert by_id.status_code == 200, by_id.text
    assert {"code": "40", "name": "福岡県"} in by_id.json()["data"]["prefectures"]
    assert by_get.json() == by_id.json() == by_text.json()


async def test_api_clients_may_send_text_when_only_public_clients_are_held_to_the_registry(
    app: App, manifest, sessions: SessionFactory, tokens: TokenService
) -> None:
    # given an integration's client-credentials token, and a person's token
    path, _registered = manifest
    user = await create_user(sessions, f"apq-{uuid.uuid4().hex[:8]}@example.jp")
    integration = tokens.issue(
        user_id=user.id, organization_id=None, scopes=ALL_SCOPES, client_id="member-system"
    )
    person = tokens.issue(user_id=user.id, organization_id=None, scopes=ALL_SCOPES)
    client = app(registered=Registered.PUBLIC, manifests=(path,))
    query = "query Mine { viewer { user { email } } }"
    # when each sends a text of its own
    answers = [
        await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        for token in (integration, person)
    ]
    # then only the integration's runs
    assert answers[0].json() == {"data": {"viewer": {"user": {"email": user.email}}}}
    assert _codes(answers[1]) == ["PERSISTED_QUERY_ID_REQUIRED"]


async def test_the_console_runs_its_operations_by_id_where_only_registered_ones_run(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> None:
    # given a server that runs registered documents only, for everyone, and a signed-in person
    owner = await create_user(sessions, f"console-{uuid.uuid4().hex[:8]}@example.jp", "筑紫 八重")
    organization = await create_organization(sessions, owner, name="九州テスト協議会")
    async with unit_of_work(sessions, Viewer.platform()) as session:
        started = await signin.start_session(
            session, user_id=owner.id, organization_id=organization.id
        )
    api = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=False,
        sign_in=SignInConfig(
            public_url="http://renkei.test",
            box=SecretBox({"test-key": os.urandom(32)}),
            oidc=OidcClient(),
            cookie_secret="a test cookie secret",
            secure_cookies=False,
        ),
        documents=DocumentSettings(registered=Registered.ALL),
    )
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=api), base_url="http://renkei.test"
    ) as browser:
        # when the console's home page is opened (twice: the second runs compiled)
        cookie = {"Cookie": f"{SESSION_COOKIE}={started.secret}"}
        labels = {"operation": "ConsoleHome", "type": "query", "path": "compiled"}
        compiled_before = REGISTRY.get_sample_value("renkei_graphql_operations_total", labels)
        await browser.get("/app/", headers=cookie)
        page = await browser.get("/app/", headers=cookie)
        compiled = REGISTRY.get_sample_value("renkei_graphql_operations_total", labels)
        # and someone sends a text of their own
        text = await browser.post("/graphql", json={"query": "{ viewer { locale } }"})
    # then the page shows what its registered operation read; the text is refused
    assert page.status_code == 200, page.text
    assert "九州テスト協議会" in page.text
    assert (compiled or 0) == (compiled_before or 0) + 1
    assert text.status_code == 400
