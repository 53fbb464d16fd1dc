"""A small talent world: two firms, three professionals, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from factories import act_as, create_organization, create_user, token_for
from renkei.db import SessionFactory, unit_of_work
from renkei.identity.models import User
from renkei.identity.tokens import TokenService
from renkei.organizations.models import Organization
from renkei.talent import proposals, service
from renkei.talent.models import Match, NeedStatus, ProfessionalProfile, TalentNeed
from renkei.tenancy import Viewer


def need_fields(**overrides: Any) -> service.NeedFields:
    values: dict[str, Any] = {
        "title": "財務の立て直し",
        "challenge": "資金繰りの改善",
        "required_skills": [("財務", 1.0)],
        "hours_per_month": 20,
        "workplace_prefecture_code": "40",
        "fee_min_jpy": 100_000,
        "fee_max_jpy": 300_000,
        "starts_on": date(2026, 4, 1),
    }
    values.update(overrides)
    return service.NeedFields(**values)


def profile_fields(name: str, **overrides: Any) -> service.ProfileFields:
    values: dict[str, Any] = {
        "full_name": name,
        "contact_email": f"{name.lower()}@example.jp",
        "phone": "090-0000-0000",
        "current_employer": f"{name} 商事",
        "headline": "財務のプロ",
        "skills": [("finance", 4, 10.0)],
        "hours_per_month": 40,
        "available_from": date(2026, 3, 1),
        "residence_prefecture_code": "13",
        "fee_min_jpy": 150_000,
        "fee_max_jpy": 250_000,
        "ties": [("40", "HOMETOWN")],
    }
    values.update(overrides)
    return service.ProfileFields(**values)


@dataclass
class TalentWorld:
    firm_owner: User
    firm: Organization
    other_owner: User
    other_firm: Organization
    alice: User
    bob: User
    carol: User  # a professional with no match with anyone
    need: TalentNeed
    tokens: dict[str, str]


async def create_talent_world(sessions: SessionFactory, tokens: TokenService) -> TalentWorld:
    firm_owner = await create_user(sessions, "owner@firm.example", "Firm Owner")
    firm = await create_organization(sessions, firm_owner, name="博多精工")
    other_owner = await create_user(sessions, "owner@other.example", "Other Owner")
    other_firm = await create_organization(sessions, other_owner, name="別府観光")
    alice = await create_user(sessions, "alice@tokyo.example", "Alice")
    bob = await create_user(sessions, "bob@tokyo.example", "Bob")
    carol = await create_user(sessions, "carol@tokyo.example", "Carol")
    for user, name in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
        viewer = await act_as(sessions, user)
        async with unit_of_work(sessions, viewer) as session:
            extra = {"skills": [("export-sales", 3, 5.0)]} if name == "Carol" else {}
            await service.save_profile(session, viewer, values=profile_fields(name, **extra))
    viewer = await act_as(sessions, firm_owner, firm)
    async with unit_of_work(sessions, viewer) as session:
        need = await service.create_need(session, viewer, values=need_fields())
        need = await service.change_need_status(
            session, viewer, need_id=need.id, status=NeedStatus.OPEN
        )
    return TalentWorld(
        firm_owner=firm_owner,
        firm=firm,
        other_owner=other_owner,
        other_firm=other_firm,
        alice=alice,
        bob=bob,
        carol=carol,
        need=need,
        tokens={
            "firm": token_for(tokens, firm_owner, firm),
            "other": token_for(tokens, other_owner, other_firm),
            "alice": token_for(tokens, alice),
            "bob": token_for(tokens, bob),
            "carol": token_for(tokens, carol),
        },
    )


async def recompute(sessions: SessionFactory, need: TalentNeed) -> proposals.Recomputed:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        return await proposals.recompute_for_need(session, Viewer.platform(), need_id=need.id)


async def proposals_of(sessions: SessionFactory, need: TalentNeed) -> list[Match]:
    from sqlalchemy import select

    async with unit_of_work(sessions, Viewer.platform()) as session:
        rows = await session.scalars(select(Match).where(Match.need_id == need.id))
        return list(rows)


async def profile_of(sessions: SessionFactory, user: User) -> ProfessionalProfile:
    viewer = await act_as(sessions, user)
    async with unit_of_work(sessions, viewer) as session:
        own = await service.own_professional(session, viewer)
        assert own is not None
        from renkei.talent import repository

        found = await repository.profile(session, own.id)
        assert found is not None
        return found
