"""Webhook endpoints through the API: made by an organization's managers, the secret shown once,
the delivery log read compiled and resolved alike; never seen or changed by another
organization; URLs that could reach the platform's own network refused in production."""

from __future__ import annotations

import uuid

import httpx2
import pytest

from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.tokens import TokenService
from renkei.notifications import service as notifications
from renkei.organizations import service as organizations
from renkei.tenancy import MembershipRole, Viewer
from renkei.webhooks import repository, signing, urls
from renkei.webhooks.service import WebhookConfig
from webhooks.conftest import Receiver, client_with, webhook_config
from webhooks.helpers import acting, run_outbox

CREATE = """
mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    webhookEndpoint { id url topics active }
    secret
    userErrors { field code message }
  }
}
"""
UPDATE = """
mutation ($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) {
    webhookEndpoint { id url topics active }
    userErrors { field code message }
  }
}
"""
ROTATE = """
mutation ($id: ID!) {
  rotateWebhookSecret(input: {id: $id}) { secret userErrors { field code message } }
}
"""
DELETE = """
mutation ($id: ID!) {
  deleteWebhookEndpoint(input: {id: $id}) { deletedId userErrors { field code message } }
}
"""
REDELIVER = """
mutation ($id: ID!) {
  redeliverWebhook(input: {deliveryId: $id}) {
    delivery { eventId status }
    userErrors { field code message }
  }
}
"""
ENDPOINTS = """
query ($id: ID!) {
  node(id: $id) {
    ... on Organization {
      webhookEndpoints {
        id url topics description active createdAt
        deliveries(first: 10) {
          edges { node {
            id eventId topic subjectId status attempts responseCode latencyMs lastError
            createdAt deliveredAt
          } }
          pageInfo { hasNextPage }
        }
      }
    }
  }
}
"""


async def _two_organizations(sessions: SessionFactory, tokens: TokenService):  # type: ignore[no-untyped-def]
    owner = await create_user(sessions, "owner@a.example")
    org = await create_organization(sessions, owner, name="熊本精密")
    member = await create_user(sessions, "member@a.example")
    await add_member(sessions, org, owner, member)
    stranger = await create_user(sessions, "owner@c.example")
    other = await create_organization(sessions, stranger, name="他社")
    return (
        org,
        owner,
        token_for(tokens, owner, org),
        token_for(tokens, member, org),
        token_for(tokens, stranger, other),
        (stranger, other),
    )


def _org_id(org) -> str:  # type: ignore[no-untyped-def]
    from renkei.graphql.relay import to_global_id

    return to_global_id("Organization", org.id)


async def test_a_manager_registers_an_endpoint_and_reads_its_delivery_log(
    sessions: SessionFactory,
    tokens: TokenService,
    webhook_client: httpx2.AsyncClient,
    receiver: Receiver,
    config: WebhookConfig,
    compiled_and_resolved,  # type: ignore[no-untyped-def]
) -> None:
    # given an endpoint registered through the API, its secret shown once
    org, owner, owner_token, _, _, _ = await _two_organizations(sessions, tokens)
    made = await graphql(
        webhook_client,
        CREATE,
        {
            "input": {
                "organizationId": _org_id(org),
                "url": receiver.url,
                "topics": ["invitation.created", "milestone.status_changed"],
                "description": "基幹システム",
            }
        },
        token=owner_token,
    )
    payload = made["data"]["createWebhookEndpoint"]
    assert payload["userErrors"] == []
    secret = payload["secret"]
    assert secret.startswith("whsec_")
    endpoint_id = payload["webhookEndpoint"]["id"]
    # when an invitation is made and the worker runs
    async with acting(sessions, owner.id, org.id) as (session, viewer):
        await organizations.invite_member(
            session,
            viewer,
            organization_id=org.id,
            email="new@b.example",
            role=MembershipRole.MEMBER,
        )
    await run_outbox(sessions, config)
    # then the receiver verifies it with the secret shown, and the log says so
    [call] = receiver.calls
    assert signing.verify(secret, call.headers["renkei-signature"], call.body)
    read = await compiled_and_resolved(ENDPOINTS, {"id": _org_id(org)}, token=owner_token)
    [endpoint] = read["data"]["node"]["webhookEndpoints"]
    assert endpoint["id"] == endpoint_id
    assert endpoint["topics"] == ["invitation.created", "milestone.status_changed"]
    [edge] = endpoint["deliveries"]["edges"]
    assert edge["node"]["eventId"] == call.headers["renkei-event-id"]
    assert (edge["node"]["status"], edge["node"]["attempts"], edge["node"]["responseCode"]) == (
        "DELIVERED",
        1,
        200,
    )
    assert "secret" not in str(read)
    # and a redelivery sends the same event again
    again = await graphql(webhook_client, REDELIVER, {"id": edge["node"]["id"]}, token=owner_token)
    assert again["data"]["redeliverWebhook"]["userErrors"] == []
    await run_outbox(sessions, config)
    first, second = receiver.calls
    assert first.headers["renkei-event-id"] == second.headers["renkei-event-id"]
    # and a rotated secret signs what follows; the old one does not
    rotated = await graphql(webhook_client, ROTATE, {"id": endpoint_id}, token=owner_token)
    new_secret = rotated["data"]["rotateWebhookSecret"]["secret"]
    assert new_secret != secret


async def test_another_organization_and_a_plain_member_can_neither_see_nor_change_endpoints(
    sessions: SessionFactory,
    tokens: TokenService,
    webhook_client: httpx2.AsyncClient,
    receiver: Receiver,
) -> None:
    # given an endpoint of one organization
    org, _, owner_token, member_token, stranger_token, (stranger, other) = await _two_organizations(
        sessions, tokens
    )
    made = await graphql(
        webhook_client,
        CREATE,
        {
            "input": {
                "organizationId": _org_id(org),
                "url": receiver.url,
                "topics": ["project.invited"],
            }
        },
        token=owner_token,
    )
    endpoint_id = made["data"]["createWebhookEndpoint"]["webhookEndpoint"]["id"]
    # when the other organization's owner and a plain member try
    changed = await graphql(
        webhook_client,
        UPDATE,
        {"input": {"id": endpoint_id, "url": "http://127.0.0.1:1/mine"}},
        token=stranger_token,
    )
    deleted = await graphql(webhook_client, DELETE, {"id": endpoint_id}, token=stranger_token)
    rotated = await graphql(webhook_client, ROTATE, {"id": endpoint_id}, token=member_token)
    created = await graphql(
        webhook_client,
        CREATE,
        {
            "input": {
                "organizationId": _org_id(org),
                "url": receiver.url,
                "topics": ["project.invited"],
            }
        },
        token=stranger_token,
    )
    seen = await graphql(webhook_client, ENDPOINTS, {"id": _org_id(org)}, token=member_token)
    # then nothing was found, nothing changed, and the list is hidden
    not_found = [
        {
            "field": "id",
            "code": "NOT_FOUND",
            "message": "該当する Webhook のエンドポイントはありません",
        }
    ]
    assert changed["data"]["updateWebhookEndpoint"]["userErrors"] == not_found
    assert deleted["data"]["deleteWebhookEndpoint"]["userErrors"] == not_found
    assert rotated["data"]["rotateWebhookSecret"]["userErrors"] == not_found
    assert [e["code"] for e in created["data"]["createWebhookEndpoint"]["userErrors"]] == [
        "FORBIDDEN"
    ]
    assert seen["data"]["node"]["webhookEndpoints"] is None
    # and row-level security shows the rows to their organization's managers only
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await notifications.tell(
            session,
            uuid.uuid4(),
            [notifications.Recipient("p@a.example", org.id, "ja")],
            kind="project.invited",
            text=lambda: ("件名", "本文"),
            subject_id=None,
        )
        [kept] = await repository.endpoints_of(session, organization_id=org.id)
        assert len(list(await session.scalars(repository.deliveries(kept.id)))) == 1
    async with acting(sessions, stranger.id, other.id) as (session, _viewer):
        assert await repository.endpoints_of(session, organization_id=org.id) == []
        assert list(await session.scalars(repository.deliveries(kept.id))) == []
    assert kept.url == receiver.url


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://localhost/hook",
    ],
)
async def test_production_refuses_urls_reaching_private_or_loopback_addresses(url: str) -> None:
    with pytest.raises(urls.RefusedUrl):
        await urls.check(url, production=True)


async def test_production_wants_https_and_no_credentials_while_development_allows_http() -> None:
    with pytest.raises(urls.RefusedUrl):
        await urls.check("http://93.184.215.14/hook", production=True)
    with pytest.raises(urls.RefusedUrl):
        await urls.check("https://user:pass@93.184.215.14/hook", production=True)
    assert await urls.check("https://93.184.215.14/hook", production=True)
    assert await urls.check("http://127.0.0.1:8080/hook", production=False)


async def test_a_refused_url_is_a_clear_user_error_in_japanese(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> None:
    # given the API with production's URL rules
    org, _, owner_token, _, _, _ = await _two_organizations(sessions, tokens)
    async with client_with(sessions, tokens, redis_url, webhook_config(production=True)) as http:
        # when an endpoint at localhost, then one of an unknown topic, is registered
        local = await graphql(
            http,
            CREATE,
            {
                "input": {
                    "organizationId": _org_id(org),
                    "url": "https://localhost/hook",
                    "topics": ["project.invited"],
                }
            },
            token=owner_token,
        )
        unknown = await graphql(
            http,
            CREATE,
            {
                "input": {
                    "organizationId": _org_id(org),
                    "url": "https://93.184.215.14/",
                    "topics": ["nope"],
                }
            },
            token=owner_token,
        )
    # then
    [error] = local["data"]["createWebhookEndpoint"]["userErrors"]
    assert (error["field"], error["code"]) == ("url", "INVALID")
    assert error["message"].startswith("localhost はプライベートまたは予約済みのアドレス")
    [error] = unknown["data"]["createWebhookEndpoint"]["userErrors"]
    assert (error["field"], error["code"]) == ("topics", "INVALID")
    assert error["message"].startswith("不明なトピックです: nope")


async def test_delivery_checks_the_address_again_and_fails_visibly(
    sessions: SessionFactory, receiver: Receiver
) -> None:
    # given an endpoint registered in development, delivered with production's rules
    owner = await create_user(sessions, f"o-{uuid.uuid4().hex[:6]}@a.example")
    org = await create_organization(sessions, owner)
    development = webhook_config()
    from renkei.webhooks import service as webhooks

    async with acting(sessions, owner.id, org.id) as (session, viewer):
        await webhooks.create_endpoint(
            session,
            viewer,
            config=development,
            organization_id=org.id,
            url=receiver.url.replace("http://", "https://"),
            topics=["invitation.created"],
        )
        await organizations.invite_member(
            session,
            viewer,
            organization_id=org.id,
            email="x@b.example",
            role=MembershipRole.MEMBER,
        )
    production = WebhookConfig(box=development.box, production=True)
    # when
    await run_outbox(sessions, production)
    # then nothing was sent, and the log says why
    from webhooks.helpers import deliveries

    [failed] = await deliveries(sessions)
    assert failed.status.value == "FAILED"
    assert failed.last_error and "127.0.0.1" in failed.last_error
    assert receiver.calls == []
