"""A real SMTP server on loopback (aiosmtpd), for the worker to send notifications' email to.

It keeps what it receives, parsed with the email package. It can be stopped and started again
on the same port, as a mail server that goes down and comes back. The inbox is read compiled
and through the resolvers alike (tests/api/conftest.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from api.conftest import compiled_and_resolved

__all__ = ["MailServer", "Received", "compiled_and_resolved", "mail_server"]


@dataclass
class Received:
    """A message as the server took it: the envelope's recipients and the parsed message."""

    recipients: list[str]
    message: EmailMessage


class _Keep:
    def __init__(self, received: list[Received]) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        self.received.append(Received(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MailServer:
    port: int = field(default_factory=_free_port)
    received: list[Received] = field(default_factory=list)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(
            _Keep(self.received), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()
