"""An organization's admins register and change its OpenID providers through GraphQL."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType
from graphql import build_schema as parse_sdl

from factories import add_member, create_organization, create_user, graphql, token_for
from identity.oidc_provider import OidcProvider
from identity.signin_world import RENKEI, World, approve_domain
from renkei.db import unit_of_work
from renkei.email_domains.models import DomainClaim
from renkei.graphql.relay import decode_id, to_global_id
from renkei.graphql.schema import SDL_PATH
from renkei.identity import providers
from renkei.identity.models import AuditEvent, IdentityProvider, ProviderDomain
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.tenancy import MembershipRole, Viewer

REGISTER = """
mutation Register($input: RegisterIdentityProviderInput!) {
  registerIdentityProvider(input: $input) {
    identityProvider {
      id name issuer clientId emailDomains jitProvisioning roleClaim
      roleMapping { value role }
      defaultRole enabled redirectUri
    }
    userErrors { field code message }
  }
}
"""

UPDATE = """
mutation Update($input: UpdateIdentityProviderInput!) {
  updateIdentityProvider(input: $input) {
    identityProvider { id enabled emailDomains }
    userErrors { field code message }
  }
}
"""

CLAIMS = """
query Claims($id: ID!) {
  organization(id: $id) {
    domainClaims { domain status challenge { recordName recordType value } }
  }
}
"""

PROVIDERS = """
query Providers($id: ID!) {
  organization(id: $id) { slug identityProviders { id issuer emailDomains enabled } }
}
"""


async def _organization(world: World, tokens: TokenService, slug: str) -> tuple[Organization, str]:
    """A fresh organization and its owner's token."""
    owner = await create_user(world.sessions, f"owner@{slug}.example")
    organization = await create_organization(world.sessions, owner, slug=slug, name=slug)
    return organization, token_for(tokens, owner, organization)


async def _token_of(
    world: World, tokens: TokenService, email: str, organization: Organization
) -> str:
    user = await world.user(email)
    assert user is not None
    return token_for(tokens, user, organization)


async def _member_of_a(world: World, tokens: TokenService) -> str:
    """The token of a new MEMBER of organization A."""
    owner = await world.user("owner@a.example")
    assert owner is not None
    member = await create_user(world.sessions, "member@a.example")
    await add_member(world.sessions, world.org_a, owner, member, MembershipRole.MEMBER)
    return token_for(tokens, member, world.org_a)


def _client_on(provider: OidcProvider) -> tuple[str, str]:
    """A new client of `provider` for this test: (client id, secret)."""
    client_id = f"renkei-{uuid.uuid4().hex[:8]}"
    secret = f"s3cret-{uuid.uuid4().hex}"
    provider.register_client(client_id, secret, (f"{RENKEI}/*",))
    return client_id, secret


def _register_input(organization: Organization, issuer: str, **fields: Any) -> dict[str, Any]:
    return {
        "input": {
            "organizationId": to_global_id("Organization", organization.id),
            "name": "社内ID基盤",
            "issuer": issuer,
            "clientId": "renkei",
            "clientSecret": "the-client-secret",
            "emailDomains": ["corp.example"],
            **fields,
        }
    }


async def _stored(world: World, provider_id: str) -> IdentityProvider:
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        row = await session.get(IdentityProvider, decode_id(provider_id, "IdentityProvider"))
    assert row is not None
    return row


async def _footprint(world: World) -> tuple[int, int, int, int]:
    """What a registration writes: providers, their domains, domain claims, audit entries."""
    return (
        await world.count(IdentityProvider),
        await world.count(ProviderDomain),
        await world.count(DomainClaim),
        await world.count(AuditEvent, AuditEvent.action == "identity_provider_registered"),
    )


async def test_an_owner_registers_the_organization_s_provider(world, tokens, provider_a):
    # given a fresh organization, and a client registered for it at A's provider
    organization, token = await _organization(world, tokens, "kumamoto-pref")
    client_id, secret = _client_on(provider_a)
    # when
    body = await graphql(
        world.app,
        REGISTER,
        _register_input(
            organization,
            provider_a.issuer,
            clientId=client_id,
            clientSecret=secret,
            emailDomains=["@Example.JP", "例え.jp", "example.jp."],
            jitProvisioning=False,
            roleClaim="groups",
            roleMapping=[{"value": "renkei-admins", "role": "ADMIN"}],
            defaultRole="VIEWER",
        ),
        token=token,
    )
    # then the provider is registered with its domains normalized (IDNA for 例え.jp)
    payload = body["data"]["registerIdentityProvider"]
    registered = payload["identityProvider"]
    assert payload["userErrors"] == []
    assert {k: v for k, v in registered.items() if k != "id"} == {
        "name": "社内ID基盤",
        "issuer": provider_a.issuer,
        "clientId": client_id,
        "emailDomains": ["example.jp", "xn--r8jz45g.jp"],
        "jitProvisioning": False,
        "roleClaim": "groups",
        "roleMapping": [{"value": "renkei-admins", "role": "ADMIN"}],
        "defaultRole": "VIEWER",
        "enabled": True,
        "redirectUri": "http://renkei.test/auth/callback/kumamoto-pref",
    }
    assert secret not in str(body)
    # and the admins see it on their organization
    listed = await graphql(
        world.app,
        PROVIDERS,
        {"id": to_global_id("Organization", organization.id)},
        token=token,
    )
    assert listed["data"]["organization"]["identityProviders"] == [
        {
            "id": registered["id"],
            "issuer": provider_a.issuer,
            "emailDomains": ["example.jp", "xn--r8jz45g.jp"],
            "enabled": True,
        }
    ]
    # and the database holds ciphertext, which opens with the key ring and nothing else
    row = await _stored(world, registered["id"])
    assert secret not in row.client_secret_ciphertext
    assert secret.encode() not in base64.b64decode(row.client_secret_ciphertext)
    assert row.client_secret_key_id == "test-key"
    assert providers.client_secret(world.config.box, row) == secret


def test_no_field_of_the_schema_returns_a_provider_s_client_secret():
    # given the published schema
    schema = parse_sdl(SDL_PATH.read_text())
    # when every output field that could carry a secret is listed
    secret_fields = {
        (type_.name, name)
        for type_ in schema.type_map.values()
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        for name in type_.fields
        # By the words of its camelCase name: a region's secretariat (事務局) is no secret.
        if "secret" in [word.lower() for word in re.findall(r"[A-Z]?[a-z0-9]+", name)]
    }
    # then only a new API client's own secret, and a webhook endpoint's signing secret when it
    # is made or rotated, are shown (once); an identity provider has none
    assert "clientSecret" not in schema.type_map["IdentityProvider"].fields  # type: ignore[union-attr]
    assert "secret" not in schema.type_map["WebhookEndpoint"].fields  # type: ignore[union-attr]
    assert secret_fields == {
        ("CreateApiClientPayload", "clientSecret"),
        ("WebhookEndpointPayload", "secret"),
        ("Mutation", "rotateWebhookSecret"),
    }


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"issuer": "http://127.0.0.1:9/"},
            {
                "field": "issuer",
                "code": "INVALID",
                "message": "no OpenID provider answers at "
                "http://127.0.0.1:9/.well-known/openid-configuration",
            },
        ),
        (
            {"issuer": "http://idp.corp.example"},
            {"field": "issuer", "code": "INVALID", "message": "the issuer must be an https URL"},
        ),
        (
            {"roleMapping": [{"value": "executives", "role": "OWNER"}]},
            {
                "field": "roleMapping",
                "code": "INVALID",
                "message": "'executives' maps to OWNER: providers may grant ADMIN, MEMBER or "
                "VIEWER; owners are made inside Renkei",
            },
        ),
        (
            {"defaultRole": "OWNER"},
            {
                "field": "defaultRole",
                "code": "INVALID",
                "message": "the default role is ADMIN, MEMBER or VIEWER",
            },
        ),
        (
            {"emailDomains": []},
            {
                "field": "emailDomains",
                "code": "INVALID",
                "message": "name at least one email domain the provider vouches for",
            },
        ),
        (
            {"emailDomains": ["not a domain"]},
            {
                "field": "emailDomains",
                "code": "INVALID",
                "message": "'not a domain' is not a domain name",
            },
        ),
    ],
    ids=[
        "nothing-answers",
        "no-https",
        "owner-mapping",
        "owner-default",
        "no-domains",
        "not-a-domain",
    ],
)
async def test_an_invalid_registration_is_refused_and_writes_nothing(
    world, tokens, provider_a, fields, error
):
    # given an admin whose client reads English
    organization, token = await _organization(world, tokens, "kumamoto-pref")
    world.read_in("en")
    fields = dict(fields)
    before = await _footprint(world)
    # when
    body = await graphql(
        world.app,
        REGISTER,
        _register_input(organization, fields.pop("issuer", provider_a.issuer), **fields),
        token=token,
    )
    # then
    assert body["data"]["registerIdentityProvider"] == {
        "identityProvider": None,
        "userErrors": [error],
    }
    assert await _footprint(world) == before


async def test_an_issuer_written_unlike_its_discovery_document_is_refused(
    world, tokens, provider_a
):
    # given the provider's issuer with a slash it does not name itself with
    organization, token = await _organization(world, tokens, "kumamoto-pref")
    world.read_in("en")
    # when
    body = await graphql(
        world.app,
        REGISTER,
        _register_input(organization, provider_a.issuer + "/"),
        token=token,
    )
    # then
    assert body["data"]["registerIdentityProvider"]["userErrors"] == [
        {
            "field": "issuer",
            "code": "INVALID",
            "message": f"the provider at {provider_a.issuer}/ names another issuer in its "
            "discovery document: write the issuer exactly as it does",
        }
    ]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (None, "issuer は https の URL にしてください。"),
        ("en", "the issuer must be an https URL"),
    ],
    ids=["japanese-by-default", "english-when-asked"],
)
async def test_a_refused_registration_speaks_the_readers_language(
    world, tokens, provider_a, language, message
):
    # given an admin whose client asks for `language` (or for none)
    organization, token = await _organization(world, tokens, "kumamoto-pref")
    if language:
        world.read_in(language)
    # when
    response = await world.app.post(
        "/graphql",
        json={
            "query": REGISTER,
            "variables": _register_input(organization, "http://idp.corp.example"),
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    # then the message is in that language, and the code is the same contract in both
    assert response.headers["content-language"] == (language or "ja")
    assert response.json()["data"]["registerIdentityProvider"]["userErrors"] == [
        {"field": "issuer", "code": "INVALID", "message": message}
    ]


async def test_a_member_cannot_register_a_provider(world, tokens, provider_a):
    # given a MEMBER of A
    token = await _member_of_a(world, tokens)
    world.read_in("en")
    before = await _footprint(world)
    # when
    body = await graphql(
        world.app, REGISTER, _register_input(world.org_a, provider_a.issuer), token=token
    )
    # then
    assert body["data"]["registerIdentityProvider"] == {
        "identityProvider": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "only the organization's owners and admins may manage its identity "
                "providers",
            }
        ],
    }
    assert await _footprint(world) == before


async def test_another_organization_s_claim_to_a_domain_stays_pending_and_vouches_for_nobody(
    world, tokens, provider_b
):
    # given a.example, verified by A for A's provider
    organization, token = await _organization(world, tokens, "mallory-corp")
    client_id, secret = _client_on(provider_b)
    # when another organization registers its provider for it, with a domain nobody holds yet
    body = await graphql(
        world.app,
        REGISTER,
        _register_input(
            organization,
            provider_b.issuer,
            clientId=client_id,
            clientSecret=secret,
            emailDomains=["new.example", "A.example"],
        ),
        token=token,
    )
    # then it is registered, but both claims are PENDING, each with its own challenge
    payload = body["data"]["registerIdentityProvider"]
    assert payload["userErrors"] == []
    assert payload["identityProvider"]["emailDomains"] == ["a.example", "new.example"]
    claims = await graphql(
        world.app, CLAIMS, {"id": to_global_id("Organization", organization.id)}, token=token
    )
    listed = claims["data"]["organization"]["domainClaims"]
    assert [(c["domain"], c["status"]) for c in listed] == [
        ("a.example", "PENDING"),
        ("new.example", "PENDING"),
    ]
    assert all(
        c["challenge"]["recordName"] == f"_renkei-challenge.{c['domain']}"
        and c["challenge"]["recordType"] == "TXT"
        and c["challenge"]["value"].startswith("renkei-domain-verification=")
        for c in listed
    )
    # and home-realm discovery still sends a.example's people to A's provider only
    async with world.browser() as browser:
        login = await browser.get("/auth/login?email=someone@a.example")
        unclaimed = await browser.get("/auth/login?email=someone@new.example")
    assert login.status_code == 302
    assert login.headers["location"].startswith(world.provider_a.issuer)
    assert unclaimed.status_code == 404


async def test_the_same_issuer_may_serve_two_organizations(world, tokens, provider_a):
    # given a research institute whose people sign in at A's provider too
    organization, token = await _organization(world, tokens, "kumamoto-iri")
    client_id, secret = _client_on(provider_a)
    # when
    body = await graphql(
        world.app,
        REGISTER,
        _register_input(
            organization,
            provider_a.issuer,
            clientId=client_id,
            clientSecret=secret,
            emailDomains=["a.example"],
        ),
        token=token,
    )
    # then
    payload = body["data"]["registerIdentityProvider"]
    assert payload["userErrors"] == []
    assert payload["identityProvider"]["emailDomains"] == ["a.example"]
    assert payload["identityProvider"]["redirectUri"] == f"{RENKEI}/auth/callback/kumamoto-iri"


async def test_rotating_the_client_secret_reseals_it_and_sign_in_uses_the_new_one(
    world, tokens, provider_a
):
    # given an organization registered with a client of A's provider
    organization, token = await _organization(world, tokens, "rotate-corp")
    client_id, old_secret = _client_on(provider_a)
    registered = await graphql(
        world.app,
        REGISTER,
        _register_input(
            organization,
            provider_a.issuer,
            clientId=client_id,
            clientSecret=old_secret,
            emailDomains=["rotate.example"],
        ),
        token=token,
    )
    provider_id = registered["data"]["registerIdentityProvider"]["identityProvider"]["id"]
    await approve_domain(world.sessions, organization, "rotate.example")
    before = await _stored(world, provider_id)
    # when the provider issues a new secret and the owner enters it
    new_secret = f"rotated-{uuid.uuid4().hex}"
    provider_a.register_client(client_id, new_secret, (f"{RENKEI}/*",))
    body = await graphql(
        world.app,
        UPDATE,
        {"input": {"id": provider_id, "clientSecret": new_secret}},
        token=token,
    )
    # then it is sealed again, opens to the new secret, and is never shown
    assert body["data"]["updateIdentityProvider"]["userErrors"] == []
    assert new_secret not in str(body)
    after = await _stored(world, provider_id)
    assert after.client_secret_ciphertext != before.client_secret_ciphertext
    assert new_secret not in after.client_secret_ciphertext
    assert providers.client_secret(world.config.box, after) == new_secret
    # and sign-in exchanges codes with the new secret
    provider_a.add_user("rita-1", "rita@rotate.example")
    page = await world.browser().visit("/auth/login?email=rita@rotate.example")
    assert page.status_code == 200, page.text
    assert provider_a.token_requests[-1].auth_method == "client_secret_basic"


async def test_a_switched_off_provider_signs_nobody_in(world, tokens, provider_a):
    # given
    token = await _token_of(world, tokens, "owner@a.example", world.org_a)
    provider_id = to_global_id("IdentityProvider", world.provider_a.id)
    # when the owner switches A's provider off
    body = await graphql(
        world.app, UPDATE, {"input": {"id": provider_id, "enabled": False}}, token=token
    )
    # then
    assert body["data"]["updateIdentityProvider"] == {
        "identityProvider": {"id": provider_id, "enabled": False, "emailDomains": ["a.example"]},
        "userErrors": [],
    }
    by_email = await world.app.get("/auth/login?email=alice@a.example")
    by_slug = await world.app.get("/auth/login?org=org-a")
    assert (by_email.status_code, by_slug.status_code) == (404, 404)
    assert "a.example のアドレスでサインインできる団体はありません。" in by_email.text
    assert provider_a.authorize_requests == []


async def test_a_member_cannot_change_a_provider(world, tokens):
    # given a MEMBER of A, who cannot even see A's provider
    token = await _member_of_a(world, tokens)
    world.read_in("en")
    provider_id = to_global_id("IdentityProvider", world.provider_a.id)
    # when
    body = await graphql(
        world.app, UPDATE, {"input": {"id": provider_id, "enabled": False}}, token=token
    )
    listed = await graphql(
        world.app, PROVIDERS, {"id": to_global_id("Organization", world.org_a.id)}, token=token
    )
    # then
    assert body["data"]["updateIdentityProvider"] == {
        "identityProvider": None,
        "userErrors": [
            {"field": "id", "code": "NOT_FOUND", "message": "no such identity provider"}
        ],
    }
    assert listed["data"]["organization"] == {"slug": "org-a", "identityProviders": None}
    assert (await _stored(world, provider_id)).enabled is True


async def test_another_organization_s_admin_can_neither_see_nor_change_a_provider(world, tokens):
    # given B's owner, acting for B
    token = await _token_of(world, tokens, "owner@b.example", world.org_b)
    world.read_in("en")
    provider_id = to_global_id("IdentityProvider", world.provider_a.id)
    # when
    body = await graphql(
        world.app,
        UPDATE,
        {"input": {"id": provider_id, "clientSecret": "stolen", "emailDomains": ["b.example"]}},
        token=token,
    )
    listed = await graphql(
        world.app, PROVIDERS, {"id": to_global_id("Organization", world.org_a.id)}, token=token
    )
    # then
    assert body["data"]["updateIdentityProvider"] == {
        "identityProvider": None,
        "userErrors": [
            {"field": "id", "code": "NOT_FOUND", "message": "no such identity provider"}
        ],
    }
    assert listed["data"]["organization"] == {"slug": "org-a", "identityProviders": None}
    stored = await _stored(world, provider_id)
    assert stored.email_domains == ["a.example"]
    assert providers.client_secret(world.config.box, stored) == "renkei-a-secret"
