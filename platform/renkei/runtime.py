"""The running platform's parts, resolved once: database, Redis and SMTP URLs, engines, keys.

Without RENKEI_DATABASE_URL / RENKEI_REDIS_URL / RENKEI_SMTP_URL, real servers are started from
the embedded packages with their data under RENKEI_DATA_DIR (.renkei/ by default); the SMTP
server keeps what it receives under .renkei/mail/ (`renkei mail` reads it).
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

import renkei.models  # noqa: F401 - every mapper must be known before the first query
from renkei.config import Settings
from renkei.crypto import SecretBox
from renkei.db import SessionFactory, app_url_for, create_engine, session_factory
from renkei.embedded import EmbeddedServers, start_postgres, start_redis, start_smtp
from renkei.identity.tokens import TokenService, load_or_create_keys

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    owner_url: str
    app_url: str
    redis_url: str
    tokens: TokenService
    secret_box: SecretBox
    cookie_secret: str
    # Where email is sent: RENKEI_SMTP_URL, else the embedded server's smtp://127.0.0.1:PORT;
    # None only for a runtime started with mail=False (a command that sends none).
    smtp_url: str | None = None
    embedded: EmbeddedServers = field(default_factory=EmbeddedServers)
    _engine: AsyncEngine | None = None
    _sessions: SessionFactory | None = None

    @classmethod
    def start(cls, settings: Settings, *, mail: bool = True) -> Runtime:
        """Resolve (and if needed start) the servers; nothing is migrated here. With `mail`
        false no SMTP server is started for a command that sends no email."""
        embedded = EmbeddedServers()
        owner_url = settings.database_url
        if owner_url is None:
            embedded.postgres, owner_url = start_postgres(settings.data_dir)
        redis_url = settings.redis_url
        if redis_url is None:
            embedded.redis, redis_url = start_redis(settings.data_dir)
        smtp_url = settings.smtp_url
        if smtp_url is None and mail:
            embedded.smtp, smtp_url = start_smtp(settings.data_dir)
        if settings.signing_keys:
            tokens = TokenService.from_json(
                settings.signing_keys,
                issuer=settings.token_issuer,
                ttl_seconds=settings.token_ttl_seconds,
                audience=settings.token_audience,
            )
        else:
            tokens = TokenService(
                load_or_create_keys(settings.data_dir / "signing-keys.json"),
                issuer=settings.token_issuer,
                ttl_seconds=settings.token_ttl_seconds,
                audience=settings.token_audience,
            )
        if settings.secret_keys:
            box = SecretBox.from_json(settings.secret_keys)
        else:
            box = SecretBox.load_or_create(settings.data_dir / "secret-keys.json")
        return cls(
            settings=settings,
            secret_box=box,
            cookie_secret=settings.cookie_secret or _dev_cookie_secret(settings.data_dir),
            owner_url=owner_url,
            app_url=settings.app_database_url or app_url_for(owner_url, settings.app_role),
            redis_url=redis_url,
            smtp_url=smtp_url,
            tokens=tokens,
            embedded=embedded,
        )

    @property
    def engine(self) -> AsyncEngine:
        """The application's engine: it connects as the role that row-level security binds."""
        if self._engine is None:
            self._engine = create_engine(self.app_url)
        return self._engine

    @property
    def sessions(self) -> SessionFactory:
        if self._sessions is None:
            self._sessions = session_factory(self.engine)
        return self._sessions

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = self._sessions = None

    def stop_embedded(self) -> None:
        self.embedded.close()


def _dev_cookie_secret(data_dir: Path) -> str:
    path = data_dir / "cookie-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip()
