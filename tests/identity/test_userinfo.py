"""Providers that put the person's claims only in UserInfo (node-oidc-provider's default, as OIDC
Core 5.4 allows): Renkei asks UserInfo with the access token, about the same subject only."""

from __future__ import annotations

import uuid

from identity.oidc_provider import OidcProvider
from identity.signin_world import World
from identity.test_sign_in import VIEWER, as_browser, sign_in
from renkei.identity.models import User, UserIdentity


async def _failures(world: World) -> list[tuple[str | None, uuid.UUID | None]]:
    return [(e.reason, e.organization_id) for e in await world.audit() if e.outcome == "failure"]


async def test_a_person_whose_email_is_only_at_userinfo_signs_in(world, provider_a: OidcProvider):
    # given A's provider answers as node-oidc-provider does by default: the ID token names the
    # subject only, UserInfo holds the email, its verification, the name and the groups
    provider_a.misbehave(claims_at_userinfo_only=True)
    provider_a.add_user("una-1", "una@a.example", name="宇野 ウナ", groups=["renkei-admins"])
    # when she signs in
    browser, page = await sign_in(world, "una@a.example")
    # then Renkei asked UserInfo once, and she is an ADMIN of A with the name UserInfo gave
    assert page.status_code == 200, page.text
    assert "熊本精機のuna@a.exampleとしてサインインしています。" in page.text
    assert provider_a.userinfo_requests == 1
    viewer = (await as_browser(browser, VIEWER)).json()["data"]["viewer"]
    assert viewer["user"] == {"email": "una@a.example"}
    assert viewer["role"] == "ADMIN"
    user = await world.user("una@a.example")
    assert user is not None and user.display_name == "宇野 ウナ"


async def test_userinfo_about_another_subject_is_refused(world, provider_a: OidcProvider):
    # given a provider whose UserInfo answers for someone else than its ID token's subject
    provider_a.misbehave(claims_at_userinfo_only=True, userinfo_sub="owner-of-a")
    provider_a.add_user("mallory-1", "owner@a.example")
    # when
    _, page = await sign_in(world, "owner@a.example")
    # then nobody is signed in or linked, and the log says why
    assert page.status_code == 400
    assert "UserInfo の応答が、ID トークンとは別の人のものです。" in page.text
    assert await world.count(UserIdentity) == 0
    assert await world.sessions_of("owner@a.example") == 0
    assert await _failures(world) == [("userinfo_subject_mismatch", world.org_a.id)]


async def test_no_email_anywhere_is_refused_clearly(world, provider_a: OidcProvider):
    # given a provider without a UserInfo endpoint, whose ID token has no email
    provider_a.misbehave(claims_at_userinfo_only=True, discovery={"userinfo_endpoint": None})
    world.config.oidc._metadata.clear()  # the discovery document changed: read it again
    provider_a.add_user("nemo-1", "nemo@a.example")
    # when
    _, page = await sign_in(world, "nemo@a.example")
    # then
    assert page.status_code == 400
    assert "メールアドレスが届かず、UserInfo エンドポイントもありません。" in page.text
    assert await world.count(User, User.email == "nemo@a.example") == 0
    assert await _failures(world) == [("userinfo_unavailable", world.org_a.id)]
