"""Sessions carry the organization whose provider authenticated them; an organization may require
that acting for it starts with a sign-in through its own provider ("requireOwnProvider")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from factories import add_member, create_organization, create_user, graphql, token_for
from identity.oidc_provider import OidcProvider
from identity.signin_world import World
from identity.test_sign_in import VIEWER, as_browser, sign_in
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import BrowserSession
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.tenancy import MembershipRole, Viewer

POLICY = """
mutation Policy($input: SetSignInPolicyInput!) {
  setSignInPolicy(input: $input) {
    organization { slug requireOwnProvider }
    userErrors { field code message }
  }
}
"""

SWITCH = """
mutation Switch($id: ID!) {
  switchOrganization(input: {organizationId: $id}) {
    organization { slug }
    userErrors { field code message }
  }
}
"""


async def _require(world: World, tokens: TokenService, organization: Organization) -> Any:
    owner = await world.user(f"owner@{organization.slug[-1]}.example")
    assert owner is not None
    body = await graphql(
        world.app,
        POLICY,
        {
            "input": {
                "organizationId": to_global_id("Organization", organization.id),
                "requireOwnProvider": True,
            }
        },
        token=token_for(tokens, owner, organization),
    )
    return body["data"]["setSignInPolicy"]


def _refusal(organization: Organization) -> dict[str, Any]:
    return {
        "organization": None,
        "userErrors": [
            {
                "field": "organizationId",
                "code": "FORBIDDEN",
                "message": f"{organization.name}では、メンバーは団体の ID プロバイダーから"
                f"サインインする必要があります。/auth/login?org={organization.slug} から"
                "サインインしてください。",
            }
        ],
    }


async def test_a_session_records_the_organization_and_provider_that_signed_it_in(
    world, provider_a: OidcProvider
):
    # given
    provider_a.add_user("alice-1", "alice@a.example")
    # when
    await sign_in(world, "alice@a.example")
    # then
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        [row] = (await session.scalars(select(BrowserSession))).all()
    assert (row.authenticated_organization_id, row.identity_provider_id) == (
        world.org_a.id,
        world.provider_a.id,
    )


async def test_members_of_a_strict_organization_switch_into_it_only_from_its_own_sign_in(
    world, tokens, provider_a: OidcProvider, provider_b: OidcProvider
):
    # given bob of B, also an ADMIN of A; and alice of A, also a member of B
    owner_a = await world.user("owner@a.example")
    owner_b = await world.user("owner@b.example")
    assert owner_a is not None and owner_b is not None
    bob = await create_user(world.sessions, "bob@b.example")
    await add_member(world.sessions, world.org_b, owner_b, bob)
    await add_member(world.sessions, world.org_a, owner_a, bob, MembershipRole.ADMIN)
    alice = await create_user(world.sessions, "alice@a.example")
    await add_member(world.sessions, world.org_a, owner_a, alice)
    await add_member(world.sessions, world.org_b, owner_b, alice)
    provider_b.add_user("bob-1", "bob@b.example")
    provider_a.add_user("alice-1", "alice@a.example")
    to_a = {"id": to_global_id("Organization", world.org_a.id)}
    to_b = {"id": to_global_id("Organization", world.org_b.id)}
    # and bob's earlier session, which switched into A before A had a rule
    earlier, _ = await sign_in(world, "bob@b.example")
    before_rule = (await as_browser(earlier, SWITCH, to_a)).json()
    # when A requires its own provider
    set_policy = await _require(world, tokens, world.org_a)
    earlier_viewer = (await as_browser(earlier, VIEWER)).json()["data"]["viewer"]
    # and bob, signed in through B's provider, switches to A by cookie and by bearer token
    bob_browser, _ = await sign_in(world, "bob@b.example")
    bob_switch = (await as_browser(bob_browser, SWITCH, to_a)).json()
    bob_world_token = token_for(tokens, bob, world.org_b)
    world.app.cookies.clear()
    by_token = await graphql(world.app, SWITCH, to_a, token=bob_world_token)
    # and alice, signed in through A's provider, switches to B and back to A
    alice_browser, _ = await sign_in(world, "alice@a.example")
    alice_to_b = (await as_browser(alice_browser, SWITCH, to_b)).json()
    alice_back = (await as_browser(alice_browser, SWITCH, to_a)).json()
    # then
    assert set_policy == {
        "organization": {"slug": "org-a", "requireOwnProvider": True},
        "userErrors": [],
    }
    assert before_rule["data"]["switchOrganization"]["organization"] == {"slug": "org-a"}
    assert earlier_viewer["actingOrganization"] == {"slug": "org-b"}
    assert bob_switch["data"]["switchOrganization"] == _refusal(world.org_a)
    assert by_token["data"]["switchOrganization"] == _refusal(world.org_a)
    assert alice_to_b["data"]["switchOrganization"]["organization"] == {"slug": "org-b"}
    assert alice_back["data"]["switchOrganization"] == {
        "organization": {"slug": "org-a"},
        "userErrors": [],
    }


async def test_a_member_cannot_set_the_policy_and_an_admin_cannot_lock_everyone_out(world, tokens):
    # given a member of A, and C, an organization with no provider of its own
    owner_a = await world.user("owner@a.example")
    assert owner_a is not None
    member = await create_user(world.sessions, "member@a.example")
    await add_member(world.sessions, world.org_a, owner_a, member)
    owner_c = await create_user(world.sessions, "owner@c.example")
    org_c = await create_organization(world.sessions, owner_c, slug="org-c", name="佐賀銀行")
    world.read_in("en")
    # when
    by_member = await graphql(
        world.app,
        POLICY,
        {
            "input": {
                "organizationId": to_global_id("Organization", world.org_a.id),
                "requireOwnProvider": True,
            }
        },
        token=token_for(tokens, member, world.org_a),
    )
    without_provider = await _require(world, tokens, org_c)
    # then
    assert by_member["data"]["setSignInPolicy"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert without_provider == {
        "organization": None,
        "userErrors": [
            {
                "field": "requireOwnProvider",
                "code": "INVALID",
                "message": "register an identity provider and verify one of its email domains "
                "first: otherwise nobody could act for this organization",
            }
        ],
    }
