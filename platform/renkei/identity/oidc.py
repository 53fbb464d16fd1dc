"""The OpenID Connect relying party: discovery, the authorization request, the code exchange,
and the ID token checks. authlib builds the requests (PKCE S256); joserfc verifies tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from renkei.i18n.messages import _

# Asymmetric algorithms only: `none` and HMAC (which would let a public key serve as a secret)
# are refused before any key is looked at.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
SCOPE = "openid email profile"


class SignInError(Exception):
    """A sign-in refused; `reason` is a short code for the audit log, `message` for the person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    iss_parameter_supported: bool
    userinfo_endpoint: str | None = None


@dataclass
class _Keys:
    keys: KeySet
    fetched_at: float


@dataclass
class OidcClient:
    """Talks to identity providers; caches their metadata and keys for the process."""

    http: httpx2.AsyncClient = field(default_factory=lambda: httpx2.AsyncClient(timeout=10))
    metadata_ttl: float = 3600
    # A token with an unknown key id refetches the keys once; the same id again only after
    # `refetch_interval`, and no provider's keys more often than every `min_refetch_gap`.
    refetch_interval: float = 300
    min_refetch_gap: float = 5
    _metadata: dict[str, tuple[ProviderMetadata, float]] = field(default_factory=dict)
    _keys: dict[str, _Keys] = field(default_factory=dict)
    _refetched_for: dict[tuple[str, str], float] = field(default_factory=dict)

    async def metadata(self, issuer: str) -> ProviderMetadata:
        cached = self._metadata.get(issuer)
        if cached and time.monotonic() - cached[1] < self.metadata_ttl:
            return cached[0]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = await self.http.get(url)
            response.raise_for_status()
            document = response.json()
            metadata = ProviderMetadata(
                issuer=document["issuer"],
                authorization_endpoint=document["authorization_endpoint"],
                token_endpoint=document["token_endpoint"],
                jwks_uri=document["jwks_uri"],
                iss_parameter_supported=bool(
                    document.get("authorization_response_iss_parameter_supported", False)
                ),
                userinfo_endpoint=document.get("userinfo_endpoint") or None,
            )
        except (httpx2.HTTPError, ValueError, KeyError) as exc:
            raise SignInError(
                "discovery_failed", _("the provider at {issuer} did not answer", issuer=issuer)
            ) from exc
        if metadata.issuer != issuer:
            raise SignInError("discovery_issuer_mismatch", _("the provider names another issuer"))
        self._metadata[issuer] = (metadata, time.monotonic())
        return metadata

    async def _fetch_keys(self, metadata: ProviderMetadata) -> KeySet:
        try:
            response = await self.http.get(metadata.jwks_uri)
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
        except (httpx2.HTTPError, ValueError, JoseError) as exc:
            raise SignInError("jwks_failed", _("the provider's keys could not be read")) from exc
        self._keys[metadata.issuer] = _Keys(keys, time.monotonic())
        return keys

    async def keys(self, metadata: ProviderMetadata, *, kid: str | None) -> KeySet:
        """The provider's keys, refetched once when `kid` is unknown (rate limited)."""
        cached = self._keys.get(metadata.issuer)
        if cached is None:
            return await self._fetch_keys(metadata)
        if kid is None or any(k.kid == kid for k in cached.keys.keys):
            return cached.keys
        now = time.monotonic()
        tried = self._refetched_for.get((metadata.issuer, kid))
        if (tried is None or now - tried >= self.refetch_interval) and (
            now - cached.fetched_at >= self.min_refetch_gap
        ):
            self._refetched_for[(metadata.issuer, kid)] = now
            return await self._fetch_keys(metadata)
        return cached.keys

    def client(self, *, client_id: str, client_secret: str, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            scope=SCOPE,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
            timeout=10,
        )

    def authorization_url(
        self,
        metadata: ProviderMetadata,
        *,
        client_id: str,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_verifier: str,
        login_hint: str | None = None,
    ) -> str:
        extra = {"login_hint": login_hint} if login_hint else {}
        client = self.client(client_id=client_id, client_secret="", redirect_uri=redirect_uri)
        url, _state = client.create_authorization_url(
            metadata.authorization_endpoint,
            state=state,
            nonce=nonce,
            code_verifier=code_verifier,
            **extra,
        )
        return str(url)

    async def exchange_code(
        self,
        metadata: ProviderMetadata,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        code: str,
        code_verifier: str,
    ) -> dict[str, Any]:
        async with self.client(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        ) as client:
            try:
                token = await client.fetch_token(
                    metadata.token_endpoint, code=code, code_verifier=code_verifier
                )
            except Exception as exc:  # authlib raises OAuthError and transport errors alike
                raise SignInError(
                    "code_exchange_failed", _("the provider refused the code")
                ) from exc
        return dict(token)

    async def userinfo(
        self,
        metadata: ProviderMetadata,
        token: dict[str, Any],
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
    ) -> dict[str, Any]:
        """The UserInfo response (OIDC Core 5.3), asked with the access token (authlib)."""
        if not metadata.userinfo_endpoint:
            raise SignInError(
                "userinfo_unavailable",
                _("the provider sent no email address and has no UserInfo endpoint"),
            )
        async with self.client(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        ) as client:
            client.token = token
            try:
                response = await client.get(metadata.userinfo_endpoint)
                response.raise_for_status()
                document = response.json()
            except Exception as exc:  # authlib's and httpx's errors, and a body that is no JSON
                raise SignInError(
                    "userinfo_failed", _("the provider's UserInfo endpoint did not answer")
                ) from exc
        if not isinstance(document, dict):
            raise SignInError(
                "userinfo_failed", _("the provider's UserInfo answer is not an object")
            )
        return document

    async def complete_claims(
        self,
        metadata: ProviderMetadata,
        claims: dict[str, Any],
        token: dict[str, Any],
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        wanted: tuple[str, ...] = ("email",),
    ) -> dict[str, Any]:
        """The ID token's claims, completed from UserInfo when one of `wanted` is missing (as
        OIDC Core 5.4 lets a provider do). UserInfo must be about the same subject (5.3.2); the
        ID token's own claims win."""
        if all(name in claims for name in wanted):
            return claims
        info = await self.userinfo(
            metadata,
            token,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
        )
        if info.get("sub") != claims.get("sub"):
            raise SignInError(
                "userinfo_subject_mismatch",
                _("the provider's UserInfo answer is about another person than its ID token"),
            )
        return {**info, **claims}

    async def validate_id_token(
        self, metadata: ProviderMetadata, id_token: str, *, client_id: str, nonce: str
    ) -> dict[str, Any]:
        """Signature by a published key and an allowed algorithm; iss, aud/azp, exp, nonce."""
        try:
            header = extract_compact(id_token.encode()).protected
        except (JoseError, ValueError) as exc:
            raise SignInError("id_token_malformed", _("the ID token is malformed")) from exc
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise SignInError(
                "id_token_algorithm",
                _("the ID token's algorithm {algorithm} is refused", algorithm=repr(algorithm)),
            )
        keys = await self.keys(metadata, kid=header.get("kid"))
        try:
            decoded = jwt.decode(id_token, keys, algorithms=list(ALLOWED_ALGORITHMS))
        except InvalidKeyIdError as exc:
            raise SignInError(
                "id_token_unknown_key", _("the ID token is signed by an unknown key")
            ) from exc
        except JoseError as exc:
            raise SignInError(
                "id_token_signature", _("the ID token's signature is invalid")
            ) from exc
        claims = dict(decoded.claims)
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": metadata.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
            leeway=60,
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            claim = getattr(exc, "claim", None) or "claims"
            reason = "id_token_" + claim
            raise SignInError(
                reason, _("the ID token's {claim} is not valid", claim=claim)
            ) from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
            raise SignInError("id_token_azp", _("the ID token was issued to another party"))
        return claims
