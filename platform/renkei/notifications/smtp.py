"""The SMTP server the worker sends email through, read from RENKEI_SMTP_URL.

smtp://[user:password@]host[:port][?starttls=true] speaks plain SMTP (port 25, or 587 with
STARTTLS, which is then required); smtps://… speaks TLS from the start (port 465). A user and
password, percent-encoded in the URL, authenticate (AUTH) once the connection is private.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from renkei.config import Settings

TIMEOUT_SECONDS = 30.0


class SmtpUnavailable(Exception):
    """The server could not take the message now (down, timed out, a 4xx answer): try again."""


class SmtpRefused(Exception):
    """The server refused the message for good (a 5xx answer): sending it again cannot help."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL is smtp://[user:password@]host[:port] or smtps://…")
        query = {key.lower(): values[-1] for key, values in parse_qs(parts.query).items()}
        starttls = query.get("starttls", "false").lower() in ("true", "1", "yes")
        implicit_tls = parts.scheme == "smtps"
        default_port = 465 if implicit_tls else 587 if starttls else 25
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            implicit_tls=implicit_tls,
            starttls=starttls and not implicit_tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the server; SmtpUnavailable or SmtpRefused when it did not."""
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.implicit_tls,
                start_tls=self.starttls,
                timeout=TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            if all(code >= 500 for code in codes):
                raise SmtpRefused(str(exc)) from exc
            raise SmtpUnavailable(str(exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500 and not isinstance(exc, aiosmtplib.SMTPAuthenticationError):
                raise SmtpRefused(f"{exc.code} {exc.message}") from exc
            raise SmtpUnavailable(f"{exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SmtpUnavailable(str(exc) or type(exc).__name__) from exc


@dataclass(frozen=True)
class Mailer:
    """What the worker sends email with: the server (None: none configured), the From, and the
    public URL the links in a message point to. Built once from the settings at worker start."""

    server: SmtpServer | None
    mail_from: str
    public_url: str

    @classmethod
    def from_settings(cls, settings: Settings, *, smtp_url: str | None = None) -> Mailer:
        """The mailer of these settings; `smtp_url` (the runtime's, e.g. the embedded server
        `renkei run` started) wins over the settings'."""
        url = smtp_url or settings.smtp_url
        return cls(
            server=SmtpServer.from_url(url) if url else None,
            mail_from=settings.mail_from,
            public_url=settings.public_url,
        )
