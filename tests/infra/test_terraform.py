"""Static checks of infra/terraform: it parses, inputs and outputs are documented, checkov passes.

Terraform itself is not installed here; these checks are what can be proven without it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest

TERRAFORM = Path(__file__).resolve().parents[2] / "infra" / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = TERRAFORM / "environments"
TF_FILES = sorted(TERRAFORM.rglob("*.tf"))
# The folders Terraform reads as one configuration: each module and each environment root.
CONFIGURATIONS = sorted(
    {path.parent for path in TF_FILES}, key=lambda folder: str(folder.relative_to(TERRAFORM))
)
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def _id(path: Path) -> str:
    return str(path.relative_to(TERRAFORM))


def _parse(path: Path) -> dict[str, Any]:
    with path.open() as f:
        return hcl2.load(f)


def _blocks(folder: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Every `kind` block (variable, output, module…) of a configuration, by name."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        for block in _parse(path).get(kind, []):
            found.update(block)
    return found


def _value(block: dict[str, Any], key: str) -> Any:
    value = block.get(key)
    # The parser wraps attribute values in one-element lists.
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def test_the_modules_and_environments_of_the_deployment_are_there() -> None:
    modules = {path.name for path in MODULES.iterdir() if path.is_dir()}
    roots = {path.name for path in ENVIRONMENTS.iterdir() if path.is_dir()}

    assert {
        "network",
        "database",
        "cache",
        "service",
        "migrations",
        "secrets",
        "observability",
        "iam",
    } <= modules
    assert roots == {"staging", "production"}
    for module in modules:
        assert {"main.tf", "variables.tf", "outputs.tf"} <= {
            path.name for path in (MODULES / module).iterdir()
        }, module


@pytest.mark.parametrize("path", TF_FILES, ids=_id)
def test_every_terraform_file_parses(path: Path) -> None:
    assert isinstance(_parse(path), dict)


@pytest.mark.parametrize("folder", CONFIGURATIONS, ids=_id)
def test_every_variable_has_a_description_and_a_type(folder: Path) -> None:
    variables = _blocks(folder, "variable")

    undocumented = [
        name
        for name, block in variables.items()
        if not str(_value(block, "description") or "").strip() or _value(block, "type") is None
    ]

    assert variables, f"{_id(folder)} declares no variable"
    assert undocumented == []


@pytest.mark.parametrize("folder", CONFIGURATIONS, ids=_id)
def test_every_output_has_a_description(folder: Path) -> None:
    outputs = _blocks(folder, "output")

    undocumented = [
        name for name, block in outputs.items() if not str(_value(block, "description") or "")
    ]

    assert outputs, f"{_id(folder)} declares no output"
    assert undocumented == []


@pytest.mark.parametrize("root", ["staging", "production"])
def test_an_environment_keeps_state_in_s3_and_defaults_to_tokyo_with_an_optional_dr_region(
    root: str,
) -> None:
    folder = ENVIRONMENTS / root
    terraform = [
        block for path in folder.glob("*.tf") for block in _parse(path).get("terraform", [])
    ]
    variables = _blocks(folder, "variable")

    assert any("s3" in (block.get("backend") or [{}])[0] for block in terraform)
    assert _value(variables["region"], "default") == "ap-northeast-1"
    assert _value(variables["dr_region"], "default") is None


def test_the_api_is_healthy_only_when_ready() -> None:
    # The target group routes to a task only when /readyz says the database is reachable at the
    # image's migration head and Redis answers.
    target_group = _blocks(MODULES / "alb", "resource")["aws_lb_target_group"]["api"]

    assert _value(_value(target_group, "health_check"), "path") == "/readyz"


def test_metrics_stay_inside_the_task_and_readiness_fits_the_probe() -> None:
    # /metrics has a listener of its own on the task's loopback (RENKEI_METRICS_*), which the
    # load balancer, routing to the API's port, never reaches; /readyz answers within 2 s.
    locals_ = _blocks(MODULES / "stack", "locals")
    environment = str(_value(locals_, "environment"))
    target_group = _blocks(MODULES / "alb", "resource")["aws_lb_target_group"]["api"]

    assert "'RENKEI_METRICS_HOST': '127.0.0.1'" in environment
    assert "'RENKEI_METRICS_PORT': '9100'" in environment
    assert "'RENKEI_TOKEN_AUDIENCE': '${var.public_url}'" in environment
    assert _value(target_group, "port") == "${var.app_port}"
    assert _value(_value(target_group, "health_check"), "timeout") > 2


def test_production_data_is_encrypted_replicated_and_recoverable() -> None:
    database = _blocks(MODULES / "database", "resource")["aws_db_instance"]["this"]
    cache = _blocks(MODULES / "cache", "resource")["aws_elasticache_replication_group"]["this"]
    production = _blocks(ENVIRONMENTS / "production", "module")["renkei"]
    sizes = _value(production, "database")

    assert _value(database, "engine") == "postgres"
    assert _value(database, "storage_encrypted") is True
    assert _value(database, "backup_retention_period") == "${var.backup_retention_days}"
    assert sizes["multi_az"] is True
    assert sizes["backup_retention_days"] >= 7
    assert _value(cache, "at_rest_encryption_enabled") is True
    assert _value(cache, "transit_encryption_enabled") is True
    assert _value(cache, "automatic_failover_enabled") is True


def test_every_checkov_skip_gives_its_reason() -> None:
    skips = [
        (f"{_id(path)}:{number}", match.group(1), (match.group(2) or "").strip())
        for path in TF_FILES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if (match := SKIP_COMMENT.search(line))
    ]

    unexplained = [(where, check) for where, check, reason in skips if len(reason) < 20]

    assert unexplained == []


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    """One checkov run over infra/terraform (about ten seconds), offline."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkov.main",
            "--directory",
            str(TERRAFORM),
            "--framework",
            "terraform",
            "--skip-download",
            "--output",
            "json",
            "--quiet",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "WARNING"},
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_reports_no_failed_check(checkov_report: dict[str, Any]) -> None:
    failed = [
        (check["check_id"], check["resource"], check["file_path"])
        for check in checkov_report["results"].get("failed_checks", [])
    ]

    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["passed"] > 0
    assert failed == []
