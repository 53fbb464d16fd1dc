"""A real DNS server on loopback (dnslib's), serving the TXT records a test publishes.

Renkei's resolver (dnspython) reaches it over UDP exactly as it would reach the organization's
authoritative servers through a recursive resolver. A name with no record answers NXDOMAIN.
"""

from __future__ import annotations

import threading
from typing import Any

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from renkei.email_domains.dns_challenge import DnsChallenge


class DnsZone(BaseResolver):  # type: ignore[misc]
    """TXT records by name; `publish`, `clear`, and `challenge` for Renkei's resolver."""

    def __init__(self) -> None:
        self._records: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self.queries: list[tuple[str, str]] = []
        self._server: DNSServer | None = None
        self.port = 0

    def publish(self, name: str, value: str) -> None:
        with self._lock:
            self._records.setdefault(name.rstrip(".").lower(), []).append(value)

    def clear(self) -> None:
        with self._lock:
            self._records = {}
            self.queries = []

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        kind = QTYPE[request.q.qtype]
        with self._lock:
            self.queries.append((name, kind))
            values = list(self._records.get(name, ()))
            known = name in self._records
        if not known:
            reply.header.rcode = RCODE.NXDOMAIN
        elif kind == "TXT":
            for value in values:
                reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply

    def start(self) -> DnsZone:
        quiet = DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data")
        # Port 0: the system picks a free UDP port, read back from the bound socket.
        self._server = DNSServer(self, address="127.0.0.1", port=0, logger=quiet)
        self.port = self._server.server.server_address[1]
        self._server.start_thread()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def challenge(self) -> DnsChallenge:
        """Renkei's resolver, configured as RENKEI_DNS_NAMESERVERS=127.0.0.1:<port> would."""
        return DnsChallenge.from_setting(f"127.0.0.1:{self.port}")
