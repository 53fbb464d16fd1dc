"""/oauth/token: the client credentials grant (RFC 6749 §4.4) for organizations' API clients.

authlib's authorization server does the protocol: the grant type, client authentication with
client_secret_basic or client_secret_post, scopes, and errors in the RFC's shape. authlib is
synchronous, so the one client a request names is loaded first, in the request's own unit of
work as the platform; authlib then decides over that row. The access token is one of Renkei's
own JWTs, verified on /graphql like any other, for the client's service account.

An error's `error_description` is English: RFC 6749 §5.2 allows only ASCII there. A reader whose
language is another gets it beside, as `error_description#ja` (tagged as in RFC 7591 §2.2).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs
from weakref import WeakKeyDictionary

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientCredentialsGrant,
    ClientMixin,
    InsecureTransportError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    scope_to_list,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from renkei import audit
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql import input_guard
from renkei.i18n.messages import N_, _, current_locale, translate_in
from renkei.identity import clients
from renkei.identity import repository as identity
from renkei.identity.models import ApiClient
from renkei.identity.tokens import TokenService
from renkei.tenancy import Viewer

TOKEN_TTL_SECONDS = 15 * 60
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
FORM = "application/x-www-form-urlencoded"
# One answer for an unknown client, a wrong secret and a revoked client: no oracle for ids.
CLIENT_AUTH_FAILED = N_("client authentication failed: check the client id and secret")
# authlib's own errors, described in our words (the error codes stay the RFC's).
_DESCRIPTIONS = {
    "invalid_client": CLIENT_AUTH_FAILED,
    "unsupported_grant_type": N_("this server supports grant_type=client_credentials only"),
    "unauthorized_client": N_("this client may use grant_type=client_credentials only"),
}

# authlib logs each issued token at DEBUG; access tokens must not reach the logs.
logging.getLogger("authlib.oauth2").setLevel(logging.INFO)

Answer = tuple[int, dict[str, Any], list[tuple[str, str]]]


class _Form(OAuth2Payload):
    def __init__(self, datalist: dict[str, list[str]]) -> None:
        self._datalist = datalist
        self._data = {key: values[0] for key, values in datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class _TokenRequest(OAuth2Request):
    """A Starlette request as authlib sees it: the method, the headers and the form."""

    def __init__(self, request: Request, uri: str, form: _Form) -> None:
        super().__init__(request.method, uri, headers=request.headers)
        self.payload = form

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class _Client(ClientMixin):
    """An API client row in authlib's terms: confidential, client credentials only."""

    def __init__(self, row: ApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.row.scopes)
        return " ".join(s for s in scope_to_list(scope) or [] if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return clients.secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return bool(grant_type == ClientCredentialsGrant.GRANT_TYPE)


class _ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self) -> None:
        requested = set(scope_to_list(self.request.payload.scope) or [])
        beyond = sorted(requested - set(self.request.client.row.scopes))
        if beyond:
            raise _refused(
                InvalidScopeError,
                N_("the client may not ask for {scopes}"),
                scopes=" ".join(beyond),
            )


class _Server(AuthorizationServer):
    """authlib's server for one request, over the one client that request names (if any)."""

    def __init__(self, tokens: TokenService, row: ApiClient | None) -> None:
        super().__init__()
        self.tokens = tokens
        self.row = row
        self.issued_to: ApiClient | None = None
        self.register_grant(_ClientCredentials)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str) -> _Client | None:
        row = self.row
        if row is None or row.client_id != client_id or row.revoked_at is not None:
            return None
        return _Client(row)

    def _generate(self, *, client: _Client, scope: str | None, **_: Any) -> dict[str, str | int]:
        row = client.row
        granted = frozenset(scope_to_list(scope) or row.scopes)
        access_token = self.tokens.issue(
            user_id=row.service_user_id,
            organization_id=row.organization_id,
            scopes=granted,
            ttl_seconds=TOKEN_TTL_SECONDS,
            client_id=row.client_id,
        )
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_SECONDS,
            "scope": " ".join(sorted(granted)),
        }

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        # Tokens are self-contained JWTs: nothing to store, only the client's use to note.
        self.issued_to = request.client.row

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(
        self, status: int, body: dict[str, Any], headers: list[tuple[str, str]]
    ) -> Answer:
        return status, body, headers

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> Answer:
        # authlib's own errors get our words; the ones raised here have them already.
        text = _DESCRIPTIONS.get(str(error.error))
        if isinstance(error, InvalidClientError):
            # 401 with a WWW-Authenticate challenge whichever method failed (RFC 6749 §5.2).
            error.status_code = 401
        if text is not None and not _LOCALIZED.get(error):
            _describe(error, text)
        status, body, headers = super().handle_error_response(request, error)
        return status, _with_localized(body, error), headers


# The description in the reader's language of an error raised for this request, by the error.
_LOCALIZED: WeakKeyDictionary[OAuth2Error, str] = WeakKeyDictionary()


def _describe(error: OAuth2Error, message: str, /, **params: Any) -> None:
    """Describe `error` in English, the only language `error_description` may use (RFC 6749
    §5.2: ASCII), and keep the reader's words for `error_description#<locale>` beside it."""
    error.description = translate_in("en", message, **params)
    _LOCALIZED[error] = _(message, **params)


def _refused(kind: type[OAuth2Error], message: str, /, **params: Any) -> OAuth2Error:
    error = kind()
    _describe(error, message, **params)
    return error


def _with_localized(body: dict[str, Any], error: OAuth2Error) -> dict[str, Any]:
    """The body, with the description in the reader's language when it is not English: a
    member tagged with its language, as OAuth does for human-readable values (RFC 7591 §2.2)."""
    locale = current_locale()
    localized = _LOCALIZED.get(error)
    if locale == "en" or not localized or "error_description" not in body:
        return body
    return {**body, f"error_description#{locale}": localized}


def _parse_form(body: bytes) -> _Form:
    try:
        datalist = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise _refused(InvalidRequestError, N_("the form is not UTF-8")) from exc
    repeated = sorted(name for name, values in datalist.items() if len(values) > 1)
    if repeated:
        raise _refused(
            InvalidRequestError, N_("the parameter {name} is repeated"), name=repeated[0]
        )
    if not datalist.get("grant_type", [""])[0]:
        raise _refused(InvalidRequestError, N_("the grant_type parameter is missing"))
    return _Form(datalist)


class TokenEndpoint:
    """POST /oauth/token. Plain http is refused unless the app runs in development."""

    def __init__(self, sessions: SessionFactory, tokens: TokenService, *, allow_http: bool):
        self.sessions = sessions
        self.tokens = tokens
        self.allow_http = allow_http

    async def _request(self, request: Request) -> tuple[_TokenRequest, str | None]:
        """authlib's request, and the client id it names (by either method), checked for form."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != FORM:
            raise _refused(
                InvalidRequestError, N_("send the parameters as {media_type}"), media_type=FORM
            )
        form = _parse_form(await request.body())
        basic_id, basic_secret = extract_basic_authorization(request.headers)
        # A NUL cannot be stored in PostgreSQL's text: refused here, not as a fault below.
        values = [basic_id or "", basic_secret or ""]
        for name, given in form.datalist.items():
            values += [name, *given]
        if any(map(input_guard.unstorable, values)):
            raise _refused(
                InvalidRequestError,
                N_("a parameter contains a NUL character")
                if any("\x00" in value for value in values)
                else N_("a parameter contains a lone UTF-16 surrogate, which is not valid UTF-8"),
            )
        if basic_id is not None and "client_secret" in form.data:
            raise _refused(
                InvalidRequestError, N_("authenticate the client with one method, not two")
            )
        url = request.url
        # authlib allows plain http only when AUTHLIB_INSECURE_TRANSPORT is set for the whole
        # process; development serves http on purpose, so that choice is made per app here.
        if self.allow_http and url.scheme == "http":
            url = url.replace(scheme="https")
        try:
            oauth_request = _TokenRequest(request, str(url), form)
        except InsecureTransportError as exc:
            raise _refused(InvalidRequestError, N_("use https")) from exc
        return oauth_request, basic_id or form.data.get("client_id")

    async def handle(self, request: Request) -> Response:
        try:
            oauth_request, client_id = await self._request(request)
        except OAuth2Error as error:
            status, body, headers = error()
            return _respond(status, _with_localized(body, error), headers)
        async with unit_of_work(self.sessions, Viewer.platform()) as session:
            row = await identity.api_client(session, client_id=client_id) if client_id else None
            server = _Server(self.tokens, row)
            status, body, headers = server.create_token_response(oauth_request)
            issued_to = server.issued_to
            if issued_to is not None:
                await clients.record_use(session, issued_to)
            # A refusal of a known client is its organization's business; strangers leave no row.
            if row is not None:
                audit.record(
                    session,
                    action=audit.SIGN_IN,
                    organization_id=row.organization_id,
                    actor_user_id=row.service_user_id,
                    outcome="success" if issued_to else "failure",
                    reason=None if issued_to else _failure_reason(row, body),
                    detail=_detail(row, scope=body.get("scope") if issued_to else None),
                )
        return _respond(status, body, headers)


def _detail(row: ApiClient, *, scope: str | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "grant_type": "client_credentials",
        "api_client_id": str(row.id),
        "client_id": row.client_id,
    }
    if scope is not None:
        detail["scope"] = scope
    return detail


def _failure_reason(row: ApiClient, body: dict[str, Any]) -> str:
    if row.revoked_at is not None:
        return "the API client is revoked"
    if body.get("error") == "invalid_client":
        return "wrong or missing client secret"
    return f"{body.get('error')}: {body.get('error_description')}"


def _respond(status: int, body: dict[str, Any], headers: list[tuple[str, str]]) -> Response:
    return JSONResponse(body, status_code=status, headers=dict(headers))
