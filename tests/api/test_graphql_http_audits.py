"""The GraphQL-over-HTTP specification's reference audits (graphql-http's `serverAudits`), run by
Node against Renkei on a real loopback listener, as it serves in development and in production.

The audits are vendored (tests/api/graphql-http, MIT): nothing is fetched while the test runs.
Without `node` the test is skipped, unless RENKEI_REQUIRE_NODE=1 (CI sets it and installs Node),
which fails it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette

from factories import create_user, token_for
from identity.signin_world import sign_in_config
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.hardening import Hardening
from renkei.graphql.throttle import Throttling
from renkei.identity.tokens import TokenService
from renkei.operators import service as operators
from renkei.tenancy import Viewer

RUNNER = Path(__file__).with_name("graphql_http_audits.cjs")
AUDITS = 61


def node() -> str:
    path = shutil.which("node")
    if path is None:
        if os.environ.get("RENKEI_REQUIRE_NODE") == "1":
            pytest.fail("Node is needed for the GraphQL-over-HTTP audits (apt-get install nodejs)")
        pytest.skip("Node is not installed (apt-get install nodejs): the audits are skipped")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def listening(app: Starlette):  # type: ignore[no-untyped-def]
    """The app on a real uvicorn listener on a free loopback port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def audit(url: str, token: str | None) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        node(),
        str(RUNNER),
        url,
        *([token] if token else []),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    results: list[dict[str, Any]] = json.loads(out)
    return results


@pytest.mark.parametrize("development", [True, False], ids=["development", "production"])
async def test_every_graphql_over_http_audit_passes(
    sessions: SessionFactory, tokens: TokenService, redis_url: str, development: bool
):
    # given Renkei as `renkei run` (development) or `renkei serve` (production) builds it
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=development,
        sign_in=sign_in_config(),
        hardening=Hardening(production=not development),
        throttling=Throttling(key_prefix=f"renkei:test:{uuid.uuid4().hex}:"),
    )
    # The audits' documents ask `__type`, which production shows its operators only: there they
    # run as one (anonymous in development).
    token = None
    if not development:
        operator = await create_user(sessions, "ops@renkei.example")
        async with unit_of_work(sessions, Viewer.platform()) as session:
            await operators.grant(session, email=operator.email, granted_by="test")
        token = token_for(tokens, operator)
    # when
    async with listening(app) as url:
        results = await audit(f"{url}/graphql", token)
    # then: 61 ok, no warning, no error
    failed = [r for r in results if r["status"] != "ok"]
    assert failed == []
    assert Counter(r["status"] for r in results) == {"ok": AUDITS}
