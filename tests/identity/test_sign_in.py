"""Signing in through an organization's own provider, driven as a browser would."""

from __future__ import annotations

import httpx2
import pytest
from sqlalchemy import select

from factories import create_organization, create_user
from identity.browser import Browser
from identity.signin_world import RENKEI, World, register
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import BrowserSession, User, UserIdentity
from renkei.organizations.models import Organization
from renkei.tenancy import Viewer

VIEWER = "{ viewer { user { email } role actingOrganization { slug } } }"
SWITCH = """
mutation Switch($id: ID!) {
  switchOrganization(input: {organizationId: $id}) {
    organization { slug }
    role
    userErrors { code }
  }
}
"""


async def sign_in(world: World, email: str, **login: str) -> tuple[Browser, httpx2.Response]:
    browser = world.browser()
    query = "&".join([f"email={email}", *(f"{k}={v}" for k, v in login.items())])
    response = await browser.visit(f"/auth/login?{query}")
    return browser, response


async def as_browser(
    browser: Browser, query: str, variables: dict[str, object] | None = None
) -> httpx2.Response:
    """A GraphQL request as the signed-in page makes it: cookie, JSON, and its CSRF token."""
    csrf = (await browser.get("/auth/session")).json()["csrfToken"]
    return await browser.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"X-CSRF-Token": csrf},
    )


async def test_a_member_signs_in_through_their_organizations_provider(world, provider_a):
    # given alice at A's provider, in the group that A maps to ADMIN
    provider_a.add_user("alice-1", "alice@a.example", name="有田 アリス", groups=["renkei-admins"])
    # when she signs in with her address
    browser, page = await sign_in(world, "alice@a.example")
    # then she lands signed in, with a session cookie the page's scripts cannot read
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    assert "熊本精機のalice@a.exampleとしてサインインしています。" in page.text
    set_cookie = next(
        r for r in browser.history if "renkei_session" in r.headers.get("set-cookie", "")
    )
    assert "httponly" in set_cookie.headers["set-cookie"].lower()
    assert "samesite=lax" in set_cookie.headers["set-cookie"].lower()
    # and the provider was asked with PKCE S256, state and nonce
    asked = provider_a.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256"
    assert asked["state"] and asked["nonce"] and asked["login_hint"] == "alice@a.example"
    assert asked["redirect_uri"] == f"{RENKEI}/auth/callback/org-a"
    # and the API knows her, as ADMIN of A through the provider's group
    response = await as_browser(browser, VIEWER)
    assert response.json() == {
        "data": {
            "viewer": {
                "user": {"email": "alice@a.example"},
                "role": "ADMIN",
                "actingOrganization": {"slug": "org-a"},
            }
        }
    }
    assert await world.memberships("alice@a.example") == {"org-a": "ADMIN"}
    [event] = await world.audit()
    assert (event.outcome, event.organization_id) == ("success", world.org_a.id)


async def test_the_session_hands_out_an_access_token_for_api_calls(world, provider_a):
    # given
    provider_a.add_user("alice-1", "alice@a.example")
    browser, _ = await sign_in(world, "alice@a.example")
    # when
    session = (await browser.get("/auth/session")).json()
    world.app.cookies.clear()  # an API client: the token alone
    response = await world.app.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": f"Bearer {session['accessToken']}"},
    )
    # then
    assert session["user"]["email"] == "alice@a.example"
    assert session["organization"] == {"slug": "org-a", "name": "熊本精機"}
    assert response.json()["data"]["viewer"]["role"] == "MEMBER"


async def test_a_cookie_session_without_its_csrf_token_is_refused(world, provider_a):
    # given
    provider_a.add_user("alice-1", "alice@a.example")
    browser, _ = await sign_in(world, "alice@a.example")
    # when the request comes without the header (as a cross-site form post would)
    response = await browser.post("/graphql", json={"query": VIEWER})
    wrong = await browser.post("/graphql", json={"query": VIEWER}, headers={"X-CSRF-Token": "x"})
    # then
    assert (response.status_code, wrong.status_code) == (403, 403)
    assert response.json() == {
        "errors": [{"message": "ブラウザのセッションでは X-CSRF-Token ヘッダーが必要です。"}]
    }


async def test_logout_revokes_the_session(world, provider_a):
    # given
    provider_a.add_user("alice-1", "alice@a.example")
    browser, _ = await sign_in(world, "alice@a.example")
    csrf = (await browser.get("/auth/session")).json()["csrfToken"]
    # when
    refused = await browser.post("/auth/logout")
    logged_out = await browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    # then
    assert (refused.status_code, logged_out.status_code) == (403, 200)
    assert (await browser.get("/auth/session")).status_code == 401
    [row] = await _sessions(world)
    assert row.revoked_at is not None
    assert [e.outcome for e in await world.audit("sign_out")] == ["success"]


async def _sessions(world: World) -> list[BrowserSession]:
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        return list((await session.scalars(select(BrowserSession))).all())


async def test_key_rotation_at_the_provider_keeps_sign_in_working(world, provider_a):
    # given a first sign-in, which read the provider's keys
    provider_a.add_user("alice-1", "alice@a.example")
    _, first = await sign_in(world, "alice@a.example")
    # when the provider rotates its signing key
    provider_a.rotate_keys()
    _, second = await sign_in(world, "alice@a.example")
    provider_a.retire_old_keys()
    _, third = await sign_in(world, "alice@a.example")
    # then every sign-in works, and the keys were read again only for the new key
    assert [p.status_code for p in (first, second, third)] == [200, 200, 200]
    assert provider_a.jwks_fetches == 2


async def test_one_person_in_two_organizations_is_one_user(world, provider_a, sessions):
    # given organization C registers the same provider (one IdP tenant serving both)

    owner_c = await create_user(sessions, "owner@c.example")
    org_c = await create_organization(
        sessions, owner_c, slug="org-c", name="熊本県産業技術センター"
    )
    provider_a.register_client("renkei-c", "renkei-c-secret", ("http://renkei.test/*",))
    await register(
        sessions,
        world.config,
        org_c,
        owner_c,
        provider_a,
        client_id="renkei-c",
        domains=["a.example"],
    )
    provider_a.add_user("alice-1", "alice@a.example")
    # when alice, asked which organization, signs in for A and then for C
    browser = world.browser()
    choice = await browser.visit("/auth/login?email=alice@a.example")
    await sign_in(world, "alice@a.example", org="org-a")
    browser_c, _ = await sign_in(world, "alice@a.example", org="org-c")
    # then she chose between both; she is one user with two memberships and one identity
    assert choice.status_code == 200
    assert "熊本精機" in choice.text and "熊本県産業技術センター" in choice.text
    assert await world.memberships("alice@a.example") == {"org-a": "MEMBER", "org-c": "MEMBER"}
    assert await world.count(UserIdentity) == 1
    response = await as_browser(browser_c, VIEWER)
    assert response.json()["data"]["viewer"]["actingOrganization"] == {"slug": "org-c"}
    # and switching to A is explicit
    switched = await as_browser(
        browser_c, SWITCH, {"id": to_global_id("Organization", world.org_a.id)}
    )
    assert switched.json()["data"]["switchOrganization"] == {
        "organization": {"slug": "org-a"},
        "role": "MEMBER",
        "userErrors": [],
    }
    after = await as_browser(browser_c, VIEWER)
    assert after.json()["data"]["viewer"]["actingOrganization"] == {"slug": "org-a"}


async def test_the_signed_in_page_follows_the_person_then_their_organization(world, provider_a):
    # given A writes to its people in English, and bob keeps Japanese as his own choice
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        organization = await session.get(Organization, world.org_a.id)
        assert organization is not None
        organization.default_locale = "en"
    provider_a.add_user("alice-1", "alice@a.example")
    provider_a.add_user("bob-1", "bob@a.example")
    _, first_bob = await sign_in(world, "bob@a.example")
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        bob = await session.scalar(select(User).where(User.email == "bob@a.example"))
        assert bob is not None
        bob.locale = "ja"
    # when each signs in from a browser that names no language
    _, alice_page = await sign_in(world, "alice@a.example")
    _, bob_page = await sign_in(world, "bob@a.example")
    # then alice reads her organization's language, and so did bob before he chose his own
    assert "You are signed in as bob@a.example for 熊本精機." in first_bob.text
    assert alice_page.headers["content-language"] == "en"
    assert '<html lang="en">' in alice_page.text
    assert "You are signed in as alice@a.example for 熊本精機." in alice_page.text
    assert bob_page.headers["content-language"] == "ja"
    assert "熊本精機のbob@a.exampleとしてサインインしています。" in bob_page.text


async def test_an_unknown_domain_gets_a_clear_page(world):
    # when
    response = await world.app.get("/auth/login?email=someone@nowhere.example")
    # then
    assert response.status_code == 404
    assert response.headers["content-language"] == "ja"
    assert "<title>団体が見つかりません｜Renkei</title>" in response.text
    assert "nowhere.example のアドレスでサインインできる団体はありません。" in response.text


async def test_the_page_is_english_for_a_browser_that_asks_for_english(world):
    # when
    response = await world.app.get(
        "/auth/login?email=someone@nowhere.example", headers={"Accept-Language": "en-GB,en;q=0.8"}
    )
    # then
    assert response.status_code == 404
    assert response.headers["content-language"] == "en"
    assert '<html lang="en">' in response.text
    assert "<title>Renkei: No organization found</title>" in response.text
    assert "No organization signs in with addresses at nowhere.example" in response.text


async def test_interpolated_values_stay_escaped_in_either_language(world):
    # given an address whose domain cannot be one, with markup in it
    email = "x@<b>evil</b>"
    for language in ("ja", "en"):
        # when
        response = await world.app.get(
            "/auth/login", params={"email": email}, headers={"Accept-Language": language}
        )
        # then
        assert response.status_code == 400
        assert "<b>evil</b>" not in response.text
        assert "x@&lt;b&gt;evil&lt;/b&gt;" in response.text


@pytest.mark.parametrize(
    ("login", "expected"),
    [("org=org-b", 302), ("org=no-such-org", 404), ("", 400)],
)
async def test_login_by_organization_slug(world, login, expected):
    # when
    response = await world.app.get(f"/auth/login?{login}")
    # then
    assert response.status_code == expected


async def test_the_csrf_token_is_stable_across_tabs(world, provider_a):
    # given a signed-in browser whose two tabs each ask for the session
    provider_a.add_user("alice-1", "alice@a.example")
    browser, _ = await sign_in(world, "alice@a.example")
    first = (await browser.get("/auth/session")).json()["csrfToken"]
    second = (await browser.get("/auth/session")).json()["csrfToken"]
    # when the first tab uses its token after the second tab loaded
    response = await browser.post(
        "/graphql", json={"query": VIEWER}, headers={"X-CSRF-Token": first}
    )
    # then
    assert first == second
    assert response.json()["data"]["viewer"]["user"] == {"email": "alice@a.example"}
