"""The inbox: a person reads and marks read their own notifications, each about one object,
in their own language; nobody else's, through any path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx2
import psycopg
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from api.conftest import Compare
from factories import act_as, add_member, create_organization, create_user, graphql, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.i18n.messages import translate_in
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone, MilestoneStatus, status_label
from renkei.notifications.models import Notification
from renkei.notifications.subjects import global_id
from renkei.organizations import service as organizations
from renkei.organizations.models import Organization
from renkei.outbox import OutboxMessage
from renkei.projects import service as projects
from renkei.projects.models import ProjectCategory, ProjectVisibility
from renkei.regions import service as regions
from renkei.tenancy import MembershipRole, Viewer
from renkei.workers.jobs import handle_message

TODAY = date(2026, 12, 6)

INBOX = """
query Inbox($unreadOnly: Boolean = false) {
  viewer {
    unreadNotificationCount
    notifications(last: 20, unreadOnly: $unreadOnly) {
      nodes { id kind subject body locale subjectId readAt createdAt }
      pageInfo { hasPreviousPage hasNextPage }
    }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) { id ... on Notification { subject readAt } ... on Invitation { email } }
}
"""

MARK = """
mutation Mark($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { readCount userErrors { field code message } }
}
"""


@dataclass
class World:
    sessions: SessionFactory
    tokens: TokenService
    lead: Organization
    owner: User
    member: User
    onlooker: User  # a VIEWER of the lead organization: not told
    other: User  # the owner of another organization
    other_org: Organization
    project_id: uuid.UUID

    async def act(self, user: User, organization: Organization | None, work: Any) -> Any:
        viewer = await act_as(self.sessions, user, organization)
        async with unit_of_work(self.sessions, viewer) as session:
            return await work(session, viewer)

    def token(self, user: User, organization: Organization | None = None) -> str:
        return token_for(self.tokens, user, organization)


async def _handle_all(sessions: SessionFactory, topic: str) -> None:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        ids = list(
            await session.scalars(select(OutboxMessage.id).where(OutboxMessage.topic == topic))
        )
    for message_id in ids:
        await handle_message(sessions, message_id)


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> World:
    owner = await create_user(sessions, "owner@inbox-lead.example")
    lead = await create_organization(sessions, owner, slug="inbox-lead")
    member = await create_user(sessions, "member@inbox-lead.example")
    onlooker = await create_user(sessions, "onlooker@inbox-lead.example")
    await add_member(sessions, lead, owner, member, MembershipRole.MEMBER)
    await add_member(sessions, lead, owner, onlooker, MembershipRole.VIEWER)
    other = await create_user(sessions, "owner@inbox-other.example")
    other_org = await create_organization(sessions, other, slug="inbox-other")
    w = World(sessions, tokens, lead, owner, member, onlooker, other, other_org, uuid.uuid4())
    region = await w.act(
        owner,
        lead,
        lambda s, v: regions.create_region(
            s, v, slug="inbox-kyushu", name="九州", prefecture_codes=["40", "43"]
        ),
    )
    project = await w.act(
        owner,
        lead,
        lambda s, v: projects.create_project(
            s,
            v,
            name="半導体人材",
            category=ProjectCategory.SEMICONDUCTOR,
            region_id=region.id,
            visibility=ProjectVisibility.REGION,
        ),
    )
    w.project_id = project.id
    return w


async def _started_milestone(w: World, title: str) -> Milestone:
    """A milestone of the lead's project, started by its member; the worker tells people."""
    milestone = await w.act(
        w.owner,
        w.lead,
        lambda s, v: milestones.create_milestone(
            s,
            v,
            project_id=w.project_id,
            title=title,
            due_on=TODAY + timedelta(days=40),
            horizon_years=1,
        ),
    )
    await w.act(
        w.member,
        w.lead,
        lambda s, v: milestones.change_milestone_status(
            s,
            v,
            milestone_id=milestone.id,
            version=milestone.version,
            status=MilestoneStatus.IN_PROGRESS,
        ),
    )
    await _handle_all(w.sessions, milestones.MILESTONE_STATUS_CHANGED)
    return milestone  # type: ignore[no-any-return]


async def _inbox(
    ask: Compare, w: World, user: User, organization: Organization | None, **variables: Any
) -> dict[str, Any]:
    data = await ask(INBOX, variables, token=w.token(user, organization))
    assert "errors" not in data, data
    return data["data"]["viewer"]  # type: ignore[no-any-return]


async def test_a_status_change_reaches_the_inbox_of_the_people_told_only(
    world: World, compiled_and_resolved: Compare
) -> None:
    # given a milestone the member starts
    milestone = await _started_milestone(world, "試作ライン稼働")
    # when its owner reads their inbox
    inbox = await _inbox(compiled_and_resolved, world, world.owner, world.lead)
    # then one unread entry about that milestone, in Japanese
    assert inbox["unreadNotificationCount"] == 1
    [entry] = inbox["notifications"]["nodes"]
    assert entry["kind"] == "milestone.status_changed"
    assert entry["subjectId"] == to_global_id("Milestone", milestone.id)
    assert entry["locale"] == "JA"
    assert entry["readAt"] is None
    assert entry["subject"] == translate_in(
        "ja",
        "「{milestone}」 is now {status}",
        milestone="試作ライン稼働",
        status=translate_in("ja", status_label(MilestoneStatus.IN_PROGRESS.value)),
    )
    # and the member has theirs; the organization's viewer and another organization none
    member = await _inbox(compiled_and_resolved, world, world.member, world.lead)
    assert member["unreadNotificationCount"] == 1
    for user, organization in ((world.onlooker, world.lead), (world.other, world.other_org)):
        nobody = await _inbox(compiled_and_resolved, world, user, organization)
        assert nobody["unreadNotificationCount"] == 0
        assert nobody["notifications"]["nodes"] == []


async def test_nobody_else_reads_or_marks_a_notification(
    world: World, compiled_and_resolved: Compare, client: httpx2.AsyncClient
) -> None:
    # given the owner's notification
    await _started_milestone(world, "試作ライン稼働")
    owners = await _inbox(compiled_and_resolved, world, world.owner, world.lead)
    notification_id = owners["notifications"]["nodes"][0]["id"]
    # when another organization's owner and the lead's viewer ask for it by id, and mark it
    for user, organization in ((world.other, world.other_org), (world.onlooker, world.lead)):
        token = world.token(user, organization)
        found = await compiled_and_resolved(NODE, {"id": notification_id}, token=token)
        # then it is null, as a missing one; and marking it counts nothing
        assert found == {"data": {"node": None}}
        marked = await graphql(client, MARK, {"input": {"ids": [notification_id]}}, token=token)
        assert marked["data"]["markNotificationsRead"] == {"readCount": 0, "userErrors": []}
        marked = await graphql(client, MARK, {"input": {"all": True}}, token=token)
        assert marked["data"]["markNotificationsRead"] == {"readCount": 0, "userErrors": []}
    # and the owner's is still unread, and theirs to read by id
    mine = await compiled_and_resolved(
        NODE, {"id": notification_id}, token=world.token(world.owner, world.lead)
    )
    assert mine["data"]["node"]["readAt"] is None
    assert (await _inbox(compiled_and_resolved, world, world.owner, world.lead))[
        "unreadNotificationCount"
    ] == 1


async def test_the_database_lets_a_person_change_only_when_they_read_their_own(
    world: World,
) -> None:
    # given the owner's notification
    await _started_milestone(world, "試作ライン稼働")
    owner = await act_as(world.sessions, world.owner, world.lead)
    other = await act_as(world.sessions, world.other, world.other_org)
    # when another person marks every notification read, straight in SQL
    async with unit_of_work(world.sessions, other) as session:
        result = await session.execute(update(Notification).values(read_at=text("now()")))
        # then row-level security hid the owner's from them
        assert result.rowcount == 0  # type: ignore[attr-defined]
    # and the owner may not rewrite what they were told, only when they read it
    with pytest.raises(DBAPIError) as refused:
        async with unit_of_work(world.sessions, owner) as session:
            await session.execute(update(Notification).values(subject="書き換え"))
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege)
    async with unit_of_work(world.sessions, owner) as session:
        result = await session.execute(update(Notification).values(read_at=text("now()")))
        assert result.rowcount == 1  # type: ignore[attr-defined]


async def test_unread_only_and_marking_by_ids_then_all(
    world: World, compiled_and_resolved: Compare, client: httpx2.AsyncClient
) -> None:
    # given two notifications of the owner, oldest first
    await _started_milestone(world, "試作ライン稼働")
    await _started_milestone(world, "量産開始")
    token = world.token(world.owner, world.lead)
    inbox = await _inbox(compiled_and_resolved, world, world.owner, world.lead)
    first, second = (n["id"] for n in inbox["notifications"]["nodes"])
    assert inbox["unreadNotificationCount"] == 2
    # when the first is marked read by id (twice: the second time changes nothing)
    marked = await graphql(client, MARK, {"input": {"ids": [first]}}, token=token)
    assert marked["data"]["markNotificationsRead"] == {"readCount": 1, "userErrors": []}
    marked = await graphql(client, MARK, {"input": {"ids": [first]}}, token=token)
    assert marked["data"]["markNotificationsRead"]["readCount"] == 0
    # then unreadOnly lists the second alone, and the count says one
    unread = await _inbox(compiled_and_resolved, world, world.owner, world.lead, unreadOnly=True)
    assert [n["id"] for n in unread["notifications"]["nodes"]] == [second]
    assert unread["unreadNotificationCount"] == 1
    everything = await _inbox(compiled_and_resolved, world, world.owner, world.lead)
    assert [n["readAt"] is None for n in everything["notifications"]["nodes"]] == [False, True]
    # when all are marked read
    marked = await graphql(client, MARK, {"input": {"all": True}}, token=token)
    assert marked["data"]["markNotificationsRead"] == {"readCount": 1, "userErrors": []}
    # then none is unread
    unread = await _inbox(compiled_and_resolved, world, world.owner, world.lead, unreadOnly=True)
    assert unread["unreadNotificationCount"] == 0
    assert unread["notifications"]["nodes"] == []


async def test_marking_takes_ids_or_all_exactly(world: World, client: httpx2.AsyncClient) -> None:
    token = world.token(world.owner, world.lead)
    milestone_id = to_global_id("Milestone", uuid.uuid4())
    unknown = to_global_id("Notification", uuid.uuid4())
    cases = [
        ({"ids": [unknown], "all": True}, "INVALID", "ids"),
        ({}, "INVALID", "ids"),
        ({"ids": []}, "INVALID", "ids"),
        ({"ids": [milestone_id]}, "INVALID_ID", "ids"),
    ]
    for given, code, field in cases:
        marked = await graphql(client, MARK, {"input": given}, token=token, language="en")
        [error] = marked["data"]["markNotificationsRead"]["userErrors"]
        assert (error["code"], error["field"]) == (code, field), given
        assert marked["data"]["markNotificationsRead"]["readCount"] == 0


async def test_an_invitation_reaches_the_invitee_in_their_language_and_links_to_it(
    world: World, compiled_and_resolved: Compare
) -> None:
    # given a person who reads English, invited to the lead organization
    invitee = await create_user(world.sessions, "newcomer@inbox-elsewhere.example")
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        await session.execute(update(User).where(User.id == invitee.id).values(locale="en"))
    invitation = await world.act(
        world.owner,
        world.lead,
        lambda s, v: organizations.invite_member(
            s, v, organization_id=world.lead.id, email=invitee.email, role=MembershipRole.MEMBER
        ),
    )
    # when the worker handles it
    await _handle_all(world.sessions, organizations.INVITATION_CREATED)
    # then the invitee's inbox holds it, in English, linked to the invitation they can open
    inbox = await _inbox(compiled_and_resolved, world, invitee, None)
    [entry] = inbox["notifications"]["nodes"]
    assert entry["kind"] == organizations.INVITATION_CREATED
    assert entry["locale"] == "EN"
    assert entry["subject"] == "inbox-lead invites you to Renkei"
    assert entry["subjectId"] == to_global_id("Invitation", invitation.id)
    linked = await compiled_and_resolved(
        NODE, {"id": entry["subjectId"]}, token=world.token(invitee)
    )
    assert linked["data"]["node"]["email"] == invitee.email
    # and nobody of the organization was told of it
    owners = await _inbox(compiled_and_resolved, world, world.owner, world.lead)
    assert owners["notifications"]["nodes"] == []


@pytest.mark.parametrize("type_name", ["Milestone", "Invitation", "Match", "RegionMember"])
def test_the_domain_spells_global_ids_as_the_api(type_name: str) -> None:
    key = uuid.uuid4()
    assert global_id(type_name, key) == to_global_id(type_name, key)
    assert global_id(type_name, str(key)) == to_global_id(type_name, str(key))
