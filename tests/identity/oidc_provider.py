"""Real OpenID providers on loopback for the sign-in tests: ours, which misbehaves on request, and
oidc-provider-mock's, an implementation we did not write.

`OidcProvider` speaks HTTP from a uvicorn server in a background thread, so Renkei (running
in-process under the test's event loop) reaches it exactly as it would reach Keycloak or Entra ID:
discovery, authorization with PKCE, the token endpoint with client authentication, JWKS, userinfo.
It consents at once: the person signing in is picked by `login_hint` (an email) or is the
`default_user`.

Misbehaviour is persistent: `misbehave(**options)` changes every sign-in from then on until
`behave()` or `reset()`; calls add up. The options are in `MISBEHAVIOURS`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

import httpx2
import uvicorn
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from identity.browser import Browser

MISBEHAVIOURS = {
    "nonce": "the ID token's nonce, e.g. 'wrong'",
    "aud": "the ID token's aud (azp stays the client id), e.g. 'someone-else'",
    "exp_offset": "seconds from now to the ID token's exp, e.g. -3600 for an expired token",
    "alg": "'none' for an unsigned token; another RSA alg (RS512, PS256) signs with the key",
    "hs256_with_public_key": "True: HS256 with the RSA public key's PEM as the HMAC secret",
    "unpublished_kid": "True: signed by an RSA key that the JWKS never publishes",
    "iss": "the ID token's iss, e.g. 'https://evil.example'",
    "iss_param": "the authorization response's iss parameter (RFC 9207)",
    "omit_iss_param": "True: no iss parameter in the authorization response",
    "email": "the ID token's and userinfo's email",
    "claims": "a dict of ID token claims to override (applied last)",
    "omit_claims": "names of ID token claims to leave out, e.g. ('nonce',)",
    "discovery": "a dict of discovery document fields to override",
    "claims_at_userinfo_only": "True: the ID token names only the subject; email, name and "
    "groups come from UserInfo (node-oidc-provider's default, OIDC Core 5.4)",
    "userinfo_sub": "the `sub` the UserInfo endpoint answers with, e.g. 'someone-else'",
}
CODE_LIFETIME = 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of a code verifier (RFC 7636)."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


def _new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)


@dataclass(frozen=True)
class User:
    subject: str
    email: str
    claims: dict[str, Any]  # the ID token's claims about the person, email included


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]  # an entry ending in "*" matches every URI it starts

    def allows(self, redirect_uri: str) -> bool:
        return any(
            redirect_uri.startswith(uri[:-1]) if uri.endswith("*") else redirect_uri == uri
            for uri in self.redirect_uris
        )


@dataclass(frozen=True)
class TokenRequest:
    """What the relying party sent to the token endpoint, for assertions."""

    form: dict[str, str]
    auth_method: str | None  # client_secret_basic, client_secret_post, or None when refused


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    subject: str
    nonce: str | None
    code_challenge: str
    expires_at: float
    used: bool = False
    access_token: str | None = None


@dataclass
class _State:
    users: dict[str, User] = field(default_factory=dict)
    grants: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: dict[str, str] = field(default_factory=dict)  # token -> subject


class OidcProvider:
    """An OpenID provider served over HTTP on 127.0.0.1 with an ephemeral port.

    `path` puts the issuer under a path, like Keycloak's `/realms/<name>`.
    """

    def __init__(
        self,
        *,
        path: str = "",
        iss_parameter_supported: bool = True,
        token_lifetime: int = 300,
    ) -> None:
        self.path = path.rstrip("/")
        self.authorization_response_iss_parameter_supported = iss_parameter_supported
        self._iss_default = iss_parameter_supported
        self.token_lifetime = token_lifetime
        self.clients: dict[str, Client] = {}
        self.default_user: str | None = None  # a subject; when None, the first user added
        self.misbehaviour: dict[str, Any] = {}
        self.jwks_fetches = 0
        self.discovery_fetches = 0
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[TokenRequest] = []
        self.userinfo_requests = 0
        self._initial_key = _new_key()
        self._keys = [self._initial_key]  # newest last; replaced, never mutated in place
        self._unpublished: RSAKey | None = None
        self._state = _State()
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(
            routes=[
                Route(f"{self.path}/.well-known/openid-configuration", self._discovery),
                Route(f"{self.path}/authorize", self._authorize),
                Route(f"{self.path}/token", self._token, methods=["POST"]),
                Route(f"{self.path}/jwks", self._jwks),
                Route(f"{self.path}/userinfo", self._userinfo, methods=["GET", "POST"]),
            ]
        )

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> OidcProvider:
        if self._server is not None:
            raise RuntimeError("the provider is already running")
        # proto must say TCP, or asyncio skips TCP_NODELAY and each response waits ~40 ms for
        # a delayed ACK between its header and body writes.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, lifespan="off", log_level="warning", access_log=False, http="h11", ws="none"
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])),
            name=f"oidc-provider-{self._port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 5
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the OpenID provider did not start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def issuer(self) -> str:
        if self._port is None:
            raise RuntimeError("start the provider first")
        return f"http://127.0.0.1:{self._port}{self.path}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    # -- configuration ----------------------------------------------------------------------

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: Iterable[str]
    ) -> Client:
        """Register a relying party; a redirect URI ending in "*" is a prefix ("*" alone: any)."""
        client = Client(client_id, client_secret, tuple(redirect_uris))
        self.clients[client_id] = client
        return client

    @property
    def client(self) -> Client:
        """The first registered client: the one most tests use."""
        return next(iter(self.clients.values()))

    def add_user(
        self,
        subject: str,
        email: str,
        *,
        name: str | None = None,
        email_verified: bool = True,
        **extra_claims: Any,
    ) -> User:
        """Add a person who can sign in, e.g. `add_user("u1", "a@x.jp", groups=["admins"])`."""
        claims = {"email": email, "email_verified": email_verified, **extra_claims}
        if name is not None:
            claims["name"] = name
        user = User(subject, email, claims)
        self._state.users[subject] = user
        return user

    def misbehave(self, **options: Any) -> None:
        """Misbehave on every sign-in until `behave()`; see MISBEHAVIOURS for the options."""
        unknown = set(options) - set(MISBEHAVIOURS)
        if unknown:
            raise TypeError(f"unknown misbehaviour: {sorted(unknown)}")
        self.misbehaviour = {**self.misbehaviour, **options}

    def behave(self) -> None:
        self.misbehaviour = {}

    def rotate_keys(self) -> RSAKey:
        """Add a new key that signs from now on; the older keys stay published."""
        key = _new_key()
        self._keys = [*self._keys, key]
        return key

    def retire_old_keys(self) -> None:
        """Stop publishing every key but the newest."""
        self._keys = self._keys[-1:]

    @property
    def signing_key(self) -> RSAKey:
        return self._keys[-1]

    @property
    def published_kids(self) -> list[str]:
        return [key.kid for key in self._keys if key.kid]

    def reset(self) -> None:
        """Forget users, codes, tokens, misbehaviour, rotated keys and counters; keep clients."""
        self.behave()
        self._state = _State()
        self.default_user = None
        self._keys = [self._initial_key]
        self.authorization_response_iss_parameter_supported = self._iss_default
        self.jwks_fetches = self.discovery_fetches = 0
        self.authorize_requests = []
        self.token_requests = []
        self.userinfo_requests = 0

    # -- endpoints --------------------------------------------------------------------------

    async def _discovery(self, request: Request) -> Response:
        self.discovery_fetches += 1
        base = self.issuer
        document = {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "userinfo_endpoint": f"{base}/userinfo",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "name"],
            "authorization_response_iss_parameter_supported": (
                self.authorization_response_iss_parameter_supported
            ),
            **self.misbehaviour.get("discovery", {}),
        }
        return JSONResponse(document)

    async def _jwks(self, request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse({"keys": [key.as_dict(private=False) for key in self._keys]})

    def _user_for(self, login_hint: str | None) -> User | None:
        users = self._state.users
        if login_hint:
            hint = login_hint.lower()
            return next((u for u in users.values() if u.email.lower() == hint), None)
        if self.default_user is not None:
            return users.get(self.default_user)
        return next(iter(users.values()), None)

    async def _authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        self.authorize_requests.append(query)
        client = self.clients.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None:
            return PlainTextResponse("unknown client_id", status_code=400)
        if not client.allows(redirect_uri):
            return PlainTextResponse("redirect_uri is not registered", status_code=400)

        def back(**params: str) -> Response:
            if "state" in query:
                params["state"] = query["state"]
            iss = self.misbehaviour.get("iss_param")
            if iss is None and self.authorization_response_iss_parameter_supported:
                iss = self.issuer
            if iss is not None and not self.misbehaviour.get("omit_iss_param"):
                params["iss"] = iss
            separator = "&" if "?" in redirect_uri else "?"
            return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", 302)

        if query.get("response_type") != "code":
            return back(error="unsupported_response_type")
        if "openid" not in query.get("scope", "").split():
            return back(error="invalid_scope", error_description="the openid scope is required")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return back(error="invalid_request", error_description="PKCE with S256 is required")
        user = self._user_for(query.get("login_hint"))
        if user is None:
            return back(error="access_denied", error_description="no such user")
        code = secrets.token_urlsafe(24)
        self._state.grants[code] = _Grant(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            subject=user.subject,
            nonce=query.get("nonce"),
            code_challenge=query["code_challenge"],
            expires_at=time.time() + CODE_LIFETIME,
        )
        return back(code=code)

    def _authenticate(self, request: Request, form: dict[str, str]) -> tuple[Client, str] | None:
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
            except ValueError:
                return None
            client_id, _, secret = decoded.partition(":")
            client_id, secret, method = unquote_plus(client_id), unquote_plus(secret), "basic"
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            method = "post"
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(secret, client.client_secret):
            return None
        return client, f"client_secret_{method}"

    async def _token(self, request: Request) -> Response:
        # Parsed by hand: starlette's request.form() needs python-multipart, not installed here.
        form = dict(parse_qsl((await request.body()).decode()))
        authenticated = self._authenticate(request, form)
        self.token_requests.append(TokenRequest(form, authenticated[1] if authenticated else None))
        if authenticated is None:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        client = authenticated[0]
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type")
        grant = self._state.grants.get(form.get("code", ""))
        if grant is None or grant.client_id != client.client_id:
            return _token_error("invalid_grant", "unknown code")
        if grant.used:
            # RFC 6749 4.1.2: a code used twice revokes what it was exchanged for.
            self._state.access_tokens.pop(grant.access_token or "", None)
            return _token_error("invalid_grant", "the code was already used")
        grant.used = True
        if grant.expires_at < time.time():
            return _token_error("invalid_grant", "the code has expired")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _token_error("invalid_grant", "redirect_uri differs from the authorization's")
        if s256(form.get("code_verifier", "")) != grant.code_challenge:
            return _token_error("invalid_grant", "PKCE verification failed")
        grant.access_token = secrets.token_urlsafe(24)
        self._state.access_tokens[grant.access_token] = grant.subject
        return JSONResponse(
            {
                "access_token": grant.access_token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "scope": "openid email profile",
                "id_token": self._id_token(client, grant),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def _userinfo(self, request: Request) -> Response:
        self.userinfo_requests += 1
        authorization = request.headers.get("authorization", "")
        subject = self._state.access_tokens.get(authorization.removeprefix("Bearer "))
        user = self._state.users.get(subject or "")
        if user is None:
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        claims = {"sub": self.misbehaviour.get("userinfo_sub", user.subject), **user.claims}
        if "email" in self.misbehaviour:
            claims["email"] = self.misbehaviour["email"]
        return JSONResponse(claims)

    # -- ID tokens --------------------------------------------------------------------------

    def _id_token(self, client: Client, grant: _Grant) -> str:
        wrong = self.misbehaviour
        now = int(time.time())
        exp = now + wrong.get("exp_offset", self.token_lifetime)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.subject,
            "aud": client.client_id,
            "azp": client.client_id,
            "iat": min(now, exp - self.token_lifetime),
            "exp": exp,
        }
        if not wrong.get("claims_at_userinfo_only"):
            claims.update(self._state.users[grant.subject].claims)
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(
            {name: wrong[name] for name in ("iss", "aud", "nonce", "email") if name in wrong}
        )
        claims.update(wrong.get("claims", {}))
        for name in wrong.get("omit_claims", ()):
            claims.pop(name, None)
        return self._sign(claims)

    def _sign(self, claims: dict[str, Any]) -> str:
        wrong = self.misbehaviour
        alg = wrong.get("alg", "RS256")
        if alg == "none":
            return f"{_b64_json({'alg': 'none', 'typ': 'JWT'})}.{_b64_json(claims)}."
        if wrong.get("hs256_with_public_key"):
            # The key-confusion attack: a verifier that takes the alg from the token would use the
            # published RSA key, as bytes, as an HMAC secret.
            header = {"alg": "HS256", "typ": "JWT", "kid": self.signing_key.kid}
            signing_input = f"{_b64_json(header)}.{_b64_json(claims)}"
            secret = self.signing_key.as_pem(private=False)
            signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
            return f"{signing_input}.{_b64(signature)}"
        key = self.signing_key
        if wrong.get("unpublished_kid"):
            self._unpublished = self._unpublished or _new_key()
            key = self._unpublished
        if alg != key.alg:  # the published key says RS256: sign with a twin saying `alg`
            key = RSAKey.import_key({**key.as_dict(private=True), "alg": alg})
        return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def _token_error(error: str, description: str | None = None) -> Response:
    body = {"error": error} | ({"error_description": description} if description else {})
    return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})


class _QuietHandler(werkzeug.serving.WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class OidcProviderMock:
    """oidc-provider-mock's Flask provider served by werkzeug on 127.0.0.1 with an ephemeral port.

    Any client id and secret are accepted. Its authorization endpoint answers a GET with a consent
    form (200); `consent` submits it for a subject, as a person would.
    """

    def __init__(self, *, require_nonce: bool = True) -> None:
        import oidc_provider_mock

        self.app = oidc_provider_mock.app(require_nonce=require_nonce)
        self._server: werkzeug.serving.BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> OidcProviderMock:
        server = self._server = werkzeug.serving.make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> OidcProviderMock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def issuer(self) -> str:
        if self._server is None:
            raise RuntimeError("start the provider first")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def add_user(
        self,
        subject: str,
        email: str,
        *,
        name: str | None = None,
        email_verified: bool = True,
        **extra_claims: Any,
    ) -> None:
        """Set a person's claims through the mock's own `PUT /users/<sub>`."""
        claims = {"email": email, "email_verified": email_verified, **extra_claims}
        if name is not None:
            claims["name"] = name
        httpx2.put(f"{self.issuer}/users/{subject}", json=claims).raise_for_status()

    async def consent(
        self, browser: Browser, form: httpx2.Response, subject: str
    ) -> httpx2.Response:
        """Submit the consent form `form` (the authorization endpoint's page) as `subject`."""
        return await browser.post(str(form.url), data={"sub": subject})


def pkce_pair() -> tuple[str, str]:
    """A fresh (code_verifier, code_challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)
