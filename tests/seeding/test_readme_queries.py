"""The README's queries, run as its reader would on the seeded data: compiled, none falling back.

A reader pastes these into GraphiQL first; they are the queries the fast path exists for. Each is
asked twice (the second time a known plan) and must leave the compiled path for no field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import psycopg
import pytest
from sqlalchemy import event, make_url, select

from conftest import StatementCounter
from factories import graphql
from renkei.db import SessionFactory, app_url_for, create_engine, session_factory, unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.compiled.planner import FALLBACKS
from renkei.graphql.compiled.spec import MARK
from renkei.identity import repository as users
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.seeding import seed
from renkei.tenancy import Viewer

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```graphql\n(.*?)```", re.S)
STATEMENTS = StatementCounter(statements=[])
# Who the README says to sign the token for, by a word of the query.
PROFESSIONAL_QUERIES = ("matches",)


def readme_queries() -> list[str]:
    return [
        block
        for block in BLOCK.findall(README.read_text())
        if not block.lstrip().startswith("mutation")
    ]


@pytest.fixture(scope="module")
async def seeded_client(
    server_url: str, template_name: str, tokens: TokenService, redis_url: str
) -> AsyncIterator[tuple[httpx2.AsyncClient, SessionFactory]]:
    name = f"renkei_readme_{uuid.uuid4().hex[:12]}"
    libpq = make_url(server_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    owner_url = make_url(server_url).set(database=name).render_as_string(False)
    engine = create_engine(app_url_for(owner_url, "renkei_app"), pool_size=2)

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if STATEMENTS.active:
            STATEMENTS.statements.append(statement)

    sessions = session_factory(engine)
    try:
        await seed(sessions)
        app = create_app(sessions=sessions, tokens=tokens, redis_url=redis_url, development=True)
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
        ) as client:
            yield client, sessions
    finally:
        await engine.dispose()
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _token(
    sessions: SessionFactory, tokens: TokenService, email: str, slug: str | None
) -> str:
    """What `renkei token --email … [--org …]` prints."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        user = await users.get_user_by_email(session, email)
        organization_id = (
            await session.scalar(select(Organization.id).where(Organization.slug == slug))
            if slug
            else None
        )
    assert user is not None
    return tokens.issue(user_id=user.id, organization_id=organization_id, scopes=ALL_SCOPES)


def _fallbacks() -> float:
    return sum(
        sample.value for sample in FALLBACKS.collect()[0].samples if sample.name.endswith("_total")
    )


def test_the_readme_has_queries_to_try() -> None:
    assert len(readme_queries()) >= 3


@pytest.mark.parametrize("number", range(len(readme_queries())))
async def test_each_readme_query_runs_compiled_without_falling_back(
    seeded_client: tuple[httpx2.AsyncClient, SessionFactory],
    tokens: TokenService,
    number: int,
) -> None:
    # given the token the README tells its reader to sign for this query
    client, sessions = seeded_client
    query = readme_queries()[number]
    professional = any(word in query for word in PROFESSIONAL_QUERIES)
    token = await (
        _token(sessions, tokens, "pro@renkei.example", None)
        if professional
        else _token(sessions, tokens, "demo@renkei.example", "fukuoka-pref")
    )
    before = _fallbacks()
    # when the reader runs it, and runs it again
    with STATEMENTS:
        first = await graphql(client, query, token=token)
    second = await graphql(client, query, token=token)
    # then it answers without errors from one compiled statement, the same again, and no field
    # fell back to the resolvers
    assert "errors" not in first, first["errors"]
    assert sum(MARK in s for s in STATEMENTS.statements) == 1
    assert first == second
    assert _fallbacks() == before
