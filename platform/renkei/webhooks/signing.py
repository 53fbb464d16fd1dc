"""Signing webhook bodies, Stripe style, and verifying them (for receivers too).

`Renkei-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`:
the timestamp is signed with the body, so a captured request cannot be replayed later than
`tolerance` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Renkei-Signature"
EVENT_HEADER = "Renkei-Event-Id"


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The Renkei-Signature header's value for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_mac(secret, t, body)}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int = 300, *, now: float | None = None
) -> bool:
    """Whether `header` (Renkei-Signature) signs `body` with `secret`, within `tolerance`
    seconds of now; any v1 signature may match (several are sent while a secret rotates)."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(hmac.compare_digest(expected, s) for s in signatures)
