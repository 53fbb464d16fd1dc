"""Fixtures of the API client tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from renkei.db import SessionFactory
from renkei.graphql.app import create_app
from renkei.identity.tokens import TokenService


@pytest.fixture
async def production_client(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    """The API as it runs in production (development=False), reached over plain http."""
    app = create_app(sessions=sessions, tokens=tokens, redis_url=redis_url, development=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://renkei.test") as http:
        yield http
