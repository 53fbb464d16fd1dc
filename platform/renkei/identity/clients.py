"""Organizations' API clients: their systems calling Renkei with the client credentials grant.

Each client acts through a service account that is a MEMBER of its organization, so the same
row-level security that governs people governs machines; its scopes narrow what a token may touch.
The secret is shown once; only its hash is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import audit
from renkei.errors import Conflict, Invalid, NotFound, Unauthenticated
from renkei.i18n.messages import _
from renkei.identity.models import ApiClient, User
from renkei.identity.scopes import ALL_SCOPES
from renkei.organizations import repository as organizations
from renkei.organizations.models import Membership
from renkei.tenancy import MembershipRole, Viewer, require_manager, set_viewer
from renkei.text import clean_name

CLIENT_ID_PREFIX = "rk_"
SERVICE_ACCOUNT_DOMAIN = "clients.renkei.invalid"
_HASH_PREFIX = "sha256:"


def _hash_secret(secret: str) -> str:
    # The secret is 256 random bits: a plain SHA-256 of it cannot be searched, and a slow hash
    # would only slow down every token request.
    return _HASH_PREFIX + hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(client: ApiClient, secret: str) -> bool:
    """Whether `secret` is the client's, compared in constant time."""
    return hmac.compare_digest(client.secret_hash.encode(), _hash_secret(secret).encode())


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted({scope.strip() for scope in scopes})
    unknown = [scope for scope in chosen if scope not in ALL_SCOPES]
    if unknown:
        raise Invalid(
            _(
                "unknown scope {scope}: choose from {scopes}",
                scope=repr(unknown[0]),
                scopes=", ".join(sorted(ALL_SCOPES)),
            ),
            field="scopes",
        )
    if not chosen:
        raise Invalid(_("choose at least one scope"), field="scopes")
    return chosen


async def create_api_client(
    session: AsyncSession,
    viewer: Viewer,
    *,
    organization_id: uuid.UUID,
    name: str,
    scopes: Iterable[str],
) -> tuple[ApiClient, str]:
    """Create a client with its service account; the secret is returned here and never again."""
    creator_id = require_manager(viewer, organization_id)
    name = clean_name(name)
    granted = _clean_scopes(scopes)
    client_id = CLIENT_ID_PREFIX + secrets.token_hex(16)
    secret = secrets.token_urlsafe(32)
    # Only the platform creates users: act as it for this one insert, then as the admin again.
    await set_viewer(session, Viewer.platform())
    service_user = User(
        id=uuid.uuid4(),
        email=f"client-{client_id}@{SERVICE_ACCOUNT_DOMAIN}",
        display_name=name,
        is_service_account=True,
    )
    session.add(service_user)
    await session.flush()
    await set_viewer(session, viewer)
    session.add(
        Membership(
            organization_id=organization_id,
            user_id=service_user.id,
            role=MembershipRole.MEMBER,
        )
    )
    client = ApiClient(
        id=uuid.uuid4(),
        organization_id=organization_id,
        name=name,
        client_id=client_id,
        secret_hash=_hash_secret(secret),
        scopes=granted,
        service_user_id=service_user.id,
        created_by_id=creator_id,
    )
    session.add(client)
    audit.record(
        session,
        action=audit.API_CLIENT_CREATED,
        organization_id=organization_id,
        actor_user_id=creator_id,
        detail={
            "api_client_id": str(client.id),
            "client_id": client_id,
            "name": name,
            "scopes": granted,
        },
    )
    await session.flush()
    return client, secret


async def revoke_api_client(
    session: AsyncSession, viewer: Viewer, *, api_client_id: uuid.UUID
) -> ApiClient:
    """Revoke a client: no new tokens, and tokens already issued lose the organization at once."""
    if viewer.user_id is None:
        raise Unauthenticated(_("sign in first"))
    client = await session.get(ApiClient, api_client_id)
    if client is None:
        raise NotFound(_("no such API client"), field="apiClientId")
    actor_id = require_manager(viewer, client.organization_id)
    if client.revoked_at is not None:
        raise Conflict(_("this API client was revoked already"), field="apiClientId")
    client.revoked_at = datetime.now(UTC)
    # Every request reads the role from the memberships: without one, a token acts for no one.
    membership = await organizations.membership_of(
        session, client.organization_id, client.service_user_id
    )
    if membership is not None:
        await session.delete(membership)
    # Its tokens stop at once, even for what any signed-in user may do. Users are the
    # platform's to change, so act as the platform for this one write.
    await set_viewer(session, Viewer.platform())
    service_user = await session.get(User, client.service_user_id)
    if service_user is not None:
        service_user.deactivated_at = client.revoked_at
        await session.flush()
    await set_viewer(session, viewer)
    audit.record(
        session,
        action=audit.API_CLIENT_REVOKED,
        organization_id=client.organization_id,
        actor_user_id=actor_id,
        detail={"api_client_id": str(client.id), "client_id": client.client_id},
    )
    await session.flush()
    return client


async def record_use(session: AsyncSession, client: ApiClient) -> None:
    """Note that the client has just been issued a token (as the platform)."""
    client.last_used_at = datetime.now(UTC)
    await session.flush()
