"""The development mail folder: what the embedded SMTP server received, one .eml file a message.

Files are named by the time they arrived (UTC, to the microsecond) and a random part, so that
sorting the names sorts the messages: `20261206T095700.123456Z-<32 hex>.eml`. A message's id is
its file name without `.eml`. `renkei mail` and the development page /dev/mail read them here;
nothing here needs a server to be running.
"""

from __future__ import annotations

import email
import email.policy
import html
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
from pathlib import Path

SUFFIX = ".eml"
# Only plain file names are ever looked up: no separator, no leading dot.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_TAG = re.compile(r"<[^>]*>")
_TIME = re.compile(r"(\d{8}T\d{6})\.(\d{6})Z-")


def folder_of(data_dir: Path) -> Path:
    return data_dir / "mail"


def store(folder: Path, raw: bytes, *, mail_from: str | None, recipients: list[str]) -> Path:
    """Write a received message with its envelope (Return-Path, Delivered-To) on top; a reader
    never sees half a file, as it is written aside and then renamed."""
    now = datetime.now(UTC)
    name = f"{now:%Y%m%dT%H%M%S}.{now:%f}Z-{uuid.uuid4().hex}{SUFFIX}"
    envelope = f"Return-Path: <{mail_from or ''}>\r\n" + "".join(
        f"Delivered-To: {recipient}\r\n" for recipient in recipients
    )
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.part"
    partial.write_bytes(envelope.encode("utf-8") + raw)
    os.replace(partial, folder / name)
    return folder / name


@dataclass(frozen=True)
class StoredMessage:
    """One message as a person reads it: headers decoded from MIME encoded-words."""

    id: str
    received_at: datetime
    date: datetime | None
    sender: str
    to: str
    subject: str
    message: EmailMessage

    @property
    def when(self) -> datetime:
        return self.date or self.received_at

    def header(self, name: str) -> str:
        return _header(self.message, name)

    def text(self) -> str:
        """The text part, decoded; a message with HTML only is read without its tags."""
        part = self.message.get_body(preferencelist=("plain",))
        if part is not None:
            return _content(part)
        part = self.message.get_body(preferencelist=("html",))
        if part is not None:
            return html.unescape(_TAG.sub("", _content(part))).strip() + "\n"
        return ""

    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return _content(part) if part is not None else None

    def as_dict(self, *, with_body: bool = False) -> dict[str, object]:
        found: dict[str, object] = {
            "id": self.id,
            "receivedAt": self.received_at.isoformat(),
            "date": self.date.isoformat() if self.date else None,
            "from": self.sender,
            "to": self.to,
            "subject": self.subject,
            "messageId": self.header("Message-ID"),
        }
        if with_body:
            found["text"] = self.text()
            found["html"] = self.html()
        return found


def messages(folder: Path) -> list[StoredMessage]:
    """Every stored message, newest first."""
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.glob(f"*{SUFFIX}")), reverse=True)
    return [_read(folder / name) for name in names if _ID.fullmatch(name[: -len(SUFFIX)])]


def read(folder: Path, message_id: str) -> StoredMessage | None:
    """The message with this id, or None (also for a name that is not a plain file name)."""
    if message_id.endswith(SUFFIX):
        message_id = message_id[: -len(SUFFIX)]
    if not _ID.fullmatch(message_id):
        return None
    path = folder / f"{message_id}{SUFFIX}"
    return _read(path) if path.is_file() else None


def _read(path: Path) -> StoredMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    try:
        date = message["Date"].datetime if message["Date"] else None
    except (AttributeError, ValueError, TypeError):
        date = None
    return StoredMessage(
        id=path.name[: -len(SUFFIX)],
        received_at=_received_at(path),
        date=date,
        sender=_header(message, "From"),
        to=_header(message, "To"),
        subject=_header(message, "Subject"),
        message=message,
    )


def _received_at(path: Path) -> datetime:
    found = _TIME.match(path.name)
    if found:
        return datetime.strptime("".join(found.groups()), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _header(message: EmailMessage, name: str) -> str:
    """A header as text, encoded-words decoded; a malformed one as it was sent."""
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError):
        raw = message.get_all(name, failobj=[])
        value = raw[0] if raw else None
    return " ".join(str(value).split()) if value is not None else ""


def _content(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: show what can be read
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    return text.replace("\r\n", "\n")  # as sent over SMTP; read with the platform's newlines
