"""Settings read from the environment, with development defaults that need nothing installed."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _project_root() -> Path:
    # platform/renkei/config.py -> the checkout root; installed as a wheel: the working directory.
    here = Path(__file__).resolve().parents[2]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


@dataclass(frozen=True)
class Settings:
    environment: Environment = Environment.DEVELOPMENT
    # Owner connection: runs migrations and seeds. None: start the embedded PostgreSQL.
    database_url: str | None = None
    # The application's connection, as a role that cannot bypass row-level security.
    # None: the owner URL with the user swapped for `app_role`.
    app_database_url: str | None = None
    app_role: str = "renkei_app"
    redis_url: str | None = None
    # Where the worker sends email: smtp://[user:password@]host[:port][?starttls=true] or
    # smtps://… (implicit TLS). None: `renkei run` starts an embedded SMTP server on loopback.
    smtp_url: str | None = None
    # The From of every email.
    mail_from: str = "Renkei <no-reply@renkei.example>"
    data_dir: Path = field(default_factory=lambda: _project_root() / ".renkei")
    host: str = "127.0.0.1"
    port: int = 8000
    # Prometheus' /metrics listens here (the API's and the worker's), never on the public port.
    # None: no /metrics at all. Development skips it, with a warning, when the port is taken.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    # Request bodies above this are refused with a 413, also when sent chunked.
    max_body_bytes: int = 1024 * 1024
    # In production, introspection is for the platform's operators unless this is set.
    public_introspection: bool = False
    public_url: str = "http://127.0.0.1:8000"
    # A JSON Web Key Set of private keys; the first signs. None: keys kept under data_dir.
    signing_keys: str | None = None
    token_issuer: str = "http://127.0.0.1:8000"
    token_ttl_seconds: int = 3600
    # The `aud` of issued access tokens, required on every one (RFC 9068). None: the public URL.
    token_audience: str | None = None
    log_level: str = "INFO"
    # Finished spans as JSON lines (renkei.tracing), readable without a collector. None: none
    # written (OTLP export is configured apart, by the standard OTEL_EXPORTER_OTLP_* variables).
    traces_file: Path | None = None
    # {"key-id": "<base64 of 32 bytes>", …}: seals secrets at rest (first key seals).
    # None: a ring kept under data_dir.
    secret_keys: str | None = None
    # Signs the short-lived sign-in cookie. None: a random secret kept under data_dir.
    cookie_secret: str | None = None
    # The operator's OpenID provider for individual professionals (optional).
    platform_oidc_issuer: str | None = None
    platform_oidc_client_id: str | None = None
    platform_oidc_client_secret: str | None = None
    # Name servers that check domain challenges (TXT _renkei-challenge.<domain>), e.g.
    # "10.0.0.2" or "127.0.0.1:5353,[::1]:5353". None: the system's resolver.
    dns_nameservers: str | None = None
    # Cost budgets (renkei.graphql.throttle): a leaky bucket per organization, API client and
    # anonymous address, in query cost points (nodes); mutations cost a fixed amount.
    throttle_enabled: bool = True
    throttle_capacity: int = 20_000
    throttle_refill_per_minute: int = 120_000
    throttle_mutation_cost: int = 10
    # Requests per minute and address to /auth/* and /oauth/token.
    auth_requests_per_minute: int = 60
    # Trusted documents (renkei.graphql.documents): which requests must send a registered
    # document (off, public: all but API clients, all); how long and how many automatic
    # persisted queries Redis keeps; manifests registering other clients' documents.
    registered_documents: str = "off"
    persisted_query_ttl_seconds: int = 86_400
    persisted_query_max: int = 5_000
    document_manifests: tuple[Path, ...] = ()

    @property
    def development(self) -> bool:
        return self.environment is not Environment.PRODUCTION

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read RENKEI_* variables; production refuses to start without its servers and keys."""
        env = dict(os.environ if env is None else env)
        try:
            environment = Environment(env.get("RENKEI_ENV", "development"))
        except ValueError as exc:
            allowed = ", ".join(e.value for e in Environment)
            raise ConfigError(f"RENKEI_ENV must be one of {allowed}") from exc
        port = env.get("RENKEI_PORT", "8000")
        if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise ConfigError(f"RENKEI_PORT must be a port number from 1 to 65535, not {port!r}")
        log_level = env.get("RENKEI_LOG_LEVEL", "INFO").upper()
        if not isinstance(logging.getLevelName(log_level), int):
            levels = "DEBUG, INFO, WARNING, ERROR or CRITICAL"
            raise ConfigError(f"RENKEI_LOG_LEVEL must be {levels}, not {log_level!r}")
        ttl = env.get("RENKEI_TOKEN_TTL_SECONDS", "3600")
        if not (ttl.isascii() and ttl.isdigit() and 60 <= int(ttl) <= 86400):
            raise ConfigError(f"RENKEI_TOKEN_TTL_SECONDS must be from 60 to 86400, not {ttl!r}")
        secret_keys = env.get("RENKEI_SECRET_KEYS") or None
        if secret_keys is not None:
            _check_secret_keys(secret_keys)
        signing_keys = env.get("RENKEI_SIGNING_KEYS") or None
        if signing_keys is not None:
            _check_key_set(signing_keys)
        host = env.get("RENKEI_HOST", "127.0.0.1")
        # /metrics has a listener of its own, on 9100 unless set (tests: none unless set).
        default_metrics = "off" if environment is Environment.TEST else "9100"
        metrics_port = env.get("RENKEI_METRICS_PORT", default_metrics).strip().lower()
        if metrics_port != "off" and not (
            metrics_port.isascii() and metrics_port.isdigit() and 0 < int(metrics_port) < 65536
        ):
            raise ConfigError(
                f"RENKEI_METRICS_PORT must be a port number or off, not {metrics_port!r}"
            )
        max_body = env.get("RENKEI_MAX_BODY_BYTES", str(1024 * 1024))
        if not (max_body.isascii() and max_body.isdigit() and 1024 <= int(max_body) <= 2**30):
            raise ConfigError(
                f"RENKEI_MAX_BODY_BYTES must be from 1024 to {2**30} bytes, not {max_body!r}"
            )
        introspection = env.get("RENKEI_PUBLIC_INTROSPECTION", "false").strip().lower()
        if introspection not in ("true", "false", "1", "0"):
            raise ConfigError(
                f"RENKEI_PUBLIC_INTROSPECTION must be true or false, not {introspection!r}"
            )
        public_url = env.get("RENKEI_PUBLIC_URL", f"http://{host}:{port}").rstrip("/")
        registered = env.get("RENKEI_REGISTERED_DOCUMENTS", "off").strip().lower()
        if registered not in ("off", "public", "all"):
            raise ConfigError(
                f"RENKEI_REGISTERED_DOCUMENTS must be off, public or all, not {registered!r}"
            )
        manifests = tuple(
            Path(p.strip())
            for p in env.get("RENKEI_DOCUMENT_MANIFESTS", "").split(",")
            if p.strip()
        )
        missing_manifests = [str(p) for p in manifests if not p.is_file()]
        if missing_manifests:
            raise ConfigError(
                f"RENKEI_DOCUMENT_MANIFESTS: no such file {', '.join(missing_manifests)}"
            )
        throttle_switch = env.get("RENKEI_THROTTLE", "on").lower()
        if throttle_switch not in ("on", "off"):
            raise ConfigError(f"RENKEI_THROTTLE must be on or off, not {throttle_switch!r}")
        data_dir = _project_root() / ".renkei"
        if env.get("RENKEI_DATA_DIR"):
            data_dir = Path(env["RENKEI_DATA_DIR"])
        # In development traces go to a file under the data folder unless told otherwise.
        traces = env.get("RENKEI_TRACES_FILE", "").strip()
        if traces.lower() == "off":
            traces_file = None
        elif traces:
            traces_file = Path(traces)
        else:
            development = environment is Environment.DEVELOPMENT
            traces_file = data_dir / "traces.jsonl" if development else None
        settings = cls(
            environment=environment,
            database_url=env.get("RENKEI_DATABASE_URL") or None,
            app_database_url=env.get("RENKEI_APP_DATABASE_URL") or None,
            app_role=env.get("RENKEI_APP_ROLE", "renkei_app"),
            redis_url=env.get("RENKEI_REDIS_URL") or None,
            smtp_url=env.get("RENKEI_SMTP_URL") or None,
            mail_from=env.get("RENKEI_MAIL_FROM") or "Renkei <no-reply@renkei.example>",
            data_dir=data_dir,
            traces_file=traces_file,
            host=host,
            port=int(port),
            metrics_host=env.get("RENKEI_METRICS_HOST", "127.0.0.1"),
            metrics_port=None if metrics_port == "off" else int(metrics_port),
            max_body_bytes=int(max_body),
            public_introspection=introspection in ("true", "1"),
            public_url=public_url,
            signing_keys=signing_keys,
            token_issuer=env.get("RENKEI_TOKEN_ISSUER", public_url),
            token_ttl_seconds=int(ttl),
            token_audience=env.get("RENKEI_TOKEN_AUDIENCE") or public_url,
            log_level=log_level,
            secret_keys=secret_keys,
            cookie_secret=env.get("RENKEI_COOKIE_SECRET") or None,
            platform_oidc_issuer=env.get("RENKEI_PLATFORM_OIDC_ISSUER") or None,
            platform_oidc_client_id=env.get("RENKEI_PLATFORM_OIDC_CLIENT_ID") or None,
            platform_oidc_client_secret=env.get("RENKEI_PLATFORM_OIDC_CLIENT_SECRET") or None,
            dns_nameservers=_dns_nameservers(env.get("RENKEI_DNS_NAMESERVERS") or None),
            throttle_enabled=throttle_switch == "on",
            throttle_capacity=_count(env, "RENKEI_THROTTLE_CAPACITY", 20_000),
            throttle_refill_per_minute=_count(env, "RENKEI_THROTTLE_REFILL_PER_MINUTE", 120_000),
            throttle_mutation_cost=_count(env, "RENKEI_THROTTLE_MUTATION_COST", 10),
            auth_requests_per_minute=_count(env, "RENKEI_AUTH_REQUESTS_PER_MINUTE", 60),
            registered_documents=registered,
            persisted_query_ttl_seconds=_count(env, "RENKEI_PERSISTED_QUERY_TTL_SECONDS", 86_400),
            persisted_query_max=_count(env, "RENKEI_PERSISTED_QUERY_MAX", 5_000),
            document_manifests=manifests,
        )
        if environment is Environment.PRODUCTION:
            missing = [
                name
                for name, value in (
                    ("RENKEI_DATABASE_URL", settings.database_url),
                    ("RENKEI_APP_DATABASE_URL", settings.app_database_url),
                    ("RENKEI_REDIS_URL", settings.redis_url),
                    ("RENKEI_SIGNING_KEYS", settings.signing_keys),
                    ("RENKEI_SECRET_KEYS", settings.secret_keys),
                    ("RENKEI_COOKIE_SECRET", settings.cookie_secret),
                )
                if not value
            ]
            if missing:
                raise ConfigError(f"production needs {', '.join(missing)} to be set")
        return settings


def _dns_nameservers(value: str | None) -> str | None:
    from renkei.email_domains.dns_challenge import parse_nameservers

    try:
        parse_nameservers(value)
    except ValueError as exc:
        raise ConfigError(f"RENKEI_DNS_NAMESERVERS: {exc}") from exc
    return value


def _count(env: dict[str, str], name: str, default: int) -> int:
    """A whole number of at least 1 from `name`, or `default` when it is not set."""
    value = env.get(name) or str(default)
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _check_key_set(value: str) -> None:
    """A JSON Web Key Set with at least one key; the keys themselves are checked on loading."""
    try:
        keys = json.loads(value).get("keys")
    except (ValueError, AttributeError):
        keys = None
    if not isinstance(keys, list) or not keys:
        raise ConfigError('RENKEI_SIGNING_KEYS must be a JSON Web Key Set: {"keys": [...]}')


def _check_secret_keys(value: str) -> None:
    from renkei.crypto import SecretBox

    try:
        SecretBox.from_json(value)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(
            'RENKEI_SECRET_KEYS must be {"key-id": "<base64 of 32 bytes>", ...}'
        ) from exc
