"""The models and the migrations describe one schema, and the migrations go down and up again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, make_url, pool

from renkei import migrate
from renkei.models import Base

APP_ROLE = "renkei_app"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def _sync(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(False)


@pytest.fixture
def empty_database(owner_url: str) -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    name = f"renkei_migrations_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(owner_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(owner_url).set(database=name).render_as_string(False)
    with psycopg.connect(_libpq(owner_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _catalog(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(_libpq(url)) as conn:
        return conn.execute(sql).fetchall()


PUBLIC_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') ORDER BY 1"
)
APP_ROLE_GRANTS = (
    "SELECT count(*) FROM pg_namespace n, aclexplode(n.nspacl) a"
    f" WHERE n.nspname = 'public' AND a.grantee = '{APP_ROLE}'::regrole"
    " UNION ALL SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a"
    f" WHERE d.datname = current_database() AND a.grantee = '{APP_ROLE}'::regrole"
)
RENKEI_FUNCTIONS = (
    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = 'public' AND p.proname LIKE 'renkei%' ORDER BY 1"
)


def test_models_and_migrations_agree(owner_url: str) -> None:
    # given a database migrated to head (the session's template)
    engine = create_engine(_sync(owner_url), poolclass=pool.NullPool)
    # when alembic compares it with the models, as `alembic revision --autogenerate` would
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    # then there is nothing to generate
    assert differences == []


def test_downgrade_to_base_and_upgrade_again(empty_database: str) -> None:
    # given a database migrated to head
    migrate.upgrade(empty_database, app_role=APP_ROLE)
    policies_at_head = _catalog(empty_database, "SELECT count(*) FROM pg_policy")
    # when it is taken down to base
    command.downgrade(migrate.alembic_config(empty_database, app_role=APP_ROLE), "base")
    # then only alembic's own bookkeeping is left, and the cluster-wide role survives
    assert _catalog(empty_database, PUBLIC_TABLES) == [("alembic_version",)]
    assert _catalog(empty_database, RENKEI_FUNCTIONS) == []
    assert _catalog(empty_database, "SELECT version_num FROM alembic_version") == []
    assert _catalog(empty_database, APP_ROLE_GRANTS) == [(0,), (0,)]
    assert _catalog(empty_database, f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}'") == [
        (1,)
    ]
    # when it is migrated up again
    migrate.upgrade(empty_database, app_role=APP_ROLE)
    # then it is at head, with its reference data and its policies
    assert _catalog(empty_database, "SELECT version_num FROM alembic_version") == [
        (migrate.head_revision(),)
    ]
    assert _catalog(empty_database, "SELECT count(*) FROM prefectures") == [(47,)]
    assert _catalog(empty_database, "SELECT count(*) FROM pg_policy") == policies_at_head
