"""Metrics that answer an operator's questions, read as Prometheus scrapes them: from /metrics
on its own listener (never the API's port).

Which operation is slow or failing, and did it run compiled? Is the database pool exhausted?
Is the outbox stuck? Which jobs fail or retry? And a client cannot blow up the series with
made-up operation names."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx2
import pytest
from arq.worker import Retry
from joserfc.jwk import KeySet
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from conftest import CommittedDatabase
from factories import create_user, token_for
from renkei import metrics, outbox
from renkei.db import SessionFactory, create_engine, unit_of_work
from renkei.graphql.hardening import metrics_app
from renkei.graphql.operation_metrics import OperationNames
from renkei.identity.tokens import TokenService, generate_key
from renkei.tenancy import Viewer
from renkei.workers.jobs import MAX_TRIES, handle_outbox_message


async def _samples() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample /metrics serves, by name and labels."""
    transport = httpx2.ASGITransport(app=metrics_app())
    async with httpx2.AsyncClient(transport=transport, base_url="http://metrics.internal") as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _labelled(samples, name: str, label: str) -> set[str]:
    return {dict(labels)[label] for (n, labels) in samples if n == name and label in dict(labels)}


@pytest.fixture
async def token(sessions: SessionFactory, tokens: TokenService) -> str:
    user = await create_user(sessions, f"metrics-{uuid.uuid4().hex[:8]}@example.jp")
    return token_for(tokens, user)


async def test_metrics_are_not_served_on_the_api_s_port(client) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 404


async def test_each_operation_is_counted_timed_and_costed_by_name_and_path(
    client, resolvers_only, token
) -> None:
    # given a document not seen before (the compiled path runs a document seen once already)
    query = f"query LocaleProbe {{ viewer {{ l{uuid.uuid4().hex}: locale }} }}"
    headers = {"Authorization": f"Bearer {token}"}
    before = await _samples()
    # when it runs twice (through the resolvers, then compiled), then with compiling off
    for http in (client, client, resolvers_only):
        response = await http.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == 200, response.text
    after = await _samples()
    # then each path has its count, its latency and the query's cost
    for path, more in (("compiled", 1), ("resolver", 2)):
        labels = {"operation": "LocaleProbe", "type": "query", "path": path}
        assert _value(after, "renkei_graphql_operations_total", **labels) == (
            _value(before, "renkei_graphql_operations_total", **labels) + more
        )
        timing = {"operation": "LocaleProbe", "path": path}
        assert _value(after, "renkei_graphql_operation_duration_seconds_count", **timing) == (
            _value(before, "renkei_graphql_operation_duration_seconds_count", **timing) + more
        )
    assert _value(after, "renkei_graphql_operation_cost_count", operation="LocaleProbe") == (
        _value(before, "renkei_graphql_operation_cost_count", operation="LocaleProbe") + 3
    )


async def test_a_bearer_token_s_known_query_is_counted_on_the_direct_path(
    committed: CommittedDatabase, tokens: TokenService
) -> None:
    # given a server with an engine of its own (as in production), and a query it has seen
    user = await create_user(committed.sessions, "direct-metrics@example.jp")
    headers = {"Authorization": f"Bearer {token_for(tokens, user)}"}
    query = f"query DirectProbe {{ viewer {{ l{uuid.uuid4().hex}: locale }} }}"
    labels = {"operation": "DirectProbe", "type": "query", "path": "direct"}
    before = _value(await _samples(), "renkei_graphql_operations_total", **labels)
    # when it is asked twice
    for _ in range(2):
        response = await committed.client.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == 200, response.text
    # then the second answer came in one exchange, and is counted so
    after = _value(await _samples(), "renkei_graphql_operations_total", **labels)
    assert after == before + 1


async def test_errors_are_counted_by_operation_and_kind(client, token) -> None:
    # given
    headers = {"Authorization": f"Bearer {token}"}
    labels = {"operation": "BrokenProbe", "kind": "request"}
    before = _value(await _samples(), "renkei_graphql_operation_errors_total", **labels)
    # when a document does not validate
    await client.post("/graphql", json={"query": "query BrokenProbe { nope }"}, headers=headers)
    # then (a name that never ran is not admitted: "other")
    after = await _samples()
    assert _value(after, "renkei_graphql_operation_errors_total", **labels) == before
    assert (
        _value(after, "renkei_graphql_operation_errors_total", operation="other", kind="request")
        >= 1
    )


async def test_routes_are_labelled_by_their_template(client) -> None:
    # given
    path = f"/exports/projects/{uuid.uuid4()}/kpis.csv"
    # when
    await client.get(path)
    samples = await _samples()
    # then
    routes = _labelled(samples, "renkei_http_requests_total", "route")
    assert "/exports/projects/{id}/{file}" in routes
    assert not any(route.startswith("/exports/projects/") and "{" not in route for route in routes)


async def test_made_up_operation_names_do_not_make_series(client, token) -> None:
    # given names a client chose at random, anonymous or not valid
    names = [f"Random{uuid.uuid4().hex}" for _ in range(30)]
    # when
    for name in names:
        await client.post("/graphql", json={"query": f"query {name} {{ __typename }}"})
    # then none of them labels a series
    operations = _labelled(await _samples(), "renkei_graphql_operations_total", "operation")
    assert not operations & set(names)
    assert "other" in operations


def test_signed_in_viewers_name_a_bounded_number_of_operations() -> None:
    # given
    names = OperationNames(registered={"ConsoleHome"}, capacity=2)
    # when
    labels = [
        names.label(name, ran=True, signed_in=True) for name in ("A", "B", "C", "ConsoleHome")
    ]
    # then the registered name always labels itself; of the others, the first two
    assert labels == ["A", "B", "other", "ConsoleHome"]
    assert names.label("A", ran=True, signed_in=True) == "A"
    assert names.label(None, ran=True, signed_in=True) == "anonymous"
    assert names.label("x" * 65, ran=True, signed_in=True) == "other"


async def test_the_pool_says_how_many_connections_are_in_use(app_url: str) -> None:
    # given the application's engine, one connection taken
    engine = create_engine(app_url, pool_size=2)
    try:
        before = _value(await _samples(), "renkei_db_pool_connections", state="in_use")
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            # when
            during = _value(await _samples(), "renkei_db_pool_connections", state="in_use")
        after = await _samples()
    finally:
        await engine.dispose()
    # then
    assert during == before + 1
    assert _value(after, "renkei_db_pool_connections", state="in_use") == before
    assert _value(after, "renkei_db_pool_connections", state="waiting") == 0


async def test_the_pool_says_how_many_requests_wait_for_a_connection(app_url: str) -> None:
    # given a pool of two connections (one and one overflow), both taken
    engine = create_engine(app_url, pool_size=1)
    try:
        async with engine.connect() as first, engine.connect() as second:
            await first.execute(text("SELECT 1"))
            await second.execute(text("SELECT 1"))
            # when a third request asks for one
            third = asyncio.create_task(_select_one(engine))
            await asyncio.sleep(0.2)
            waiting = _value(await _samples(), "renkei_db_pool_connections", state="waiting")
        await third
    finally:
        await engine.dispose()
    # then it is seen waiting
    assert waiting == 1


async def _select_one(engine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def test_the_outbox_says_how_old_its_oldest_unsent_message_is(
    sessions: SessionFactory,
) -> None:
    # given a message written an hour ago, not yet relayed
    async with unit_of_work(sessions, Viewer.platform()) as session:
        message = outbox.enqueue(session, "probe.waiting", {})
        message.created_at = datetime.now(UTC) - timedelta(hours=1)
    # when the relay measures (renkei.workers.relay does on each pass)
    metrics.outbox_unsent(*await outbox.unsent(sessions))
    samples = await _samples()
    # then
    assert _value(samples, "renkei_outbox_unsent_messages") >= 1
    assert _value(samples, "renkei_outbox_oldest_unsent_age_seconds") >= 3600


async def test_job_outcomes_are_counted_by_job(sessions: SessionFactory) -> None:
    # given messages whose handler succeeds, and one whose effect must wait
    async def done(*_args: object) -> None:
        return None

    async def later(*_args: object) -> None:
        raise outbox.RetryLater("the receiver is down")

    job = metrics.observed_job(handle_outbox_message, retry=Retry)
    handlers = {"probe.done": done, "probe.later": later}
    async with unit_of_work(sessions, Viewer.platform()) as session:
        ok = outbox.enqueue(session, "probe.done", {})
        failing = outbox.enqueue(session, "probe.later", {})

    def outcome(samples, job: str, outcome: str) -> float:
        return _value(samples, "renkei_jobs_total", job=job, outcome=outcome)

    before = await _samples()
    # when each runs as arq runs them (job ids are the messages' ids)
    await job({"sessions": sessions, "handlers": handlers, "job_try": 1}, str(ok.id))
    await job({"sessions": sessions, "handlers": handlers, "job_try": 2}, str(ok.id))
    with pytest.raises(Retry):
        await job({"sessions": sessions, "handlers": handlers, "job_try": 1}, str(failing.id))
    await job({"sessions": sessions, "handlers": handlers, "job_try": MAX_TRIES}, str(failing.id))
    after = await _samples()
    # then: done, then skipped as handled before; retried, then failed for good
    expected = {
        ("outbox:probe.done", "ok"): 1,
        ("outbox:probe.done", "skipped"): 0,  # a message handled before is not claimed again
        ("outbox:probe.later", "retried"): 1,
        ("outbox:probe.later", "failed"): 1,
    }
    skipped_before = outcome(before, "handle_outbox_message", "skipped")
    for (name, result), more in expected.items():
        assert outcome(after, name, result) == outcome(before, name, result) + more, (name, result)
    assert outcome(after, "handle_outbox_message", "skipped") == skipped_before + 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _own_database(redis_url: str, number: int) -> str:
    """The same Redis server, another database: the worker's queue is no other test's."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        return urlunsplit(parts._replace(query=f"db={number}"))
    return urlunsplit(parts._replace(path=f"/{number}"))


def test_the_worker_serves_its_own_metrics(owner_url, app_url, redis_url) -> None:
    # given `renkei worker` as its container runs it, on a queue no other test reads
    metrics_port = _free_port()
    env = {
        **os.environ,
        "RENKEI_ENV": "production",
        "RENKEI_DATABASE_URL": owner_url,
        "RENKEI_APP_DATABASE_URL": app_url,
        "RENKEI_REDIS_URL": _own_database(redis_url, 9),
        "RENKEI_SMTP_URL": "smtp://127.0.0.1:1",
        "RENKEI_SIGNING_KEYS": json.dumps(KeySet([generate_key()]).as_dict(private=True)),
        "RENKEI_SECRET_KEYS": json.dumps({"k1": base64.b64encode(bytes(32)).decode()}),
        "RENKEI_COOKIE_SECRET": "a cookie secret",
        "RENKEI_METRICS_PORT": str(metrics_port),
        "RENKEI_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "renkei.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # when Prometheus scrapes it (once the relay has measured the outbox)
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline and "renkei_outbox_unsent_messages" not in body:
            assert process.poll() is None, process.stdout.read()  # type: ignore[union-attr]
            with contextlib.suppress(httpx2.HTTPError):
                body = httpx2.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    # then its own series are there: the outbox, the pool
    assert "renkei_outbox_oldest_unsent_age_seconds" in body
    assert 'renkei_db_pool_connections{state="in_use"}' in body
