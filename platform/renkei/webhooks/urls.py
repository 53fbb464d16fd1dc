"""Which URLs a webhook may be sent to: no credentials in them, and in production https only,
to a host resolving to public addresses only (no SSRF into the platform's own network).

The host is resolved with the system resolver when the endpoint is registered and again before
every delivery, since its DNS may change in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from renkei.i18n.messages import _


class RefusedUrl(ValueError):
    """Why a URL may not receive webhooks, in the reader's language."""


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _forbidden(address.ipv4_mapped)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


async def _addresses(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check(url: str, *, production: bool) -> str:
    """The URL, checked (RefusedUrl says why not)."""
    parts = urlsplit(url.strip())
    allowed = ("https",) if production else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise RefusedUrl(
            _("the URL must start with https://")
            if production
            else _("the URL must start with https:// or http://")
        )
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl(_("the URL must not hold a user name or password"))
    if not production:
        return url.strip()
    host = parts.hostname
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise RefusedUrl(_("the URL's port is not a number")) from exc
    try:
        addresses = await _addresses(host, port)
    except (OSError, UnicodeError) as exc:
        raise RefusedUrl(_("{host} does not resolve", host=host)) from exc
    for address in addresses:
        if _forbidden(ipaddress.ip_address(address.split("%")[0])):
            raise RefusedUrl(
                _(
                    "{host} resolves to a private or reserved address ({address})",
                    host=host,
                    address=address,
                )
            )
    return url.strip()
