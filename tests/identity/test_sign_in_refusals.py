"""Every way a sign-in must fail: refused, nothing created, and the reason in the audit log."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import pytest

from identity.browser import Browser, location
from identity.signin_world import RENKEI, World
from renkei.identity.models import BrowserSession, UserIdentity
from renkei.organizations.models import Membership

ALICE = "alice@a.example"


async def assert_refused(world: World, page, reason: str, *, organization=None) -> None:  # type: ignore[no-untyped-def]
    assert page.status_code == 400, page.text
    assert '<html lang="ja">' in page.text
    assert "<h1>サインインできませんでした</h1>" in page.text
    assert await world.user(ALICE) is None
    assert await world.count(UserIdentity) == 0
    assert await world.count(BrowserSession) == 0
    assert await world.count(Membership, Membership.organization_id == world.org_a.id) == 1
    failures = [e for e in await world.audit() if e.outcome == "failure"]
    assert [(e.reason, e.organization_id) for e in failures] == [
        (reason, (organization or world.org_a).id)
    ]
    assert "renkei_session" not in page.headers.get("set-cookie", "")


async def test_a_refusal_page_is_japanese_unless_the_browser_asks_for_english(world, provider_a):
    # given a provider whose ID token carries the wrong nonce
    provider_a.add_user("alice-1", ALICE)
    provider_a.misbehave(nonce="wrong")
    # when one browser signs in as it comes, another asking for English
    japanese = await world.browser().visit(f"/auth/login?email={ALICE}")
    world.read_in("en")
    english = await world.browser().visit(f"/auth/login?email={ALICE}")
    # then each reads the refusal in its language, and the audit log keeps the same reason
    assert (japanese.status_code, english.status_code) == (400, 400)
    assert japanese.headers["content-language"] == "ja"
    assert '<html lang="ja">' in japanese.text
    assert "<title>サインインできませんでした｜Renkei</title>" in japanese.text
    assert "<p>ID トークンの nonce が無効です。</p>" in japanese.text
    assert english.headers["content-language"] == "en"
    assert '<html lang="en">' in english.text
    assert "<title>Renkei: Sign-in refused</title>" in english.text
    assert "<p>the ID token&#x27;s nonce is not valid</p>" in english.text
    failures = [e.reason for e in await world.audit() if e.outcome == "failure"]
    assert failures == ["id_token_nonce", "id_token_nonce"]


@pytest.mark.parametrize(
    ("misbehaviour", "reason"),
    [
        ({"nonce": "wrong"}, "id_token_nonce"),
        ({"aud": "someone-else"}, "id_token_aud"),
        ({"exp_offset": -3600}, "id_token_exp"),
        ({"alg": "none"}, "id_token_algorithm"),
        ({"hs256_with_public_key": True}, "id_token_algorithm"),
        ({"unpublished_kid": True}, "id_token_unknown_key"),
        ({"iss": "https://evil.example"}, "id_token_iss"),
        ({"iss_param": "https://evil.example"}, "iss_mismatch"),
        ({"omit_iss_param": True}, "iss_missing"),
        ({"email": "alice@b.example"}, "email_domain_not_vouched"),
        ({"claims": {"email_verified": False}}, "email_not_verified"),
    ],
    ids=lambda v: "-".join(map(str, v)) if isinstance(v, dict) else v,
)
async def test_a_misbehaving_provider_is_refused(world, provider_a, misbehaviour, reason):
    # given
    provider_a.add_user("alice-1", ALICE)
    provider_a.misbehave(**misbehaviour)
    # when
    page = await world.browser().visit(f"/auth/login?email={ALICE}")
    # then
    await assert_refused(world, page, reason)


async def test_an_unknown_key_is_looked_up_once_then_not_again(world, provider_a):
    # given a provider signing with a key it never publishes
    provider_a.add_user("alice-1", ALICE)
    provider_a.misbehave(unpublished_kid=True)
    # when the same forged key comes twice
    first = await world.browser().visit(f"/auth/login?email={ALICE}")
    second = await world.browser().visit(f"/auth/login?email={ALICE}")
    # then both are refused; the keys were fetched, refetched once for the unknown kid, and
    # not again for the second try
    assert (first.status_code, second.status_code) == (400, 400)
    assert provider_a.jwks_fetches == 2


async def _callback_url(browser: Browser, email: str):  # type: ignore[no-untyped-def]
    """Start a sign-in and stop at the provider's redirect back to Renkei."""
    start = await browser.get(f"/auth/login?email={email}")
    return location(
        await browser.follow(start, stop_before=lambda url: str(url).startswith(RENKEI))
    )


async def test_a_wrong_state_is_refused(world, provider_a):
    # given
    provider_a.add_user("alice-1", ALICE)
    browser = world.browser()
    callback = await _callback_url(browser, ALICE)
    query = {k: v[0] for k, v in parse_qs(callback.query.decode()).items()}
    # when the state is not the one this browser's sign-in holds
    forged = callback.copy_with(query=urlencode({**query, "state": "forged"}).encode())
    page = await browser.visit(forged)
    # then
    await assert_refused(world, page, "state_mismatch")


async def test_a_replayed_callback_is_refused(world, provider_a):
    # given a completed sign-in
    provider_a.add_user("alice-1", ALICE)
    browser = world.browser()
    callback = await _callback_url(browser, ALICE)
    done = await browser.visit(callback)
    assert done.status_code == 200
    # when the same answer comes again
    replayed = await browser.visit(callback)
    # then it finds no sign-in to complete, and no second session starts
    assert replayed.status_code == 400
    assert await world.sessions_of(ALICE) == 1
    failures = [e.reason for e in await world.audit() if e.outcome == "failure"]
    assert failures == ["state_missing"]


async def test_a_callback_without_a_started_sign_in_is_refused(world, provider_a):
    # given an answer carried to another browser (login CSRF)
    provider_a.add_user("alice-1", ALICE)
    callback = await _callback_url(world.browser(), ALICE)
    world.app.cookies.clear()
    # when
    page = await world.browser().visit(callback)
    # then
    await assert_refused(world, page, "state_missing")


async def test_organization_a_s_answer_at_organization_b_s_callback_is_refused(
    world, provider_a, provider_b
):
    # given alice's code from A's provider, and a sign-in started at B in the same browser
    provider_a.add_user("alice-1", ALICE)
    provider_b.add_user("bob-1", "bob@b.example")
    browser = world.browser()
    from_a = await _callback_url(browser, ALICE)
    from_b = await _callback_url(browser, "bob@b.example")
    a_query = {k: v[0] for k, v in parse_qs(from_a.query.decode()).items()}
    b_query = {k: v[0] for k, v in parse_qs(from_b.query.decode()).items()}
    # when A's code is brought to B's callback with B's state and B's issuer
    smuggled = from_b.copy_with(query=urlencode({**b_query, "code": a_query["code"]}).encode())
    page = await browser.visit(smuggled)
    # then B's provider does not know the code, and nothing is created for anyone
    assert page.status_code == 400
    assert await world.user(ALICE) is None and await world.user("bob@b.example") is None
    failures = [
        (e.reason, e.organization_id) for e in await world.audit() if e.outcome == "failure"
    ]
    assert failures == [("code_exchange_failed", world.org_b.id)]
    # and A's whole answer at B's callback is refused too: its state and iss are A's
    moved = from_b.copy_with(query=from_a.query)
    assert (await browser.visit(moved)).status_code == 400


async def test_a_provider_that_does_not_vouch_for_the_domain_cannot_sign_in_its_address(
    world, provider_b
):
    # given B's provider asserting an address at A's domain
    provider_b.add_user("mallory-1", ALICE)
    # when the sign-in goes through B's provider
    page = await world.browser().visit("/auth/login?org=org-b")
    # then B cannot vouch for a.example
    await assert_refused(world, page, "email_domain_not_vouched", organization=world.org_b)


async def test_a_callback_with_a_nul_in_its_url_is_400(world):
    # when: the organization's slug would be looked up in PostgreSQL, which refuses NUL
    response = await world.app.get("/auth/callback/org%00a?state=x&code=y")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"message": "URL に NUL 文字が含まれています。", "extensions": {"code": "INVALID"}}
        ]
    }
