"""A real HTTP receiver on loopback (starlette on uvicorn) for webhooks to be POSTed to.

It keeps every request it gets (headers and body), answers with the statuses queued in
`answers` (then 200), and can be stopped and started again on the same port, as a member's
system that goes down and comes back. Webhooks are signed with a key ring made for the test.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx2
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.conftest import compiled_and_resolved
from renkei.crypto import SecretBox
from renkei.db import SessionFactory
from renkei.graphql.app import create_app
from renkei.identity.tokens import TokenService
from renkei.webhooks.service import WebhookConfig

__all__ = ["Call", "Receiver", "compiled_and_resolved", "receiver"]


@dataclass(frozen=True)
class Call:
    headers: dict[str, str]
    body: bytes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Receiver:
    port: int = field(default_factory=_free_port)
    calls: list[Call] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        self.calls.append(Call(dict(request.headers), await request.body()))
        status = self.answers.pop(0) if self.answers else 200
        return Response("ok" if status < 300 else "nope", status_code=status)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 (uvicorn offers no event to await)
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


def webhook_config(*, production: bool = False) -> WebhookConfig:
    return WebhookConfig(
        box=SecretBox({"test": base64.b64decode(base64.b64encode(os.urandom(32)))}),
        production=production,
    )


@pytest.fixture
def config() -> WebhookConfig:
    return webhook_config()


def client_with(
    sessions: SessionFactory, tokens: TokenService, redis_url: str, config: WebhookConfig
) -> httpx2.AsyncClient:
    """The API as `renkei run` builds it, with webhooks configured."""
    app = create_app(
        sessions=sessions, tokens=tokens, redis_url=redis_url, development=True, webhooks=config
    )
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
    )


@pytest.fixture
async def webhook_client(
    sessions: SessionFactory, tokens: TokenService, redis_url: str, config: WebhookConfig
) -> AsyncIterator[httpx2.AsyncClient]:
    async with client_with(sessions, tokens, redis_url, config) as http:
        yield http
