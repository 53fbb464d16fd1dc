"""The test OpenID providers behave as promised, so a sign-in test failure is Renkei's, not theirs.

Each flow here is driven with plain httpx2 against the providers on loopback; Renkei is not involved
except as a stand-in relying party for the `Browser` checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2
import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from identity.browser import Browser, location
from identity.oidc_provider import OidcProvider, OidcProviderMock, pkce_pair

CALLBACK = "http://renkei.test/auth/callback/a"


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def alice(provider_a: OidcProvider) -> str:
    provider_a.add_user("alice-1", "alice@pref-a.example", name="Alice", groups=["renkei-admins"])
    return "alice-1"


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    def decode(part: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    header, payload, signature = token.split(".")
    return decode(header), decode(payload), signature


async def _authorize(
    http: httpx2.AsyncClient,
    provider: OidcProvider,
    *,
    challenge: str,
    redirect_uri: str = CALLBACK,
    **params: str,
) -> httpx2.Response:
    query = {
        "response_type": "code",
        "client_id": provider.client.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "state": "state-1",
        "nonce": "nonce-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    return await http.get(f"{provider.issuer}/authorize", params=query)


async def _exchange(
    http: httpx2.AsyncClient,
    provider: OidcProvider,
    code: str,
    verifier: str,
    *,
    post: bool = False,
) -> httpx2.Response:
    client = provider.client
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    form["code_verifier"] = verifier
    if post:
        form |= {"client_id": client.client_id, "client_secret": client.client_secret}
        return await http.post(f"{provider.issuer}/token", data=form)
    auth = (client.client_id, client.client_secret)
    return await http.post(f"{provider.issuer}/token", data=form, auth=auth)


async def _id_token(http: httpx2.AsyncClient, provider: OidcProvider) -> tuple[str, httpx2.URL]:
    """A whole sign-in; returns the ID token and the redirect back to the relying party."""
    verifier, challenge = pkce_pair()
    redirect = location(await _authorize(http, provider, challenge=challenge))
    response = await _exchange(http, provider, redirect.params["code"], verifier)
    assert response.status_code == 200, response.text
    return response.json()["id_token"], redirect


async def _published(http: httpx2.AsyncClient, provider: OidcProvider) -> KeySet:
    return KeySet.import_key_set((await http.get(f"{provider.issuer}/jwks")).json())


async def test_discovery_document_describes_the_provider(provider_a: OidcProvider, http) -> None:
    response = await http.get(provider_a.discovery_url)

    assert response.status_code == 200
    document = response.json()
    issuer = provider_a.issuer
    assert issuer.startswith("http://127.0.0.1:")
    assert document == {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "name"],
        "authorization_response_iss_parameter_supported": True,
    }
    assert provider_a.discovery_fetches == 1


async def test_the_code_flow_with_pkce_yields_a_verifiable_id_token(
    provider_a: OidcProvider, alice: str, http
) -> None:
    # given a registered client asking for a sign-in with PKCE, state and nonce
    verifier, challenge = pkce_pair()

    # when the person is sent back with a code and the client exchanges it
    response = await _authorize(http, provider_a, challenge=challenge)
    assert response.status_code == 302
    redirect = location(response)
    tokens = await _exchange(http, provider_a, redirect.params["code"], verifier)

    # then the redirect carries the code, the state and the issuer (RFC 9207)
    assert str(redirect.copy_with(query=None)) == CALLBACK
    assert dict(redirect.params) == {
        "code": redirect.params["code"],
        "state": "state-1",
        "iss": provider_a.issuer,
    }
    # and the ID token verifies against the published keys, with the person's claims
    assert tokens.status_code == 200
    body = tokens.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    token = jwt.decode(body["id_token"], await _published(http, provider_a), algorithms=["RS256"])
    assert token.header == {"alg": "RS256", "kid": provider_a.signing_key.kid, "typ": "JWT"}
    now = int(time.time())
    assert (
        now - 5 <= token.claims["iat"] <= now and token.claims["exp"] == token.claims["iat"] + 300
    )
    assert {k: v for k, v in token.claims.items() if k not in ("iat", "exp")} == {
        "iss": provider_a.issuer,
        "sub": "alice-1",
        "aud": "renkei-a",
        "azp": "renkei-a",
        "nonce": "nonce-1",
        "email": "alice@pref-a.example",
        "email_verified": True,
        "name": "Alice",
        "groups": ["renkei-admins"],
    }
    # and the access token reads the userinfo
    userinfo = await http.get(
        f"{provider_a.issuer}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert userinfo.json() == {
        "sub": "alice-1",
        "email": "alice@pref-a.example",
        "email_verified": True,
        "name": "Alice",
        "groups": ["renkei-admins"],
    }
    assert [r.auth_method for r in provider_a.token_requests] == ["client_secret_basic"]


async def test_client_secret_post_authenticates_too(provider_a, alice, http) -> None:
    verifier, challenge = pkce_pair()
    redirect = location(await _authorize(http, provider_a, challenge=challenge))

    response = await _exchange(http, provider_a, redirect.params["code"], verifier, post=True)

    assert response.status_code == 200
    assert [r.auth_method for r in provider_a.token_requests] == ["client_secret_post"]


async def test_login_hint_picks_the_person_and_an_unknown_one_is_denied(
    provider_a: OidcProvider, alice: str, http
) -> None:
    provider_a.add_user("bob-1", "bob@pref-a.example")

    _, challenge = pkce_pair()
    for hint, expected in [("BOB@pref-a.example", "bob-1"), (None, "alice-1")]:
        params = {"login_hint": hint} if hint else {}
        verifier, challenge = pkce_pair()
        redirect = location(await _authorize(http, provider_a, challenge=challenge, **params))
        body = (await _exchange(http, provider_a, redirect.params["code"], verifier)).json()
        assert _segments(body["id_token"])[1]["sub"] == expected

    denied = location(
        await _authorize(http, provider_a, challenge=challenge, login_hint="eve@else.example")
    )
    assert dict(denied.params) == {
        "error": "access_denied",
        "error_description": "no such user",
        "state": "state-1",
        "iss": provider_a.issuer,
    }


async def test_an_unregistered_client_or_redirect_uri_gets_no_redirect(provider_a, http) -> None:
    _, challenge = pkce_pair()

    foreign = await _authorize(
        http, provider_a, challenge=challenge, redirect_uri="http://evil.example/cb"
    )
    unknown = await _authorize(http, provider_a, challenge=challenge, client_id="nobody")

    assert (foreign.status_code, foreign.text) == (400, "redirect_uri is not registered")
    assert (unknown.status_code, unknown.text) == (400, "unknown client_id")


async def test_authorization_without_pkce_s256_is_refused(provider_a, alice, http) -> None:
    _, challenge = pkce_pair()

    response = await _authorize(
        http, provider_a, challenge=challenge, code_challenge_method="plain"
    )

    assert location(response).params["error"] == "invalid_request"


async def test_a_pkce_mismatch_is_refused(provider_a: OidcProvider, alice: str, http) -> None:
    _, challenge = pkce_pair()
    redirect = location(await _authorize(http, provider_a, challenge=challenge))

    response = await _exchange(http, provider_a, redirect.params["code"], pkce_pair()[0])

    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "PKCE verification failed"},
    )


async def test_a_code_works_once_and_its_reuse_revokes_the_access_token(
    provider_a: OidcProvider, alice: str, http
) -> None:
    verifier, challenge = pkce_pair()
    code = location(await _authorize(http, provider_a, challenge=challenge)).params["code"]
    first = await _exchange(http, provider_a, code, verifier)

    again = await _exchange(http, provider_a, code, verifier)

    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert (await http.get(f"{provider_a.issuer}/userinfo", headers=bearer)).status_code == 401


async def test_a_wrong_client_secret_is_refused(provider_a: OidcProvider, alice: str, http) -> None:
    verifier, challenge = pkce_pair()
    code = location(await _authorize(http, provider_a, challenge=challenge)).params["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}

    response = await http.post(
        f"{provider_a.issuer}/token",
        data=form | {"code_verifier": verifier},
        auth=("renkei-a", "x"),
    )

    assert (response.status_code, response.json()) == (401, {"error": "invalid_client"})


def _claims(token: str, keys: KeySet) -> dict[str, Any]:
    return jwt.decode(token, keys, algorithms=["RS256"]).claims


def _hmac_ok(token: str, secret: bytes) -> bool:
    signing_input, _, signature = token.rpartition(".")
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == signature


Promise = Callable[[str, KeySet, OidcProvider], bool]
VERIFIABLE: list[tuple[dict[str, Any], Promise]] = [
    ({"nonce": "wrong"}, lambda t, keys, _: _claims(t, keys)["nonce"] == "wrong"),
    (
        {"aud": "someone-else"},
        lambda t, keys, _: (
            (_claims(t, keys)["aud"], _claims(t, keys)["azp"]) == ("someone-else", "renkei-a")
        ),
    ),
    (
        {"exp_offset": -3600},
        lambda t, keys, _: (
            _claims(t, keys)["iat"] < _claims(t, keys)["exp"] <= int(time.time()) - 3590
        ),
    ),
    (
        {"iss": "https://evil.example"},
        lambda t, keys, _: _claims(t, keys)["iss"] == "https://evil.example",
    ),
    (
        {"email": "someone@other.example"},
        lambda t, keys, _: _claims(t, keys)["email"] == "someone@other.example",
    ),
    (
        {"claims": {"azp": "x", "email_verified": False}},
        lambda t, keys, _: (
            (_claims(t, keys)["azp"], _claims(t, keys)["email_verified"]) == ("x", False)
        ),
    ),
    ({"omit_claims": ("nonce",)}, lambda t, keys, _: "nonce" not in _claims(t, keys)),
]
UNVERIFIABLE: list[tuple[dict[str, Any], Promise]] = [
    (
        {"alg": "none"},
        lambda t, keys, _: _segments(t)[0] == {"alg": "none", "typ": "JWT"} and t.endswith("."),
    ),
    (
        {"alg": "RS512"},
        lambda t, keys, provider: (
            _segments(t)[0]["alg"] == "RS512" and _segments(t)[0]["kid"] == provider.signing_key.kid
        ),
    ),
    (
        {"hs256_with_public_key": True},
        lambda t, keys, provider: (
            _segments(t)[0]["alg"] == "HS256"
            and _hmac_ok(t, provider.signing_key.as_pem(private=False))
        ),
    ),
    (
        {"unpublished_kid": True},
        lambda t, keys, provider: (
            _segments(t)[0]["kid"] not in provider.published_kids
            and _segments(t)[0]["alg"] == "RS256"
        ),
    ),
]


@pytest.mark.parametrize(
    ("options", "promised"), VERIFIABLE, ids=[str(options) for options, _ in VERIFIABLE]
)
async def test_a_claim_misbehaviour_signs_the_claim_it_promises(
    provider_a: OidcProvider, alice: str, http, options: dict[str, Any], promised: Promise
) -> None:
    provider_a.misbehave(**options)

    token, redirect = await _id_token(http, provider_a)

    assert promised(token, await _published(http, provider_a), provider_a)
    assert redirect.params["iss"] == provider_a.issuer


@pytest.mark.parametrize(
    ("options", "promised"), UNVERIFIABLE, ids=[str(options) for options, _ in UNVERIFIABLE]
)
async def test_a_signature_misbehaviour_yields_a_token_the_published_keys_refuse(
    provider_a: OidcProvider, alice: str, http, options: dict[str, Any], promised: Promise
) -> None:
    provider_a.misbehave(**options)

    token, _ = await _id_token(http, provider_a)

    published = await _published(http, provider_a)
    assert promised(token, published, provider_a)
    assert _segments(token)[1]["nonce"] == "nonce-1"
    with pytest.raises(JoseError):
        jwt.decode(token, published, algorithms=["RS256"])


async def test_the_iss_parameter_can_be_wrong_missing_or_unadvertised(
    provider_a: OidcProvider, alice: str, http
) -> None:
    provider_a.misbehave(iss_param="https://evil.example")
    assert (await _id_token(http, provider_a))[1].params["iss"] == "https://evil.example"

    provider_a.behave()
    provider_a.misbehave(omit_iss_param=True)
    assert "iss" not in (await _id_token(http, provider_a))[1].params

    provider_a.behave()
    provider_a.authorization_response_iss_parameter_supported = False
    assert "iss" not in (await _id_token(http, provider_a))[1].params
    document = (await http.get(provider_a.discovery_url)).json()
    assert document["authorization_response_iss_parameter_supported"] is False


async def test_misbehaviour_lasts_until_behave(provider_a: OidcProvider, alice: str, http) -> None:
    provider_a.misbehave(nonce="wrong")
    provider_a.misbehave(aud="someone-else")

    first, second = [_segments((await _id_token(http, provider_a))[0])[1] for _ in range(2)]
    provider_a.behave()
    third = _segments((await _id_token(http, provider_a))[0])[1]

    assert [(c["nonce"], c["aud"]) for c in (first, second, third)] == [
        ("wrong", "someone-else"),
        ("wrong", "someone-else"),
        ("nonce-1", "renkei-a"),
    ]
    with pytest.raises(TypeError):
        provider_a.misbehave(nonse="typo")


async def test_rotation_publishes_both_keys_and_signs_with_the_new_one(
    provider_a: OidcProvider, alice: str, http
) -> None:
    old = provider_a.signing_key.kid
    new = provider_a.rotate_keys().kid

    rotated = await _published(http, provider_a)
    token, _ = await _id_token(http, provider_a)
    provider_a.retire_old_keys()
    retired = await _published(http, provider_a)

    assert old != new
    assert [key.kid for key in rotated.keys] == [old, new]
    assert jwt.decode(token, rotated, algorithms=["RS256"]).header["kid"] == new
    assert [key.kid for key in retired.keys] == [new]
    assert provider_a.jwks_fetches == 2


async def test_reset_forgets_users_keys_misbehaviour_and_counters(
    provider_a: OidcProvider, alice: str, http
) -> None:
    initial = provider_a.signing_key.kid
    provider_a.rotate_keys()
    provider_a.misbehave(nonce="wrong")
    await _published(http, provider_a)

    provider_a.reset()

    assert (provider_a.published_kids, provider_a.misbehaviour, provider_a.jwks_fetches) == (
        [initial],
        {},
        0,
    )
    _, challenge = pkce_pair()
    denied = location(await _authorize(http, provider_a, challenge=challenge))
    assert denied.params["error"] == "access_denied"
    assert provider_a.client.client_id == "renkei-a"


async def test_two_providers_have_their_own_issuer_keys_and_clients(
    provider_a: OidcProvider, provider_b: OidcProvider, alice: str, http
) -> None:
    provider_b.add_user("alice-b", "alice@pref-a.example")
    token_b, _ = await _id_token(http, provider_b)
    _, challenge = pkce_pair()

    wrong_client = await _authorize(
        http, provider_b, challenge=challenge, client_id=provider_a.client.client_id
    )

    assert provider_a.issuer != provider_b.issuer
    assert set(provider_a.published_kids).isdisjoint(provider_b.published_kids)
    claims = _claims(token_b, await _published(http, provider_b))
    assert (claims["iss"], claims["aud"]) == (provider_b.issuer, "renkei-b")
    with pytest.raises(JoseError):
        _claims(token_b, await _published(http, provider_a))
    assert wrong_client.status_code == 400


async def test_an_issuer_can_live_under_a_path_like_a_keycloak_realm(http) -> None:
    with OidcProvider(path="/realms/pref-c") as provider:
        provider.register_client("renkei-c", "secret-c", ["*"])
        provider.add_user("dan-1", "dan@pref-c.example")

        document = (await http.get(provider.discovery_url)).json()
        token, redirect = await _id_token(http, provider)

    assert provider.issuer.endswith("/realms/pref-c")
    assert (document["issuer"], document["jwks_uri"]) == (
        provider.issuer,
        f"{provider.issuer}/jwks",
    )
    assert redirect.params["iss"] == _segments(token)[1]["iss"] == provider.issuer


def _relying_party(provider_authorize: Callable[[], str]) -> Starlette:
    """A stand-in for Renkei: /login sets a cookie and redirects; /callback echoes what came."""

    async def login(request: Request) -> Response:
        response = RedirectResponse(provider_authorize(), 302)
        response.set_cookie("flow", "cookie-1", httponly=True, samesite="lax")
        return response

    async def callback(request: Request) -> Response:
        return JSONResponse(
            {"query": dict(request.query_params), "cookie": request.cookies.get("flow")}
        )

    return Starlette(routes=[Route("/login", login), Route("/auth/callback/a", callback)])


@pytest.fixture
async def relying_party_client(provider_a: OidcProvider) -> AsyncIterator[httpx2.AsyncClient]:
    def authorize_url() -> str:
        query = {
            "response_type": "code",
            "client_id": "renkei-a",
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "state-1",
            "nonce": "nonce-1",
            "code_challenge": pkce_pair()[1],
            "code_challenge_method": "S256",
        }
        return str(httpx2.URL(f"{provider_a.issuer}/authorize", params=query))

    transport = httpx2.ASGITransport(app=_relying_party(authorize_url))
    async with httpx2.AsyncClient(transport=transport, base_url="http://renkei.test") as client:
        yield client


async def test_the_browser_follows_a_flow_across_the_app_and_the_provider(
    provider_a: OidcProvider, alice: str, relying_party_client: httpx2.AsyncClient
) -> None:
    async with Browser(relying_party_client) as browser:
        landed = await browser.visit("/login")

    assert landed.status_code == 200
    assert landed.json()["cookie"] == "cookie-1"
    assert landed.json()["query"]["state"] == "state-1"
    assert [(url.host, url.path) for url in browser.visited()] == [
        ("renkei.test", "/login"),
        ("127.0.0.1", "/authorize"),
        ("renkei.test", "/auth/callback/a"),
    ]


async def test_the_browser_can_stop_before_a_hop(
    provider_a: OidcProvider, alice: str, relying_party_client: httpx2.AsyncClient
) -> None:
    async with Browser(relying_party_client) as browser:
        stopped = await browser.follow(
            await browser.get("/login"), stop_before=lambda url: url.host == "renkei.test"
        )

    assert stopped.status_code == 302
    assert location(stopped).path == "/auth/callback/a"
    assert len(browser.history) == 2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # authlib's, inside the package
async def test_oidc_provider_mock_serves_discovery_and_a_verifiable_sign_in(
    oidc_mock: OidcProviderMock, http
) -> None:
    # given the third-party provider and a person it knows
    document = (await http.get(oidc_mock.discovery_url)).json()
    oidc_mock.add_user("carol-1", "carol@firm.example", name="Carol")
    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": "any-client",
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": "state-1",
        "nonce": "nonce-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    async with httpx2.AsyncClient(base_url="http://renkei.test") as app_stub:
        browser = Browser(app_stub, http)

        # when the person consents on its form and the code is exchanged
        form = await browser.get(httpx2.URL(document["authorization_endpoint"], params=query))
        redirect = location(await oidc_mock.consent(browser, form, "carol-1"))
        tokens = await http.post(
            document["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": redirect.params["code"],
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            },
            auth=("any-client", "any-secret"),
        )

    # then discovery, the redirect and the ID token are as Renkei will expect them
    assert document["issuer"] == oidc_mock.issuer
    assert document["jwks_uri"] == f"{oidc_mock.issuer}/jwks"
    assert form.status_code == 200
    assert redirect.params["state"] == "state-1"
    keys = KeySet.import_key_set((await http.get(document["jwks_uri"])).json())
    claims = jwt.decode(tokens.json()["id_token"], keys, algorithms=["RS256"]).claims
    assert {k: claims[k] for k in ("iss", "sub", "aud", "nonce", "email", "name")} == {
        "iss": oidc_mock.issuer,
        "sub": "carol-1",
        "aud": ["any-client"],  # a list: Renkei must accept both forms of aud
        "nonce": "nonce-1",
        "email": "carol@firm.example",
        "name": "Carol",
    }
