"""Reading a domain's challenge record from DNS with dnspython.

The resolver's name servers are a setting (RENKEI_DNS_NAMESERVERS, e.g. "10.0.0.2" or
"127.0.0.1:5353,[::1]:5353"); without it the system's resolver (/etc/resolv.conf) answers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from renkei.errors import Invalid
from renkei.i18n.messages import _


@dataclass(frozen=True)
class Nameserver:
    address: str
    port: int = 53


def parse_nameservers(setting: str | None) -> tuple[Nameserver, ...]:
    """`"1.1.1.1, 127.0.0.1:5353, [::1]:5353"` -> name servers; empty: the system resolver."""
    found = []
    for item in (setting or "").split(","):
        item = item.strip()
        if not item:
            continue
        host, port = item, "53"
        if item.startswith("["):
            host, _bracket, rest = item[1:].partition("]")
            port = rest.removeprefix(":") or "53"
        elif item.count(":") == 1:
            host, port = item.split(":")
        try:
            ipaddress.ip_address(host)
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address (with an optional :port)") from exc
        if not (port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"{item!r} has no valid port")
        found.append(Nameserver(host, int(port)))
    return tuple(found)


@dataclass(frozen=True)
class DnsChallenge:
    """Looks up `_renkei-challenge.<domain>` TXT through the configured name servers."""

    nameservers: tuple[Nameserver, ...] = ()
    timeout: float = 3.0

    @classmethod
    def from_setting(cls, setting: str | None) -> DnsChallenge:
        return cls(parse_nameservers(setting))

    def _resolver(self) -> dns.asyncresolver.Resolver:
        if not self.nameservers:
            try:
                resolver = dns.asyncresolver.Resolver()
            except dns.resolver.NoResolverConfiguration as exc:
                raise Invalid(
                    _(
                        "this server has no DNS resolver configured: ask the operator to set "
                        "RENKEI_DNS_NAMESERVERS, or to verify the domain for you"
                    ),
                    field="domain",
                ) from exc
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [
                dns.nameserver.Do53Nameserver(n.address, n.port) for n in self.nameservers
            ]
        resolver.timeout = resolver.lifetime = self.timeout
        return resolver

    async def txt_values(self, name: str) -> tuple[list[str], str | None]:
        """The TXT strings at `name` (each record's strings joined), or [] and why none."""
        try:
            answer = await self._resolver().resolve(name, dns.rdatatype.TXT, search=False)
        except dns.resolver.NXDOMAIN:
            return [], _("{name} does not exist in DNS", name=name)
        except dns.resolver.NoAnswer:
            return [], _("{name} has no TXT record", name=name)
        except dns.exception.Timeout:
            return [], _("the DNS servers did not answer for {name} in time", name=name)
        except dns.resolver.NoNameservers:
            return [], _("no DNS server could answer for {name}", name=name)
        except dns.exception.DNSException as exc:
            return [], _(
                "the DNS lookup of {name} failed ({error})", name=name, error=type(exc).__name__
            )
        values = [
            b"".join(record.strings).decode("utf-8", "replace")
            for record in answer
            if hasattr(record, "strings")
        ]
        return values, None
