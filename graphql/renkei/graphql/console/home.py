"""The console's home, sign-in and sign-out, the organization switcher and the language switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from renkei.graphql.auth import SESSION_COOKIE, end_session, safe_next
from renkei.graphql.console.app import SIGN_IN_POLICY, PageError, Redirect
from renkei.i18n.messages import activate, as_locale

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console


async def home(console: Console, request: Request) -> Response:
    data = await console.run(request, "ConsoleHome")
    viewer = data["viewer"]
    return console.render(
        request, "home.html", chrome=viewer, invitations=viewer["invitations"], notice=None
    )


async def sign_in(console: Console, request: Request) -> Response:
    """The sign-in form: an email address, from which /auth/login finds the provider."""
    params = request.query_params
    chosen = as_locale(params.get("lang"))
    if chosen is not None:
        activate(chosen)
    return console.render(
        request,
        "sign_in.html",
        policy=SIGN_IN_POLICY,
        chrome=None,
        notice=None,
        next=safe_next(params.get("next")),
        email=params.get("email", ""),
        message=None,
        personal=console.sign_in.platform_provider is not None,
    )


async def sign_out(console: Console, request: Request) -> Response:
    await console.form(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret is not None:
        await end_session(console.endpoint.sessions, secret)
    response = RedirectResponse("/app/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def switch_organization(console: Console, request: Request) -> Response:
    form = await console.form(request)
    outcome = await console.mutate(
        request,
        "SwitchOrganization",
        {"input": {"organizationId": str(form.get("organization", ""))}},
    )
    if not outcome.ok:
        raise PageError(400, " ".join(e["message"] for e in outcome.errors))
    raise Redirect(safe_next(str(form.get("next", ""))))


async def set_locale(console: Console, request: Request) -> Response:
    form = await console.form(request)
    locale = str(form.get("locale", "")).upper()
    outcome = await console.mutate(
        request, "SetLocale", {"input": {"locale": locale if locale in ("JA", "EN") else None}}
    )
    if not outcome.ok:
        raise PageError(400, " ".join(e["message"] for e in outcome.errors))
    raise Redirect(safe_next(str(form.get("next", ""))))


def routes(console: Console) -> list[Route]:
    return [
        Route("/app/", console.page(home), methods=["GET"]),
        Route("/app/sign-in", console.page(sign_in), methods=["GET"]),
        Route("/app/sign-out", console.page(sign_out), methods=["POST"]),
        Route("/app/organization", console.page(switch_organization), methods=["POST"]),
        Route("/app/locale", console.page(set_locale), methods=["POST"]),
    ]
