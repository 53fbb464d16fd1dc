"""Clients for the API as it runs in production (faults masked, no GraphiQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from renkei.db import SessionFactory
from renkei.graphql.app import create_app
from renkei.identity.tokens import TokenService


@pytest.fixture
async def production_client(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The API built with development=False, its database work rolled back after the test."""
    app = create_app(sessions=sessions, tokens=tokens, redis_url=redis_url, development=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://renkei.test") as http:
        yield http


@pytest.fixture
async def resolvers_only(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The same API with compiled reads turned off: every field through its resolver."""
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        compiled_reads=False,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://renkei.test"
    ) as http:
        yield http
