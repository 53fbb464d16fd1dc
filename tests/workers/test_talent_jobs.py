"""Talent jobs through the outbox: recomputes on change and nightly, both sides told once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from factories import act_as
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.notifications.models import Notification
from renkei.outbox import OutboxMessage
from renkei.talent import lifecycle, service
from renkei.talent import tasks as talent_tasks
from renkei.talent.models import Match, MatchStatus, NeedStatus, Professional
from renkei.tenancy import Viewer
from renkei.workers.jobs import handle_message
from talent.talent_world import (
    TalentWorld,
    create_talent_world,
    need_fields,
    profile_fields,
    proposals_of,
)

NIGHT = date(2026, 11, 22)


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    return await create_talent_world(sessions, tokens)


async def _messages(sessions: SessionFactory, topic: str) -> list[OutboxMessage]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == topic)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
        return list(rows.all())


async def _notifications(sessions: SessionFactory, kind: str) -> list[tuple[str, str, str]]:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Notification.recipient_email, Notification.subject, Notification.body)
            .where(Notification.kind == kind)
            .order_by(Notification.recipient_email, Notification.subject)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def _subjects(sessions: SessionFactory, kind: str) -> dict[str, str | None]:
    """What each recipient's notification of a kind is about (a global id), by recipient."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Notification.recipient_email, Notification.subject_id).where(
                Notification.kind == kind
            )
        )
        return {email: subject for email, subject in rows.all()}


async def _handle_all(sessions: SessionFactory, topic: str) -> None:
    for message in await _messages(sessions, topic):
        await handle_message(sessions, message.id)


async def _statuses(sessions: SessionFactory, world: TalentWorld) -> dict[str, MatchStatus]:
    """Match status by the professional's contact email."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(Professional.contact_email, Match.status)
            .join(Match, Match.professional_id == Professional.id)
            .where(Match.need_id == world.need.id)
        )
        return {email: status for email, status in rows.all()}


async def test_opening_a_need_proposes_and_tells_both_sides_once(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given: the world's need was opened, which queued its recompute
    [message] = await _messages(sessions, service.NEED_CHANGED)
    assert message.payload == {"need_id": str(world.need.id)}

    # when: the worker handles it, twice
    assert await handle_message(sessions, message.id) is True
    assert await handle_message(sessions, message.id) is False

    # then: Alice and Bob are proposed; the firm and each of them are told once
    assert await _statuses(sessions, world) == {
        "alice@example.jp": MatchStatus.PROPOSED,
        "bob@example.jp": MatchStatus.PROPOSED,
    }
    told = await _notifications(sessions, talent_tasks.NEW_PROPOSAL)
    assert [(email, subject) for email, subject, _ in told] == [
        ("alice@example.jp", "あなたへの副業・兼業の新しい提案が1件あります"),
        ("bob@example.jp", "あなたへの副業・兼業の新しい提案が1件あります"),
        ("owner@firm.example", "貴社の募集に新しい提案が2件あります"),
    ]
    assert told[0][2] == "あなたのプロフィールに合う企業の募集:\n- 博多精工の「財務の立て直し」"
    firm_body = told[2][2]
    # the firm reads pseudonyms, never names, contacts or employers
    assert "Alice" not in firm_body and "Bob" not in firm_body and "商事" not in firm_body
    assert firm_body.count("（「財務の立て直し」、") == 2
    # each professional's is about their match; the firm's, two matches, about the need
    matches = {m.professional_id: m.id for m in await proposals_of(sessions, world.need)}
    subjects = await _subjects(sessions, talent_tasks.NEW_PROPOSAL)
    assert subjects.pop("owner@firm.example") == to_global_id("TalentNeed", world.need.id)
    assert sorted(subjects.values()) == sorted(to_global_id("Match", m) for m in matches.values())


async def test_a_recompute_that_proposes_nothing_new_tells_nobody(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given: the need's proposals were made and told
    await _handle_all(sessions, service.NEED_CHANGED)
    before = await _notifications(sessions, talent_tasks.NEW_PROPOSAL)

    # when: the firm offers a second opening, and the worker recomputes the need
    viewer = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, viewer) as session:
        await service.update_need(
            session, viewer, need_id=world.need.id, version=2, changes={"openings": 2}
        )
    messages = await _messages(sessions, service.NEED_CHANGED)
    assert len(messages) == 2
    await handle_message(sessions, messages[1].id)

    # then: the same two are proposed, and nobody is told again
    assert set((await _statuses(sessions, world)).values()) == {MatchStatus.PROPOSED}
    assert await _notifications(sessions, talent_tasks.NEW_PROPOSAL) == before


async def test_pausing_a_need_expires_its_proposals_without_telling(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given
    await _handle_all(sessions, service.NEED_CHANGED)
    told = len(await _notifications(sessions, talent_tasks.NEW_PROPOSAL))

    # when
    viewer = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, viewer) as session:
        await service.change_need_status(
            session, viewer, need_id=world.need.id, status=NeedStatus.PAUSED
        )
    await _handle_all(sessions, service.NEED_CHANGED)

    # then
    assert set((await _statuses(sessions, world)).values()) == {MatchStatus.EXPIRED}
    assert len(await _notifications(sessions, talent_tasks.NEW_PROPOSAL)) == told


async def test_a_draft_need_queues_no_recompute(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given
    count = len(await _messages(sessions, service.NEED_CHANGED))

    # when
    viewer = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, viewer) as session:
        await service.create_need(session, viewer, values=need_fields(title="DX推進"))

    # then
    assert len(await _messages(sessions, service.NEED_CHANGED)) == count


async def test_a_changed_profile_proposes_its_owner_and_tells_only_the_new_pair(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given: Alice and Bob proposed and told; Carol (export sales only) not proposed
    await _handle_all(sessions, service.NEED_CHANGED)
    await _handle_all(sessions, service.PROFILE_CHANGED)  # the world's first saves
    told = await _notifications(sessions, talent_tasks.NEW_PROPOSAL)

    # when: Carol adds finance to her profile
    viewer = await act_as(sessions, world.carol)
    async with unit_of_work(sessions, viewer) as session:
        await service.save_profile(
            session, viewer, values=profile_fields("Carol", skills=[("finance", 4, 10.0)])
        )
    messages = await _messages(sessions, service.PROFILE_CHANGED)
    assert len(messages) == 4
    await handle_message(sessions, messages[-1].id)

    # then: Carol is proposed too; she and the firm are told of her proposal only
    statuses = await _statuses(sessions, world)
    assert statuses["carol@example.jp"] is MatchStatus.PROPOSED
    new = [n for n in await _notifications(sessions, talent_tasks.NEW_PROPOSAL) if n not in told]
    assert [(email, subject) for email, subject, _ in new] == [
        ("carol@example.jp", "あなたへの副業・兼業の新しい提案が1件あります"),
        ("owner@firm.example", "貴社の募集に新しい提案が1件あります"),
    ]
    assert "Carol" not in new[1][2]


async def test_the_nightly_recompute_is_queued_once_a_day(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given: the schedule fires twice the same night, and once the next
    for on in (NIGHT, NIGHT, date(2026, 11, 23)):
        async with unit_of_work(sessions, Viewer.platform()) as session:
            await talent_tasks.enqueue_nightly_recompute(session, on)
    messages = await _messages(sessions, talent_tasks.NIGHTLY_RECOMPUTE)
    assert sorted(m.payload["on"] for m in messages) == ["2026-11-22", "2026-11-23"]

    # when: the worker handles that night's message
    tonight = next(m for m in messages if m.payload["on"] == "2026-11-22")
    await handle_message(sessions, tonight.id)
    await handle_message(sessions, tonight.id)

    # then: every open need is proposed for, and each side told once
    assert set((await _statuses(sessions, world)).values()) == {MatchStatus.PROPOSED}
    told = await _notifications(sessions, talent_tasks.NEW_PROPOSAL)
    assert [email for email, _, _ in told] == [
        "alice@example.jp",
        "bob@example.jp",
        "owner@firm.example",
    ]


async def test_each_side_is_told_of_the_other_sides_step(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given: Alice is proposed and applies
    await _handle_all(sessions, service.NEED_CHANGED)
    statuses = await _statuses(sessions, world)
    assert statuses["alice@example.jp"] is MatchStatus.PROPOSED
    alice = await act_as(sessions, world.alice)
    async with unit_of_work(sessions, alice) as session:
        mine = await lifecycle.apply_to_need(session, alice, need_id=world.need.id)
        match_id = mine.id
    assert match_id in {m.id for m in await proposals_of(sessions, world.need)}

    # when: the firm accepts; the worker handles each step twice
    firm = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, firm) as session:
        await lifecycle.accept(session, firm, match_id=match_id)
    steps = await _messages(sessions, lifecycle.MATCH_STEP)
    assert [(m.payload["step"], m.payload["by"]) for m in steps] == [
        ("apply", "PROFESSIONAL"),
        ("accept", "FIRM"),
    ]
    for message in (*steps, *steps):
        await handle_message(sessions, message.id)

    # then: the firm hears of Alice by her pseudonym, and Alice of the firm's acceptance
    told = await _notifications(sessions, talent_tasks.MATCH_STEP_TAKEN)
    assert [(email, subject) for email, subject, _ in told] == [
        ("alice@example.jp", "博多精工が「財務の立て直し」のマッチングを承諾しました"),
        ("owner@firm.example", told[1][1]),
    ]
    assert told[1][1].startswith("人材-") and told[1][1].endswith(
        "が「財務の立て直し」に応募しました"
    )
    assert "Alice" not in told[1][1] + told[1][2]
    assert told[0][2] == (
        "博多精工が「財務の立て直し」のマッチングを承諾しました。マッチングの状態は「双方承諾済み」"
        "です。あなたのマッチング一覧で確認できます。"
    )
    assert told[1][2].startswith("プロフェッショナル人材 人材-")
    # both are about the match
    assert await _subjects(sessions, talent_tasks.MATCH_STEP_TAKEN) == {
        "alice@example.jp": to_global_id("Match", match_id),
        "owner@firm.example": to_global_id("Match", match_id),
    }


async def _prefers(sessions: SessionFactory, user: User, locale: str | None) -> None:
    """Save a user's language, as setting it through the API does."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        await session.execute(update(User).where(User.id == user.id).values(locale=locale))


async def _told(sessions: SessionFactory, kind: str) -> dict[str, tuple[str, str, str | None]]:
    """(subject, body, locale) of each notification of a kind, by recipient."""
    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.execute(
            select(
                Notification.recipient_email,
                Notification.subject,
                Notification.body,
                Notification.locale,
            ).where(Notification.kind == kind)
        )
        return {email: (subject, body, locale) for email, subject, body, locale in rows.all()}


async def test_one_message_tells_each_recipient_in_their_own_language(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given: Alice reads English; Bob and the firm's people saved no language
    await _prefers(sessions, world.alice, "en")
    [message] = await _messages(sessions, service.NEED_CHANGED)

    # when: the worker handles the need's recompute, which proposes Alice and Bob
    assert await handle_message(sessions, message.id) is True

    # then: the same message tells Alice in English, Bob and the firm in Japanese
    told = await _told(sessions, talent_tasks.NEW_PROPOSAL)
    assert told["alice@example.jp"] == (
        "1 new proposal of side work for you",
        "Firms' needs that fit your profile:\n- 「財務の立て直し」 at 博多精工",
        "en",
    )
    assert told["bob@example.jp"] == (
        "あなたへの副業・兼業の新しい提案が1件あります",
        "あなたのプロフィールに合う企業の募集:\n- 博多精工の「財務の立て直し」",
        "ja",
    )
    firm_subject, firm_body, firm_locale = told["owner@firm.example"]
    assert (firm_subject, firm_locale) == ("貴社の募集に新しい提案が2件あります", "ja")
    assert firm_body.startswith("マッチングエンジンからの提案:\n- 人材-")


async def test_a_step_is_told_in_the_language_of_the_side_told(
    sessions: SessionFactory, world: TalentWorld
) -> None:
    # given: Alice reads English and applies to her proposal; the firm accepts
    await _prefers(sessions, world.alice, "en")
    await _handle_all(sessions, service.NEED_CHANGED)
    alice = await act_as(sessions, world.alice)
    async with unit_of_work(sessions, alice) as session:
        match_id = (await lifecycle.apply_to_need(session, alice, need_id=world.need.id)).id
    firm = await act_as(sessions, world.firm_owner, world.firm)
    async with unit_of_work(sessions, firm) as session:
        await lifecycle.accept(session, firm, match_id=match_id)

    # when: the worker handles both steps
    await _handle_all(sessions, lifecycle.MATCH_STEP)

    # then: Alice reads of the firm's acceptance in English, the firm of her application in
    # Japanese (each with the match's status when told)
    told = await _told(sessions, talent_tasks.MATCH_STEP_TAKEN)
    assert told["alice@example.jp"] == (
        "博多精工 accepted the match for 「財務の立て直し」",
        "博多精工 accepted the match for 「財務の立て直し」. The match is now accepted by both"
        " sides; see it in your matches.",
        "en",
    )
    subject, body, locale = told["owner@firm.example"]
    assert locale == "ja" and subject.endswith("が「財務の立て直し」に応募しました")
    assert body.endswith(
        "マッチングの状態は「双方承諾済み」です。募集のマッチング一覧で確認できます。"
    )
