"""Traces (OpenTelemetry): one trace from an HTTP request to the jobs its change caused.

The API's requests (the Starlette instrumentation), their GraphQL operation, every SQL statement
(the SQLAlchemy instrumentation), the outbox relay and the worker's job are spans. An outbox
message keeps the W3C trace context of the span that wrote it (`outbox.trace_context`); the
relay hands it to the job, which continues the trace (`continued`).

`configure` installs the SDK once per process, exporting by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT
(or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, and to a file of JSON lines when `traces_file` is
given (RENKEI_TRACES_FILE; in development `.renkei/traces.jsonl`). Without either nothing is
installed and every span is a no-op. A statement outside a request, relay or job (the relay's
polling, the pool's pings) starts no trace of its own.

Spans carry ids (organization, user, outbox message), never tokens or personal data.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes
from sqlalchemy.ext.asyncio import AsyncEngine

tracer = trace.get_tracer("renkei")

# Only the W3C trace context travels through the outbox: never baggage, which may carry anything.
_PROPAGATOR = TraceContextTextMapPropagator()

# The span attributes Renkei adds (the OpenTelemetry conventions' names where there is one).
OPERATION_NAME = "graphql.operation.name"
OPERATION_TYPE = "graphql.operation.type"
COMPILED = "renkei.graphql.compiled"
PATH = "renkei.graphql.path"
COST = "renkei.graphql.cost"
ORGANIZATION_ID = "renkei.organization.id"
USER_ID = "enduser.id"
MESSAGE_ID = "messaging.message.id"
TOPIC = "messaging.destination.name"


class _WithinWork(Sampler):
    """Every span of a trace (ParentBased), and no trace started by a bare SQL statement;
    nothing while recording is paused."""

    def __init__(self) -> None:
        self._parent_based = ParentBased(ALWAYS_ON)
        self.recording = True

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if not self.recording or (kind == SpanKind.CLIENT and not parent.is_valid):
            return SamplingResult(Decision.DROP)
        return self._parent_based.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "RenkeiWithinWork"


class JsonLinesExporter(SpanExporter):
    """Each finished span as one JSON line in a file: traces to read without a collector."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(_as_dict(span), ensure_ascii=False) + "\n" for span in spans)
        with self._lock:
            self._file.write(lines)
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()


def _as_dict(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    assert context is not None
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get("service.name"),
        "start": span.start_time,
        "duration_ms": round(((span.end_time or 0) - (span.start_time or 0)) / 1e6, 3),
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
    }


def otlp_configured(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def configure(
    service: str, *, traces_file: Path | None = None, otlp: bool | None = None
) -> TracerProvider | None:
    """Install the SDK for this process (once), exporting where configured; None when traces go
    nowhere, and then nothing is installed. `otlp`: None reads the standard OTEL_* variables."""
    if active():
        current = trace.get_tracer_provider()
        assert isinstance(current, TracerProvider)
        return current
    exporters: list[SpanExporter] = []
    if otlp if otlp is not None else otlp_configured():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter())  # endpoint, headers, timeout: OTEL_EXPORTER_OTLP_*
    if traces_file is not None:
        exporters.append(JsonLinesExporter(traces_file))
    if not exporters:
        return None
    provider = install(service)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def install(service: str) -> TracerProvider:
    """The SDK's provider as this process's, without exporters (tests add their own); once a
    process, after which `record` pauses and resumes it."""
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource, sampler=_WithinWork())
    trace.set_tracer_provider(provider)
    return provider


def record(on: bool) -> None:
    """Pause or resume recording (a test suite records only while its tracing tests run)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider) and isinstance(provider.sampler, _WithinWork):
        provider.sampler.recording = on


def active() -> bool:
    """Whether this process records spans: apps and engines made now are instrumented."""
    provider = trace.get_tracer_provider()
    return isinstance(provider, TracerProvider) and getattr(provider.sampler, "recording", True)


def instrument_engine(engine: AsyncEngine) -> None:
    """A span for each SQL statement of `engine`, when traces are recorded."""
    if not active() or engine.sync_engine.dialect.name != "postgresql":
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    usage = NoOpMeter("renkei").create_up_down_counter("db.client.connections.usage")
    sql_tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    EngineTracer(sql_tracer, engine.sync_engine, usage)  # type: ignore[no-untyped-call]


def trace_context() -> dict[str, str] | None:
    """The current span's W3C trace context, to store beside what it causes; None outside a
    recorded one."""
    if not recorded(trace.get_current_span().get_span_context()):
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier or None


def recorded(context: trace.SpanContext) -> bool:
    """Whether the span of `context` is one of a trace that is recorded (sampled)."""
    return context.is_valid and context.trace_flags.sampled


@contextmanager
def continued(
    carrier: Mapping[str, str] | None, name: str, *, kind: SpanKind, attributes: Attributes = None
) -> Iterator[trace.Span]:
    """A span continuing the trace of `carrier` (a stored trace context), or a new trace."""
    parent = _PROPAGATOR.extract(dict(carrier)) if carrier else otel_context.Context()
    with tracer.start_as_current_span(
        name, context=parent, kind=kind, attributes=attributes
    ) as span:
        yield span


def annotate(attributes: Mapping[str, str | int | bool | None]) -> None:
    """Set attributes on the current span (those given as None are left out)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes({k: v for k, v in attributes.items() if v is not None})
