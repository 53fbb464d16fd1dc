"""Loads the talent seed (`seed/talent.json`) through the talent services. Safe to run again.

Firms of the seeded regions post their needs (人材ニーズ) and open them, acting through their admin
(or owner); professionals, users created by the platform, save their own profiles; then the
matching engine runs once as the platform, so PROPOSED matches with their explanations exist.
A need whose title exists for its firm, or a professional whose user has a professional record,
is skipped. Everything is one transaction, after the organizations and regions are loaded.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.db import SessionFactory, unit_of_work
from renkei.errors import DomainError
from renkei.identity import service as identity
from renkei.identity.models import User
from renkei.identity.scopes import ALL_SCOPES
from renkei.intermediaries import repository as intermediaries
from renkei.intermediaries import service as intermediary_service
from renkei.intermediaries.models import IntermediaryAuthorization, IntermediaryRole
from renkei.organizations.models import Membership, Organization
from renkei.talent import proposals, repository, service
from renkei.talent.models import (
    CostKind,
    Match,
    MatchCost,
    MatchStatus,
    NeedStatus,
    Professional,
    TalentNeed,
)
from renkei.talent.subsidy_schemes import TierFields, publish_tier
from renkei.tenancy import MembershipRole, Viewer, set_viewer

logger = logging.getLogger(__name__)

TALENT_FILE = Path(__file__).resolve().parents[2] / "seed" / "talent.json"

Spec = dict[str, Any]


class TalentSeedError(RuntimeError):
    """The talent seed asks for something the services refuse; names the item."""


@dataclass(frozen=True, slots=True)
class TalentSeeded:
    needs: int  # new needs, opened
    professionals: int  # new professionals with their profiles
    proposed: int  # PROPOSED matches after the engine ran (0 when nothing was new)
    subsidy_tiers: int = 0  # tiers of subsidy schemes published or updated
    demo_contracts: int = 0  # invented contracts written (0 when they exist)


def _load(path: Path) -> Spec:
    data: Spec = json.loads(path.read_text(encoding="utf-8"))
    return data


async def _become(session: AsyncSession, viewer: Viewer) -> Viewer:
    await session.flush()
    await set_viewer(session, viewer)
    return viewer


async def _firm_actors(session: AsyncSession, slugs: set[str]) -> dict[str, Viewer]:
    """Who posts each firm's needs: its admin if it has one, else its owner."""
    rows = await session.execute(
        select(Organization.slug, Organization.id, Membership.role, User.id, User.email)
        .join(Membership, Membership.organization_id == Organization.id)
        .join(User, User.id == Membership.user_id)
        .where(
            Organization.slug.in_(slugs),
            Membership.role.in_([MembershipRole.ADMIN, MembershipRole.OWNER]),
        )
        .order_by(Organization.slug, Membership.role, Membership.created_at)
    )
    actors: dict[str, Viewer] = {}
    for slug, organization_id, role, user_id, email in rows:
        actors.setdefault(
            slug,
            Viewer(
                user_id=user_id,
                email=email,
                organization_id=organization_id,
                role=role,
                scopes=ALL_SCOPES,
            ),
        )
    return actors


def _need_fields(spec: Spec) -> service.NeedFields:
    return service.NeedFields(
        title=spec["title"],
        challenge=spec.get("challenge", ""),
        deliverables=spec.get("deliverables", ""),
        required_skills=[(s, float(w)) for s, w in spec.get("required_skills", [])],
        preferred_skills=[(s, float(w)) for s, w in spec.get("preferred_skills", [])],
        engagement_types=spec["engagement_types"],
        hours_per_month=spec["hours_per_month"],
        duration_months=spec.get("duration_months", 6),
        remote_policy=spec["remote_policy"],
        site_visits_per_month=spec.get("site_visits_per_month", 0),
        workplace_prefecture_code=spec["workplace_prefecture_code"],
        workplace_municipality=spec.get("workplace_municipality", ""),
        fee_min_jpy=spec["fee_min_jpy"],
        fee_max_jpy=spec["fee_max_jpy"],
        starts_on=date.fromisoformat(spec["starts_on"]),
    )


def _profile_fields(spec: Spec) -> service.ProfileFields:
    return service.ProfileFields(
        full_name=spec["full_name"],
        contact_email=spec["email"],
        current_employer=spec.get("current_employer"),
        headline=spec["headline"],
        skills=[(s, int(level), float(years)) for s, level, years in spec["skills"]],
        experience_summary=spec.get("experience_summary", ""),
        engagement_types=spec.get("engagement_types", ["SIDE_JOB"]),
        hours_per_month=spec["hours_per_month"],
        available_from=date.fromisoformat(spec["available_from"]),
        remote_preference=spec["remote_preference"],
        residence_prefecture_code=spec["residence_prefecture_code"],
        max_site_visits_per_month=spec.get("max_site_visits_per_month", 0),
        travel_prefecture_codes=spec.get("travel_prefecture_codes", []),
        ties=[(code, kind) for code, kind in spec.get("ties", [])],
        fee_min_jpy=spec["fee_min_jpy"],
        fee_max_jpy=spec["fee_max_jpy"],
        max_engagements=spec.get("max_engagements", 1),
    )


async def _seed_needs(session: AsyncSession, specs: list[Spec]) -> int:
    await _become(session, Viewer.platform())
    rows = await session.execute(
        select(Organization.slug, TalentNeed.title).join(
            Organization, Organization.id == TalentNeed.organization_id
        )
    )
    existing = {(slug, title) for slug, title in rows}
    actors = await _firm_actors(session, {s["organization"] for s in specs})
    created = 0
    for spec in specs:
        if (spec["organization"], spec["title"]) in existing:
            continue
        if spec["organization"] not in actors:
            raise TalentSeedError(f"need {spec['title']}: no organization {spec['organization']}")
        viewer = await _become(session, actors[spec["organization"]])
        try:
            need = await service.create_need(session, viewer, values=_need_fields(spec))
            await service.change_need_status(
                session, viewer, need_id=need.id, status=NeedStatus.OPEN
            )
        except DomainError as exc:
            raise TalentSeedError(f"need {spec['title']}: {exc}") from exc
        created += 1
    return created


async def _seed_professionals(session: AsyncSession, specs: list[Spec]) -> int:
    await _become(session, Viewer.platform())
    existing = set(
        await session.scalars(
            select(User.email).join(Professional, Professional.user_id == User.id)
        )
    )
    created = 0
    for spec in specs:
        await _become(session, Viewer.platform())
        user = await identity.ensure_user(
            session, Viewer.platform(), email=spec["email"], display_name=spec["full_name"]
        )
        if user.email in existing:
            continue
        viewer = await _become(
            session, Viewer(user_id=user.id, email=user.email, scopes=ALL_SCOPES)
        )
        try:
            await service.save_profile(session, viewer, values=_profile_fields(spec))
        except DomainError as exc:
            raise TalentSeedError(f"professional {spec['email']}: {exc}") from exc
        created += 1
    return created


def _tier_fields(spec: Spec) -> TierFields:
    """A tier of the seed: a value given as {"value", "confirmed": false, "note"} is taken, its
    field marked unconfirmed and its note kept with the tier's notes."""
    values: dict[str, Any] = {}
    unconfirmed: list[str] = []
    notes = [spec.get("notes", "")]
    for key, given in spec.items():
        if isinstance(given, dict) and "confirmed" in given:
            if not given["confirmed"]:
                unconfirmed.append("deadline" if key.startswith("deadline") else key)
                notes.append(f"[{key}] {given.get('note', '')}".strip())
            given = given["value"]
        values[key] = given
    return TierFields(
        prefecture_code=values["prefecture_code"],
        fiscal_year=values["fiscal_year"],
        name=values["name"],
        rate=Decimal(str(values["rate"])),
        cap_jpy=values["cap_jpy"],
        eligible_cost_kinds=values["eligible_cost_kinds"],
        first_use_only=values.get("first_use_only", False),
        tier_rank=values.get("tier_rank", 0),
        requires_introduction=values.get("requires_introduction", False),
        requires_outside_resident=values.get("requires_outside_resident", False),
        min_travel_per_trip_jpy=values.get("min_travel_per_trip_jpy"),
        deadline_days=values.get("deadline_days"),
        deadline_basis=values.get("deadline_basis") if values.get("deadline_days") else None,
        source_url=values.get("source_url", ""),
        notes="\n".join(n for n in notes if n),
        unconfirmed_fields=unconfirmed,
    )


async def _seed_subsidy_schemes(session: AsyncSession, specs: list[Spec]) -> int:
    """Publish each tier as the platform (an existing tier of the same name is updated)."""
    platform = await _become(session, Viewer.platform())
    for spec in specs:
        try:
            await publish_tier(session, platform, values=_tier_fields(spec))
        except DomainError as exc:
            raise TalentSeedError(f"subsidy scheme {spec['name']}: {exc}") from exc
    return len(specs)


async def _organization_id(session: AsyncSession, slug: str) -> uuid.UUID:
    found = await session.scalar(select(Organization.id).where(Organization.slug == slug))
    if found is None:
        raise TalentSeedError(f"no organization {slug}")
    return found


async def _seed_intermediaries(session: AsyncSession, specs: list[Spec]) -> int:
    """Register each intermediary as the platform would (a registered one is left as it is)."""
    await _become(session, Viewer.platform())
    written = 0
    for spec in specs:
        organization_id = await _organization_id(session, spec["organization"])
        role = IntermediaryRole(spec["role"])
        found = await intermediaries.registration(
            session, organization_id=organization_id, role=role
        )
        if found is not None and found.active:
            continue
        try:
            await intermediary_service.register(
                session,
                registered_by="seed",
                actor_user_id=None,
                organization_id=organization_id,
                role=role,
                prefecture_code=spec.get("prefecture_code"),
                license_number=spec.get("license_number"),
                source_url=spec.get("source_url", ""),
            )
        except DomainError as exc:
            raise TalentSeedError(f"intermediary {spec['organization']}: {exc}") from exc
        written += 1
    return written


async def _seed_authorizations(session: AsyncSession, specs: list[Spec]) -> None:
    """Professionals authorize intermediaries, as they would themselves."""
    await _become(session, Viewer.platform())
    for spec in specs:
        organization_id = await _organization_id(session, spec["organization"])
        professional_id = await session.scalar(
            select(Professional.id)
            .join(User, User.id == Professional.user_id)
            .where(User.email == spec["professional"])
        )
        if professional_id is None:
            raise TalentSeedError(f"authorization: no professional {spec['professional']}")
        found = await intermediaries.authorization_of(
            session, professional_id=professional_id, organization_id=organization_id
        )
        if found is None:
            session.add(
                IntermediaryAuthorization(
                    professional_id=professional_id,
                    organization_id=organization_id,
                    reference=spec.get("reference", ""),
                )
            )
    await session.flush()


async def _introduce(session: AsyncSession, match: Match, spec: Spec) -> None:
    """Record the demo contract's introduction (as the platform: only it writes one)."""
    if not spec.get("introduced_by") or match.introduced_by_organization_id is not None:
        return
    match.introduced_by_organization_id = await _organization_id(session, spec["introduced_by"])
    match.introduced_via = IntermediaryRole(spec["introduced_via"]).value
    match.introduced_at = datetime.combine(date.fromisoformat(spec["introduced_on"]), time(9), UTC)
    match.introduction_note = spec.get("introduction_note", "")


async def _seed_demo_contracts(session: AsyncSession, specs: list[Spec]) -> int:
    """The invented contracts of the demo: the match of the need and the professional becomes
    contracted (as both sides would have made it), with its costs. Skipped when it has costs."""
    await _become(session, Viewer.platform())
    written = 0
    for spec in specs:
        need_id = await session.scalar(
            select(TalentNeed.id)
            .join(Organization, Organization.id == TalentNeed.organization_id)
            .where(Organization.slug == spec["organization"], TalentNeed.title == spec["need"])
        )
        professional_id = await session.scalar(
            select(Professional.id)
            .join(User, User.id == Professional.user_id)
            .where(User.email == spec["professional"])
        )
        if need_id is None or professional_id is None:
            raise TalentSeedError(f"demo contract {spec['need']}: no such need or professional")
        match = await repository.match_of(session, need_id=need_id, professional_id=professional_id)
        if match is not None and await repository.match_costs(session, match_id=match.id):
            await _introduce(session, match, spec)
            continue
        need = await session.get(TalentNeed, need_id)
        assert need is not None
        if match is None:
            match = Match(
                need_id=need_id,
                professional_id=professional_id,
                organization_id=need.organization_id,
            )
            session.add(match)
        confirmed = datetime.combine(
            date.fromisoformat(spec["contract_confirmed_on"]), time(9), UTC
        )
        match.status = MatchStatus(spec["status"])
        await _introduce(session, match, spec)
        match.firm_accepted_at = match.professional_accepted_at = confirmed
        match.contract_fee_jpy = spec["contract_fee_jpy"]
        match.contract_hours_per_month = spec["contract_hours_per_month"]
        match.contract_starts_on = date.fromisoformat(spec["contract_starts_on"])
        match.contract_ends_on = date.fromisoformat(spec["contract_ends_on"])
        match.contract_confirmed_at = confirmed
        await session.flush()
        for kind, amount, day, visit_days, note in spec["costs"]:
            session.add(
                MatchCost(
                    match_id=match.id,
                    organization_id=match.organization_id,
                    kind=CostKind(kind),
                    amount_jpy=amount,
                    incurred_on=date.fromisoformat(day),
                    visit_days=visit_days,
                    note=note,
                )
            )
        written += 1
    return written


async def seed_talent(sessions: SessionFactory, path: Path = TALENT_FILE) -> TalentSeeded:
    """Create the needs and professionals that do not exist yet, then propose matches."""
    spec = _load(path)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        needs = await _seed_needs(session, spec["needs"])
        professionals = await _seed_professionals(session, spec["professionals"])
        proposed = 0
        if needs or professionals:
            platform = await _become(session, Viewer.platform())
            proposed = (await proposals.recompute_all(session, platform)).proposed
        tiers = await _seed_subsidy_schemes(session, spec.get("subsidy_schemes", []))
        await _seed_intermediaries(session, spec.get("intermediaries", []))
        await _seed_authorizations(session, spec.get("intermediary_authorizations", []))
        contracts = await _seed_demo_contracts(session, spec.get("demo_contracts", []))
        await session.flush()
    logger.info(
        "talent seed loaded",
        extra={"new_needs": needs, "new_professionals": professionals, "proposed": proposed},
    )
    return TalentSeeded(needs, professionals, proposed, tiers, contracts)
