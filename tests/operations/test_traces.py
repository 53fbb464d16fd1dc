"""Traces: a mutation over HTTP, its SQL, the outbox relay and the job it caused, in one trace;
and log lines that carry the trace's ids and whose request it is, never a token.

The spans are the product's own (renkei.tracing and the instrumentations it installs), caught by
an in-memory exporter beside the process's provider for the length of a test.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from factories import create_organization, create_user, graphql, token_for
from renkei import logs, outbox, tracing
from renkei.config import Settings
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.organizations import service as organizations
from renkei.runtime import Runtime
from renkei.tracing import JsonLinesExporter
from renkei.workers.settings import create_worker

INVITE_MEMBER = """
mutation Invite($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    invitation { email status }
    userErrors { field code message }
  }
}
"""
INVITEE = "invitee@b.example"

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


class _Capture(SpanProcessor):
    """Hands finished spans to the exporter of the test running, if one is capturing."""

    exporter: InMemorySpanExporter | None = None

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self.exporter is not None:
            self.exporter.export([span])


_CAPTURE = _Capture()


@pytest.fixture(scope="session")
def _provider() -> None:
    """The process's provider, as `renkei serve` or `renkei worker` installs it with an exporter
    configured; it records only while a test takes `spans`."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        tracing.install("renkei-test").add_span_processor(_CAPTURE)
    tracing.record(False)


@pytest.fixture
def spans(_provider: None) -> Iterator[InMemorySpanExporter]:
    """The spans of this test. Apps and engines made after it (list it first) are instrumented;
    once it ends nothing is recorded, so other tests run as without traces."""
    exporter = InMemorySpanExporter()
    _CAPTURE.exporter = exporter
    tracing.record(True)
    yield exporter
    tracing.record(False)
    _CAPTURE.exporter = None


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(
        RedisSettings.from_dsn(redis_url), default_queue_name=f"renkei-test-{uuid.uuid4().hex}"
    )
    yield pool
    await pool.delete(pool.default_queue_name)
    await pool.aclose()


@pytest.fixture
async def runtime(
    spans, committed, redis_url: str, tokens: TokenService, tmp_path: Path
) -> AsyncIterator[Runtime]:
    """The worker's runtime as `renkei worker` resolves it."""
    settings = Settings(
        database_url=committed.owner_url,
        app_database_url=committed.app_url,
        redis_url=redis_url,
        signing_keys=json.dumps(tokens.keys.as_dict(private=True)),
        data_dir=tmp_path,
    )
    runtime = Runtime.start(settings)
    yield runtime
    await runtime.close()
    runtime.stop_embedded()


def _hex(number: int, width: int) -> str:
    return format(number, f"0{width}x")


def _statement(span: ReadableSpan) -> str:
    attributes = span.attributes or {}
    return str(attributes.get("db.statement") or attributes.get("db.query.text") or "")


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """The names of the span's ancestors, nearest first."""
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_a_mutation_its_sql_and_the_job_it_caused_are_one_trace(
    spans, committed, tokens, queue, runtime, tmp_path
):
    # given an organization and its owner
    owner = await create_user(committed.sessions, "owner@a.example")
    org = await create_organization(committed.sessions, owner, name="Fukuoka Semiconductor")
    token = token_for(tokens, owner, org)
    spans.clear()
    # when: the owner invites someone over HTTP, then the relay and the worker run
    body = await graphql(
        committed.client,
        INVITE_MEMBER,
        {"input": {"organizationId": to_global_id("Organization", org.id), "email": INVITEE}},
        token=token,
    )
    assert body["data"]["inviteMember"]["userErrors"] == []
    relayed = await outbox.relay_pending(committed.sessions, queue)
    worker = create_worker(runtime, burst=True, relay=False, queue_name=queue.default_queue_name)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    # then
    assert (relayed, worker.jobs_complete, worker.jobs_failed) == (1, 1, 0)
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished if s.context is not None}
    [request] = [s for s in finished if s.kind == SpanKind.SERVER]
    assert request.name == "POST /graphql"
    assert (request.attributes or {})["http.route"] == "/graphql"
    trace_id = request.context.trace_id
    # the GraphQL operation, under the request
    [operation] = [s for s in finished if s.name == "mutation Invite"]
    assert operation.context.trace_id == trace_id
    assert "POST /graphql" in _ancestors(operation, by_id)
    attributes = dict(operation.attributes or {})
    assert isinstance(attributes.pop(tracing.COST), int)
    assert attributes == {
        tracing.OPERATION_NAME: "Invite",
        tracing.OPERATION_TYPE: "mutation",
        tracing.COMPILED: False,
        tracing.PATH: "resolvers",
        tracing.ORGANIZATION_ID: str(org.id),
        tracing.USER_ID: str(owner.id),
    }
    # its SQL, the outbox row among it
    request_sql = [
        s for s in finished if "mutation Invite" in _ancestors(s, by_id) and _statement(s)
    ]
    assert any(_statement(s).startswith("INSERT INTO invitations") for s in request_sql)
    assert any(_statement(s).startswith("INSERT INTO outbox") for s in request_sql)
    assert {s.context.trace_id for s in request_sql} == {trace_id}
    assert all(s.kind == SpanKind.CLIENT for s in request_sql)
    # the relay and the job, in the request's trace
    topic = organizations.INVITATION_CREATED
    [relay] = [s for s in finished if s.name == f"outbox relay {topic}"]
    [job] = [s for s in finished if s.name == f"outbox job {topic}"]
    assert (relay.kind, job.kind) == (SpanKind.PRODUCER, SpanKind.CONSUMER)
    assert relay.context.trace_id == job.context.trace_id == trace_id
    assert _ancestors(relay, by_id)[0] == "mutation Invite"
    assert _ancestors(job, by_id)[:2] == [f"outbox relay {topic}", "mutation Invite"]
    assert (job.attributes or {})[tracing.TOPIC] == topic
    assert (job.attributes or {})["renkei.job.handled"] is True
    # the job's own SQL (it claims the message, writes the notification) is under the job
    job_sql = [s for s in finished if job.name in _ancestors(s, by_id) and _statement(s)]
    assert any("FROM outbox" in _statement(s) for s in job_sql)
    assert any(_statement(s).startswith("INSERT INTO notifications") for s in job_sql)
    assert {s.context.trace_id for s in job_sql} == {trace_id}
    # no trace starts at a bare statement (the relay's own select, the pool's pings)
    assert all(s.parent is not None for s in finished if s.kind == SpanKind.CLIENT)
    # and the file `renkei run` writes (RENKEI_TRACES_FILE) reads the same, a span a line
    JsonLinesExporter(tmp_path / "traces.jsonl").export(finished)
    written = [json.loads(line) for line in (tmp_path / "traces.jsonl").read_text().splitlines()]
    assert len(written) == len(finished)
    [job_line] = [line for line in written if line["name"] == job.name]
    assert job_line["trace_id"] == _hex(trace_id, 32)
    assert job_line["parent_id"] == _hex(relay.context.span_id, 16)
    assert job_line["kind"] == "CONSUMER"
    assert job_line["attributes"][tracing.TOPIC] == topic


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("uvicorn.access").disabled)
    stream = io.StringIO()
    logs.configure("INFO", stream=stream)
    yield stream
    root.handlers[:], level, logging.getLogger("uvicorn.access").disabled = saved
    root.setLevel(level)


async def test_log_lines_carry_the_trace_and_whose_request_it_is_never_the_token(
    spans, committed, tokens, log_stream
):
    # given
    owner = await create_user(committed.sessions, "owner@a.example")
    org = await create_organization(committed.sessions, owner, name="Fukuoka Semiconductor")
    token = token_for(tokens, owner, org)
    # when
    await graphql(committed.client, "query Viewer { viewer { user { email } } }", {}, token=token)
    # then: the request's line names the trace and span of the request, the operation, whose
    [request] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    [line] = [line for line in lines if line["logger"] == "renkei.http"]
    assert line["trace_id"] == _hex(request.context.trace_id, 32)
    assert line["span_id"] == _hex(request.context.span_id, 16)
    assert {key: line[key] for key in ("operation", "organization_id", "user_id")} == {
        "operation": "Viewer",
        "organization_id": str(org.id),
        "user_id": str(owner.id),
    }
    # and nothing of the token nor the person's address, on any line or span
    text = log_stream.getvalue()
    assert token not in text and token.split(".")[1] not in text
    assert "owner@a.example" not in text
    recorded = json.dumps([dict(s.attributes or {}) for s in spans.get_finished_spans()])
    assert token.split(".")[2] not in recorded and "owner@a.example" not in recorded
    assert trace.get_current_span().get_span_context().is_valid is False


async def test_a_get_leaves_its_variables_off_the_request_span(spans, committed):
    # when: a query over GET, whose variables name someone
    response = await committed.client.get(
        "/graphql",
        params={
            "query": "query Org($slug: String!) { organization(slug: $slug) { name } }",
            "variables": json.dumps({"slug": "someone@a.example"}),
        },
    )
    # then
    assert response.status_code == 200
    [request] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    attributes = dict(request.attributes or {})
    assert attributes["http.target"] == "/graphql"
    assert attributes["http.url"] == "http://renkei.test/graphql"
    assert "someone" not in json.dumps(attributes)


async def test_a_compiled_query_sent_again_is_one_direct_statement_in_its_trace(
    spans, committed, tokens
):
    # given
    owner = await create_user(committed.sessions, "owner@a.example")
    org = await create_organization(committed.sessions, owner, name="Fukuoka Semiconductor")
    token = token_for(tokens, owner, org)
    query = "query Members { viewer { actingOrganization { name members { nodes { role } } } } }"
    await graphql(committed.client, query, {}, token=token)
    spans.clear()
    # when: the same query again, answered in one exchange (renkei.graphql.direct)
    body = await graphql(committed.client, query, {}, token=token)
    # then
    assert body["data"]["viewer"]["actingOrganization"]["name"] == "Fukuoka Semiconductor"
    finished = spans.get_finished_spans()
    [operation] = [s for s in finished if s.name == "query Members"]
    assert (operation.attributes or {})[tracing.PATH] == "direct"
    assert (operation.attributes or {})[tracing.COMPILED] is True
    [statement] = [s for s in finished if s.kind == SpanKind.CLIENT]
    assert statement.name == "SELECT direct"
    assert statement.parent is not None
    assert statement.parent.span_id == operation.context.span_id
