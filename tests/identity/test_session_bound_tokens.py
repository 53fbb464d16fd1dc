"""Access tokens that a browser session hands out end with it: after logout, the token from
/auth/session is refused on /graphql (a first request, and a repeated compiled query that takes
the direct path) and on the exports. Tokens from `renkei token` and client credentials have no
session and keep working."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from conftest import CommittedDatabase
from factories import act_as, create_organization, create_user, token_for
from identity.browser import Browser
from identity.oidc_provider import OidcProvider
from identity.signin_world import RENKEI, register, sign_in_config
from renkei.db import unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.relay import to_global_id
from renkei.identity.tokens import TokenService
from renkei.regions import service as regions

VIEWER = "{ viewer { user { email } } }"
REGION = """
query Region($id: ID!) {
  region(id: $id) {
    name
    projects(first: 10) { nodes { name } }
  }
}
"""


@pytest.fixture
async def signed_in(
    committed: CommittedDatabase, tokens: TokenService, redis_url: str, provider_a: OidcProvider
) -> AsyncIterator[dict[str, Any]]:
    """Alice signed in through org A's provider, on a database with real commits (so that a
    repeated compiled query takes the direct path), and a region org A runs."""
    config = sign_in_config()
    owner = await create_user(committed.sessions, "owner@a.example")
    org_a = await create_organization(committed.sessions, owner, slug="org-a", name="熊本精機")
    await register(
        committed.sessions,
        config,
        org_a,
        owner,
        provider_a,
        client_id="renkei-a",
        domains=["a.example"],
    )
    viewer = await act_as(committed.sessions, owner, org_a)
    async with unit_of_work(committed.sessions, viewer) as session:
        region = await regions.create_region(
            session, viewer, slug="sid-kyushu", name="九州", prefecture_codes=["40", "43"]
        )
    provider_a.add_user("alice-1", "alice@a.example")
    app = create_app(
        sessions=committed.sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        sign_in=config,
    )
    async with (
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=RENKEI) as http,
        httpx2.AsyncClient(timeout=5) as web,
    ):
        browser = Browser(http, web)
        page = await browser.visit("/auth/login?email=alice@a.example")
        assert page.status_code == 200, page.text
        yield {
            "browser": browser,
            "app": app,
            "owner": owner,
            "org_a": org_a,
            "region": {"id": to_global_id("Region", region.id)},
        }


async def _post(app: Any, query: str, variables: dict[str, Any], token: str) -> httpx2.Response:
    """An API client with the token alone: no cookie. It reads English."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=RENKEI) as api:
        return await api.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        )


async def _export(app: Any, token: str) -> httpx2.Response:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=RENKEI) as api:
        return await api.get(
            "/exports/regions/sid-kyushu/milestones.csv",
            headers={"Authorization": f"Bearer {token}"},
        )


async def test_logging_out_ends_the_tokens_the_session_handed_out(signed_in):
    # given a token from the browser session, working on every path
    w = signed_in
    browser: Browser = w["browser"]
    session = await browser.get("/auth/session")
    token, csrf = session.json()["accessToken"], session.json()["csrfToken"]
    before_first = await _post(w["app"], VIEWER, {}, token)
    before_compiled = [await _post(w["app"], REGION, w["region"], token) for _ in range(2)]
    before_export = await _export(w["app"], token)
    assert before_first.json() == {"data": {"viewer": {"user": {"email": "alice@a.example"}}}}
    assert [r.json()["data"]["region"]["name"] for r in before_compiled] == ["九州", "九州"]
    assert before_export.status_code == 200
    # when she logs out
    assert (await browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 200
    # then the token is refused: a first request, the repeated compiled query, an export
    first = await _post(w["app"], "{ viewer { role } }", {}, token)
    compiled = await _post(w["app"], REGION, w["region"], token)
    export = await _export(w["app"], token)
    for refused in (first, compiled):
        assert refused.status_code == 401, (refused.request.content, refused.text)
        assert refused.json() == {
            "errors": [{"message": "the session that issued this token has ended"}]
        }
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert export.status_code == 401
    assert export.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_token_from_switching_organization_ends_with_the_session(signed_in):
    # given a session token, exchanged through switchOrganization for another
    w = signed_in
    browser: Browser = w["browser"]
    session = (await browser.get("/auth/session")).json()
    token, csrf = session["accessToken"], session["csrfToken"]
    switch = (
        "mutation Switch($id: ID!) { switchOrganization(input: {organizationId: $id})"
        " { accessToken userErrors { code } } }"
    )
    variables = {"id": to_global_id("Organization", w["org_a"].id)}
    switched = (await _post(w["app"], switch, variables, token)).json()
    new_token = switched["data"]["switchOrganization"]["accessToken"]
    assert new_token and (await _post(w["app"], VIEWER, {}, new_token)).status_code == 200
    # when the browser logs out
    assert (await browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 200
    # then the token that switching handed out is refused as well
    assert (await _post(w["app"], VIEWER, {}, new_token)).status_code == 401


async def test_tokens_without_a_session_keep_working(signed_in, tokens):
    # given a token as `renkei token` issues it (no session), and a logged-out browser
    w = signed_in
    browser: Browser = w["browser"]
    csrf = (await browser.get("/auth/session")).json()["csrfToken"]
    assert (await browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 200
    token = token_for(tokens, w["owner"], w["org_a"])
    # when
    first = await _post(w["app"], VIEWER, {}, token)
    compiled = [await _post(w["app"], REGION, w["region"], token) for _ in range(2)]
    # then
    assert first.json() == {"data": {"viewer": {"user": {"email": "owner@a.example"}}}}
    assert [r.status_code for r in compiled] == [200, 200]


@pytest.mark.parametrize("form", ["json", "html"])
async def test_the_pages_that_show_a_token_are_never_cached(signed_in, form):
    # when
    response = await signed_in["browser"].get(f"/auth/session?format={form}")
    # then
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
