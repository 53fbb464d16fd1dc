"""Test fixtures on real servers: PostgreSQL (embedded, or RENKEI_TEST_DATABASE_URL) and Redis.

Most tests run inside one outer transaction that is rolled back at the end (`sessions`, `client`);
tests that need real commits (the worker, the relay) get a database cloned from a migrated
template (`committed`).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import psycopg
import pytest
from joserfc.jwk import KeySet
from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import NullPool

import renkei.models  # noqa: F401 - all mappers
from factories import API_ACCEPT
from renkei import migrate
from renkei.db import SessionFactory, app_url_for, create_engine, session_factory
from renkei.embedded import start_postgres, start_redis
from renkei.graphql.app import create_app
from renkei.identity.tokens import TokenService, generate_key

ROOT = Path(__file__).resolve().parents[1]
APP_ROLE = "renkei_app"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(False)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """An owner (superuser or CREATEDB) URL of a real PostgreSQL server."""
    url = os.environ.get("RENKEI_TEST_DATABASE_URL")
    if url:
        yield url
        return
    server, url = start_postgres(ROOT / ".renkei" / "test", database="postgres")
    yield url
    server.cleanup()


def _create_database(server_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return _with_database(server_url, name)


def _drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def template_name(server_url: str) -> Iterator[str]:
    """A database migrated to head that nothing stays connected to, so that it can be cloned."""
    name = f"renkei_template_{os.getpid()}"
    migrate.upgrade(_create_database(server_url, name), app_role=APP_ROLE)
    yield name
    _drop_database(server_url, name)


@pytest.fixture(scope="session")
def owner_url(server_url: str, template_name: str) -> Iterator[str]:
    """The database of the rolled-back tests, cloned from the template."""
    name = f"renkei_test_{os.getpid()}"
    yield _create_database(server_url, name, template=template_name)
    _drop_database(server_url, name)


@pytest.fixture(scope="session")
def app_url(owner_url: str) -> str:
    return app_url_for(owner_url, APP_ROLE)


@dataclass
class StatementCounter:
    """Counts SQL statements, like zulip's queries_captured(): a regression to N+1 shows."""

    statements: list[str]
    active: bool = False

    def __enter__(self) -> StatementCounter:
        self.statements.clear()
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.active = False

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture(scope="session")
def statement_counter() -> StatementCounter:
    return StatementCounter(statements=[])


@pytest.fixture(scope="session")
async def app_engine(
    app_url: str, statement_counter: StatementCounter
) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(app_url, pool_size=2)

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement_counter.active:
            statement_counter.statements.append(statement)

    yield engine
    await engine.dispose()


class _ForgetfulSession(Session):
    """A session whose every transaction starts with no viewer.

    Inside the outer test transaction each "transaction" is a savepoint, and settings made with
    set_config(..., true) outlive a released savepoint; without this, code that forgets to set
    its viewer would pass here on the previous block's viewer and fail in production.
    """


@event.listens_for(_ForgetfulSession, "after_begin")
def _forget_viewer(
    _session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    if transaction.nested:  # a savepoint inside a request, e.g. around one mutation
        return
    connection.execute(
        text(
            "SELECT set_config('renkei.user_id', '', true), set_config('renkei.email', '', true),"
            " set_config('renkei.organization_id', '', true), set_config('renkei.role', '', true),"
            " set_config('renkei.system', '', true)"
        )
    )


@pytest.fixture
async def sessions(app_engine: AsyncEngine) -> AsyncIterator[SessionFactory]:
    """Sessions as the application role, inside a transaction rolled back after the test."""
    async with app_engine.connect() as connection:
        outer = await connection.begin()
        yield async_sessionmaker(
            bind=connection,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
            sync_session_class=_ForgetfulSession,
        )
        await outer.rollback()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("RENKEI_TEST_REDIS_URL")
    if url:
        yield url
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server, url = start_redis(ROOT / ".renkei" / "test")
    yield url
    server._cleanup()


@pytest.fixture(scope="session")
def tokens() -> TokenService:
    return TokenService(
        KeySet([generate_key()]),
        issuer="http://renkei.test",
    )


def _client(sessions: SessionFactory, tokens: TokenService, redis_url: str) -> httpx2.AsyncClient:
    app = create_app(sessions=sessions, tokens=tokens, redis_url=redis_url, development=True)
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test", headers=API_ACCEPT
    )


@pytest.fixture
async def client(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    """The API over HTTP, its database work rolled back after the test."""
    async with _client(sessions, tokens, redis_url) as http:
        yield http


@pytest.fixture
async def resolvers_only(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    """The same API with compiled reads turned off: every field through its resolver, to compare
    the compiled answers with."""
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        compiled_reads=False,
    )
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test", headers=API_ACCEPT
    ) as http:
        yield http


@dataclass
class CommittedDatabase:
    owner_url: str
    app_url: str
    engine: AsyncEngine
    sessions: SessionFactory
    client: httpx2.AsyncClient


@pytest.fixture
async def committed(
    server_url: str, template_name: str, tokens: TokenService, redis_url: str
) -> AsyncIterator[CommittedDatabase]:
    """A fresh database cloned from the migrated template, for tests that need real commits."""
    name = f"renkei_test_{uuid.uuid4().hex[:12]}"
    owner = _create_database(server_url, name, template=template_name)
    app = app_url_for(owner, APP_ROLE)
    engine = create_engine(app, pool_size=4)
    factory = session_factory(engine)
    async with _client(factory, tokens, redis_url) as http:
        yield CommittedDatabase(owner, app, engine, factory, http)
    await engine.dispose()
    _drop_database(server_url, name)


@pytest.fixture
def owner_engine(owner_url: str) -> Iterator[AsyncEngine]:
    """The owner's connection, for catalog checks only: it bypasses nothing the app cannot."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(owner_url, poolclass=NullPool)
    yield engine
