"""One tenant never reaches another's rows, and PostgreSQL refuses what the services refuse."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url, select, text
from sqlalchemy.exc import DBAPIError

from factories import act_as, create_user, graphql, token_for
from renkei.db import SessionFactory, create_engine, session_factory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.organizations import service as organizations
from renkei.organizations.models import Membership, Organization
from renkei.outbox import OutboxMessage
from renkei.tenancy import Viewer, set_viewer
from renkei.workers.jobs import handle_message
from tenancy.tenants import Tenants, create_tenants


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def _rls_refused(table: str) -> str:
    return f'new row violates row-level security policy for table "{table}"'


TENANT_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relrowsecurity ORDER BY 1
"""


async def _count_rows(url: str, tables: list[str]) -> dict[str, int]:
    async with await psycopg.AsyncConnection.connect(_libpq(url)) as conn:
        counts = {}
        for table in tables:
            cursor = await conn.execute(f'SELECT count(*) FROM "{table}"')
            row = await cursor.fetchone()
            assert row is not None
            counts[table] = row[0]
        return counts


async def test_without_a_viewer_the_app_reads_no_row_of_any_tenant_table(committed) -> None:
    # given every tenant table holds committed rows, notifications included
    await create_tenants(committed.sessions)
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        messages = list(await session.scalars(select(OutboxMessage.id)))
    for message in messages:
        assert await handle_message(committed.sessions, message)
    async with await psycopg.AsyncConnection.connect(_libpq(committed.owner_url)) as conn:
        tables = [row[0] for row in await (await conn.execute(TENANT_TABLES)).fetchall()]
    stored = await _count_rows(committed.owner_url, tables)
    assert {t for t, n in stored.items() if n} >= {
        "invitations",
        "memberships",
        "notifications",
        "organizations",
        "outbox",
        "users",
    }
    # when a fresh application connection reads them without setting a viewer
    seen = await _count_rows(committed.app_url, tables)
    # then it sees nothing at all
    assert seen == dict.fromkeys(tables, 0)


async def test_without_a_viewer_the_app_cannot_insert_tenants_members_or_users(committed) -> None:
    # given
    owner = await create_user(committed.sessions, "owner@a.example")
    inserts = {
        "users": "INSERT INTO users (id, email, display_name)"
        " VALUES (gen_random_uuid(), 'stray@example.jp', 'stray')",
        "organizations": "INSERT INTO organizations"
        " (id, slug, name, kind, home_prefecture_code, created_by_id)"
        f" VALUES ('{uuid.uuid4()}', 'stray', 'Stray', 'COMPANY', '40', '{owner.id}')",
        "memberships": "INSERT INTO memberships (id, organization_id, user_id, role)"
        f" VALUES (gen_random_uuid(), '{uuid.uuid4()}', '{owner.id}', 'OWNER')",
    }
    # when each is tried on a raw application connection that sets no viewer
    errors = {}
    async with await psycopg.AsyncConnection.connect(_libpq(committed.app_url)) as conn:
        for table, statement in inserts.items():
            try:
                async with conn.transaction():
                    await conn.execute(statement)
            except psycopg.errors.InsufficientPrivilege as error:
                errors[table] = str(error)
    # then row-level security refuses every one
    assert errors == {table: _rls_refused(table) for table in inserts}


async def test_a_pooled_connection_forgets_the_viewer_when_the_transaction_ends(committed) -> None:
    # given one pooled connection, and a member of an organization
    member = (await create_tenants(committed.sessions)).a_member
    viewer = await act_as(committed.sessions, member)
    engine = create_engine(committed.app_url, pool_size=1)
    sessions = session_factory(engine)
    probe = text(
        "SELECT pg_backend_pid(), current_setting('renkei.user_id', true),"
        " (SELECT count(*) FROM organizations)"
    )
    try:
        for ending in ("commit", "rollback"):
            # when a transaction that set the viewer ends
            async with sessions() as session:
                async with session.begin() as transaction:
                    await set_viewer(session, viewer)
                    during = (await session.execute(probe)).one()
                    if ending == "rollback":
                        await transaction.rollback()
                # then the next transaction on the same connection has no viewer and no rows
                async with session.begin():
                    after = (await session.execute(probe)).one()
            assert during[1] == str(member.id)
            assert during[2] >= 1
            assert after[0] == during[0]
            assert after[1] in ("", None)
            assert after[2] == 0
    finally:
        await engine.dispose()


ORGANIZATION = """
query Organization($id: ID!) {
  organization(id: $id) {
    name
    members { nodes { role user { email } } }
    invitations { nodes { email role } }
  }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { __typename id } }
"""

A_MEMBERS = {
    "nodes": [
        {"role": "OWNER", "user": {"email": "owner@a.example"}},
        {"role": "ADMIN", "user": {"email": "admin@a.example"}},
        {"role": "MEMBER", "user": {"email": "member@a.example"}},
    ]
}

VIEWER_INVITATIONS = """
query { viewer { invitations { email role organization { name } } } }
"""


async def test_an_admin_sees_no_member_and_no_invitation_of_another_organization(
    sessions: SessionFactory, client, tokens, tenants: Tenants
) -> None:
    # given
    token = token_for(tokens, tenants.a_admin, tenants.a)
    # when
    own = await graphql(
        client, ORGANIZATION, {"id": to_global_id("Organization", tenants.a.id)}, token=token
    )
    other = await graphql(
        client, ORGANIZATION, {"id": to_global_id("Organization", tenants.b.id)}, token=token
    )
    # then
    assert own == {
        "data": {
            "organization": {
                "name": "A社",
                "members": A_MEMBERS,
                "invitations": {"nodes": [{"email": "candidate@a.example", "role": "MEMBER"}]},
            }
        }
    }
    assert other == {
        "data": {"organization": {"name": "B社", "members": {"nodes": []}, "invitations": None}}
    }


async def test_another_tenants_ids_look_exactly_like_missing_ones(
    sessions: SessionFactory, client, tokens, tenants: Tenants
) -> None:
    # given
    token = token_for(tokens, tenants.a_admin, tenants.a)
    ids = {
        "own membership": to_global_id("Membership", tenants.a_member_membership.id),
        "own invitation": to_global_id("Invitation", tenants.a_invitation.id),
        "B's membership": to_global_id("Membership", tenants.b_member_membership.id),
        "B's invitation": to_global_id("Invitation", tenants.b_invitation.id),
        "missing membership": to_global_id("Membership", uuid.uuid4()),
        "missing invitation": to_global_id("Invitation", uuid.uuid4()),
    }
    # when
    found = {
        name: await graphql(client, NODE, {"id": id_}, token=token) for name, id_ in ids.items()
    }
    # then
    assert found["own membership"] == {
        "data": {"node": {"__typename": "Membership", "id": ids["own membership"]}}
    }
    assert found["own invitation"] == {
        "data": {"node": {"__typename": "Invitation", "id": ids["own invitation"]}}
    }
    assert found["B's membership"] == found["missing membership"] == {"data": {"node": None}}
    assert found["B's invitation"] == found["missing invitation"] == {"data": {"node": None}}


async def test_a_member_who_does_not_manage_sees_no_invitation_of_their_organization(
    sessions: SessionFactory, client, tokens, tenants: Tenants
) -> None:
    # given
    token = token_for(tokens, tenants.a_member, tenants.a)
    # when
    organization = await graphql(
        client, ORGANIZATION, {"id": to_global_id("Organization", tenants.a.id)}, token=token
    )
    node = await graphql(
        client, NODE, {"id": to_global_id("Invitation", tenants.a_invitation.id)}, token=token
    )
    # then
    assert organization == {
        "data": {"organization": {"name": "A社", "members": A_MEMBERS, "invitations": None}}
    }
    assert node == {"data": {"node": None}}


async def test_an_invitee_sees_their_own_pending_invitation_and_no_one_elses(
    sessions: SessionFactory, client, tokens, tenants: Tenants
) -> None:
    # given
    token = token_for(tokens, tenants.invitee)
    # when
    mine = await graphql(client, VIEWER_INVITATIONS, token=token)
    others = await graphql(
        client, NODE, {"id": to_global_id("Invitation", tenants.a_invitation.id)}, token=token
    )
    # then
    assert mine == {
        "data": {
            "viewer": {
                "invitations": [
                    {
                        "email": "invitee@example.jp",
                        "role": "MEMBER",
                        "organization": {"name": "B社"},
                    }
                ]
            }
        }
    }
    assert others == {"data": {"node": None}}


async def _execute(sessions: SessionFactory, viewer: Viewer, sql: str, **params: Any) -> int:
    """Run one statement as the application with this viewer; return the rows it changed."""
    async with sessions() as session, session.begin():
        await set_viewer(session, viewer)
        result = await session.execute(text(sql), params)
        return result.rowcount  # type: ignore[attr-defined, no-any-return]


async def test_a_member_cannot_change_another_organization_or_their_own(
    sessions: SessionFactory, tenants: Tenants
) -> None:
    # given
    member = await act_as(sessions, tenants.a_member, tenants.a)
    rename = "UPDATE organizations SET name = 'taken' WHERE id = :id"
    # when / then
    assert await _execute(sessions, member, rename, id=tenants.b.id) == 0
    assert await _execute(sessions, member, rename, id=tenants.a.id) == 0
    async with unit_of_work(sessions, Viewer.platform()) as session:
        names = set(await session.scalars(select(Organization.name)))
    assert names == {"A社", "B社"}


async def test_joining_an_organization_needs_an_invitation_for_that_role(
    sessions: SessionFactory, tenants: Tenants
) -> None:
    # given a user with no invitation to A, and the invitee of B (as MEMBER)
    stranger = await act_as(sessions, await create_user(sessions, "stranger@example.jp"))
    invitee = await act_as(sessions, tenants.invitee)
    join = (
        "INSERT INTO memberships (id, organization_id, user_id, role)"
        " VALUES (gen_random_uuid(), :organization, :user, :role)"
    )
    # when / then
    with pytest.raises(DBAPIError, match=_rls_refused("memberships")):
        await _execute(
            sessions,
            stranger,
            join,
            organization=tenants.a.id,
            user=stranger.user_id,
            role="MEMBER",
        )
    with pytest.raises(DBAPIError, match=_rls_refused("memberships")):
        await _execute(
            sessions, invitee, join, organization=tenants.b.id, user=invitee.user_id, role="OWNER"
        )
    assert (
        await _execute(
            sessions, invitee, join, organization=tenants.b.id, user=invitee.user_id, role="MEMBER"
        )
        == 1
    )


async def test_an_invitee_may_answer_an_invitation_but_not_rewrite_it(
    sessions: SessionFactory, tenants: Tenants
) -> None:
    # given
    invitee = await act_as(sessions, tenants.invitee)
    invitation = tenants.b_invitation.id
    # when / then: the role and the organization are not theirs to change
    for column, value in (("role", "OWNER"), ("organization_id", tenants.a.id)):
        with pytest.raises(DBAPIError, match="permission denied for table invitations"):
            await _execute(
                sessions,
                invitee,
                f"UPDATE invitations SET {column} = :value WHERE id = :id",
                value=value,
                id=invitation,
            )
    answer = "UPDATE invitations SET status = 'DECLINED', responded_at = now() WHERE id = :id"
    assert await _execute(sessions, invitee, answer, id=invitation) == 1


async def test_a_removed_member_cannot_reopen_their_invitation_to_rejoin(
    sessions: SessionFactory, tenants: Tenants
) -> None:
    # given the invitee joined B and was then removed by B's owner
    invitee = await act_as(sessions, tenants.invitee)
    async with unit_of_work(sessions, invitee) as session:
        membership = await organizations.accept_invitation(
            session, invitee, invitation_id=tenants.b_invitation.id
        )
    owner = await act_as(sessions, tenants.b_owner, tenants.b)
    async with unit_of_work(sessions, owner) as session:
        await organizations.remove_member(session, owner, membership_id=membership.id)
    # when they try to turn their answered invitation back into a pending one
    reopen = "UPDATE invitations SET status = 'PENDING', responded_at = NULL WHERE id = :id"
    reopened = await _execute(sessions, invitee, reopen, id=tenants.b_invitation.id)
    # then nothing changes, and they cannot join again
    assert reopened == 0
    with pytest.raises(DBAPIError, match=_rls_refused("memberships")):
        await _execute(
            sessions,
            invitee,
            "INSERT INTO memberships (id, organization_id, user_id, role)"
            " VALUES (gen_random_uuid(), :organization, :user, 'MEMBER')",
            organization=tenants.b.id,
            user=invitee.user_id,
        )


async def test_only_an_owner_grants_or_takes_away_ownership(
    sessions: SessionFactory, tenants: Tenants
) -> None:
    # given A's admin
    admin = await act_as(sessions, tenants.a_admin, tenants.a)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        owner_membership = await session.scalar(
            select(Membership.id).where(Membership.user_id == tenants.a_owner.id)
        )
    # when / then: they cannot make themselves or a newcomer owner
    promote = "UPDATE memberships SET role = 'OWNER' WHERE id = :id"
    with pytest.raises(DBAPIError, match=_rls_refused("memberships")):
        await _execute(sessions, admin, promote, id=tenants.a_admin_membership.id)
    with pytest.raises(DBAPIError, match=_rls_refused("invitations")):
        await _execute(
            sessions,
            admin,
            "INSERT INTO invitations (id, organization_id, email, role, status, expires_at)"
            " VALUES (gen_random_uuid(), :organization, 'heir@example.jp', 'OWNER', 'PENDING',"
            " now() + interval '1 day')",
            organization=tenants.a.id,
        )
    # nor demote or remove the owner
    demote = "UPDATE memberships SET role = 'MEMBER' WHERE id = :id"
    assert await _execute(sessions, admin, demote, id=owner_membership) == 0
    assert (
        await _execute(
            sessions, admin, "DELETE FROM memberships WHERE id = :id", id=owner_membership
        )
        == 0
    )
    # while what an admin may do still works
    assert (
        await _execute(
            sessions,
            admin,
            "UPDATE memberships SET role = 'VIEWER' WHERE id = :id",
            id=tenants.a_member_membership.id,
        )
        == 1
    )
