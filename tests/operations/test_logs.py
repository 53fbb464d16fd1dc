"""The access log: one JSON line a request, carrying its request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from renkei import logs


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The product's JSON logging, written to a buffer; pytest's own handlers are put back after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("uvicorn.access").disabled)
    stream = io.StringIO()
    logs.configure("INFO", stream=stream)
    yield stream
    root.handlers[:], level, logging.getLogger("uvicorn.access").disabled = saved
    root.setLevel(level)


async def test_a_request_is_logged_once_as_json_with_its_id(client, log_stream):
    # when
    response = await client.post(
        "/graphql", json={"query": "query { __typename }"}, headers={"X-Request-ID": "req-42"}
    )
    # then
    assert response.status_code == 200
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "renkei.http"]
    assert len(access) == 1
    [line] = access
    assert {key: line[key] for key in ("level", "message", "method", "path", "status")} == {
        "level": "INFO",
        "message": "request",
        "method": "POST",
        "path": "/graphql",
        "status": 200,
    }
    assert line["request_id"] == "req-42"
    assert isinstance(line["duration_ms"], float | int)
    assert line["duration_ms"] >= 0
    assert "time" in line
