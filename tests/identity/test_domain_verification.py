"""An organization proves an email domain by DNS (a real server on loopback answers Renkei's
resolver) or by a platform operator's approval; until then its providers vouch for nobody there."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from factories import add_member, create_organization, create_user, graphql, token_for
from identity.dns_server import DnsZone
from identity.oidc_provider import OidcProvider
from identity.signin_world import World, register
from identity.test_sign_in import sign_in
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import AuditEvent
from renkei.identity.tokens import TokenService
from renkei.operators import cli as operator_cli
from renkei.operators import service as operators
from renkei.organizations.models import Organization
from renkei.tenancy import MembershipRole, Viewer

CLAIM = """
mutation Claim($input: ClaimEmailDomainInput!) {
  claimEmailDomain(input: $input) {
    domainClaim { id domain status challenge { recordName recordType value } }
    userErrors { field code message }
  }
}
"""

CHECK = """
mutation Check($input: CheckEmailDomainInput!) {
  checkEmailDomain(input: $input) {
    domainClaim { domain status verificationMethod lastCheckError }
    userErrors { field code message }
  }
}
"""

VERIFY = """
mutation Verify($input: VerifyEmailDomainInput!) {
  verifyEmailDomain(input: $input) {
    domainClaim { domain status verificationMethod }
    userErrors { field code message }
  }
}
"""

CLAIMS = """
query Claims($id: ID!) {
  organization(id: $id) { domainClaims { domain status verificationMethod } }
}
"""


async def _organization(world: World, tokens: TokenService, slug: str) -> tuple[Organization, str]:
    owner = await create_user(world.sessions, f"owner@{slug}.example")
    organization = await create_organization(world.sessions, owner, slug=slug, name=slug)
    return organization, token_for(tokens, owner, organization)


async def _claim(world: World, organization: Organization, domain: str, token: str) -> Any:
    body = await graphql(
        world.app,
        CLAIM,
        {
            "input": {
                "organizationId": to_global_id("Organization", organization.id),
                "domain": domain,
            }
        },
        token=token,
    )
    return body["data"]["claimEmailDomain"]


async def _check(world: World, claim_id: str, token: str) -> Any:
    body = await graphql(world.app, CHECK, {"input": {"id": claim_id}}, token=token)
    return body["data"]["checkEmailDomain"]


async def _log(world: World, organization: Organization, action: str) -> list[AuditEvent]:
    return [e for e in await world.audit(action) if e.organization_id == organization.id]


async def test_a_dns_record_with_the_challenge_verifies_the_domain(
    world, tokens, dns_zone: DnsZone
):
    # given a firm that claims its domain and is shown what to publish
    firm, token = await _organization(world, tokens, "tosu-seiki")
    claimed = await _claim(world, firm, "Tosu-Seiki.example", token)
    claim = claimed["domainClaim"]
    assert claimed["userErrors"] == []
    assert (claim["domain"], claim["status"]) == ("tosu-seiki.example", "PENDING")
    challenge = claim["challenge"]
    assert challenge["recordName"] == "_renkei-challenge.tosu-seiki.example"
    assert challenge["recordType"] == "TXT"
    # when it checks before publishing, then publishes the record and checks again
    early = await _check(world, claim["id"], token)
    dns_zone.publish(challenge["recordName"], "v=spf1 -all")
    dns_zone.publish(challenge["recordName"], challenge["value"])
    checked = await _check(world, claim["id"], token)
    # then the first check says what DNS holds and leaves it PENDING; the second verifies it
    assert early == {
        "domainClaim": {
            "domain": "tosu-seiki.example",
            "status": "PENDING",
            "verificationMethod": None,
            "lastCheckError": "_renkei-challenge.tosu-seiki.example は DNS に存在しません。",
        },
        "userErrors": [
            {
                "field": "id",
                "code": "INVALID",
                "message": "_renkei-challenge.tosu-seiki.example は DNS に存在しません。",
            }
        ],
    }
    assert checked == {
        "domainClaim": {
            "domain": "tosu-seiki.example",
            "status": "VERIFIED",
            "verificationMethod": "DNS",
            "lastCheckError": None,
        },
        "userErrors": [],
    }
    assert ("_renkei-challenge.tosu-seiki.example", "TXT") in dns_zone.queries
    [event] = await _log(world, firm, "email_domain_verified")
    assert event.detail == {"domain": "tosu-seiki.example", "method": "DNS"}


async def test_another_token_at_the_record_does_not_verify(world, tokens, dns_zone: DnsZone):
    # given two organizations claiming one domain; only the first publishes its challenge
    first, first_token = await _organization(world, tokens, "saga-denki")
    second, second_token = await _organization(world, tokens, "mallory-denki")
    mine = (await _claim(world, first, "saga-denki.example", first_token))["domainClaim"]
    theirs = (await _claim(world, second, "saga-denki.example", second_token))["domainClaim"]
    dns_zone.publish(mine["challenge"]["recordName"], mine["challenge"]["value"])
    # when the second organization checks its own claim, reading English
    world.read_in("en")
    checked = await _check(world, theirs["id"], second_token)
    # then the record proves nothing for it
    assert checked["domainClaim"]["status"] == "PENDING"
    assert checked["userErrors"][0]["message"] == (
        "no TXT record at _renkei-challenge.saga-denki.example holds this claim's challenge"
    )
    assert mine["challenge"]["value"] != theirs["challenge"]["value"]


async def test_only_the_organization_s_admins_claim_check_and_see_its_domains(
    world, tokens, dns_zone: DnsZone
):
    # given a firm's claim, one of its MEMBERs, and another organization's owner
    firm, owner_token = await _organization(world, tokens, "imari-yaki")
    claim = (await _claim(world, firm, "imari-yaki.example", owner_token))["domainClaim"]
    owner = await world.user("owner@imari-yaki.example")
    assert owner is not None
    member = await create_user(world.sessions, "member@imari-yaki.example")
    await add_member(world.sessions, firm, owner, member, MembershipRole.MEMBER)
    member_token = token_for(tokens, member, firm)
    outsider_token = token_for(tokens, await world.user("owner@b.example"), world.org_b)  # type: ignore[arg-type]
    # when
    by_member = await _claim(world, firm, "other.example", member_token)
    member_check = await _check(world, claim["id"], member_token)
    outsider_check = await _check(world, claim["id"], outsider_token)
    seen = await graphql(
        world.app, CLAIMS, {"id": to_global_id("Organization", firm.id)}, token=outsider_token
    )
    # then
    assert by_member["userErrors"][0]["code"] == "FORBIDDEN"
    assert member_check["userErrors"][0]["code"] == "NOT_FOUND"
    assert outsider_check["userErrors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "該当するドメイン申請がありません。"}
    ]
    assert seen["data"]["organization"] is None or (
        seen["data"]["organization"]["domainClaims"] is None
    )
    assert dns_zone.queries == []


async def test_a_platform_operator_approves_a_domain_and_it_is_audited(world, tokens):
    # given a firm's pending claim, an organization's owner, and a platform operator
    firm, token = await _organization(world, tokens, "karatsu-zosen")
    await _claim(world, firm, "karatsu-zosen.example", token)
    operator = await create_user(world.sessions, "operator@renkei.example")
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        await operators.grant(session, email=operator.email, granted_by="test")
    variables = {
        "input": {
            "organizationId": to_global_id("Organization", firm.id),
            "domain": "karatsu-zosen.example",
        }
    }
    # when the firm's own owner tries, and then the operator
    by_owner = await graphql(world.app, VERIFY, variables, token=token)
    by_operator = await graphql(world.app, VERIFY, variables, token=token_for(tokens, operator))
    # then only the operator may, and the firm's log says who
    assert by_owner["data"]["verifyEmailDomain"] == {
        "domainClaim": None,
        "userErrors": [
            {
                "field": None,
                "code": "FORBIDDEN",
                "message": "この操作はプラットフォーム運営者のみが行えます。",
            }
        ],
    }
    assert by_operator["data"]["verifyEmailDomain"] == {
        "domainClaim": {
            "domain": "karatsu-zosen.example",
            "status": "VERIFIED",
            "verificationMethod": "OPERATOR",
        },
        "userErrors": [],
    }
    [event] = await _log(world, firm, "email_domain_verified")
    assert event.actor_user_id == operator.id
    assert event.detail == {
        "domain": "karatsu-zosen.example",
        "method": "OPERATOR",
        "by": "operator@renkei.example",
    }


class _Runtime:
    """What `renkei operator …` hands its subcommands: the session factory."""

    def __init__(self, sessions: Any) -> None:
        self.sessions = sessions


async def test_the_operator_cli_verifies_a_domain(world, tokens, provider_b: OidcProvider, capsys):
    # given a firm whose provider's domain is PENDING, so nobody signs in through it
    firm, _ = await _organization(world, tokens, "arita-kiln")
    owner = await world.user("owner@arita-kiln.example")
    assert owner is not None
    provider_b.register_client("renkei-arita", "arita-secret", ("http://renkei.test/*",))
    await register(
        world.sessions,
        world.config,
        firm,
        owner,
        provider_b,
        client_id="renkei-arita",
        domains=["arita-kiln.example"],
        verify=False,
    )
    provider_b.add_user("potter-1", "potter@arita-kiln.example")
    _, before = await sign_in(world, "potter@arita-kiln.example")
    # when the operator runs `renkei operator verify-domain`
    args = argparse.Namespace(organization="arita-kiln", domain="ARITA-KILN.example.")
    await operator_cli._verify_domain(_Runtime(world.sessions), args)
    _, after = await sign_in(world, "potter@arita-kiln.example")
    # then home-realm discovery found nobody before, and the potter signs in after
    assert before.status_code == 404
    assert "arita-kiln.example is verified for arita-kiln (arita-kiln)" in capsys.readouterr().out
    assert after.status_code == 200, after.text
    assert await world.memberships("potter@arita-kiln.example") == {"arita-kiln": "MEMBER"}
    [event] = await _log(world, firm, "email_domain_verified")
    assert event.detail["method"] == "OPERATOR" and event.detail["by"].startswith("cli:")


class _ClosingRuntime(_Runtime):
    async def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("command", "fields", "said"),
    [
        (
            operator_cli._verify_domain,
            {"organization": "nowhere", "domain": "nowhere.example"},
            "renkei operator verify-domain: no organization 'nowhere'",
        ),
        (
            operator_cli._grant,
            {"email": "nobody@nowhere.example"},
            "renkei operator grant: no user with the address nobody@nowhere.example",
        ),
    ],
    ids=["verify-domain", "grant"],
)
async def test_the_operator_cli_says_why_in_english(world, command, fields, said):
    # given a command that cannot be done (operators read the command line in English)
    action = said.split()[2].rstrip(":")
    args = argparse.Namespace(action=action, run=command, **fields)
    # when
    with pytest.raises(SystemExit) as stopped:
        await operator_cli.run(_ClosingRuntime(world.sessions), args)
    # then
    assert str(stopped.value) == said


async def test_two_claims_of_one_domain_at_once_make_one_claim(committed, tokens):
    # given a firm's owner who sends the same claim twice at once (a double click), each
    # request in its own transaction on its own connection
    owner = await create_user(committed.sessions, "owner@kashima-tekko.example")
    firm = await create_organization(committed.sessions, owner, slug="kashima-tekko")
    token = token_for(tokens, owner, firm)
    variables = {
        "input": {
            "organizationId": to_global_id("Organization", firm.id),
            "domain": "kashima-tekko.example",
        }
    }
    # when
    first, second = await asyncio.gather(
        graphql(committed.client, CLAIM, variables, token=token),
        graphql(committed.client, CLAIM, variables, token=token),
    )
    # then both answer the one claim, which was audited once
    assert first == second
    assert first["data"]["claimEmailDomain"]["userErrors"] == []
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        claimed = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "email_domain_claimed")
        )
        assert len(claimed.all()) == 1
