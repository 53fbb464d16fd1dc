"""inviteMember leaves its side effect in the outbox, in the invitation's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from factories import create_organization, create_user, graphql, token_for
from renkei.db import unit_of_work
from renkei.graphql.relay import parse_global_id, to_global_id
from renkei.tenancy import Viewer

INVITE_MEMBER = """
mutation InviteMember($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    invitation { id }
    userErrors { field code message }
  }
}
"""

# xmin is the id of the transaction that wrote a row: equal xmins mean one transaction.
OUTBOX_ROWS = text(
    "SELECT o.topic, o.payload ->> 'invitation_id' AS invitation_id,"
    " o.xmin::text = i.xmin::text AS same_transaction"
    " FROM outbox o LEFT JOIN invitations i ON i.id::text = o.payload ->> 'invitation_id'"
    " ORDER BY o.created_at"
)


def row_id(global_id: str) -> str:
    parsed = parse_global_id(global_id)
    assert parsed is not None and parsed[0] == "Invitation"
    return parsed[1]


async def outbox_rows(committed: Any) -> list[dict[str, Any]]:
    """Every committed outbox row, read as the platform (the only reader the outbox allows)."""
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        return [dict(row._mapping) for row in await session.execute(OUTBOX_ROWS)]


async def test_an_invitation_writes_one_outbox_row_in_its_own_transaction(committed, tokens):
    # given
    owner = await create_user(committed.sessions, "owner@kumamoto.example")
    organization = await create_organization(committed.sessions, owner, name="熊本半導体")
    variables = {
        "input": {
            "organizationId": to_global_id("Organization", organization.id),
            "email": "engineer@fukuoka.example",
        }
    }
    # when
    body = await graphql(
        committed.client, INVITE_MEMBER, variables, token=token_for(tokens, owner, organization)
    )
    # then
    payload = body["data"]["inviteMember"]
    assert payload["userErrors"] == []
    invitation_id = payload["invitation"]["id"]
    assert await outbox_rows(committed) == [
        {
            "topic": "invitation.created",
            "invitation_id": row_id(invitation_id),
            "same_transaction": True,
        }
    ]


async def test_a_refused_invitation_writes_no_outbox_row(committed, tokens):
    # given
    owner = await create_user(committed.sessions, "owner@kumamoto.example")
    stranger = await create_user(committed.sessions, "stranger@example.jp")
    organization = await create_organization(committed.sessions, owner, name="熊本半導体")
    variables = {
        "input": {
            "organizationId": to_global_id("Organization", organization.id),
            "email": "engineer@fukuoka.example",
        }
    }
    await graphql(
        committed.client, INVITE_MEMBER, variables, token=token_for(tokens, owner, organization)
    )
    # when
    duplicate = await graphql(
        committed.client, INVITE_MEMBER, variables, token=token_for(tokens, owner, organization)
    )
    forbidden = await graphql(
        committed.client, INVITE_MEMBER, variables, token=token_for(tokens, stranger)
    )
    # then both are refused, in Japanese (no Accept-Language), and nothing is queued
    assert duplicate["data"]["inviteMember"]["userErrors"] == [
        {
            "field": "email",
            "code": "DUPLICATE",
            "message": "engineer@fukuoka.example には回答待ちの招待がすでにあります。",
        }
    ]
    assert forbidden["data"]["inviteMember"]["userErrors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "この操作ができるのは、団体のオーナーと管理者だけです。",
        }
    ]
    rows = await outbox_rows(committed)
    assert [row["topic"] for row in rows] == ["invitation.created"]
