"""graphql/schema.graphql, the API's contract for clients, is the schema the code builds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from renkei.graphql.schema import SDL_PATH, build_schema

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_sdl_is_the_schema_the_code_builds():
    # given
    committed = (ROOT / "graphql" / "schema.graphql").read_text()
    # when
    built = build_schema().as_str() + "\n"
    # then
    assert committed == built, (
        "graphql/schema.graphql is stale: run `make schema` and commit it with your change"
    )


def test_the_sdl_is_where_export_schema_writes_it():
    # then
    assert SDL_PATH == ROOT / "graphql" / "schema.graphql"


def test_export_schema_check_passes():
    # when
    result = subprocess.run(
        [sys.executable, "-m", "renkei.cli", "export-schema", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "RENKEI_ENV": "development"},
        timeout=60,
        check=False,
    )
    # then
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
