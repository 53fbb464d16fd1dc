"""Members over GraphQL: invitations and answers, roles, removal, one person in two places."""

from __future__ import annotations

from typing import Any

import pytest

from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.graphql.relay import to_global_id
from renkei.tenancy import MembershipRole

INVITE_MEMBER = """
mutation InviteMember($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    invitation { email role status organization { name } }
    userErrors { field code message }
  }
}
"""

MY_INVITATIONS = """
query MyInvitations {
  viewer { invitations { id email role status organization { name } } }
}
"""

ACCEPT_INVITATION = """
mutation AcceptInvitation($input: AnswerInvitationInput!) {
  acceptInvitation(input: $input) {
    membership { role organization { name } user { email } }
    userErrors { field code message }
  }
}
"""

DECLINE_INVITATION = """
mutation DeclineInvitation($input: AnswerInvitationInput!) {
  declineInvitation(input: $input) {
    invitation { email status }
    userErrors { field code message }
  }
}
"""

CHANGE_MEMBER_ROLE = """
mutation ChangeMemberRole($input: ChangeMemberRoleInput!) {
  changeMemberRole(input: $input) {
    membership { role user { email } }
    userErrors { field code message }
  }
}
"""

REMOVE_MEMBER = """
mutation RemoveMember($input: RemoveMemberInput!) {
  removeMember(input: $input) {
    removedMembershipId
    userErrors { field code message }
  }
}
"""

MEMBERS = """
query Members {
  viewer {
    role
    actingOrganization { name members { nodes { id role user { email } } } }
  }
}
"""

PENDING_INVITATIONS = """
query PendingInvitations {
  viewer { actingOrganization { invitations { nodes { email role } } } }
}
"""

ACTING = """
query Acting { viewer { role actingOrganization { name } } }
"""

FORBIDDEN_TO_MANAGE = {
    "field": None,
    "code": "FORBIDDEN",
    "message": "only the organization's owners and admins may do this",
}
LAST_OWNER = {
    "field": "membershipId",
    "code": "LAST_OWNER",
    "message": "an organization keeps at least one owner: make someone else owner first",
}


def invite(organization: Any, email: str, role: str = "MEMBER") -> dict[str, Any]:
    return {
        "input": {
            "organizationId": to_global_id("Organization", organization.id),
            "email": email,
            "role": role,
        }
    }


def membership_input(membership_id: str, **fields: Any) -> dict[str, Any]:
    return {"input": {"membershipId": membership_id, **fields}}


async def roster(client: Any, token: str) -> dict[str, tuple[str, str]]:
    """email -> (membership id, role) of the token's acting organization, as its members see it."""
    body = await graphql(client, MEMBERS, token=token)
    nodes = body["data"]["viewer"]["actingOrganization"]["members"]["nodes"]
    return {n["user"]["email"]: (n["id"], n["role"]) for n in nodes}


async def roles(client: Any, token: str) -> dict[str, str]:
    return {email: role for email, (_, role) in (await roster(client, token)).items()}


@pytest.fixture
async def kumamoto(sessions):
    """熊本半導体: an owner, an admin and a member."""
    owner = await create_user(sessions, "owner@kumamoto.example")
    admin = await create_user(sessions, "admin@kumamoto.example")
    member = await create_user(sessions, "member@kumamoto.example")
    organization = await create_organization(sessions, owner, slug="kumamoto", name="熊本半導体")
    await add_member(sessions, organization, owner, admin, MembershipRole.ADMIN)
    await add_member(sessions, organization, owner, member, MembershipRole.MEMBER)
    return organization, owner, admin, member


# --- inviteMember -------------------------------------------------------------------------------


async def test_an_admin_invites_and_the_invitee_sees_the_invitation(
    sessions, client, tokens, kumamoto
):
    # given
    organization, _, admin, _ = kumamoto
    invitee = await create_user(sessions, "engineer@fukuoka.example")
    # when
    body = await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, " Engineer@Fukuoka.Example "),
        token=token_for(tokens, admin, organization),
    )
    # then
    assert body["data"]["inviteMember"] == {
        "invitation": {
            "email": "engineer@fukuoka.example",
            "role": "MEMBER",
            "status": "PENDING",
            "organization": {"name": "熊本半導体"},
        },
        "userErrors": [],
    }
    mine = await graphql(client, MY_INVITATIONS, token=token_for(tokens, invitee))
    assert [
        {k: v for k, v in i.items() if k != "id"} for i in mine["data"]["viewer"]["invitations"]
    ] == [
        {
            "email": "engineer@fukuoka.example",
            "role": "MEMBER",
            "status": "PENDING",
            "organization": {"name": "熊本半導体"},
        }
    ]


async def test_a_second_pending_invitation_to_the_same_address_is_a_duplicate(
    sessions, client, tokens, kumamoto
):
    # given
    organization, owner, admin, _ = kumamoto
    await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, "engineer@fukuoka.example"),
        token=token_for(tokens, owner, organization),
    )
    # when
    body = await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, "ENGINEER@fukuoka.example", "ADMIN"),
        token=token_for(tokens, admin, organization),
    )
    # then
    assert body["data"]["inviteMember"] == {
        "invitation": None,
        "userErrors": [
            {
                "field": "email",
                "code": "DUPLICATE",
                "message": "engineer@fukuoka.example already has a pending invitation",
            }
        ],
    }
    pending = await graphql(
        client, PENDING_INVITATIONS, token=token_for(tokens, owner, organization)
    )
    assert pending["data"]["viewer"]["actingOrganization"]["invitations"]["nodes"] == [
        {"email": "engineer@fukuoka.example", "role": "MEMBER"}
    ]


@pytest.mark.parametrize("role", [MembershipRole.MEMBER, MembershipRole.VIEWER])
async def test_a_member_who_does_not_manage_cannot_invite(sessions, client, tokens, role):
    # given
    owner = await create_user(sessions, "owner@saga.example")
    organization = await create_organization(sessions, owner, name="佐賀電子")
    member = await create_user(sessions, "member@saga.example")
    await add_member(sessions, organization, owner, member, role)
    invitee = await create_user(sessions, "friend@saga.example")
    # when
    body = await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, "friend@saga.example"),
        token=token_for(tokens, member, organization),
    )
    # then
    assert body["data"]["inviteMember"] == {"invitation": None, "userErrors": [FORBIDDEN_TO_MANAGE]}
    mine = await graphql(client, MY_INVITATIONS, token=token_for(tokens, invitee))
    assert mine == {"data": {"viewer": {"invitations": []}}}


async def test_an_admin_cannot_invite_an_owner_but_an_owner_can(sessions, client, tokens, kumamoto):
    # given
    organization, owner, admin, _ = kumamoto
    # when
    by_admin = await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, "heir@kumamoto.example", "OWNER"),
        token=token_for(tokens, admin, organization),
    )
    by_owner = await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, "heir@kumamoto.example", "OWNER"),
        token=token_for(tokens, owner, organization),
    )
    # then
    assert by_admin["data"]["inviteMember"] == {
        "invitation": None,
        "userErrors": [
            {
                "field": "role",
                "code": "FORBIDDEN",
                "message": "only an owner may make someone an owner",
            }
        ],
    }
    assert by_owner["data"]["inviteMember"]["userErrors"] == []
    assert by_owner["data"]["inviteMember"]["invitation"]["role"] == "OWNER"


# --- acceptInvitation / declineInvitation -------------------------------------------------------


async def invitation_of(client: Any, token: str) -> str:
    """The id of the one invitation waiting for the token's user."""
    body = await graphql(client, MY_INVITATIONS, token=token)
    (invitation,) = body["data"]["viewer"]["invitations"]
    return invitation["id"]


async def test_accepting_makes_a_membership_with_the_invited_role(
    sessions, client, tokens, kumamoto
):
    # given
    organization, owner, _, _ = kumamoto
    invitee = await create_user(sessions, "engineer@fukuoka.example")
    await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, invitee.email, "ADMIN"),
        token=token_for(tokens, owner, organization),
    )
    invitee_token = token_for(tokens, invitee)
    invitation_id = await invitation_of(client, invitee_token)
    # when
    body = await graphql(
        client, ACCEPT_INVITATION, {"input": {"invitationId": invitation_id}}, token=invitee_token
    )
    # then
    assert body["data"]["acceptInvitation"] == {
        "membership": {
            "role": "ADMIN",
            "organization": {"name": "熊本半導体"},
            "user": {"email": "engineer@fukuoka.example"},
        },
        "userErrors": [],
    }
    members = await roles(client, token_for(tokens, invitee, organization))
    assert members["engineer@fukuoka.example"] == "ADMIN"
    mine = await graphql(client, MY_INVITATIONS, token=invitee_token)
    assert mine == {"data": {"viewer": {"invitations": []}}}


async def test_someone_elses_invitation_cannot_be_accepted(sessions, client, tokens, kumamoto):
    # given
    organization, owner, admin, _ = kumamoto
    invitee = await create_user(sessions, "engineer@fukuoka.example")
    stranger = await create_user(sessions, "stranger@example.jp")
    await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, invitee.email),
        token=token_for(tokens, owner, organization),
    )
    invitation_id = await invitation_of(client, token_for(tokens, invitee))
    not_yours = {
        "membership": None,
        "userErrors": [
            {"field": "invitationId", "code": "NOT_FOUND", "message": "no such invitation for you"}
        ],
    }
    # when
    by_stranger = await graphql(
        client,
        ACCEPT_INVITATION,
        {"input": {"invitationId": invitation_id}},
        token=token_for(tokens, stranger),
    )
    # The admin may see the invitation, but it is not theirs to accept either.
    by_admin = await graphql(
        client,
        ACCEPT_INVITATION,
        {"input": {"invitationId": invitation_id}},
        token=token_for(tokens, admin),
    )
    # then
    assert by_stranger["data"]["acceptInvitation"] == not_yours
    assert by_admin["data"]["acceptInvitation"] == not_yours
    members = await roles(client, token_for(tokens, owner, organization))
    assert "stranger@example.jp" not in members
    assert await invitation_of(client, token_for(tokens, invitee)) == invitation_id


async def test_an_invitation_is_accepted_once(sessions, client, tokens, kumamoto):
    # given
    organization, owner, _, _ = kumamoto
    invitee = await create_user(sessions, "engineer@fukuoka.example")
    await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, invitee.email, "VIEWER"),
        token=token_for(tokens, owner, organization),
    )
    invitee_token = token_for(tokens, invitee)
    answer = {"input": {"invitationId": await invitation_of(client, invitee_token)}}
    await graphql(client, ACCEPT_INVITATION, answer, token=invitee_token)
    # when
    body = await graphql(client, ACCEPT_INVITATION, answer, token=invitee_token)
    # then
    assert body["data"]["acceptInvitation"] == {
        "membership": None,
        "userErrors": [
            {
                "field": "invitationId",
                "code": "CONFLICT",
                "message": "this invitation was accepted already",
            }
        ],
    }
    assert (await roles(client, token_for(tokens, owner, organization)))[invitee.email] == "VIEWER"


async def test_a_declined_invitation_is_gone_and_cannot_be_accepted(
    sessions, client, tokens, kumamoto
):
    # given
    organization, owner, _, _ = kumamoto
    invitee = await create_user(sessions, "engineer@fukuoka.example")
    await graphql(
        client,
        INVITE_MEMBER,
        invite(organization, invitee.email),
        token=token_for(tokens, owner, organization),
    )
    invitee_token = token_for(tokens, invitee)
    answer = {"input": {"invitationId": await invitation_of(client, invitee_token)}}
    # when
    declined = await graphql(client, DECLINE_INVITATION, answer, token=invitee_token)
    # then
    assert declined["data"]["declineInvitation"] == {
        "invitation": {"email": "engineer@fukuoka.example", "status": "DECLINED"},
        "userErrors": [],
    }
    mine = await graphql(client, MY_INVITATIONS, token=invitee_token)
    assert mine == {"data": {"viewer": {"invitations": []}}}
    accepted = await graphql(client, ACCEPT_INVITATION, answer, token=invitee_token)
    assert accepted["data"]["acceptInvitation"] == {
        "membership": None,
        "userErrors": [
            {
                "field": "invitationId",
                "code": "CONFLICT",
                "message": "this invitation was declined already",
            }
        ],
    }
    assert invitee.email not in await roles(client, token_for(tokens, owner, organization))


# --- changeMemberRole ---------------------------------------------------------------------------


async def test_an_admin_promotes_a_member_to_admin(sessions, client, tokens, kumamoto):
    # given
    organization, _, admin, member = kumamoto
    admin_token = token_for(tokens, admin, organization)
    member_id, _ = (await roster(client, admin_token))[member.email]
    # when
    body = await graphql(
        client, CHANGE_MEMBER_ROLE, membership_input(member_id, role="ADMIN"), token=admin_token
    )
    # then
    assert body["data"]["changeMemberRole"] == {
        "membership": {"role": "ADMIN", "user": {"email": "member@kumamoto.example"}},
        "userErrors": [],
    }
    assert (await roles(client, admin_token))[member.email] == "ADMIN"
    promoted = await graphql(client, MEMBERS, token=token_for(tokens, member, organization))
    assert promoted["data"]["viewer"]["role"] == "ADMIN"


async def test_an_admin_can_neither_make_nor_unmake_an_owner(sessions, client, tokens, kumamoto):
    # given
    organization, owner, admin, member = kumamoto
    admin_token = token_for(tokens, admin, organization)
    members = await roster(client, admin_token)
    # when
    make = await graphql(
        client,
        CHANGE_MEMBER_ROLE,
        membership_input(members[member.email][0], role="OWNER"),
        token=admin_token,
    )
    unmake = await graphql(
        client,
        CHANGE_MEMBER_ROLE,
        membership_input(members[owner.email][0], role="MEMBER"),
        token=admin_token,
    )
    # then
    assert make["data"]["changeMemberRole"] == {
        "membership": None,
        "userErrors": [
            {
                "field": "role",
                "code": "FORBIDDEN",
                "message": "only an owner may make someone an owner",
            }
        ],
    }
    assert unmake["data"]["changeMemberRole"] == {
        "membership": None,
        "userErrors": [
            {
                "field": "membershipId",
                "code": "FORBIDDEN",
                "message": "only an owner may change the role of an owner",
            }
        ],
    }
    assert await roles(client, admin_token) == {
        owner.email: "OWNER",
        admin.email: "ADMIN",
        member.email: "MEMBER",
    }


async def test_the_last_owner_cannot_step_down(sessions, client, tokens, kumamoto):
    # given
    organization, owner, _, _ = kumamoto
    owner_token = token_for(tokens, owner, organization)
    own_id, _ = (await roster(client, owner_token))[owner.email]
    # when
    body = await graphql(
        client, CHANGE_MEMBER_ROLE, membership_input(own_id, role="ADMIN"), token=owner_token
    )
    # then
    assert body["data"]["changeMemberRole"] == {"membership": None, "userErrors": [LAST_OWNER]}
    assert (await roles(client, owner_token))[owner.email] == "OWNER"


async def test_with_a_second_owner_the_first_can_step_down(sessions, client, tokens, kumamoto):
    # given
    organization, owner, admin, _ = kumamoto
    owner_token = token_for(tokens, owner, organization)
    members = await roster(client, owner_token)
    promoted = await graphql(
        client,
        CHANGE_MEMBER_ROLE,
        membership_input(members[admin.email][0], role="OWNER"),
        token=owner_token,
    )
    assert promoted["data"]["changeMemberRole"]["userErrors"] == []
    # when
    body = await graphql(
        client,
        CHANGE_MEMBER_ROLE,
        membership_input(members[owner.email][0], role="ADMIN"),
        token=owner_token,
    )
    # then
    assert body["data"]["changeMemberRole"] == {
        "membership": {"role": "ADMIN", "user": {"email": "owner@kumamoto.example"}},
        "userErrors": [],
    }
    after = await roles(client, token_for(tokens, admin, organization))
    assert (after[owner.email], after[admin.email]) == ("ADMIN", "OWNER")


# --- removeMember -------------------------------------------------------------------------------


async def test_an_owner_removes_a_member(sessions, client, tokens, kumamoto):
    # given
    organization, owner, admin, member = kumamoto
    owner_token = token_for(tokens, owner, organization)
    member_id, _ = (await roster(client, owner_token))[member.email]
    # when
    body = await graphql(client, REMOVE_MEMBER, membership_input(member_id), token=owner_token)
    # then
    assert body["data"]["removeMember"] == {"removedMembershipId": member_id, "userErrors": []}
    assert await roles(client, owner_token) == {owner.email: "OWNER", admin.email: "ADMIN"}
    gone = await graphql(client, MEMBERS, token=token_for(tokens, member, organization))
    assert gone["data"]["viewer"] == {"role": None, "actingOrganization": None}


async def test_the_last_owner_cannot_be_removed(sessions, client, tokens, kumamoto):
    # given
    organization, owner, _, _ = kumamoto
    owner_token = token_for(tokens, owner, organization)
    own_id, _ = (await roster(client, owner_token))[owner.email]
    # when
    body = await graphql(client, REMOVE_MEMBER, membership_input(own_id), token=owner_token)
    # then
    assert body["data"]["removeMember"] == {"removedMembershipId": None, "userErrors": [LAST_OWNER]}
    assert (await roles(client, owner_token))[owner.email] == "OWNER"


async def test_an_admin_cannot_remove_an_owner_nor_a_member_remove_anyone(
    sessions, client, tokens, kumamoto
):
    # given
    organization, owner, admin, member = kumamoto
    owner_token = token_for(tokens, owner, organization)
    members = await roster(client, owner_token)
    # when
    by_admin = await graphql(
        client,
        REMOVE_MEMBER,
        membership_input(members[owner.email][0]),
        token=token_for(tokens, admin, organization),
    )
    by_member = await graphql(
        client,
        REMOVE_MEMBER,
        membership_input(members[admin.email][0]),
        token=token_for(tokens, member, organization),
    )
    # then
    assert by_admin["data"]["removeMember"] == {
        "removedMembershipId": None,
        "userErrors": [
            {
                "field": "membershipId",
                "code": "FORBIDDEN",
                "message": "only an owner may remove an owner",
            }
        ],
    }
    assert by_member["data"]["removeMember"] == {
        "removedMembershipId": None,
        "userErrors": [FORBIDDEN_TO_MANAGE],
    }
    assert len(await roles(client, owner_token)) == 3


async def test_an_owner_of_another_organization_cannot_remove_a_member(
    sessions, client, tokens, kumamoto
):
    # given
    organization, owner, _, member = kumamoto
    members = await roster(client, token_for(tokens, owner, organization))
    rival = await create_user(sessions, "owner@oita.example")
    elsewhere = await create_organization(sessions, rival, name="大分半導体")
    # when
    body = await graphql(
        client,
        REMOVE_MEMBER,
        membership_input(members[member.email][0]),
        token=token_for(tokens, rival, elsewhere),
    )
    # then: another tenant's membership is hidden, exactly as a missing one
    assert body["data"]["removeMember"] == {
        "removedMembershipId": None,
        "userErrors": [
            {"field": "membershipId", "code": "NOT_FOUND", "message": "no such membership"}
        ],
    }
    assert member.email in await roles(client, token_for(tokens, owner, organization))


# --- one person in two organizations ------------------------------------------------------------


async def test_a_person_in_two_organizations_acts_with_the_role_of_the_tokens_organization(
    sessions, client, tokens
):
    # given
    person = await create_user(sessions, "coordinator@kyushu.example")
    fukuoka_owner = await create_user(sessions, "owner@fukuoka.example")
    kumamoto_owner = await create_user(sessions, "owner@kumamoto.example")
    fukuoka = await create_organization(sessions, fukuoka_owner, name="福岡半導体")
    kumamoto = await create_organization(sessions, kumamoto_owner, name="熊本半導体")
    elsewhere = await create_organization(sessions, kumamoto_owner, name="鹿児島半導体")
    await add_member(sessions, fukuoka, fukuoka_owner, person, MembershipRole.ADMIN)
    await add_member(sessions, kumamoto, kumamoto_owner, person, MembershipRole.VIEWER)
    # when
    as_fukuoka = await graphql(client, ACTING, token=token_for(tokens, person, fukuoka))
    as_kumamoto = await graphql(client, ACTING, token=token_for(tokens, person, kumamoto))
    as_stranger = await graphql(client, ACTING, token=token_for(tokens, person, elsewhere))
    invite_from_kumamoto = await graphql(
        client,
        INVITE_MEMBER,
        invite(fukuoka, "friend@fukuoka.example"),
        token=token_for(tokens, person, kumamoto),
    )
    # then
    assert as_fukuoka["data"]["viewer"] == {
        "role": "ADMIN",
        "actingOrganization": {"name": "福岡半導体"},
    }
    assert as_kumamoto["data"]["viewer"] == {
        "role": "VIEWER",
        "actingOrganization": {"name": "熊本半導体"},
    }
    assert as_stranger["data"]["viewer"] == {"role": None, "actingOrganization": None}
    # An admin of 福岡 acting for 熊本 manages neither.
    assert invite_from_kumamoto["data"]["inviteMember"] == {
        "invitation": None,
        "userErrors": [FORBIDDEN_TO_MANAGE],
    }
