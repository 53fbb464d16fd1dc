"""GraphiQL served by Renkei itself: it works offline (LGWAN), with nothing from a CDN.

Strawberry's GraphiQL page loads React and GraphiQL from a CDN, so on a closed network it shows
only "Loading...". This page loads the copies vendored under static/vendor (their versions and
sha256 are in static/vendor/README.md) and static/js/graphiql-init.js; the page runs no inline
script. In a signed-in browser, GraphiQL sends the session cookie with the session's CSRF token
(X-CSRF-Token, from the page's meta tag), so queries run as the signed-in person; a bearer token
typed in GraphiQL's Headers tab takes over, as for any client.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from renkei.graphql.auth import SESSION_COOKIE, SignInConfig
from renkei.i18n.messages import _, current_locale
from renkei.identity import signin

HERE = Path(__file__).parent
# GraphiQL's stylesheet carries its fonts as data: URLs, and React sets inline styles; no eval.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'none'"
)


class GraphiQLPage:
    """GET /graphql from a browser in development: GraphiQL on Renkei's own assets."""

    def __init__(self, sign_in: SignInConfig | None) -> None:
        self.sign_in = sign_in
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
        )
        self.templates.globals.update(_=_)

    def __call__(self, request: Request) -> HTMLResponse:
        secret = request.cookies.get(SESSION_COOKIE) if self.sign_in else None
        token = (
            signin.csrf_token(secret, self.sign_in.cookie_secret) if secret and self.sign_in else ""
        )
        page = self.templates.get_template("graphiql.html").render(
            locale=current_locale(), csrf_token=token, signed_in=bool(token)
        )
        return HTMLResponse(
            page, headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"}
        )
