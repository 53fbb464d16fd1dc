"""Where traces go: by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, to a file of JSON lines when
RENKEI_TRACES_FILE names one, nowhere (nothing installed) otherwise.

Each case runs in a process of its own, as `renkei serve` or `renkei worker` would: the SDK is
installed once a process. The OTLP collector is a real HTTP listener on loopback.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

# A process configured as `renkei worker` is, with one span and one statement-like CLIENT span
# outside it (which starts no trace).
PROGRAM = """
import sys
from pathlib import Path
from typing import ClassVar
from opentelemetry.trace import SpanKind
from renkei import tracing
path = Path(sys.argv[1]) if sys.argv[1] != "-" else None
provider = tracing.configure("renkei-worker", traces_file=path)
print("installed" if provider is not None else "nothing", flush=True)
with tracing.tracer.start_as_current_span("outbox job invitation.created"):
    with tracing.tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT):
        pass
with tracing.tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT):
    pass
if provider is not None:
    provider.shutdown()
"""


def _run(traces_file: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, traces_file],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


class _Collector(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    received: ClassVar[list[tuple[str, str, bytes]]] = []
    handler = type("Collector", (_Collector,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def test_spans_are_sent_by_otlp_when_an_endpoint_is_set(collector):
    # given
    endpoint, received = collector
    # when
    said = _run("-", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    # then: one export of the job's trace, in OTLP's protobuf, to /v1/traces
    assert said == "installed"
    assert [(path, kind) for path, kind, _body in received] == [
        ("/v1/traces", "application/x-protobuf")
    ]
    body = received[0][2]
    assert b"outbox job invitation.created" in body
    assert b"renkei-worker" in body
    assert body.count(b"SELECT") == 1  # the statement outside the job started no trace


def test_spans_are_written_as_json_lines_to_the_traces_file(tmp_path: Path):
    # when
    said = _run(str(tmp_path / "traces.jsonl"))
    # then
    assert said == "installed"
    lines = [json.loads(line) for line in (tmp_path / "traces.jsonl").read_text().splitlines()]
    assert [(line["name"], line["kind"], line["service"]) for line in lines] == [
        ("SELECT", "CLIENT", "renkei-worker"),
        ("outbox job invitation.created", "INTERNAL", "renkei-worker"),
    ]
    statement, job = lines
    assert statement["trace_id"] == job["trace_id"]
    assert statement["parent_id"] == job["span_id"]
    assert job["parent_id"] is None


def test_without_an_exporter_nothing_is_installed():
    # when
    said = _run("-")
    # then
    assert said == "nothing"
