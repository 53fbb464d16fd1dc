"""platform/renkei/policies/*.sql are what row-level security is after `migrate`, and
`renkei export-policies --check` says so, or shows how the database differs."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from renkei.policies import export

ROOT = Path(__file__).resolve().parents[2]


def _check(owner_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RENKEI_DATABASE_URL": owner_url, "RENKEI_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "renkei.cli", "export-policies", "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def throwaway_url(server_url: str, template_name: str) -> Iterator[str]:
    """A database cloned from the migrated template, dropped after the test."""
    name = f"renkei_policies_{uuid.uuid4().hex[:12]}"
    server = export.libpq(server_url)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_policy_files_are_the_migrated_database_s(owner_url: str) -> None:
    # given the tests' database, migrated to head
    # when the command compares it with the files
    checked = _check(owner_url)
    # then they agree
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == ""


def test_the_files_show_every_policy_and_renkei_function(owner_url: str) -> None:
    # given the catalog's policies and renkei_* functions
    with psycopg.connect(export.libpq(owner_url)) as connection:
        policies = connection.execute("SELECT policyname FROM pg_policies").fetchall()
        functions = connection.execute(
            "SELECT proname FROM pg_proc WHERE proname LIKE 'renkei\\_%'"
        ).fetchall()
    # when the files are read
    text = "".join(export.written().values())
    # then each is there, and each table's row-level security is stated
    assert policies and functions
    assert [p for (p,) in policies if f"CREATE POLICY {p} ON " not in text] == []
    assert [
        f
        for (f,) in functions
        if f"FUNCTION public.{f}(" not in text and f"AGGREGATE public.{f}(" not in text
    ] == []
    milestones = export.written()["milestones.sql"]
    assert "ALTER TABLE milestones ENABLE ROW LEVEL SECURITY;" in milestones
    assert "ALTER TABLE milestones FORCE ROW LEVEL SECURITY;" in milestones


def test_a_policy_changed_in_the_database_is_reported(owner_url: str) -> None:
    # given a transaction, rolled back, in which a policy lets every signed-in user read milestones
    with psycopg.connect(export.libpq(owner_url)) as connection:
        connection.execute(
            "ALTER POLICY milestones_select ON milestones"
            " USING ((SELECT renkei_user_id()) IS NOT NULL)"
        )
        # when the files are compared with what the database has now
        difference = export.diff(export.render_from(connection))
        connection.rollback()
    # then the difference names the file and shows the new condition in place of the old one
    lines = difference.splitlines()
    assert "--- policies/milestones.sql" in lines
    added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    removed = [line for line in lines if line.startswith("-") and not line.startswith("---")]
    assert added == ["+  USING (( SELECT renkei_user_id() AS renkei_user_id) IS NOT NULL);"]
    assert removed[0] == "-  USING (( SELECT renkei_is_system() AS renkei_is_system)"
    assert any("FROM projects p" in line for line in removed)


def test_the_command_fails_with_a_readable_difference(throwaway_url: str) -> None:
    # given a database in which kpis' row-level security no longer binds the owner
    with psycopg.connect(export.libpq(throwaway_url)) as connection:
        connection.execute("ALTER TABLE kpis NO FORCE ROW LEVEL SECURITY")
    # when the command checks it
    checked = _check(throwaway_url)
    # then it fails and shows the line that changed, in the domain's file
    assert checked.returncode == 1
    assert "--- policies/kpis.sql" in checked.stdout
    assert "-ALTER TABLE kpis FORCE ROW LEVEL SECURITY;" in checked.stdout
    assert "renkei export-policies" in checked.stderr
