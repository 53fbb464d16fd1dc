"""Settings from the environment: development needs nothing, production refuses to guess."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from joserfc.jwk import KeySet

from renkei.config import ConfigError, Environment, Settings
from renkei.identity.tokens import generate_key

PRODUCTION_VARIABLES = (
    "RENKEI_DATABASE_URL",
    "RENKEI_APP_DATABASE_URL",
    "RENKEI_REDIS_URL",
    "RENKEI_SIGNING_KEYS",
    "RENKEI_SECRET_KEYS",
    "RENKEI_COOKIE_SECRET",
)


def _production(**overrides: str) -> dict[str, str]:
    env = {
        "RENKEI_ENV": "production",
        "RENKEI_DATABASE_URL": "postgresql+psycopg://owner@db/renkei",
        "RENKEI_APP_DATABASE_URL": "postgresql+psycopg://renkei_app@db/renkei",
        "RENKEI_REDIS_URL": "redis://cache:6379/0",
        "RENKEI_SIGNING_KEYS": json.dumps(KeySet([generate_key()]).as_dict(private=True)),
        "RENKEI_SECRET_KEYS": json.dumps({"k1": base64.b64encode(bytes(32)).decode()}),
        "RENKEI_COOKIE_SECRET": "a cookie secret of the operator's",
        "RENKEI_PUBLIC_URL": "https://renkei.example/",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value}


def test_development_needs_nothing():
    # when
    settings = Settings.from_env({})
    # then
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.development
    assert (settings.database_url, settings.redis_url, settings.signing_keys) == (None, None, None)
    assert settings.app_role == "renkei_app"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.public_url == settings.token_issuer == "http://127.0.0.1:8000"
    assert settings.log_level == "INFO"


def test_production_reads_its_servers_and_keys():
    # given
    env = _production()
    # when
    settings = Settings.from_env(env)
    # then
    assert not settings.development
    assert settings.database_url == env["RENKEI_DATABASE_URL"]
    assert settings.app_database_url == env["RENKEI_APP_DATABASE_URL"]
    assert settings.redis_url == env["RENKEI_REDIS_URL"]
    assert settings.signing_keys == env["RENKEI_SIGNING_KEYS"]
    assert settings.public_url == settings.token_issuer == "https://renkei.example"


def test_production_names_every_missing_variable():
    # when
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"RENKEI_ENV": "production"})
    # then
    assert str(raised.value) == f"production needs {', '.join(PRODUCTION_VARIABLES)} to be set"


def test_production_names_only_what_is_missing():
    # when
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(_production(RENKEI_REDIS_URL="", RENKEI_SIGNING_KEYS=""))
    # then
    assert str(raised.value) == "production needs RENKEI_REDIS_URL, RENKEI_SIGNING_KEYS to be set"


def test_an_unknown_environment_is_refused():
    with pytest.raises(
        ConfigError, match="RENKEI_ENV must be one of development, test, production"
    ):
        Settings.from_env({"RENKEI_ENV": "staging"})


@pytest.mark.parametrize("port", ["http", "-1", "0", "65536", "8000.0", "٨٠٠٠"])
def test_a_bad_port_is_refused(port):
    with pytest.raises(ConfigError, match="RENKEI_PORT must be a port number"):
        Settings.from_env({"RENKEI_PORT": port})


def test_a_bad_log_level_is_refused():
    with pytest.raises(ConfigError, match="RENKEI_LOG_LEVEL must be"):
        Settings.from_env({"RENKEI_LOG_LEVEL": "verbose"})


@pytest.mark.parametrize("keys", ["not json", "[]", '{"keys": []}', '{"kty": "RSA"}'])
def test_signing_keys_that_are_not_a_key_set_are_refused(keys):
    with pytest.raises(ConfigError, match="RENKEI_SIGNING_KEYS must be a JSON Web Key Set"):
        Settings.from_env(_production(RENKEI_SIGNING_KEYS=keys))


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("RENKEI_")}
    return subprocess.run(
        [sys.executable, "-m", "renkei.cli", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_refuses_production_without_its_settings(tmp_path):
    # when
    result = _cli("migrate", env={"RENKEI_ENV": "production"}, cwd=tmp_path)
    # then
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"renkei: production needs {', '.join(PRODUCTION_VARIABLES)} to be set\n"
    )


def test_token_lifetime_is_configurable_within_bounds():
    # when
    settings = Settings.from_env({"RENKEI_TOKEN_TTL_SECONDS": "900"})
    # then
    assert settings.token_ttl_seconds == 900
    for ttl in ("0", "59", "86401", "an hour"):
        with pytest.raises(ConfigError, match="RENKEI_TOKEN_TTL_SECONDS must be from 60 to 86400"):
            Settings.from_env({"RENKEI_TOKEN_TTL_SECONDS": ttl})


def test_hardening_settings_have_safe_defaults():
    # when
    settings = Settings.from_env({"RENKEI_PUBLIC_URL": "https://api.renkei.example"})
    production = Settings.from_env(_production())
    # then
    assert settings.token_audience == "https://api.renkei.example"
    # /metrics has a listener of its own on loopback, never the API's port; none in tests.
    assert (settings.metrics_host, settings.metrics_port) == ("127.0.0.1", 9100)
    assert (production.metrics_host, production.metrics_port) == ("127.0.0.1", 9100)
    assert Settings.from_env({"RENKEI_ENV": "test"}).metrics_port is None
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.public_introspection is False


def test_hardening_settings_are_read_and_checked():
    # when
    settings = Settings.from_env(
        {
            "RENKEI_TOKEN_AUDIENCE": "https://graphql.renkei.example",
            "RENKEI_METRICS_PORT": "off",
            "RENKEI_MAX_BODY_BYTES": "65536",
            "RENKEI_PUBLIC_INTROSPECTION": "true",
        }
    )
    # then
    assert settings.token_audience == "https://graphql.renkei.example"
    assert settings.metrics_port is None
    assert settings.max_body_bytes == 65536
    assert settings.public_introspection is True
    for name, value in (
        ("RENKEI_METRICS_PORT", "0"),
        ("RENKEI_MAX_BODY_BYTES", "12"),
        ("RENKEI_MAX_BODY_BYTES", "1 MB"),
        ("RENKEI_PUBLIC_INTROSPECTION", "maybe"),
    ):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value})


def test_rate_limits_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "RENKEI_THROTTLE_CAPACITY": "5000",
            "RENKEI_THROTTLE_REFILL_PER_MINUTE": "30000",
            "RENKEI_THROTTLE_MUTATION_COST": "25",
            "RENKEI_AUTH_REQUESTS_PER_MINUTE": "20",
            "RENKEI_THROTTLE": "off",
        }
    )
    assert (
        settings.throttle_capacity,
        settings.throttle_refill_per_minute,
        settings.throttle_mutation_cost,
        settings.auth_requests_per_minute,
        settings.throttle_enabled,
    ) == (5000, 30000, 25, 20, False)
    defaults = Settings.from_env({})
    assert (defaults.throttle_capacity, defaults.throttle_refill_per_minute) == (20_000, 120_000)
    assert defaults.throttle_enabled


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RENKEI_THROTTLE_CAPACITY", "0"),
        ("RENKEI_THROTTLE_REFILL_PER_MINUTE", "-5"),
        ("RENKEI_AUTH_REQUESTS_PER_MINUTE", "many"),
        ("RENKEI_THROTTLE", "maybe"),
    ],
)
def test_malformed_rate_limits_are_refused_by_name(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_traces_go_to_a_file_in_development_and_nowhere_by_default_in_production(tmp_path):
    # when
    development = Settings.from_env({"RENKEI_DATA_DIR": str(tmp_path)})
    chosen = Settings.from_env({"RENKEI_TRACES_FILE": str(tmp_path / "spans.jsonl")})
    off = Settings.from_env({"RENKEI_TRACES_FILE": "off"})
    production = Settings.from_env(_production())
    production_file = Settings.from_env(_production(RENKEI_TRACES_FILE="/var/log/spans.jsonl"))
    # then
    assert development.traces_file == tmp_path / "traces.jsonl"
    assert chosen.traces_file == tmp_path / "spans.jsonl"
    assert off.traces_file is None
    assert production.traces_file is None
    assert production_file.traces_file == Path("/var/log/spans.jsonl")
