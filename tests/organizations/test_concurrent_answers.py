"""Answers to one invitation sent at the same moment (a double click, two tabs): one wins, the
others are told, and nothing is half-written. Real commits on separate connections."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from factories import create_organization, create_user, token_for
from renkei.db import unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.scopes import ALL_SCOPES
from renkei.organizations import service as organizations
from renkei.organizations.models import Invitation, InvitationStatus, Membership
from renkei.tenancy import MembershipRole, Viewer

ACCEPT_INVITATION = """
mutation AcceptInvitation($input: AnswerInvitationInput!) {
  acceptInvitation(input: $input) {
    membership { role }
    userErrors { field code message }
  }
}
"""

DECLINE_INVITATION = """
mutation DeclineInvitation($input: AnswerInvitationInput!) {
  declineInvitation(input: $input) {
    invitation { status }
    userErrors { field code message }
  }
}
"""


async def _invited(committed) -> tuple[User, Invitation]:
    owner = await create_user(committed.sessions, "owner@kumamoto.example")
    organization = await create_organization(committed.sessions, owner, slug="kumamoto-chip")
    invitee = await create_user(committed.sessions, "engineer@fukuoka.example")
    acting = Viewer(user_id=owner.id, email=owner.email, scopes=ALL_SCOPES).acting_as(
        organization.id, MembershipRole.OWNER
    )
    async with unit_of_work(committed.sessions, acting) as session:
        invitation = await organizations.invite_member(
            session,
            acting,
            organization_id=organization.id,
            email=invitee.email,
            role=MembershipRole.MEMBER,
        )
    return invitee, invitation


async def _post(committed, token: str, query: str, invitation: Invitation) -> dict:
    response = await committed.client.post(
        "/graphql",
        json={
            "query": query,
            "variables": {"input": {"invitationId": to_global_id("Invitation", invitation.id)}},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_five_accepts_at_once_make_one_membership_and_four_conflicts(committed, tokens):
    # given an invitation
    invitee, invitation = await _invited(committed)
    token = token_for(tokens, invitee)
    # when five accepts arrive at the same moment
    answers = await asyncio.gather(
        *(_post(committed, token, ACCEPT_INVITATION, invitation) for _ in range(5))
    )
    # then no answer is a fault: one joins, the others learn it was accepted already (in
    # Japanese: these clients send no Accept-Language)
    assert all("errors" not in a for a in answers), answers
    payloads = [a["data"]["acceptInvitation"] for a in answers]
    assert sorted(p["membership"] is not None for p in payloads) == [False] * 4 + [True]
    assert [p["userErrors"] for p in payloads if p["membership"] is None] == [
        [
            {
                "field": "invitationId",
                "code": "CONFLICT",
                "message": "この招待はすでに処理済みです（承諾）。",
            }
        ]
    ] * 4
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        members = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.user_id == invitee.id)
        )
        status = await session.scalar(
            select(Invitation.status).where(Invitation.id == invitation.id)
        )
    assert (members, status) == (1, InvitationStatus.ACCEPTED)


async def test_an_accept_and_a_decline_at_once_leave_one_answer(committed, tokens):
    # given an invitation
    invitee, invitation = await _invited(committed)
    token = token_for(tokens, invitee)
    # when it is accepted and declined at the same moment
    accepted, declined = await asyncio.gather(
        _post(committed, token, ACCEPT_INVITATION, invitation),
        _post(committed, token, DECLINE_INVITATION, invitation),
    )
    # then exactly one answer holds, and the membership agrees with it
    assert "errors" not in accepted and "errors" not in declined
    joined = accepted["data"]["acceptInvitation"]["membership"] is not None
    refused = declined["data"]["declineInvitation"]["invitation"] is not None
    assert joined != refused
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        members = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.user_id == invitee.id)
        )
        status = await session.scalar(
            select(Invitation.status).where(Invitation.id == invitation.id)
        )
    assert (members, status) == (
        (1, InvitationStatus.ACCEPTED) if joined else (0, InvitationStatus.DECLINED)
    )
