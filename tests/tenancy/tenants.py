"""Two organizations, A and B, with owners, an admin, members and pending invitations."""

from __future__ import annotations

from dataclasses import dataclass

from factories import act_as, add_member, create_organization, create_user
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import User
from renkei.organizations import service as organizations
from renkei.organizations.models import Invitation, Membership, Organization
from renkei.tenancy import MembershipRole


async def invite(
    sessions: SessionFactory,
    organization: Organization,
    inviter: User,
    email: str,
    role: MembershipRole = MembershipRole.MEMBER,
) -> Invitation:
    """An invitation, sent through the service as the inviter would send it."""
    viewer = await act_as(sessions, inviter, organization)
    async with unit_of_work(sessions, viewer) as session:
        return await organizations.invite_member(
            session, viewer, organization_id=organization.id, email=email, role=role
        )


@dataclass
class Tenants:
    a: Organization
    a_owner: User
    a_admin: User
    a_member: User
    a_admin_membership: Membership
    a_member_membership: Membership
    a_invitation: Invitation
    b: Organization
    b_owner: User
    b_member: User
    b_member_membership: Membership
    b_invitation: Invitation
    invitee: User


async def create_tenants(sessions: SessionFactory) -> Tenants:
    a_owner = await create_user(sessions, "owner@a.example")
    a_admin = await create_user(sessions, "admin@a.example")
    a_member = await create_user(sessions, "member@a.example")
    b_owner = await create_user(sessions, "owner@b.example")
    b_member = await create_user(sessions, "member@b.example")
    invitee = await create_user(sessions, "invitee@example.jp")
    a = await create_organization(sessions, a_owner, slug="org-a", name="A社")
    b = await create_organization(sessions, b_owner, slug="org-b", name="B社")
    a_admin_membership = await add_member(sessions, a, a_owner, a_admin, MembershipRole.ADMIN)
    a_member_membership = await add_member(sessions, a, a_owner, a_member)
    b_member_membership = await add_member(sessions, b, b_owner, b_member)
    return Tenants(
        a=a,
        a_owner=a_owner,
        a_admin=a_admin,
        a_member=a_member,
        a_admin_membership=a_admin_membership,
        a_member_membership=a_member_membership,
        a_invitation=await invite(sessions, a, a_owner, "candidate@a.example"),
        b=b,
        b_owner=b_owner,
        b_member=b_member,
        b_member_membership=b_member_membership,
        b_invitation=await invite(sessions, b, b_owner, invitee.email),
        invitee=invitee,
    )
