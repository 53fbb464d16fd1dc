"""Who takes part in a project (only by consent) and where its money comes from; only the lead's
owners and admins change either."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from renkei.db import unit_of_work
from renkei.graphql.relay import parse_global_id, to_global_id
from renkei.outbox import OutboxMessage
from renkei.projects.models import FundingKind, ParticipantRole
from renkei.tenancy import MembershipRole, Viewer

INVITE = """
mutation Invite($input: InviteProjectParticipantInput!) {
  inviteProjectParticipant(input: $input) {
    participant { id role status respondedAt organization { name } project { name } }
    userErrors { field code message }
  }
}
"""

ANSWER = """
mutation Answer($input: AnswerProjectParticipationInput!) {
  answerProjectParticipation(input: $input) {
    participant { role status respondedAt organization { name } }
    userErrors { field code message }
  }
}
"""

REMOVE_PARTICIPANT = """
mutation RemoveParticipant($input: RemoveProjectParticipantInput!) {
  removeProjectParticipant(input: $input) {
    removedParticipantId
    userErrors { field code message }
  }
}
"""

ADD_FUNDING = """
mutation AddFunding($input: AddFundingSourceInput!) {
  addFundingSource(input: $input) {
    fundingSource { id kind name amountJpy fiscalYear funder { name } project { name } }
    userErrors { field code message }
  }
}
"""

REMOVE_FUNDING = """
mutation RemoveFunding($input: RemoveFundingSourceInput!) {
  removeFundingSource(input: $input) {
    removedFundingSourceId
    userErrors { field code message }
  }
}
"""

UPDATE_PROJECT = """
mutation UpdateProject($input: UpdateProjectInput!) {
  updateProject(input: $input) { project { name } userErrors { field code message } }
}
"""

CHANGE_STATUS = """
mutation ChangeProjectStatus($input: ChangeProjectStatusInput!) {
  changeProjectStatus(input: $input) { project { status } userErrors { field code message } }
}
"""

DETAILS = """
query Details($id: ID!) {
  project(id: $id) {
    name status version
    participants { nodes { id role status organization { name } } }
    fundingSources { name amountJpy }
    totalFundingJpy
    activity { nodes { action } }
  }
}
"""

INVITATIONS = """
query Invitations {
  projectInvitations { id role status project { name lead { name } } }
}
"""

FORBIDDEN = {
    "field": None,
    "code": "FORBIDDEN",
    "message": "only the lead organization's owners and admins may change this project",
}


def gid(type_name: str, row: Any) -> str:
    return to_global_id(type_name, row.id)


def invite(project: Any, party: Any, role: str = "PARTNER") -> dict[str, Any]:
    return {
        "input": {
            "projectId": gid("Project", project),
            "organizationId": gid("Organization", party.organization),
            "role": role,
        }
    }


def answer(participant_id: str, accept: bool) -> dict[str, Any]:
    return {"input": {"participantId": participant_id, "accept": accept}}


def row_id(global_id: str) -> str:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def details(world: Any, project: Any, token: str) -> dict[str, Any] | None:
    data = await world.call(DETAILS, {"id": gid("Project", project)}, token=token)
    return data["project"]  # type: ignore[no-any-return]


@pytest.fixture
async def kumamoto_project(world):
    """熊本県 leads a project visible to its participants only; 九州大学 is asked to join."""
    kumamoto = await world.party("熊本県", "43")
    university = await world.party("九州大学", "40")
    project = await world.project(kumamoto)
    return kumamoto, university, project


async def test_an_invited_organization_joins_only_when_its_admin_accepts(world, kumamoto_project):
    # given
    kumamoto, university, project = kumamoto_project
    lead_token = await world.token(kumamoto, MembershipRole.ADMIN)
    guest_token = await world.token(university, MembershipRole.ADMIN)
    # when
    invited = (await world.call(INVITE, invite(project, university), token=lead_token))[
        "inviteProjectParticipant"
    ]
    # then: invited, not yet taking part; it sees the project's summary to decide, not its details
    assert invited["userErrors"] == []
    participant = invited["participant"]
    assert {k: participant[k] for k in ("role", "status", "respondedAt")} == {
        "role": "PARTNER",
        "status": "INVITED",
        "respondedAt": None,
    }
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        messages = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == "project.invited")
            )
        ).all()
    assert [m.payload for m in messages] == [{"participant_id": row_id(participant["id"])}]
    waiting = (await world.call(INVITATIONS, token=guest_token))["projectInvitations"]
    assert waiting == [
        {
            "id": participant["id"],
            "role": "PARTNER",
            "status": "INVITED",
            "project": {"name": "九州半導体人材育成", "lead": {"name": "熊本県"}},
        }
    ]
    seen = await details(world, project, guest_token)
    assert seen is not None
    assert seen["fundingSources"] == [] and seen["totalFundingJpy"] is None
    assert [p["organization"]["name"] for p in seen["participants"]["nodes"]] == ["九州大学"]
    # when
    accepted = (await world.call(ANSWER, answer(participant["id"], True), token=guest_token))[
        "answerProjectParticipation"
    ]
    # then
    assert accepted["userErrors"] == []
    assert accepted["participant"]["status"] == "ACTIVE"
    assert accepted["participant"]["respondedAt"] is not None
    assert (await world.call(INVITATIONS, token=guest_token))["projectInvitations"] == []
    seen = await details(world, project, guest_token)
    assert seen is not None
    assert [
        (p["organization"]["name"], p["role"], p["status"]) for p in seen["participants"]["nodes"]
    ] == [("熊本県", "LEAD", "ACTIVE"), ("九州大学", "PARTNER", "ACTIVE")]
    assert seen["totalFundingJpy"] == 0


async def test_a_declined_invitation_leaves_the_project_hidden(world, kumamoto_project):
    # given
    kumamoto, university, project = kumamoto_project
    lead_token = await world.token(kumamoto)
    guest_token = await world.token(university)
    invited = await world.call(INVITE, invite(project, university, "OBSERVER"), token=lead_token)
    participant_id = invited["inviteProjectParticipant"]["participant"]["id"]
    # when
    declined = await world.call(ANSWER, answer(participant_id, False), token=guest_token)
    again = await world.call(ANSWER, answer(participant_id, True), token=guest_token)
    # then
    assert declined["answerProjectParticipation"]["participant"]["status"] == "DECLINED"
    assert again["answerProjectParticipation"] == {
        "participant": None,
        "userErrors": [
            {
                "field": "participantId",
                "code": "CONFLICT",
                "message": "this invitation was answered already (declined)",
            }
        ],
    }
    assert await details(world, project, guest_token) is None
    assert (await world.call(INVITATIONS, token=guest_token))["projectInvitations"] == []
    lead_view = await details(world, project, lead_token)
    assert lead_view is not None
    assert [p["status"] for p in lead_view["participants"]["nodes"]] == ["ACTIVE", "DECLINED"]
    assert lead_view["activity"]["nodes"] == [{"action": "created"}]
    # when: asked again, in another role
    asked_again = await world.call(
        INVITE, invite(project, university, "SUPPORTER"), token=lead_token
    )
    # then
    assert asked_again["inviteProjectParticipant"]["participant"]["id"] == participant_id
    waiting = (await world.call(INVITATIONS, token=guest_token))["projectInvitations"]
    assert [(i["role"], i["status"]) for i in waiting] == [("SUPPORTER", "INVITED")]


async def test_nobody_but_the_invited_organizations_admins_answers(world, kumamoto_project):
    # given
    kumamoto, university, project = kumamoto_project
    bystander = await world.party("大分県", "44")
    invited = await world.call(
        INVITE, invite(project, university), token=await world.token(kumamoto)
    )
    participant_id = invited["inviteProjectParticipant"]["participant"]["id"]
    not_yours = {
        "field": "participantId",
        "code": "FORBIDDEN",
        "message": "only the invited organization's owners and admins may answer this invitation",
    }
    # when
    by_lead = await world.call(
        ANSWER, answer(participant_id, True), token=await world.token(kumamoto)
    )
    by_member = await world.call(
        ANSWER,
        answer(participant_id, True),
        token=await world.token(university, MembershipRole.MEMBER),
    )
    by_bystander = await world.call(
        ANSWER, answer(participant_id, True), token=await world.token(bystander)
    )
    # then
    assert by_lead["answerProjectParticipation"]["userErrors"] == [not_yours]
    assert by_member["answerProjectParticipation"]["userErrors"] == [not_yours]
    assert by_bystander["answerProjectParticipation"]["userErrors"] == [
        {"field": "participantId", "code": "NOT_FOUND", "message": "no such invitation"}
    ]
    waiting = await world.call(INVITATIONS, token=await world.token(university))
    assert [i["status"] for i in waiting["projectInvitations"]] == ["INVITED"]


async def test_invitations_that_break_a_rule_are_refused(world, kumamoto_project):
    # given
    kumamoto, university, project = kumamoto_project
    token = await world.token(kumamoto)
    await world.join(project, kumamoto, university, ParticipantRole.FUNDER)
    # when
    as_lead = await world.call(INVITE, invite(project, university, "LEAD"), token=token)
    twice = await world.call(INVITE, invite(project, university), token=token)
    itself = await world.call(INVITE, invite(project, kumamoto), token=token)
    # then
    assert as_lead["inviteProjectParticipant"]["userErrors"] == [
        {
            "field": "role",
            "code": "INVALID",
            "message": 'a project has one lead: invite as "partner", "funder", "supporter", or '
            '"observer"',
        }
    ]
    assert twice["inviteProjectParticipant"]["userErrors"] == [
        {"field": "organizationId", "code": "DUPLICATE", "message": "九州大学 takes part already"}
    ]
    assert itself["inviteProjectParticipant"]["userErrors"] == [
        {"field": "organizationId", "code": "DUPLICATE", "message": "熊本県 takes part already"}
    ]


async def test_the_lead_removes_a_participant_but_never_itself(world, kumamoto_project):
    # given
    kumamoto, university, project = kumamoto_project
    token = await world.token(kumamoto)
    joined = await world.join(project, kumamoto, university, ParticipantRole.SUPPORTER)
    lead_view = await details(world, project, token)
    assert lead_view is not None
    lead_id = lead_view["participants"]["nodes"][0]["id"]
    # when
    by_partner = await world.call(
        REMOVE_PARTICIPANT,
        {"input": {"participantId": lead_id}},
        token=await world.token(university),
    )
    lead_removed = await world.call(
        REMOVE_PARTICIPANT, {"input": {"participantId": lead_id}}, token=token
    )
    removed = await world.call(
        REMOVE_PARTICIPANT,
        {"input": {"participantId": gid("ProjectParticipant", joined)}},
        token=token,
    )
    # then
    assert by_partner["removeProjectParticipant"]["userErrors"] == [FORBIDDEN]
    assert lead_removed["removeProjectParticipant"] == {
        "removedParticipantId": None,
        "userErrors": [
            {
                "field": "participantId",
                "code": "INVALID",
                "message": "the lead organization cannot be removed from its project",
            }
        ],
    }
    assert removed["removeProjectParticipant"] == {
        "removedParticipantId": gid("ProjectParticipant", joined),
        "userErrors": [],
    }
    assert await details(world, project, await world.token(university)) is None
    lead_view = await details(world, project, token)
    assert lead_view is not None
    assert [p["organization"]["name"] for p in lead_view["participants"]["nodes"]] == ["熊本県"]


async def test_funding_sources_add_up_and_their_changes_are_recorded(world, kumamoto_project):
    # given
    kumamoto, bank, project = kumamoto_project
    token = await world.token(kumamoto, MembershipRole.ADMIN)
    await world.join(project, kumamoto, bank, ParticipantRole.FUNDER)

    def funding(**fields: Any) -> dict[str, Any]:
        return {"input": {"projectId": gid("Project", project), **fields}}

    # when
    grant = await world.call(
        ADD_FUNDING,
        funding(
            kind="NATIONAL_GRANT",
            name="新しい地方経済・生活環境創生交付金",
            amountJpy=3_000_000_000,
            fiscalYear=2025,
        ),
        token=token,
    )
    loan = await world.call(
        ADD_FUNDING,
        funding(
            kind="BANK_FINANCE",
            name="地域金融機関の融資",
            amountJpy=450_000_000,
            funderId=gid("Organization", bank.organization),
        ),
        token=token,
    )
    # then
    assert grant["addFundingSource"] == {
        "fundingSource": {
            "id": grant["addFundingSource"]["fundingSource"]["id"],
            "kind": "NATIONAL_GRANT",
            "name": "新しい地方経済・生活環境創生交付金",
            "amountJpy": 3_000_000_000,
            "fiscalYear": 2025,
            "funder": None,
            "project": {"name": "九州半導体人材育成"},
        },
        "userErrors": [],
    }
    assert loan["addFundingSource"]["fundingSource"]["funder"] == {"name": "九州大学"}
    funder_view = await details(world, project, await world.token(bank))
    assert funder_view is not None
    assert funder_view["totalFundingJpy"] == 3_450_000_000
    assert [f["name"] for f in funder_view["fundingSources"]] == [
        "新しい地方経済・生活環境創生交付金",
        "地域金融機関の融資",
    ]
    # when
    removed = await world.call(
        REMOVE_FUNDING,
        {"input": {"fundingSourceId": grant["addFundingSource"]["fundingSource"]["id"]}},
        token=token,
    )
    # then
    assert removed["removeFundingSource"]["userErrors"] == []
    view = await details(world, project, token)
    assert view is not None
    assert view["totalFundingJpy"] == 450_000_000
    assert [a["action"] for a in view["activity"]["nodes"]] == ["created"]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "an amount is more than 0 yen"),
        (-1_000_000, "an amount is more than 0 yen"),
        (1500.5, "an amount is a whole number of yen"),
    ],
)
async def test_a_funding_amount_is_a_positive_number_of_yen(
    world, kumamoto_project, amount, message
):
    # given
    kumamoto, _, project = kumamoto_project
    token = await world.token(kumamoto)
    # when
    data = await world.call(
        ADD_FUNDING,
        {
            "input": {
                "projectId": gid("Project", project),
                "kind": "CORPORATE_HOMETOWN_TAX",
                "name": "企業版ふるさと納税",
                "amountJpy": amount,
            }
        },
        token=token,
    )
    # then
    assert data["addFundingSource"] == {
        "fundingSource": None,
        "userErrors": [{"field": "amountJpy", "code": "INVALID", "message": message}],
    }
    view = await details(world, project, token)
    assert view is not None and view["fundingSources"] == [] and view["totalFundingJpy"] == 0


WRITES = {
    "updateProject": (
        UPDATE_PROJECT,
        lambda p, ctx: {"input": {"id": gid("Project", p), "version": 1, "name": "乗っ取り"}},
    ),
    "changeProjectStatus": (
        CHANGE_STATUS,
        lambda p, ctx: {"input": {"id": gid("Project", p), "status": "CANCELLED"}},
    ),
    "inviteProjectParticipant": (
        INVITE,
        lambda p, ctx: invite(p, ctx["stranger"]),
    ),
    "removeProjectParticipant": (
        REMOVE_PARTICIPANT,
        lambda p, ctx: {"input": {"participantId": ctx["partner_participant"]}},
    ),
    "addFundingSource": (
        ADD_FUNDING,
        lambda p, ctx: {
            "input": {
                "projectId": gid("Project", p),
                "kind": "SUBSIDY",
                "name": "補助金",
                "amountJpy": 1_000_000,
            }
        },
    ),
    "removeFundingSource": (
        REMOVE_FUNDING,
        lambda p, ctx: {"input": {"fundingSourceId": ctx["funding_source"]}},
    ),
}
ACTORS = {
    "lead MEMBER": ("lead", MembershipRole.MEMBER),
    "lead VIEWER": ("lead", MembershipRole.VIEWER),
    "partner OWNER": ("partner", MembershipRole.OWNER),
    "partner ADMIN": ("partner", MembershipRole.ADMIN),
}


@pytest.mark.parametrize("actor", ACTORS, ids=list(ACTORS))
@pytest.mark.parametrize("mutation", WRITES, ids=list(WRITES))
async def test_only_the_leads_owners_and_admins_change_a_project(world, mutation, actor):
    # given: a project with a partner and a funding source
    lead = await world.party("熊本県", "43")
    partner = await world.party("九州大学", "40")
    stranger = await world.party("佐賀県", "41")
    project = await world.project(lead)
    joined = await world.join(project, lead, partner, ParticipantRole.PARTNER)
    lead_token = await world.token(lead)
    added = await world.call(
        ADD_FUNDING,
        {
            "input": {
                "projectId": gid("Project", project),
                "kind": FundingKind.NATIONAL_GRANT.value,
                "name": "交付金",
                "amountJpy": 10_000_000,
            }
        },
        token=lead_token,
    )
    context = {
        "stranger": stranger,
        "partner_participant": gid("ProjectParticipant", joined),
        "funding_source": added["addFundingSource"]["fundingSource"]["id"],
    }
    before = await details(world, project, lead_token)
    document, variables = WRITES[mutation]
    party, role = ACTORS[actor]
    token = await world.token(lead if party == "lead" else partner, role)
    # when
    data = await world.call(document, variables(project, context), token=token)
    # then
    assert data[mutation]["userErrors"] == [FORBIDDEN]
    assert await details(world, project, lead_token) == before
