"""The web console under /app/: server-rendered pages for people, not GraphQL developers.

The console is a client of the public API with no private shortcut. Each page runs named
operations of the public schema (renkei.graphql.console.operations) in process, as the browser
session's viewer, through the same endpoint as /graphql: row-level security, scopes, the budget,
userErrors and compiled plans apply unchanged. Each form posts to the page, which runs a public
mutation and redirects (post/redirect/get), or shows the form again with the userErrors beside
the fields.

Forms work without JavaScript; htmx, served by Renkei itself, only enhances them. Every POST
carries the session's CSRF token (a hidden field, or the X-CSRF-Token header), and a POST whose
Origin is another site is refused. No asset comes from anywhere but Renkei: the pages' own
Content-Security-Policy allows 'self' only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from graphql import GraphQLError
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from renkei.errors import DomainError
from renkei.graphql.auth import CSRF_HEADER, SESSION_COOKIE, SignInConfig, safe_next
from renkei.graphql.compiled.json_sql import RawJson
from renkei.graphql.console import labels, operations
from renkei.graphql.http import GraphQLEndpoint, GraphQLRequest, ProtocolError
from renkei.graphql.relay import to_global_id
from renkei.i18n import formats
from renkei.i18n.messages import _, current_locale, label, ngettext
from renkei.identity import signin
from renkei.tenancy import Viewer

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
CSRF_FIELD = "csrf_token"
# The console's pages run Renkei's own scripts and styles only: nothing from a CDN, no inline
# script. (Inline style attributes are allowed for the server-rendered SVG charts.)
_SOURCES = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
PAGE_POLICY = _SOURCES + "; form-action 'self'"
# The sign-in form goes on to the organization's own provider, wherever that is.
SIGN_IN_POLICY = _SOURCES


class PageError(Exception):
    """A page cannot be shown: not found, not allowed, or a fault (logged)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Redirect(Exception):
    """Leave the page for another one (sign-in, or where a form goes next)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


@dataclass
class Outcome:
    """What a form's mutation answered: its payload, and userErrors by field (None: the form)."""

    payload: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def by_field(self) -> dict[str | None, list[str]]:
        found: dict[str | None, list[str]] = {}
        for error in self.errors:
            found.setdefault(error.get("field"), []).append(error["message"])
        return found


_STATUS_OF_CODE = {
    "NOT_FOUND": 404,
    "FORBIDDEN": 403,
    "UNAUTHENTICATED": 401,
    "INSUFFICIENT_SCOPE": 403,
}


def _page_error(errors: list[GraphQLError]) -> PageError:
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError):
            status = _STATUS_OF_CODE.get(original.code.value, 400)
            return PageError(status, original.message)
    logger.error("a console operation failed", extra={"errors": [e.message for e in errors]})
    return PageError(500, _("Internal error: it has been logged; try again later."))


def value(form: FormData, name: str) -> str | None:
    """A form field as typed, stripped; None when empty or missing (the API then says what is
    needed, in the reader's language)."""
    raw = form.get(name)
    if not isinstance(raw, str):
        return None
    return raw.strip() or None


class Console:
    """The console's pages; `areas` add the routes of each part (regions, talent, ...)."""

    def __init__(
        self, endpoint: GraphQLEndpoint, sign_in: SignInConfig, *, development: bool
    ) -> None:
        self.endpoint = endpoint
        self.sign_in = sign_in
        self.development = development
        from renkei.graphql.console import forms

        self.operations = operations.registry()
        # What a page says after a form took effect (?done=key, post/redirect/get): the areas
        # add theirs; a key from the address picks a message, so no text travels in it.
        self.notices: dict[str, str] = {}
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html", "svg"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals.update(
            _=_,
            ngettext=ngettext,
            label=label,
            format_date=formats.format_date,
            format_yen=formats.format_yen,
            fiscal_year_label=formats.fiscal_year_label,
            enum_label=labels.enum_label,
            enum_options=labels.options,
            api_day=forms.api_day,
            api_moment=forms.api_moment,
        )

    # -- running operations ---------------------------------------------------------------

    async def run(
        self,
        request: Request,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        bind: Callable[[Viewer], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The data of the named operation, run as the session's viewer; a PageError else.
        `bind(viewer)` adds variables known once the viewer is (see acting_organization)."""
        operation = self.operations[name]
        if request.cookies.get(SESSION_COOKIE) is None:
            raise Redirect(sign_in_url(request))
        if operation.mutation and not getattr(request.state, "form_checked", False):
            # Structural, not a convention: no mutation runs for a request whose form's CSRF
            # token and origin were not checked (console.form), e.g. from a GET.
            raise PageError(
                403, _("This form has expired or was not sent from Renkei. Reload the page.")
            )
        # By id, as a client of registered documents: the text is the server's own copy.
        graphql_request = GraphQLRequest(
            query=None,
            variables=dict(variables or {}),
            operation_name=name,
            extensions={"persistedQuery": {"version": 1, "sha256Hash": operation.id}},
        )
        try:
            result = await self.endpoint.execute_for_browser(
                request, graphql_request, mutation=operation.mutation, bind=bind
            )
        except ProtocolError as error:
            if error.status == 401:
                raise Redirect(sign_in_url(request)) from error
            raise PageError(error.status, error.message) from error
        if result.errors:
            raise _page_error(list(result.errors))
        data = result.data
        if isinstance(data, RawJson):
            # A compiled plan: PostgreSQL wrote the answer as JSON.
            data = orjson.loads(data.raw)
        assert isinstance(data, dict)
        return data

    async def mutate(
        self, request: Request, name: str, variables: Mapping[str, Any] | None = None
    ) -> Outcome:
        """Run a form's mutation: its one root field's payload, and the userErrors in it."""
        data = await self.run(request, name, variables)
        (payload,) = data.values()
        errors = list(payload.get("userErrors") or []) if isinstance(payload, dict) else []
        return Outcome(payload=payload or {}, errors=errors)

    # -- forms --------------------------------------------------------------------------

    async def form(self, request: Request) -> FormData:
        """The posted form, after its CSRF token and origin are checked (403 else)."""
        secret = request.cookies.get(SESSION_COOKIE)
        if secret is None:
            raise Redirect(sign_in_url(request))
        # Besides the token: a browser says where a form came from. (With Referrer-Policy
        # no-referrer, Chromium sends `Origin: null` for our own forms; Sec-Fetch-Site says.)
        origin = request.headers.get("origin")
        if request.headers.get("sec-fetch-site") == "cross-site" or (
            origin not in (None, "null") and origin not in self._origins(request)
        ):
            raise PageError(403, _("This form was sent from another site and was refused."))
        form = await request.form()
        token = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not isinstance(token, str) or not signin.csrf_matches(
            secret, token, self.sign_in.cookie_secret
        ):
            raise PageError(
                403, _("This form has expired or was not sent from Renkei. Reload the page.")
            )
        request.state.form_checked = True
        return form

    def _origins(self, request: Request) -> set[str]:
        public = urlsplit(self.sign_in.public_url)
        return {
            f"{request.url.scheme}://{request.url.netloc}",
            f"{public.scheme}://{public.netloc}",
        }

    def csrf_token(self, request: Request) -> str:
        secret = request.cookies.get(SESSION_COOKIE)
        return signin.csrf_token(secret, self.sign_in.cookie_secret) if secret else ""

    # -- pages --------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        policy: str = PAGE_POLICY,
        **values: Any,
    ) -> HTMLResponse:
        done = self.notices.get(request.query_params.get("done", ""))
        values = {"chrome": None, "notice": _(done) if done else None, **values}
        page = self.templates.get_template(template).render(
            request=request,
            path=request.url.path,
            query=request.query_params,
            locale=current_locale(),
            csrf_token=self.csrf_token(request),
            csrf_field=CSRF_FIELD,
            development=self.development,
            **values,
        )
        return HTMLResponse(
            page,
            status_code=status,
            headers={"Content-Security-Policy": policy, "Cache-Control": "no-store"},
        )

    def done(self, url: str, key: str) -> Redirect:
        """Where a form goes when its mutation took effect: `raise console.done(url, "saved")`."""
        assert key in self.notices, f"no notice {key}"
        separator = "&" if "?" in url else "?"
        return Redirect(f"{url}{separator}done={key}")

    def page(self, handler: Callable[[Console, Request], Any]) -> Callable[[Request], Any]:
        """A route's endpoint: runs `handler`, turning Redirect and PageError into responses."""

        async def endpoint(request: Request) -> Response:
            try:
                response: Response = await handler(self, request)
            except Redirect as redirect:
                return RedirectResponse(redirect.url, status_code=303)
            except PageError as error:
                return self.error_page(request, error)
            return response

        return endpoint

    def error_page(self, request: Request, error: PageError) -> HTMLResponse:
        titles = {
            403: _("You may not see this"),
            404: _("Not found"),
            429: _("Too many requests"),
        }
        return self.render(
            request,
            "error.html",
            status=error.status,
            title=titles.get(error.status, _("Something went wrong")),
            message=error.message,
            chrome=None,
        )

    def routes(self) -> list[BaseRoute]:
        from renkei.graphql.console import (
            evaluations,
            home,
            inbox,
            matches,
            professional,
            projects,
            regions,
            talent,
        )

        routes: list[BaseRoute] = [
            Route("/", lambda _request: RedirectResponse("/app/", status_code=307)),
        ]
        for area in (home, inbox, matches, professional, projects, regions, evaluations, talent):
            routes.extend(area.routes(self))
        return routes


def static_files() -> Mount:
    """/static: the console's and GraphiQL's own scripts and styles (vendored: no CDN)."""
    return Mount(
        "/static",
        app=StaticFiles(directory=HERE / "static", follow_symlink=False),
        name="static",
    )


def acting_organization(viewer: Viewer) -> dict[str, Any]:
    """`$organization`: the acting organization's id (None for a person acting for none)."""
    organization = viewer.organization_id
    return {"organization": to_global_id("Organization", organization) if organization else None}


def sign_in_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/app/sign-in?next={quote(safe_next(here), safe='')}"
