"""Secrets at rest: AES-GCM with a key ring, each ciphertext naming the key that sealed it.

Rotation: put a new key first in RENKEI_SECRET_KEYS; old ciphertexts still open with their
key until re-sealed. In development the ring lives in the data directory.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SecretKeyError(RuntimeError):
    """A ciphertext names a key the ring does not hold, or was tampered with."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    ciphertext: str


class SecretBox:
    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise ValueError("at least one secret key is needed")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"secret key {key_id!r} must be 32 bytes")
        self._keys = dict(keys)
        self.current_key_id = next(iter(keys))

    @classmethod
    def from_json(cls, text: str) -> SecretBox:
        """`{"key-id": "<base64 of 32 bytes>", …}`, the first sealing new secrets."""
        ring = json.loads(text)
        return cls({kid: base64.b64decode(value) for kid, value in ring.items()})

    @classmethod
    def load_or_create(cls, path: Path) -> SecretBox:
        if path.exists():
            return cls.from_json(path.read_text())
        path.parent.mkdir(parents=True, exist_ok=True)
        ring = {f"dev-{secrets.token_hex(4)}": base64.b64encode(AESGCM.generate_key(256)).decode()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(ring, f)
        return cls.from_json(path.read_text())

    def seal(self, plaintext: str, *, context: str) -> Sealed:
        """Encrypt; `context` (e.g. the row's id) is bound in, so a ciphertext cannot be moved."""
        nonce = os.urandom(12)
        sealed = AESGCM(self._keys[self.current_key_id]).encrypt(
            nonce, plaintext.encode(), context.encode()
        )
        return Sealed(self.current_key_id, base64.b64encode(nonce + sealed).decode())

    def open(self, sealed: Sealed, *, context: str) -> str:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise SecretKeyError(f"no secret key {sealed.key_id!r} in the ring")
        raw = base64.b64decode(sealed.ciphertext)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag as exc:
            raise SecretKeyError("the ciphertext does not open with its key") from exc
