"""Helpers of the API client tests: an organization with a client, and its token requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx2
from sqlalchemy import select

from factories import act_as, create_organization, create_user
from renkei.db import SessionFactory, unit_of_work
from renkei.identity import clients
from renkei.identity import repository as identity
from renkei.identity.models import ApiClient, AuditEvent, User
from renkei.organizations import repository
from renkei.organizations import service as organizations
from renkei.organizations.models import Organization
from renkei.tenancy import MembershipRole, Viewer


@dataclass
class Issued:
    """An organization, its owner, and an API client it made, with the secret shown once."""

    organization: Organization
    owner: User
    client: ApiClient
    secret: str


async def create_client(
    sessions: SessionFactory,
    *,
    scopes: frozenset[str],
    organization: Organization | None = None,
    owner: User | None = None,
    name: str = "KPI dashboard",
) -> Issued:
    if owner is None:
        owner = await create_user(sessions, f"owner-{uuid.uuid4().hex[:8]}@example.jp")
    if organization is None:
        organization = await create_organization(sessions, owner)
    viewer = await act_as(sessions, owner, organization)
    async with unit_of_work(sessions, viewer) as session:
        client, secret = await clients.create_api_client(
            session, viewer, organization_id=organization.id, name=name, scopes=scopes
        )
    return Issued(organization, owner, client, secret)


async def revoke(sessions: SessionFactory, issued: Issued) -> None:
    viewer = await act_as(sessions, issued.owner, issued.organization)
    async with unit_of_work(sessions, viewer) as session:
        await clients.revoke_api_client(session, viewer, api_client_id=issued.client.id)


async def promote(sessions: SessionFactory, issued: Issued, role: MembershipRole) -> None:
    """Give the client's service account another role, as the owner would."""
    viewer = await act_as(sessions, issued.owner, issued.organization)
    async with unit_of_work(sessions, viewer) as session:
        membership = await repository.membership_of(
            session, issued.organization.id, issued.client.service_user_id
        )
        assert membership is not None
        await organizations.change_member_role(
            session, viewer, membership_id=membership.id, role=role
        )


async def request_token(
    http: httpx2.AsyncClient,
    client_id: str,
    secret: str,
    *,
    method: str = "basic",
    scope: str | None = None,
    grant_type: str = "client_credentials",
) -> httpx2.Response:
    """POST /oauth/token as a client would, with client_secret_basic or client_secret_post."""
    form = {"grant_type": grant_type}
    if scope is not None:
        form["scope"] = scope
    if method == "basic":
        return await http.post("/oauth/token", data=form, auth=(client_id, secret))
    return await http.post(
        "/oauth/token", data={**form, "client_id": client_id, "client_secret": secret}
    )


async def access_token(http: httpx2.AsyncClient, issued: Issued, scope: str | None = None) -> str:
    response = await request_token(http, issued.client.client_id, issued.secret, scope=scope)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def stored_client(sessions: SessionFactory, client_id: str) -> ApiClient | None:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return await identity.api_client(session, client_id=client_id)


async def audit_trail(sessions: SessionFactory, organization: Organization) -> list[AuditEvent]:
    """The organization's audit events, oldest first, read as the platform."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.organization_id == organization.id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
        return list(rows.all())
