"""Loads the development seed data through the product's own services. Safe to run again.

- `seed/foundation.json` and `seed/organizations.json`: organizations, their owners and members.
- `seed/regions/*.json`: the wide-area regions (中国, 九州, 関西, 中部, 東北), each with its
  declaration (with the public pages that record it), members (invited, then accepted by their
  own admins; those a body signed for confirm it), vision, projects, participants, funding,
  milestones, dependencies, baselines and KPIs. What the record does not say was invented for the
  demonstration and is marked `"demo": true`, which the API shows (tests/seeding/test_facts.py).

Every change goes through the services as the person who would make it: the secretariat's admin
invites, the invited organization's admin accepts, the owner reports progress and the counterpart
signs off, so the activity log reads as it would in use. Each file of organizations and each
region is one transaction; an organization or a region whose slug exists is skipped whole.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.db import SessionFactory, unit_of_work
from renkei.errors import DomainError
from renkei.identity import service as identity
from renkei.identity.models import User
from renkei.identity.scopes import ALL_SCOPES
from renkei.kpis import service as kpis
from renkei.kpis.models import KpiDirection
from renkei.milestones import baselines, dependencies
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone, MilestoneStatus
from renkei.organizations import service as organizations
from renkei.organizations import verification
from renkei.organizations.models import Membership, Organization, OrganizationKind
from renkei.projects import service as projects
from renkei.projects.models import (
    FundingKind,
    ParticipantRole,
    Project,
    ProjectCategory,
    ProjectStatus,
    ProjectVisibility,
)
from renkei.regions import repository as regions_repository
from renkei.regions import service as regions
from renkei.regions.models import RegionRole
from renkei.seeding_evaluations import seed_evaluations
from renkei.seeding_grants import seed_grants
from renkei.seeding_talent import seed_talent
from renkei.tenancy import MembershipRole, Viewer, set_viewer

logger = logging.getLogger(__name__)

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
ORGANIZATION_FILES = ("foundation.json", "organizations.json")
REGIONS_DIR = "regions"

Spec = dict[str, Any]


class SeedError(RuntimeError):
    """A seed file asks for something the services refuse; names the file and the item."""


def _load(path: Path) -> Spec:
    data: Spec = json.loads(path.read_text(encoding="utf-8"))
    return data


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# Organizations --------------------------------------------------------------------------------


async def _become(session: AsyncSession, viewer: Viewer) -> Viewer:
    """Act as this viewer from now on in the transaction (what is pending is written first)."""
    await session.flush()
    await set_viewer(session, viewer)
    return viewer


async def _user(session: AsyncSession, person: dict[str, str]) -> User:
    await _become(session, Viewer.platform())
    return await identity.ensure_user(
        session, Viewer.platform(), email=person["email"], display_name=person["display_name"]
    )


async def _create_organization(session: AsyncSession, spec: Spec) -> None:
    """The owner founds it; each member is invited by the owner and accepts the invitation."""
    owner = await _user(session, spec["owner"])
    founder = await _become(session, Viewer(user_id=owner.id, email=owner.email, scopes=ALL_SCOPES))
    organization = await organizations.create_organization(
        session,
        founder,
        slug=spec["slug"],
        name=spec["name"],
        kind=OrganizationKind(spec["kind"]),
        home_prefecture_code=spec["home_prefecture_code"],
        corporate_number=spec.get("corporate_number"),
        local_government_code=spec.get("local_government_code"),
        demo=spec.get("demo", False),
    )
    # The seed's organizations are the real ones, loaded by the platform: it vouches for them.
    await _become(session, Viewer.platform())
    await verification.verify(
        session, verified_by="seed", actor_user_id=None, organization_id=organization.id
    )
    acting_owner = founder.acting_as(organization.id, MembershipRole.OWNER)
    for person in spec.get("members", []):
        member = await _user(session, person)
        await _become(session, acting_owner)
        invitation = await organizations.invite_member(
            session,
            acting_owner,
            organization_id=organization.id,
            email=member.email,
            role=MembershipRole(person["role"]),
        )
        invitee = Viewer(user_id=member.id, email=member.email, scopes=ALL_SCOPES)
        await _become(session, invitee)
        await organizations.accept_invitation(session, invitee, invitation_id=invitation.id)


async def seed_organizations(sessions: SessionFactory, path: Path) -> int:
    """Create the file's organizations that do not exist yet; return how many were new."""
    specs: list[Spec] = _load(path)["organizations"]
    async with unit_of_work(sessions, Viewer.platform()) as session:
        existing = set(
            await session.scalars(
                select(Organization.slug).where(Organization.slug.in_([s["slug"] for s in specs]))
            )
        )
        created = 0
        for spec in specs:
            if spec["slug"] in existing:
                continue
            try:
                await _create_organization(session, spec)
            except DomainError as exc:
                raise SeedError(f"{path.name}: organization {spec['slug']}: {exc}") from exc
            created += 1
        return created


# Regions --------------------------------------------------------------------------------------


async def _actors(session: AsyncSession) -> dict[str, Viewer]:
    """Who acts for each organization: an admin if it has one (福岡県: the demo user), else its
    owner; with every scope, as a person signed in to the product would."""
    await _become(session, Viewer.platform())
    rows = await session.execute(
        select(Organization.slug, Organization.id, Membership.role, User.id, User.email)
        .join(Membership, Membership.organization_id == Organization.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.role.in_([MembershipRole.ADMIN, MembershipRole.OWNER]))
        .order_by(Organization.slug, Membership.role, Membership.created_at)
    )
    actors: dict[str, Viewer] = {}
    # ADMIN sorts before OWNER: the first row of each organization is the one that acts.
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


@dataclass
class _RegionSeeder:
    """Loads one region file inside one transaction, acting as each organization in turn."""

    session: AsyncSession
    actors: dict[str, Viewer]
    spec: Spec
    region_id: uuid.UUID = field(default_factory=uuid.uuid4)
    projects: dict[str, Project] = field(default_factory=dict)
    milestones: dict[str, Milestone] = field(default_factory=dict)
    # Milestones whose dates moved or that gained a predecessor: the at-risk check walks from them.
    moved: list[uuid.UUID] = field(default_factory=list)
    acting: Viewer | None = None

    def actor(self, slug: str) -> Viewer:
        if slug not in self.actors:
            raise SeedError(f"no organization with the slug {slug}")
        return self.actors[slug]

    def org(self, slug: str) -> uuid.UUID:
        organization_id = self.actor(slug).organization_id
        assert organization_id is not None
        return organization_id

    async def act(self, slug: str) -> Viewer:
        return await self.become(self.actor(slug))

    async def become(self, viewer: Viewer) -> Viewer:
        # Switching costs a statement, so only on a change; the services that switch viewers
        # inside (founding an organization, the cycle check) switch back before they return.
        if viewer is not self.acting:
            self.acting = await _become(self.session, viewer)
        return viewer

    def milestone(self, reference: str, project_key: str) -> Milestone:
        key = reference if "/" in reference else f"{project_key}/{reference}"
        if key not in self.milestones:
            raise SeedError(f"no milestone {key}")
        return self.milestones[key]

    async def run(self) -> None:
        spec = self.spec
        await self.step("declaration, members and vision", self.declare())
        for project in spec.get("projects", []):
            await self.step(f"project {project['key']}", self.project(project))
        for project in spec["projects"]:
            await self.step(f"project {project['key']}", self.dependencies(project))
        for replan in spec.get("replans", []):
            await self.step(f"replan of {replan['milestone']}", self.replan(replan))
        await self.flag_at_risk()
        for project in spec["projects"]:
            await self.step(f"project {project['key']}", self.final_status(project))

    async def step(self, what: str, work: Awaitable[None]) -> None:
        try:
            await work
        except DomainError as exc:
            raise SeedError(f"region {self.spec['slug']}: {what}: {exc}") from exc

    async def declare(self) -> None:
        spec = self.spec
        secretariat = await self.act(spec["secretariat"])
        region = await regions.create_region(
            self.session,
            secretariat,
            slug=spec["slug"],
            name=spec["name"],
            prefecture_codes=spec["prefecture_codes"],
            declaration_text=spec["declaration"]["text"],
            declared_on=_day(spec["declaration"]["declared_on"]),
            declaration_demo=spec["declaration"].get("demo", False),
            declaration_sources=spec["declaration"].get("sources", ()),
        )
        self.region_id = region.id
        invitations = []
        for member in spec["members"]:
            invitation = await regions.invite_region_member(
                self.session,
                secretariat,
                region_id=region.id,
                organization_id=self.org(member["organization"]),
                role=RegionRole(member["role"]),
                is_signatory=member.get("signatory", False),
                represented_by_organization_id=(
                    self.org(member["represented_by"]) if "represented_by" in member else None
                ),
                demo=member.get("demo", False),
            )
            invitations.append((member, invitation.id))
        for member, invitation_id in invitations:
            if member.get("answer") == "pending":
                continue
            viewer = await self.act(member["organization"])
            await regions.answer_region_invitation(
                self.session,
                viewer,
                region_member_id=invitation_id,
                accept=member.get("answer") != "declined",
            )
            if "represented_by" in member and member.get("answer") != "declined":
                # The member confirms that the body signed the declaration on its behalf.
                await regions.confirm_representation(
                    self.session, viewer, region_member_id=invitation_id
                )
        if spec.get("vision"):
            secretariat = await self.act(spec["secretariat"])
            await regions.adopt_vision(
                self.session,
                secretariat,
                region_id=region.id,
                text=spec["vision"]["text"],
                adopted_on=date.fromisoformat(spec["vision"]["adopted_on"]),
                demo=spec["vision"].get("demo", False),
            )
        for kpi in spec.get("kpis", []):
            await self.kpi(kpi, definer=spec["secretariat"], region_id=region.id)

    async def project(self, spec: Spec) -> None:
        lead = await self.act(spec["lead"])
        project = await projects.create_project(
            self.session,
            lead,
            name=spec["name"],
            summary=spec["summary"],
            category=ProjectCategory(spec["category"]),
            region_id=self.region_id,
            visibility=ProjectVisibility(spec["visibility"]),
            prefecture_codes=spec["prefecture_codes"],
            starts_on=_day(spec.get("starts_on")),
            ends_on=_day(spec.get("ends_on")),
            demo=spec.get("demo", False),
        )
        self.projects[spec["key"]] = project
        if spec["status"] != ProjectStatus.PLANNED:
            project = await projects.change_project_status(
                self.session, lead, project_id=project.id, status=ProjectStatus.ACTIVE
            )
        invitations = [
            (
                participant,
                await projects.invite_participant(
                    self.session,
                    lead,
                    project_id=project.id,
                    organization_id=self.org(participant["organization"]),
                    role=ParticipantRole(participant["role"]),
                ),
            )
            for participant in spec["participants"]
        ]
        for funding in spec.get("funding", []):
            await projects.add_funding_source(
                self.session,
                lead,
                project_id=project.id,
                kind=FundingKind(funding["kind"]),
                name=funding["name"],
                amount_jpy=funding["amount_jpy"],
                fiscal_year=funding.get("fiscal_year"),
                funder_organization_id=self.org(funding["funder"]) if "funder" in funding else None,
                staff_secondment=bool(funding.get("staff_secondment", False)),
            )
        for participant, invitation in invitations:
            if participant.get("answer") == "pending":
                continue
            viewer = await self.act(participant["organization"])
            await projects.answer_participation(
                self.session,
                viewer,
                participant_id=invitation.id,
                accept=participant.get("answer") != "declined",
            )
        lead = await self.act(spec["lead"])
        for item in spec["milestones"]:
            self.milestones[f"{spec['key']}/{item['key']}"] = await milestones.create_milestone(
                self.session,
                lead,
                project_id=project.id,
                title=item["title"],
                description=item.get("description", ""),
                starts_on=_day(item.get("starts_on")),
                due_on=date.fromisoformat(item["due_on"]),
                horizon_years=item["horizon_years"],
                owner_organization_id=self.org(item["owner"]),
                counterpart_organization_id=(
                    self.org(item["counterpart"]) if "counterpart" in item else None
                ),
                weight=item.get("weight", 1),
                evidence_links=item.get("evidence_links", ()),
            )
        if "baseline" in spec:
            await baselines.create_baseline(
                self.session, lead, project_id=project.id, name=spec["baseline"]
            )
        # Owners report progress, then counterparts sign off: each organization acts once.
        started = [m for m in spec["milestones"] if m.get("status", "NOT_STARTED") != "NOT_STARTED"]
        for item in sorted(started, key=lambda m: m["owner"]):
            await self.progress(spec["key"], item)
        done = [m for m in started if m["status"] == MilestoneStatus.DONE and "counterpart" in m]
        for item in sorted(done, key=lambda m: m["counterpart"]):
            await self.sign_off(spec["key"], item)
        for kpi in spec.get("kpis", []):
            await self.kpi(kpi, definer=spec["lead"], project_id=project.id)

    async def progress(self, project_key: str, item: Spec) -> None:
        """Bring a milestone to its seeded status as its owner would; with a counterpart, DONE
        is asked for by reaching 100% and becomes DONE when the counterpart signs it off."""
        key = f"{project_key}/{item['key']}"
        status = MilestoneStatus(item["status"])
        asks_sign_off = status is MilestoneStatus.DONE and "counterpart" in item
        self.milestones[key] = await milestones.change_milestone_status(
            self.session,
            await self.act(item["owner"]),
            milestone_id=self.milestones[key].id,
            version=self.milestones[key].version,
            status=MilestoneStatus.IN_PROGRESS if asks_sign_off else status,
            progress=100 if asks_sign_off else item.get("progress"),
            at_risk_reason=item.get("at_risk_reason"),
        )

    async def sign_off(self, project_key: str, item: Spec) -> None:
        key = f"{project_key}/{item['key']}"
        self.milestones[key] = await milestones.sign_off_milestone(
            self.session,
            await self.act(item["counterpart"]),
            milestone_id=self.milestones[key].id,
            version=self.milestones[key].version,
        )

    async def kpi(
        self,
        spec: Spec,
        *,
        definer: str,
        project_id: uuid.UUID | None = None,
        region_id: uuid.UUID | None = None,
    ) -> None:
        viewer = await self.act(definer)
        kpi = await kpis.create_kpi(
            self.session,
            viewer,
            project_id=project_id,
            region_id=region_id,
            name=spec["name"],
            unit=spec["unit"],
            description=spec.get("description", ""),
            direction=KpiDirection(spec.get("direction", KpiDirection.INCREASE)),
            baseline_value=spec["baseline"],
            baseline_on=_day(spec.get("baseline_on")),
            demo=spec.get("demo", False),
        )
        for fiscal_year, value in spec.get("targets", {}).items():
            await kpis.set_kpi_target(
                self.session, viewer, kpi_id=kpi.id, fiscal_year=int(fiscal_year), value=value
            )
        today = kpis.today_in_japan()
        for observation in spec.get("observations", []):
            period_start = date.fromisoformat(observation["period_start"])
            if period_start > today:
                # The service refuses a period that has not begun (a clock set in the past).
                continue
            reporter = await self.act(observation.get("by", definer))
            await kpis.record_kpi_observation(
                self.session,
                reporter,
                kpi_id=kpi.id,
                period_start=period_start,
                period_end=date.fromisoformat(observation["period_end"]),
                value=observation["value"],
                note=observation.get("note", ""),
            )

    async def dependencies(self, spec: Spec) -> None:
        """Finish-to-start links, added by the successor's project lead (any project)."""
        for item in spec["milestones"]:
            if not item.get("depends_on"):
                continue
            lead = await self.act(spec["lead"])
            successor = self.milestone(item["key"], spec["key"])
            for reference in item["depends_on"]:
                predecessor = self.milestone(reference, spec["key"])
                await dependencies.add_dependency(
                    self.session, lead, predecessor_id=predecessor.id, successor_id=successor.id
                )
                self.moved.append(predecessor.id)

    async def replan(self, spec: Spec) -> None:
        """A date moved after the baseline, by the milestone's owner, with the reason noted."""
        project_key, _, key = spec["milestone"].partition("/")
        milestone = self.milestone(spec["milestone"], project_key)
        item = next(m for m in self.spec_of(project_key)["milestones"] if m["key"] == key)
        owner = await self.act(item["owner"])
        note = (
            f"計画変更: {spec['reason']}（期限 {milestone.due_on.isoformat()} → {spec['due_on']}）"
        )
        milestone = await milestones.update_milestone(
            self.session,
            owner,
            milestone_id=milestone.id,
            version=milestone.version,
            due_on=date.fromisoformat(spec["due_on"]),
            description="\n".join(filter(None, [milestone.description, note])),
        )
        self.milestones[spec["milestone"]] = milestone
        self.moved.append(milestone.id)

    def spec_of(self, project_key: str) -> Spec:
        return next(p for p in self.spec["projects"] if p["key"] == project_key)

    async def flag_at_risk(self) -> None:
        """What the `milestone.rescheduled` job does, done now so the seed reads the same at once:
        a milestone that can no longer start on time is flagged at risk, down the chain."""
        await self.become(Viewer.platform())
        for milestone_id in dict.fromkeys(self.moved):
            await dependencies.flag_at_risk_dependents(self.session, milestone_id)

    async def final_status(self, spec: Spec) -> None:
        status = ProjectStatus(spec["status"])
        if status in (ProjectStatus.PLANNED, ProjectStatus.ACTIVE):
            return
        lead = await self.act(spec["lead"])
        await projects.change_project_status(
            self.session, lead, project_id=self.projects[spec["key"]].id, status=status
        )


async def seed_region(sessions: SessionFactory, path: Path) -> bool:
    """Load one region file in one transaction; False when a region with its slug exists."""
    spec = _load(path)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        if await regions_repository.by_slug(session, spec["slug"]) is not None:
            return False
        seeder = _RegionSeeder(session=session, actors=await _actors(session), spec=spec)
        try:
            await seeder.run()
        except SeedError as exc:
            raise SeedError(f"{path.name}: {exc}") from exc
        await session.flush()
        return True


def region_files(directory: Path = SEED_DIR) -> list[Path]:
    """The region files in the order the regions were declared (an unconfirmed date last)."""
    files = sorted((directory / REGIONS_DIR).glob("*.json"))
    return sorted(files, key=lambda p: _load(p)["declaration"]["declared_on"] or "9999")


async def seed(sessions: SessionFactory, directory: Path = SEED_DIR) -> int:
    """Load the seed files; return how many organizations were new."""
    created = 0
    for name in ORGANIZATION_FILES:
        created += await seed_organizations(sessions, directory / name)
    # The regions share no rows, so they load side by side, each in its own transaction: one
    # waits for the database while another runs Python. Dependencies between milestones are
    # added under one lock (the cycle check sees the whole graph), which the regions take in turn.
    files = region_files(directory)
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(seed_region(sessions, path)) for path in files]
    except ExceptionGroup as failed:
        # The first failure names its file and item; the other regions were rolled back.
        raise failed.exceptions[0] from failed
    new_regions = [path.stem for path, task in zip(files, tasks, strict=True) if task.result()]
    await seed_talent(sessions, directory / "talent.json")
    await seed_grants(sessions, directory / "grants.json")
    # 効果検証 reads the regions' KPIs and projects: after them (renkei.seeding_evaluations).
    await seed_evaluations(sessions, directory, _actors)
    logger.info(
        "seed data loaded", extra={"new_organizations": created, "new_regions": new_regions}
    )
    return created
