"""Building test data through the product's own services, and calling the API as a user would."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2

from renkei.db import SessionFactory, unit_of_work
from renkei.identity import service as identity
from renkei.identity.models import User
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService
from renkei.organizations import service as organizations
from renkei.organizations import verification
from renkei.organizations.models import Membership, Organization, OrganizationKind, Verification
from renkei.tenancy import MembershipRole, Viewer

# What the tests' API clients accept: GraphQL over HTTP's own media type first, as graphql-http's
# client sends it. A client that names neither (no Accept, `*/*`) gets application/json and the
# legacy status codes (tests/api/test_http.py).
API_ACCEPT = {"Accept": "application/graphql-response+json, application/json"}


async def create_user(sessions: SessionFactory, email: str, name: str | None = None) -> User:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return await identity.ensure_user(
            session, Viewer.platform(), email=email, display_name=name or email.split("@")[0]
        )


async def act_as(
    sessions: SessionFactory, user: User, organization: Organization | None = None
) -> Viewer:
    async with sessions() as session, session.begin():
        return await identity.viewer_for(
            session,
            user.id,
            organization_id=organization.id if organization else None,
            scopes=ALL_SCOPES,
        )


async def create_organization(
    sessions: SessionFactory,
    owner: User,
    *,
    slug: str | None = None,
    name: str | None = None,
    kind: OrganizationKind = OrganizationKind.COMPANY,
    home_prefecture_code: str = "40",
    corporate_number: str | None = None,
    local_government_code: str | None = None,
    verified: bool = True,
) -> Organization:
    """Found an organization as `owner`; a public body is then verified by the platform, as an
    operator would (`verified=False` leaves it as its founder made it)."""
    slug = slug or f"org-{uuid.uuid4().hex[:8]}"
    async with sessions() as session, session.begin():
        viewer = await identity.viewer_for(
            session, owner.id, organization_id=None, scopes=ALL_SCOPES
        )
        organization = await organizations.create_organization(
            session,
            viewer,
            slug=slug,
            name=name or slug,
            kind=kind,
            home_prefecture_code=home_prefecture_code,
            corporate_number=corporate_number,
            local_government_code=local_government_code,
        )
    if verified and organization.verification is not Verification.VERIFIED:
        async with unit_of_work(sessions, Viewer.platform()) as session:
            organization = await verification.verify(
                session, verified_by="test", actor_user_id=None, organization_id=organization.id
            )
    return organization


async def add_member(
    sessions: SessionFactory,
    organization: Organization,
    owner: User,
    member: User,
    role: MembershipRole = MembershipRole.MEMBER,
) -> Membership:
    """Invite and accept, as the two people would."""
    async with sessions() as session, session.begin():
        viewer = await identity.viewer_for(
            session, owner.id, organization_id=organization.id, scopes=ALL_SCOPES
        )
        invitation = await organizations.invite_member(
            session, viewer, organization_id=organization.id, email=member.email, role=role
        )
    async with sessions() as session, session.begin():
        viewer = await identity.viewer_for(
            session, member.id, organization_id=None, scopes=ALL_SCOPES
        )
        return await organizations.accept_invitation(session, viewer, invitation_id=invitation.id)


def token_for(
    tokens: TokenService,
    user: User,
    organization: Organization | None = None,
    scopes: frozenset[str] = ALL_SCOPES,
) -> str:
    return tokens.issue(
        user_id=user.id,
        organization_id=organization.id if organization else None,
        scopes=scopes,
    )


async def graphql(
    client: httpx2.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """POST an operation and return the response body; the HTTP status must be 200.
    `language` is sent as Accept-Language (none: the reader gets Japanese)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if language:
        headers["Accept-Language"] = language
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def run_outbox_messages(sessions: SessionFactory, handlers: dict[str, Any]) -> int:
    """Handle every unprocessed outbox message as the worker does (with these handlers), those
    the handlers add too, until none is left but those that failed in this run (RetryLater);
    how many were handled."""
    from sqlalchemy import select

    from renkei import outbox
    from renkei.outbox import OutboxMessage
    from renkei.workers.jobs import handle_message

    failed: set[uuid.UUID] = set()
    handled = 0
    while True:
        async with unit_of_work(sessions, Viewer.platform()) as session:
            ids = list(
                await session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.processed_at.is_(None))
                    .order_by(OutboxMessage.created_at)
                )
            )
        todo = [message_id for message_id in ids if message_id not in failed]
        if not todo:
            return handled
        for message_id in todo:
            try:
                handled += await handle_message(sessions, message_id, handlers=handlers)
            except outbox.RetryLater:
                failed.add(message_id)
