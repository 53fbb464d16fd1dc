"""Renkei's own access tokens: JWTs signed with keys published at /.well-known/jwks.json.

They follow RFC 9068: the header says `typ: at+jwt` and `aud` names this API, and both are
checked, so that no other JWT signed with the same keys (an ID token, a token for another
audience) passes as an access token. A token handed out by a browser session carries the
session's id (`sid`); the session's end (logout) ends the token with it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import InvalidClaimError, JoseError
from joserfc.jwk import KeySet, RSAKey

from renkei.errors import Unauthenticated
from renkei.i18n.messages import _

ALGORITHM = "RS256"
TOKEN_TYPE = "at+jwt"
# RFC 7515 §4.1.9: "application/" may be left out of a media type in `typ`, and case does not count.
_TOKEN_TYPES = {TOKEN_TYPE, f"application/{TOKEN_TYPE}"}


def generate_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"use": "sig", "alg": ALGORITHM}, auto_kid=True)


def load_or_create_keys(path: Path) -> KeySet:
    """Development keys kept on disk (mode 600), made on first use and kept across restarts."""
    if path.exists():
        return KeySet.import_key_set(json.loads(path.read_text()))
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = KeySet([generate_key()])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(keys.as_dict(private=True), f)
    return keys


@dataclass(frozen=True)
class Claims:
    user_id: uuid.UUID
    organization_id: uuid.UUID | None
    scopes: frozenset[str]
    expires_at: int
    # The browser session that handed the token out; the token ends with it.
    session_id: uuid.UUID | None = None
    # The API client a client-credentials token was issued to (its budget is its own).
    client_id: str | None = None


class TokenService:
    """Issues and verifies access tokens. The first key signs; every key verifies (rotation)."""

    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        ttl_seconds: int = 3600,
        audience: str | None = None,
    ) -> None:
        """`audience` names the API the tokens are for; by default the issuer (one service)."""
        if not keys.keys:
            raise ValueError("at least one signing key is needed")
        self.keys = keys
        self.issuer = issuer
        self.audience = audience or issuer
        self.ttl_seconds = ttl_seconds
        self._claims = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": self.audience},
            sub={"essential": True},
            exp={"essential": True},
            leeway=30,
        )

    @classmethod
    def from_json(cls, key_set_json: str, **kwargs: Any) -> TokenService:
        return cls(KeySet.import_key_set(json.loads(key_set_json)), **kwargs)

    def jwks(self) -> dict[str, Any]:
        return dict(self.keys.as_dict(private=False))

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        organization_id: uuid.UUID | None,
        scopes: frozenset[str],
        ttl_seconds: int | None = None,
        client_id: str | None = None,
        session_id: uuid.UUID | None = None,
    ) -> str:
        """A signed access token; `client_id` names the API client it was issued to (RFC 9068),
        `session_id` the browser session that handed it out (it ends with that session)."""
        now = int(time.time())
        key = self.keys.keys[0]
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": now,
            "exp": now + (ttl_seconds or self.ttl_seconds),
            "jti": str(uuid.uuid4()),
            "scope": " ".join(sorted(scopes)),
        }
        if organization_id is not None:
            claims["org"] = str(organization_id)
        if client_id is not None:
            claims["client_id"] = client_id
        if session_id is not None:
            claims["sid"] = str(session_id)
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": TOKEN_TYPE}
        return jwt.encode(header, claims, self.keys)

    def verify(self, token: str) -> Claims:
        """Check signature, algorithm, type, issuer, audience and expiry; raise Unauthenticated
        with the reason. Whether its browser session still lives is the database's to say."""
        try:
            decoded = jwt.decode(token, self.keys, algorithms=[ALGORITHM])
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise Unauthenticated(_("invalid access token: {problem}", problem=exc)) from exc
        typ = decoded.header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _TOKEN_TYPES:
            raise Unauthenticated(
                _("invalid access token: its type is not {type}", type=TOKEN_TYPE)
            )
        try:
            self._claims.validate(decoded.claims)
        except InvalidClaimError as exc:
            raise self._refusal(exc, decoded.claims) from exc
        except JoseError as exc:
            raise Unauthenticated(_("invalid access token: {problem}", problem=exc)) from exc
        try:
            claims = decoded.claims
            sid = claims.get("sid")
            return Claims(
                user_id=uuid.UUID(claims["sub"]),
                organization_id=uuid.UUID(claims["org"]) if claims.get("org") else None,
                scopes=frozenset(str(claims.get("scope", "")).split()),
                expires_at=int(claims["exp"]),
                session_id=uuid.UUID(sid) if sid is not None else None,
                client_id=str(claims["client_id"]) if claims.get("client_id") else None,
            )
        except (JoseError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Unauthenticated(_("invalid access token: {problem}", problem=exc)) from exc

    def _refusal(self, error: InvalidClaimError, claims: dict[str, Any]) -> Unauthenticated:
        """Says which issuer or audience this server expects: a token issued for a server on
        another port (or URL) is the usual mistake, and the claim's name alone does not say so."""
        if error.claim == "iss":
            return Unauthenticated(
                _(
                    "invalid access token: its issuer (iss) is {issued}, and this server accepts"
                    " tokens issued by {expected}",
                    issued=claims.get("iss"),
                    expected=self.issuer,
                )
            )
        if error.claim == "aud":
            return Unauthenticated(
                _(
                    "invalid access token: its audience (aud) is {audience}, and this server"
                    " accepts tokens for {expected}",
                    audience=claims.get("aud"),
                    expected=self.audience,
                )
            )
        return Unauthenticated(_("invalid access token: {problem}", problem=error))
