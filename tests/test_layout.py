"""`renkei` is one namespace package over three folders that shadow neither stdlib nor graphql-core.

The folders are named platform/ and graphql/: an `__init__.py` in one of them would turn it into a
regular package that wins over the standard library's platform.py or graphql-core whenever the
repository root is on sys.path (as it is for `python -c`, scripts and some tools).
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FOLDERS = ("platform", "graphql", "workers")
PLATFORM = ROOT / "platform" / "renkei"
MAX_LINES = 800

# Where a platform module may build a query outside a repository.py, and why. Keep it short:
# a query anywhere else belongs in its domain's repository.py, which its services call.
QUERIES_ALLOWED_IN = {
    "outbox.py": "infrastructure, not a domain: its claim and relay queries are the outbox itself",
    "seeding.py": "demo data loaded once from the command line, reading back what it wrote",
    "seeding_talent.py": "demo data loaded once from the command line, reading back what it wrote",
    "seeding_grants.py": "demo data loaded once from the command line, reading back what it wrote",
    "seeding_evaluations.py": "demo data loaded once from the command line, reading back what"
    " it wrote",
    "seeding_sign_in.py": "development only: the seeded organizations and their owners, once",
}

PROBE = """
import json
import platform, graphql
import renkei.config, renkei.graphql, renkei.workers
print(json.dumps({
    "platform": platform.__file__,
    "graphql": graphql.__file__,
    "renkei.config": renkei.config.__file__,
    "renkei.graphql": list(renkei.graphql.__path__),
    "renkei.workers": list(renkei.workers.__path__),
}))
"""


def _resolved(path: str) -> Path:
    return Path(path).resolve()


def test_imports_from_the_repository_root_resolve_to_the_right_modules() -> None:
    # given a fresh interpreter whose sys.path starts with the repository root
    # when it imports the standard library, graphql-core and the three parts of renkei
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    # then each comes from where it belongs
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    paths = sysconfig.get_paths()
    assert _resolved(found["platform"]) == _resolved(paths["stdlib"]) / "platform.py"
    assert _resolved(found["graphql"]) == _resolved(paths["purelib"]) / "graphql" / "__init__.py"
    assert _resolved(found["renkei.config"]) == ROOT / "platform" / "renkei" / "config.py"
    assert [_resolved(p) for p in found["renkei.graphql"]] == [
        ROOT / "graphql" / "renkei" / "graphql"
    ]
    assert [_resolved(p) for p in found["renkei.workers"]] == [
        ROOT / "workers" / "renkei" / "workers"
    ]


def test_no_init_file_turns_a_namespace_folder_into_a_package() -> None:
    folders = [ROOT / f for f in SOURCE_FOLDERS] + [ROOT / f / "renkei" for f in SOURCE_FOLDERS]
    inits = [folder / "__init__.py" for folder in folders if (folder / "__init__.py").exists()]
    inits += list((ROOT / "tests").rglob("__init__.py"))
    assert [str(p.relative_to(ROOT)) for p in inits] == []


def test_no_test_folder_is_named_after_a_shadowed_package() -> None:
    assert [name for name in ("platform", "graphql") if (ROOT / "tests" / name).exists()] == []


def _select_calls(path: Path) -> list[int]:
    """Lines calling `select(...)` (or `sqlalchemy.select(...)`) in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "select")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "select")
        )
    ]


def _allowed(relative: Path) -> bool:
    return str(relative) in QUERIES_ALLOWED_IN


def test_platform_queries_live_in_repository_modules() -> None:
    # given every platform module but the repositories and the allow-list
    modules = [
        p
        for p in sorted(PLATFORM.rglob("*.py"))
        if not p.name.endswith("repository.py") and not _allowed(p.relative_to(PLATFORM))
    ]
    # when we look for the queries they build
    found = [f"{p.relative_to(ROOT)}:{line}" for p in modules for line in _select_calls(p)]
    # then there are none: they belong in the domain's repository.py (or a named one, such as
    # kpis/goals_repository.py)
    assert found == []


def test_every_allow_listed_module_still_needs_its_exemption() -> None:
    # given each entry of the allow-list
    # when we look for the queries under it
    needless = [
        entry
        for entry in QUERIES_ALLOWED_IN
        if not (PLATFORM / entry).exists() or not _select_calls(PLATFORM / entry)
    ]
    # then each still builds one (otherwise it leaves the list)
    assert needless == []


def test_every_module_is_under_the_line_limit() -> None:
    # given every module of the three source folders (migrations keep their history as written)
    modules = [
        p
        for folder in SOURCE_FOLDERS
        for p in sorted((ROOT / folder).rglob("*.py"))
        if "versions" not in p.relative_to(ROOT).parts
    ]
    # when we count their lines
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in modules
        if (n := len(p.read_text(encoding="utf-8").splitlines())) >= MAX_LINES
    }
    # then each is split before it reaches the limit
    assert too_long == {}


def test_the_worker_runs_every_domains_job_handlers() -> None:
    # given the handlers each domain's tasks.py exports
    jobs = importlib.import_module("renkei.workers.jobs")
    domains = sorted(p.parent.name for p in PLATFORM.glob("*/tasks.py"))
    exported = {
        domain: importlib.import_module(f"renkei.{domain}.tasks").HANDLERS for domain in domains
    }
    # when the worker merges them
    # then every topic reaches its domain's handler, and the worker adds none of its own
    assert {
        topic: jobs.HANDLERS.get(topic) for handlers in exported.values() for topic in handlers
    } == {topic: handler for handlers in exported.values() for topic, handler in handlers.items()}
    assert sorted(jobs.HANDLERS) == sorted(t for handlers in exported.values() for t in handlers)
