"""Clients for the API as it runs in production (faults masked, no GraphiQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import pytest

from factories import API_ACCEPT, graphql
from renkei.db import SessionFactory
from renkei.graphql.app import create_app
from renkei.graphql.compiled.spec import MARK
from renkei.identity.tokens import TokenService


@pytest.fixture
async def production_client(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    """The API built with development=False, its database work rolled back after the test."""
    app = create_app(sessions=sessions, tokens=tokens, redis_url=redis_url, development=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(
        transport=transport, base_url="http://renkei.test", headers=API_ACCEPT
    ) as http:
        yield http


Compare = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def compiled_and_resolved(
    client: httpx2.AsyncClient,
    resolvers_only: httpx2.AsyncClient,
    statement_counter: Any,
) -> Compare:
    """Ask a query compiled and through the resolvers: the same answer, and the compiled one
    from one statement (none of the resolvers' answer)."""

    async def ask(
        query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        with statement_counter:
            compiled = await graphql(client, query, variables, token=token)
        compiled_statements = list(statement_counter.statements)
        with statement_counter:
            resolved = await graphql(resolvers_only, query, variables, token=token)
        assert compiled == resolved
        assert sum(MARK in s for s in compiled_statements) == 1, compiled_statements
        assert not any(MARK in s for s in statement_counter.statements)
        return compiled

    return ask


@pytest.fixture
def in_english(request: pytest.FixtureRequest) -> None:
    """The test's clients send Accept-Language: en, for tests about the protocol whose English
    messages they assert (the Japanese of the same answers: tests/i18n/test_http_locale.py)."""
    for name in ("client", "resolvers_only", "production_client", "committed"):
        if name in request.fixturenames:
            value = request.getfixturevalue(name)
            http = getattr(value, "client", value)
            http.headers["Accept-Language"] = "en"
