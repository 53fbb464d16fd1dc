"""Browser sign-in through each organization's own OpenID provider.

/auth/login finds the provider (by the address's domain, the organization's slug, or the
platform's provider for individual professionals) and redirects there with PKCE, state and nonce
kept in a signed, short-lived cookie of this browser. /auth/callback/{organization} checks them,
the RFC 9207 `iss`, and the ID token, then signs the person in to that organization only.
"""

from __future__ import annotations

import html
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from authlib.common.security import generate_token
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from renkei import audit
from renkei.crypto import SecretBox
from renkei.db import SessionFactory, unit_of_work
from renkei.email_domains.dns_challenge import DnsChallenge
from renkei.email_domains.names import normalize_domain
from renkei.errors import Invalid
from renkei.i18n.messages import _, activate, current_locale
from renkei.i18n.negotiation import choose
from renkei.identity import providers, signin
from renkei.identity import repository as identity
from renkei.identity.models import IdentityProvider, User
from renkei.identity.oidc import OidcClient, ProviderMetadata, SignInError
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.tenancy import Viewer

logger = logging.getLogger(__name__)

SESSION_COOKIE = "renkei_session"
PENDING_COOKIE = "renkei_signin"
CSRF_HEADER = "x-csrf-token"
PERSONAL = "_personal"
PENDING_MAX_AGE = 600


@dataclass(frozen=True)
class PlatformProvider:
    """The operator's provider for individual professionals, who belong to no organization."""

    issuer: str
    client_id: str
    client_secret: str


@dataclass
class SignInConfig:
    public_url: str
    box: SecretBox
    oidc: OidcClient
    cookie_secret: str
    secure_cookies: bool
    allow_http_loopback_issuers: bool = False
    platform_provider: PlatformProvider | None = None
    # Checks organizations' domain challenges (RENKEI_DNS_NAMESERVERS; default: the system's).
    dns: DnsChallenge = field(default_factory=DnsChallenge)


@dataclass(frozen=True)
class _Target:
    """Where a sign-in goes: an organization's provider, or the platform's."""

    slug: str
    issuer: str
    client_id: str
    organization_id: uuid.UUID | None
    provider_id: uuid.UUID | None


def safe_next(value: object) -> str:
    """Where to go after signing in: a path of the console on this site, never another site."""
    if not isinstance(value, str) or not value.startswith("/app/"):
        return "/app/"
    if "\\" in value or "//" in value or any(ord(c) < 32 for c in value):
        return "/app/"
    return value


def _document(status: int, title: str, content: str) -> HTMLResponse:
    """A page in the reader's language (`lang` says which); `content` is HTML, escaped already."""
    heading = _("Renkei: {title}", title=title)
    body = (
        f'<!doctype html><html lang="{current_locale()}"><meta charset=utf-8>'
        f"<title>{html.escape(heading)}</title>"
        "<body style='font-family:sans-serif;max-width:40em;margin:4em auto'>"
        f"<h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    return HTMLResponse(body, status_code=status)


def _choose(email: str, organizations: list[Organization]) -> HTMLResponse:
    """Several organizations sign in with this domain's provider: the person picks one."""
    links = "".join(
        f"<li><a href='/auth/login?email={quote(email)}&amp;org={quote(o.slug)}'>"
        f"{html.escape(o.name)}</a></li>"
        for o in organizations
    )
    return _document(200, _("Sign in for which organization?"), f"<ul>{links}</ul>")


def _page(status: int, title: str, message: str) -> HTMLResponse:
    """A page that says one thing: `title` and `message` are text (translated), escaped here."""
    return _document(status, title, f"<p>{html.escape(message)}</p>")


class SignInRoutes:
    def __init__(
        self, config: SignInConfig, sessions: SessionFactory, tokens: TokenService
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.tokens = tokens
        self.pending = URLSafeTimedSerializer(config.cookie_secret, salt="renkei.signin")

    def routes(self) -> list[Route]:
        return [
            Route("/auth/login", self.login, methods=["GET"]),
            Route("/auth/callback/{organization}", self.callback, methods=["GET"]),
            Route("/auth/session", self.current, methods=["GET"]),
            Route("/auth/logout", self.logout, methods=["POST"]),
        ]

    def _redirect_uri(self, slug: str) -> str:
        return f"{self.config.public_url}/auth/callback/{quote(slug)}"

    async def _target(self, request: Request) -> _Target | Response:
        params = request.query_params
        platform = self.config.platform_provider
        if params.get("personal"):
            if platform is None:
                return _page(
                    404,
                    _("No personal sign-in"),
                    _("This Renkei has no provider for individuals."),
                )
            return _Target(PERSONAL, platform.issuer, platform.client_id, None, None)
        email, slug = params.get("email", "").strip().lower(), params.get("org", "").strip().lower()
        provider: IdentityProvider | None
        organization: Organization | None
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            if email:
                domain = email.rpartition("@")[2]
                try:
                    domain = normalize_domain(domain)
                except Invalid:
                    return _page(
                        400,
                        _("Not an email address"),
                        _("{email} is not an email address.", email=email),
                    )
                found_by_domain = await identity.providers_vouching_for(session, domain=domain)
                if not found_by_domain:
                    return _page(
                        404,
                        _("No organization found"),
                        _(
                            "No organization signs in with addresses at {domain}. Ask your "
                            "organization's Renkei administrator to register its identity "
                            "provider and verify this domain, or sign in with your "
                            "organization's name.",
                            domain=domain,
                        ),
                    )
                matching = [(p, o) for p, o in found_by_domain if not slug or o.slug == slug]
                if not matching:
                    return _page(
                        404,
                        _("No sign-in for this organization"),
                        _(
                            "{slug} does not sign in with addresses at {domain}.",
                            slug=slug,
                            domain=domain,
                        ),
                    )
                if len(matching) > 1:
                    return _choose(email, [organization for _provider, organization in matching])
                provider, organization = matching[0]
            elif slug:
                found = await providers.for_organization(session, slug)
                if found is None or found[1] is None:
                    return _page(
                        404,
                        _("No sign-in for this organization"),
                        _(
                            "No organization {slug} signs in through its own provider here.",
                            slug=repr(slug),
                        ),
                    )
                organization, provider = found
            else:
                return _page(
                    400,
                    _("Who are you?"),
                    _("Give your email address: /auth/login?email=…"),
                )
        assert organization is not None and provider is not None
        return _Target(
            organization.slug, provider.issuer, provider.client_id, organization.id, provider.id
        )

    async def login(self, request: Request) -> Response:
        target = await self._target(request)
        if isinstance(target, Response):
            return target
        try:
            metadata = await self.config.oidc.metadata(target.issuer)
        except SignInError as error:
            return _page(502, _("The identity provider did not answer"), error.message)
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        url = self.config.oidc.authorization_url(
            metadata,
            client_id=target.client_id,
            redirect_uri=self._redirect_uri(target.slug),
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            login_hint=request.query_params.get("email") or None,
        )
        response = RedirectResponse(url, status_code=302)
        pending = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "slug": target.slug,
            "provider": str(target.provider_id) if target.provider_id else None,
            "next": request.query_params.get("next"),
        }
        response.set_cookie(
            PENDING_COOKIE,
            self.pending.dumps(pending),
            max_age=PENDING_MAX_AGE,
            path="/auth/callback",
            httponly=True,
            secure=self.config.secure_cookies,
            samesite="lax",
        )
        return response

    async def callback(self, request: Request) -> Response:
        slug = request.path_params["organization"]
        try:
            response = await self._complete(request, slug)
        except SignInError as error:
            await self._record_failure(slug, error)
            response = _page(400, _("Sign-in refused"), error.message)
        # The pending sign-in is spent either way: a replayed callback finds nothing.
        response.delete_cookie(PENDING_COOKIE, path="/auth/callback")
        return response

    async def _record_failure(self, slug: str, error: SignInError) -> None:
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            organization_id = await session.scalar(
                select(Organization.id).where(Organization.slug == slug)
            )
        await audit.record_failure(
            self.sessions,
            action=audit.SIGN_IN,
            organization_id=organization_id,
            reason=error.reason,
            detail={"message": error.message, "callback": slug},
        )
        logger.info("sign-in refused", extra={"reason": error.reason, "callback": slug})

    def _read_pending(self, request: Request) -> dict[str, Any]:
        raw = request.cookies.get(PENDING_COOKIE)
        if not raw:
            raise SignInError("state_missing", _("this sign-in was not started here, or is spent"))
        try:
            pending = self.pending.loads(raw, max_age=PENDING_MAX_AGE)
        except BadSignature as exc:
            raise SignInError(
                "state_invalid", _("this sign-in expired or was tampered with")
            ) from exc
        if not isinstance(pending, dict):
            raise SignInError("state_invalid", _("this sign-in was tampered with"))
        return pending

    async def _resolve(
        self, slug: str, pending: dict[str, Any]
    ) -> tuple[IdentityProvider | None, str, str, str]:
        """The provider of the pending sign-in: (row, issuer, client id, client secret)."""
        if slug == PERSONAL:
            platform = self.config.platform_provider
            if platform is None or pending.get("provider") is not None:
                raise SignInError("callback_mismatch", _("this sign-in belongs elsewhere"))
            return None, platform.issuer, platform.client_id, platform.client_secret
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            provider_id = pending.get("provider")
            provider = (
                await providers.by_id(session, uuid.UUID(provider_id)) if provider_id else None
            )
            organization = (
                await session.get(Organization, provider.organization_id) if provider else None
            )
        if provider is None or organization is None or organization.slug != slug:
            raise SignInError(
                "callback_mismatch", _("this sign-in was started for another organization")
            )
        if not provider.enabled:
            raise SignInError("provider_disabled", _("this identity provider is switched off"))
        secret = providers.client_secret(self.config.box, provider)
        return provider, provider.issuer, provider.client_id, secret

    def _check_iss(self, request: Request, metadata: ProviderMetadata) -> None:
        """RFC 9207: where the provider promises `iss`, it must come and match."""
        iss = request.query_params.get("iss")
        if iss is None and metadata.iss_parameter_supported:
            raise SignInError("iss_missing", _("the provider's answer does not say who sent it"))
        if iss is not None and iss != metadata.issuer:
            raise SignInError("iss_mismatch", _("the answer came from another identity provider"))

    async def _complete(self, request: Request, slug: str) -> Response:
        pending = self._read_pending(request)
        params = request.query_params
        if params.get("state") != pending.get("state") or pending.get("slug") != slug:
            raise SignInError("state_mismatch", _("this answer does not belong to your sign-in"))
        if params.get("error"):
            raise SignInError(
                "provider_error", _("the provider said: {error}", error=params.get("error"))
            )
        provider, issuer, client_id, client_secret = await self._resolve(slug, pending)
        metadata = await self.config.oidc.metadata(issuer)
        self._check_iss(request, metadata)
        code = params.get("code")
        if not code:
            raise SignInError("code_missing", _("the provider sent no authorization code"))
        token = await self.config.oidc.exchange_code(
            metadata,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=self._redirect_uri(slug),
            code=code,
            code_verifier=pending["verifier"],
        )
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInError("id_token_missing", _("the provider sent no ID token"))
        claims = await self.config.oidc.validate_id_token(
            metadata, id_token, client_id=client_id, nonce=pending["nonce"]
        )
        claims = await self.config.oidc.complete_claims(
            metadata,
            claims,
            token,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=self._redirect_uri(slug),
        )
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            signed_in = await signin.complete_sign_in(
                session, issuer=metadata.issuer, claims=claims, provider=provider
            )
            new = await signin.start_session(
                session,
                user_id=signed_in.user.id,
                organization_id=signed_in.organization_id,
                provider_id=signed_in.provider_id,
            )
        # To the console page the person started from (only ever a path of the console).
        response = RedirectResponse(safe_next(pending.get("next")), status_code=303)
        self._set_session_cookie(response, new.secret)
        return response

    def _set_session_cookie(self, response: Response, secret: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            secret,
            max_age=int(signin.SESSION_LIFETIME.total_seconds()),
            httponly=True,
            secure=self.config.secure_cookies,
            samesite="lax",
        )

    async def current(self, request: Request) -> Response:
        """The signed-in browser: who, for which organization, a CSRF token and an access token."""
        secret = request.cookies.get(SESSION_COOKIE)
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            row = await signin.find_session(session, secret) if secret else None
            if row is None:
                return JSONResponse({"signedIn": False}, status_code=401)
            user = await session.get(User, row.user_id)
            organization = (
                await session.get(Organization, row.organization_id)
                if row.organization_id
                else None
            )
        assert user is not None and secret is not None
        # Bound to this session: logging out ends the token too.
        access_token = self.tokens.issue(
            user_id=user.id,
            organization_id=row.organization_id,
            scopes=ALL_SCOPES,
            session_id=row.id,
        )
        body = {
            "signedIn": True,
            "user": {"email": user.email, "displayName": user.display_name},
            "organization": {"slug": organization.slug, "name": organization.name}
            if organization
            else None,
            "csrfToken": signin.csrf_token(secret, self.config.cookie_secret),
            "accessToken": access_token,
            "expiresIn": self.tokens.ttl_seconds,
        }
        if request.query_params.get("format") == "html":
            # Written in the person's own language now that they are known.
            activate(
                choose(
                    preference=user.locale,
                    accept_language=request.headers.get("accept-language"),
                    organization_default=organization.default_locale if organization else None,
                )
            )
            header = f"Authorization: Bearer {access_token}"
            page = _page(
                200,
                _("Signed in"),
                _(
                    "You are signed in as {email} for {organization}. For GraphiQL, add the "
                    "header {header}",
                    email=user.email,
                    organization=organization.name,
                    header=header,
                )
                if organization
                else _(
                    "You are signed in as {email}. For GraphiQL, add the header {header}",
                    email=user.email,
                    header=header,
                ),
            )
            # A page that shows a token is kept by no cache, shared or the browser's own.
            page.headers["Cache-Control"] = "no-store"
            return page
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def logout(self, request: Request) -> Response:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret is None:
            return JSONResponse({"signedIn": False}, status_code=401)
        if not signin.csrf_matches(
            secret, request.headers.get(CSRF_HEADER), self.config.cookie_secret
        ):
            return JSONResponse(
                {"error": _("a valid X-CSRF-Token header is needed")}, status_code=403
            )
        if not await end_session(self.sessions, secret):
            return JSONResponse({"signedIn": False}, status_code=401)
        response = JSONResponse({"signedIn": False})
        response.delete_cookie(SESSION_COOKIE)
        return response


async def end_session(sessions: SessionFactory, secret: str) -> bool:
    """Revoke the browser session of a cookie's secret (its CSRF token checked already), and
    with it every access token it handed out; False when there was no live session."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        row = await signin.find_session(session, secret)
        if row is None:
            return False
        signin.revoke_session(row)
        audit.record(
            session,
            action=audit.SIGN_OUT,
            organization_id=row.organization_id,
            actor_user_id=row.user_id,
        )
    return True
