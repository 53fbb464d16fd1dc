"""The dashboard benchmark's data set: organizations, regions, projects, milestones and KPIs.

Made in Python with a seeded random generator (ids too: uuid4 values drawn from it, so the same
seed gives the same rows), as batches of rows keyed by the models' column names: the
organizations with their admins, then each region with its members, then its projects with their
participants, funding, milestones, dependencies and KPIs, and last one large region (2,000
projects) whose secretariat sees ten times as many projects as the others' (bench/rls_cost.py).
bench/dashboard.py COPYs them; the names come from bench/vocabulary.py.
"""

from __future__ import annotations

import functools
import random
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any, TypeVar

from stdnum.jp import cn
from vocabulary import (
    CATEGORY_KPIS,
    CATEGORY_THEMES,
    GIVEN_NAMES,
    MILESTONE_PHASES,
    PLACE_STEMS,
    REGION_KPIS,
    RISK_REASONS,
    SURNAMES,
    KpiDefinition,
    bloc_label,
    organization_name,
    short_name,
)

from renkei.db import Base
from renkei.fiscal import fiscal_year
from renkei.geography.codes import local_government_code_check_digit
from renkei.geography.data import PLANNING_BLOCS_BY_CODE, PREFECTURES, PrefectureData
from renkei.identity.models import User
from renkei.kpis.models import Kpi, KpiDirection, KpiObservation, KpiTarget, ObservationSource
from renkei.milestones.models import Milestone, MilestoneDependency, MilestoneStatus
from renkei.organizations.models import Membership, Organization, OrganizationKind
from renkei.projects.models import (
    FundingKind,
    FundingSource,
    ParticipantRole,
    Project,
    ProjectCategory,
    ProjectParticipant,
    ProjectStatus,
    ProjectVisibility,
)
from renkei.regions.models import ParticipationStatus, Region, RegionMember, RegionRole
from renkei.tenancy import MembershipRole
from renkei.text_search import document_terms

Row = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    organizations: int = 1_000
    regions: int = 50
    projects: int = 10_000
    milestones: int = 100_000
    # One more region, after the others, with this many projects of its own (0: none).
    large_region: int = 2_000

    def tenth(self) -> Sizes:
        return Sizes(*(max(2, n // 10) for n in self.as_tuple()), self.large_region // 10)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.organizations, self.regions, self.projects, self.milestones)


# The order of loading: every table after the ones its foreign keys point to.
TABLES: tuple[type[Base], ...] = (
    User,
    Organization,
    Membership,
    Region,
    RegionMember,
    Project,
    ProjectParticipant,
    FundingSource,
    Milestone,
    MilestoneDependency,
    Kpi,
    KpiTarget,
    KpiObservation,
)

# Kinds of organization with their share of the total (産官学金労言士), prefectures apart: one
# PREFECTURE organization for each of the first n prefectures, n = 4.7% of the organizations.
KIND_WEIGHTS = {
    OrganizationKind.MUNICIPALITY: 20,
    OrganizationKind.COMPANY: 38,
    OrganizationKind.UNIVERSITY: 6,
    OrganizationKind.RESEARCH_INSTITUTE: 5,
    OrganizationKind.FINANCIAL_INSTITUTION: 6,
    OrganizationKind.ECONOMIC_ORGANIZATION: 6,
    OrganizationKind.NATIONAL_AGENCY: 2,
    OrganizationKind.LABOR_ORGANIZATION: 2,
    OrganizationKind.MEDIA: 2.5,
    OrganizationKind.PROFESSIONAL_FIRM: 3,
    OrganizationKind.NPO: 3,
    OrganizationKind.OTHER: 1.8,
}
# Where organizations are: more in the big prefectures (東京, 大阪, 愛知, 神奈川, 福岡, 北海道).
PREFECTURE_WEIGHTS = {"13": 4.0, "27": 2.5, "23": 2.0, "14": 1.5, "40": 1.5, "01": 1.5}
SECRETARIAT_KINDS = (
    OrganizationKind.PREFECTURE,
    OrganizationKind.ECONOMIC_ORGANIZATION,
    OrganizationKind.NATIONAL_AGENCY,
)
VISIBILITY_WEIGHTS = {
    ProjectVisibility.PARTICIPANTS: 30,
    ProjectVisibility.REGION: 50,
    ProjectVisibility.PUBLIC: 20,
}
STATUS_WEIGHTS = {
    ProjectStatus.PLANNED: 20,
    ProjectStatus.ACTIVE: 55,
    ProjectStatus.ON_HOLD: 8,
    ProjectStatus.COMPLETED: 12,
    ProjectStatus.CANCELLED: 5,
}
PARTNER_ROLES = {
    ParticipantRole.PARTNER: 60,
    ParticipantRole.FUNDER: 15,
    ParticipantRole.SUPPORTER: 15,
    ParticipantRole.OBSERVER: 10,
}
REGION_MEMBERS = 20
KPIS_PER_PROJECT = 2
KPIS_PER_REGION = 3
TARGET_YEARS = 5
OBSERVED_QUARTERS = 8
ROADMAP_DAYS = 5 * 365  # the 工程表's longest horizon


@dataclass
class Org:
    id: uuid.UUID
    slug: str
    name: str
    kind: OrganizationKind
    prefecture: PrefectureData
    admin_id: uuid.UUID


@dataclass
class Batch:
    """Rows of one or more tables, copied together in the order of TABLES."""

    rows: dict[type[Base], list[Row]] = field(default_factory=dict)

    def add(self, model: type[Base], **row: Any) -> None:
        self.rows.setdefault(model, []).append(row)


@functools.cache
def terms(*texts: str) -> list[str]:
    # Titles repeat (they come from a vocabulary): one list per distinct text, shared by rows.
    return document_terms(*texts)


def fiscal_quarters_before(day: date, count: int) -> list[tuple[date, date]]:
    """The last `count` whole fiscal quarters (Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar) before day."""
    start = date(day.year, ((day.month - 1) // 3) * 3 + 1, 1)
    quarters = []
    for _ in range(count):
        end = start - timedelta(days=1)
        start = date(end.year, end.month - 2, 1)
        quarters.append((start, end))
    return quarters[::-1]


class Generator:
    def __init__(self, sizes: Sizes, *, seed: int, today: date) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.today = today
        self.now = datetime.now(UTC)
        self.orgs: list[Org] = []
        self.by_prefecture: dict[str, list[Org]] = {}
        self.secretariats: set[uuid.UUID] = set()
        self.quarters = fiscal_quarters_before(today, OBSERVED_QUARTERS)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def pick(self, weights: Mapping[T, float]) -> T:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def at(self, day: date) -> datetime:
        """A moment of Japanese office hours (00:00-09:59 UTC) on `day`, never in the future."""
        moment = datetime.combine(day, clock(0, 0), UTC) + timedelta(
            hours=self.rng.randint(0, 9), minutes=self.rng.randint(0, 59)
        )
        return min(moment, self.now)

    # -- organizations, their admins, regions ----------------------------------------------

    def organizations(self) -> Batch:
        batch = Batch()
        count = self.sizes.organizations
        prefecture_count = min(len(PREFECTURES), max(2, round(count * 0.047)))
        kinds = [OrganizationKind.PREFECTURE] * prefecture_count + self.rng.choices(
            list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=count - prefecture_count
        )
        governed = self.rng.sample(PREFECTURES, prefecture_count)
        weights = [PREFECTURE_WEIGHTS.get(p.code, 1.0) for p in PREFECTURES]
        used_numbers: set[str] = set()
        municipal_serial: dict[str, int] = {}
        for index, kind in enumerate(kinds):
            if kind is OrganizationKind.PREFECTURE:
                prefecture = governed[index]
            else:
                prefecture = self.rng.choices(PREFECTURES, weights=weights)[0]
            # A town's name for a municipality; for the others the prefecture's now and then.
            place = self.rng.choice(PLACE_STEMS)
            if kind is not OrganizationKind.MUNICIPALITY and self.rng.random() < 0.5:
                place = short_name(prefecture)
            lg_code = corporate_number = None
            if kind is OrganizationKind.PREFECTURE:
                lg_code = _lg_code(prefecture.code + "000")
            elif kind is OrganizationKind.MUNICIPALITY:
                serial = municipal_serial.get(prefecture.code, 200) + 1
                municipal_serial[prefecture.code] = serial
                lg_code = _lg_code(f"{prefecture.code}{serial:03d}")
            else:
                while corporate_number is None or corporate_number in used_numbers:
                    base = f"{self.rng.randrange(10**11, 10**12):012d}"
                    corporate_number = cn.calc_check_digit(base) + base
                used_numbers.add(corporate_number)
            name = organization_name(self.rng, kind, prefecture, place)
            romaji = re.sub(r"[^a-z0-9]", "", prefecture.name_romaji.lower())
            slug = f"{kind.value.lower().replace('_', '-')[:12]}-{romaji}-{index:05d}"
            org = Org(self.new_id(), slug, name, kind, prefecture, self.new_id())
            self.orgs.append(org)
            self.by_prefecture.setdefault(prefecture.code, []).append(org)
            created = self.at(self.today - timedelta(days=self.rng.randint(400, 900)))
            batch.add(
                User,
                id=org.admin_id,
                email=f"admin@{slug}.example",
                display_name=f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN_NAMES)}",
                is_service_account=False,
                created_at=created,
            )
            batch.add(
                Organization,
                id=org.id,
                slug=slug,
                name=name,
                kind=kind.value,
                corporate_number=corporate_number,
                local_government_code=lg_code,
                home_prefecture_code=prefecture.code,
                created_by_id=org.admin_id,
                created_at=created,
            )
            batch.add(
                Membership,
                id=self.new_id(),
                organization_id=org.id,
                user_id=org.admin_id,
                role=MembershipRole.OWNER.value,
                created_at=created,
            )
        return batch

    def region_prefectures(self) -> list[PrefectureData]:
        """2 to 9 neighbouring prefectures (JIS codes run roughly north to south), now and then
        with one a little farther, as 九州's region took in 山口 and 沖縄."""
        size = self.rng.randint(2, 9)
        centre = self.rng.randrange(len(PREFECTURES))
        order = sorted(range(len(PREFECTURES)), key=lambda i: (abs(i - centre), i))
        chosen = order[:size]
        if self.rng.random() < 0.15:
            chosen[-1] = order[size + self.rng.randint(0, 3)]
        return [PREFECTURES[i] for i in sorted(chosen)]

    def region(self, number: int, names: set[str]) -> tuple[Batch, RegionPlan]:
        prefectures = self.region_prefectures()
        codes = [p.code for p in prefectures]
        blocs = [p.planning_bloc for p in prefectures if p.planning_bloc]
        main_bloc = max(set(blocs), key=blocs.count) if blocs else None
        if main_bloc and blocs.count(main_bloc) * 2 >= len(prefectures):
            label = bloc_label(PLANNING_BLOCS_BY_CODE[main_bloc].name)
        else:
            label = "・".join(short_name(p) for p in prefectures[:3])
        theme = self.rng.choice(("広域", "産業", "GX", "未来創造", "イノベーション", "観光"))
        name = f"{label}{theme}リージョン"
        serial = 2
        while name in names:
            name, serial = f"{label}{theme}リージョン（第{serial}）", serial + 1
        names.add(name)
        local = [o for code in codes for o in self.by_prefecture.get(code, [])]
        candidates = [
            o for o in local if o.kind in SECRETARIAT_KINDS and o.id not in self.secretariats
        ]
        candidates = candidates or [o for o in local if o.id not in self.secretariats]
        candidates = candidates or [o for o in self.orgs if o.id not in self.secretariats]
        secretariat = self.rng.choice(candidates)
        self.secretariats.add(secretariat.id)
        others = [o for o in local if o is not secretariat]
        self.rng.shuffle(others)
        wanted = REGION_MEMBERS - 1 + self.rng.randint(-2, 2)
        members = others[:wanted]
        outside = [o for o in self.orgs if o.id != secretariat.id and o not in members]
        members += self.rng.sample(outside, max(0, wanted - len(members)))
        declared_on = self.today - timedelta(days=self.rng.randint(30, 700))
        region_id = self.new_id()
        batch = Batch()
        adopted = self.rng.random() < 0.7
        batch.add(
            Region,
            id=region_id,
            slug=f"region-{number:03d}",
            name=name,
            prefecture_codes=codes,
            secretariat_organization_id=secretariat.id,
            declaration_text=(
                f"{'、'.join(p.name for p in prefectures)}の地方公共団体、経済団体、企業、"
                f"大学及び研究機関は、県境を越えて連携し、{name}として共同で事業に取り組む"
                "ことをここに宣言する。"
            ),
            declared_on=declared_on,
            vision_text=(
                f"{name}ビジョン：事業、役割分担及び実施体制を定める。" if adopted else None
            ),
            vision_adopted_on=declared_on + timedelta(days=120) if adopted else None,
            vision_version=1 if adopted else 0,
            search_terms=terms(name),
            version=1,
            created_by_id=secretariat.admin_id,
            created_at=self.at(declared_on - timedelta(days=30)),
        )

        def member(org: Org, role: RegionRole, status: ParticipationStatus) -> None:
            batch.add(
                RegionMember,
                id=self.new_id(),
                region_id=region_id,
                organization_id=org.id,
                role=role.value,
                status=status.value,
                is_signatory=status is ParticipationStatus.ACTIVE
                and (role is RegionRole.SECRETARIAT or self.rng.random() < 0.6),
                invited_by_id=None if org is secretariat else secretariat.admin_id,
                responded_at=None
                if status is ParticipationStatus.INVITED
                else self.at(declared_on - timedelta(days=self.rng.randint(1, 20))),
                created_at=self.at(declared_on - timedelta(days=30)),
            )

        member(secretariat, RegionRole.SECRETARIAT, ParticipationStatus.ACTIVE)
        for org in members:
            role = RegionRole.SUPPORTER if self.rng.random() < 0.15 else RegionRole.MEMBER
            member(org, role, ParticipationStatus.ACTIVE)
        # A pending invitation and a refusal here and there: neither may take part in projects.
        pending = [o for o in outside if o not in members]
        for status in (ParticipationStatus.INVITED, ParticipationStatus.DECLINED):
            if pending and self.rng.random() < 0.5:
                member(pending.pop(self.rng.randrange(len(pending))), RegionRole.MEMBER, status)
        plan = RegionPlan(region_id, name, label, prefectures, secretariat, [secretariat, *members])
        return batch, plan

    # -- projects and what hangs from them ---------------------------------------------------

    def projects(self, plan: RegionPlan, count: int, milestones_each: int) -> Batch:
        batch = Batch()
        finished: list[tuple[uuid.UUID, uuid.UUID, date]] = []  # (project, milestone, due)
        for _ in range(count):
            self.project(batch, plan, milestones_each, finished)
        for _ in range(KPIS_PER_REGION):
            definition = self.rng.choice(REGION_KPIS)
            self.kpi(batch, definition, None, plan.id, plan.secretariat, [plan.secretariat])
        return batch

    def project(
        self,
        batch: Batch,
        plan: RegionPlan,
        milestones_each: int,
        finished: list[tuple[uuid.UUID, uuid.UUID, date]],
    ) -> None:
        rng = self.rng
        category = rng.choice(list(ProjectCategory))
        theme = rng.choice(CATEGORY_THEMES[category])
        suffixes = ("事業", "プロジェクト") + (() if theme.endswith("推進") else ("推進事業",))
        suffix = rng.choice(suffixes)
        phase = rng.choice(("", "", "", "（第2期）", "（第3期）"))
        name = f"{plan.label}{theme}{suffix}{phase}"
        lead = rng.choice(plan.members)
        partners = rng.sample([o for o in plan.members if o is not lead], rng.randint(2, 5))
        participants = [lead, *partners]
        prefectures = rng.sample(plan.prefectures, rng.randint(1, min(3, len(plan.prefectures))))
        summary = (
            f"{'・'.join(short_name(p) for p in prefectures)}の{len(participants)}団体が"
            f"{lead.name}を幹事として、{theme}に県境を越えて取り組む。"
        )
        status = self.pick(STATUS_WEIGHTS)
        # Five years of roadmap: planned projects start soon, completed ones ended already,
        # the others started about 2.5 years ago, so their milestones lie around today.
        offset = {
            ProjectStatus.PLANNED: rng.randint(30, 365),
            ProjectStatus.COMPLETED: -ROADMAP_DAYS - rng.randint(30, 365),
        }.get(status, -ROADMAP_DAYS // 2 + rng.randint(-180, 180))
        starts_on = self.today + timedelta(days=offset)
        dues = sorted(
            starts_on + timedelta(days=rng.randint(30, ROADMAP_DAYS))
            for _ in range(milestones_each)
        )
        project_id = self.new_id()
        created = self.at(starts_on - timedelta(days=rng.randint(10, 60)))
        batch.add(
            Project,
            id=project_id,
            region_id=plan.id,
            name=name,
            summary=summary,
            category=category.value,
            status=status.value,
            visibility=self.pick(VISIBILITY_WEIGHTS).value,
            lead_organization_id=lead.id,
            prefecture_codes=sorted(p.code for p in prefectures),
            starts_on=starts_on,
            ends_on=dues[-1],
            search_terms=terms(name, summary),
            version=1,
            created_by_id=lead.admin_id,
            created_at=created,
        )
        for org in participants:
            role = ParticipantRole.LEAD if org is lead else self.pick(PARTNER_ROLES)
            if org.kind is OrganizationKind.FINANCIAL_INSTITUTION and org is not lead:
                role = ParticipantRole.FUNDER
            batch.add(
                ProjectParticipant,
                id=self.new_id(),
                project_id=project_id,
                organization_id=org.id,
                role=role.value,
                status=ParticipationStatus.ACTIVE.value,
                invited_by_id=None if org is lead else lead.admin_id,
                responded_at=None if org is lead else self.at(starts_on),
                created_at=created,
            )
        self.funding(batch, project_id, participants, starts_on, theme)
        phases = sorted(rng.sample(range(len(MILESTONE_PHASES)), milestones_each))
        made: list[tuple[uuid.UUID, date, date]] = []  # (id, starts_on, due_on)
        for phase_index, due_on in zip(phases, dues, strict=True):
            made.append(
                self.milestone(
                    batch, project_id, status, participants, starts_on, phase_index, due_on
                )
            )
        self.dependencies(batch, project_id, made, finished)
        finished.extend((project_id, m, due) for m, _, due in made if due < self.today)
        for definition in rng.sample(CATEGORY_KPIS[category], KPIS_PER_PROJECT):
            self.kpi(batch, definition, project_id, None, lead, participants)

    def funding(
        self,
        batch: Batch,
        project_id: uuid.UUID,
        participants: list[Org],
        starts_on: date,
        theme: str,
    ) -> None:
        for _ in range(self.rng.randint(1, 3)):
            kind = self.rng.choice(list(FundingKind))
            funder: Org | None = None
            if kind is FundingKind.BANK_FINANCE:
                banks = [
                    o for o in participants if o.kind is OrganizationKind.FINANCIAL_INSTITUTION
                ]
                funder = self.rng.choice(banks) if banks else None
            elif kind is FundingKind.LOCAL_GOVERNMENT_BUDGET:
                governments = [o for o in participants if o.kind.is_local_government]
                funder = self.rng.choice(governments) if governments else None
            name = {
                FundingKind.NATIONAL_GRANT: "新しい地方経済・生活環境創生交付金",
                FundingKind.SUBSIDY: f"{theme}補助金",
                FundingKind.CORPORATE_HOMETOWN_TAX: "企業版ふるさと納税",
                FundingKind.BANK_FINANCE: f"{funder.name if funder else '地域金融機関'}の協調融資",
                FundingKind.LOCAL_GOVERNMENT_BUDGET: f"{funder.name if funder else '自治体'}予算",
                FundingKind.PRIVATE_INVESTMENT: "参加企業出資",
                FundingKind.OTHER: "クラウドファンディング",
            }[kind]
            batch.add(
                FundingSource,
                id=self.new_id(),
                project_id=project_id,
                kind=kind.value,
                name=name,
                amount_jpy=int(round(10 ** self.rng.uniform(6.5, 8.8), -3)),
                fiscal_year=fiscal_year(starts_on) + self.rng.randint(0, 2),
                funder_organization_id=funder.id if funder else None,
            )

    def milestone(
        self,
        batch: Batch,
        project_id: uuid.UUID,
        project_status: ProjectStatus,
        participants: list[Org],
        project_start: date,
        phase_index: int,
        due_on: date,
    ) -> tuple[uuid.UUID, date, date]:
        rng = self.rng
        status = self.milestone_status(project_status, (due_on - self.today).days)
        progress = {
            MilestoneStatus.DONE: 100,
            MilestoneStatus.NOT_STARTED: 0,
            MilestoneStatus.CANCELLED: rng.choice((0, 0, 20, 40)),
        }.get(status, rng.randrange(5, 96, 5))
        owner = rng.choice(participants)
        counterpart = rng.choice([o for o in participants if o is not owner] + [None])
        starts_on = max(project_start, due_on - timedelta(days=rng.randint(30, 240)))
        years = (due_on - project_start).days / 365
        title = f"{MILESTONE_PHASES[phase_index]}（{fiscal_year(due_on)}年度）"
        milestone_id = self.new_id()
        signed_off = status is MilestoneStatus.DONE and counterpart is not None
        batch.add(
            Milestone,
            id=milestone_id,
            project_id=project_id,
            title=title,
            description=f"{owner.name}が担当する。",
            starts_on=starts_on,
            due_on=due_on,
            horizon_years=1 if years <= 1 else 3 if years <= 3 else 5,
            owner_organization_id=owner.id,
            counterpart_organization_id=counterpart.id if counterpart else None,
            status=status.value,
            progress=progress,
            weight=rng.choice(
                (Decimal(1), Decimal(1), Decimal(1), Decimal(2), Decimal(3), Decimal("0.5"))
            ),
            evidence_links=[f"https://{owner.slug}.example/reports/{milestone_id.hex[:8]}.pdf"]
            if status is MilestoneStatus.DONE
            else [],
            at_risk_reason=rng.choice(RISK_REASONS) if status is MilestoneStatus.AT_RISK else None,
            signed_off_at=self.at(min(due_on, self.today)) if signed_off else None,
            signed_off_by_id=counterpart.admin_id if signed_off and counterpart else None,
            search_terms=terms(title),
            version=1,
            created_at=self.at(project_start - timedelta(days=5)),
        )
        return milestone_id, starts_on, due_on

    def milestone_status(self, project: ProjectStatus, days_left: int) -> MilestoneStatus:
        if project is ProjectStatus.PLANNED:
            return MilestoneStatus.NOT_STARTED
        if project is ProjectStatus.CANCELLED and days_left > 0:
            return MilestoneStatus.CANCELLED
        if days_left < 0:  # past due: mostly done, some overdue
            weights = {
                "DONE": 75,
                "AT_RISK": 8,
                "IN_PROGRESS": 10,
                "CANCELLED": 4,
                "NOT_STARTED": 3,
            }
        elif days_left <= 180:
            weights = {"IN_PROGRESS": 50, "NOT_STARTED": 35, "AT_RISK": 10, "DONE": 5}
        else:
            weights = {"NOT_STARTED": 85, "IN_PROGRESS": 12, "CANCELLED": 3}
        if project is ProjectStatus.COMPLETED:
            weights = {"DONE": 95, "CANCELLED": 5}
        return MilestoneStatus(self.pick(weights))

    def dependencies(
        self,
        batch: Batch,
        project_id: uuid.UUID,
        made: list[tuple[uuid.UUID, date, date]],
        finished: list[tuple[uuid.UUID, uuid.UUID, date]],
    ) -> None:
        """Finish-to-start links: up to 3 inside the project and, for one project in ten, one
        from a milestone of an earlier project of the region. A predecessor is always due
        strictly before its successor, so there is no cycle."""
        pairs = [
            (a, b)
            for i, a in enumerate(made)
            for b in made[i + 1 : i + 3]
            if a[2] < b[2] and a[2] <= b[1]
        ]
        links = [(a[0], project_id, b[0]) for a, b in self.rng.sample(pairs, min(3, len(pairs)))]
        if finished and self.rng.random() < 0.1:
            other_project, predecessor, due = self.rng.choice(finished)
            successors = [m for m in made if m[2] > due and m[1] >= due]
            if successors:
                links.append((predecessor, other_project, self.rng.choice(successors)[0]))
        for predecessor, predecessor_project, successor in links:
            batch.add(
                MilestoneDependency,
                predecessor_id=predecessor,
                successor_id=successor,
                predecessor_project_id=predecessor_project,
                successor_project_id=project_id,
            )

    def kpi(
        self,
        batch: Batch,
        definition: KpiDefinition,
        project_id: uuid.UUID | None,
        region_id: uuid.UUID | None,
        owner: Org,
        reporters: Sequence[Org],
    ) -> None:
        rng = self.rng
        name, unit, direction, scale = definition
        baseline = scale * rng.uniform(0.5, 2.0)
        yearly = rng.uniform(0.03, 0.15) * (1 if direction is KpiDirection.INCREASE else -1)
        first_period = self.quarters[0][0]
        baseline_on = first_period - timedelta(days=1)
        kpi_id = self.new_id()
        batch.add(
            Kpi,
            id=kpi_id,
            project_id=project_id,
            region_id=region_id,
            name=name,
            unit=unit,
            description=f"{name}（単位：{unit}）。基準値は{baseline_on.isoformat()}時点。",
            direction=direction.value,
            baseline_value=_amount(baseline),
            baseline_on=baseline_on,
            version=1,
            created_by_id=owner.admin_id,
            created_at=self.at(baseline_on),
        )
        base_year = fiscal_year(baseline_on)
        for offset in range(1, TARGET_YEARS + 1):
            batch.add(
                KpiTarget,
                kpi_id=kpi_id,
                fiscal_year=base_year + offset,
                value=_amount(baseline * (1 + yearly) ** offset),
                project_id=project_id,
                region_id=region_id,
            )
        for index, (period_start, period_end) in enumerate(self.quarters, start=1):
            reporter = rng.choice(reporters)
            source = (
                ObservationSource.API_CLIENT if rng.random() < 0.2 else ObservationSource.MEMBER
            )
            trend = baseline * (1 + yearly * rng.uniform(0.4, 1.2)) ** (index / 4)
            batch.add(
                KpiObservation,
                id=self.new_id(),
                kpi_id=kpi_id,
                project_id=project_id,
                region_id=region_id,
                period_start=period_start,
                period_end=period_end,
                value=_amount(trend * rng.uniform(0.95, 1.05)),
                note="",
                source=source.value,
                recorded_by_id=reporter.admin_id if source is ObservationSource.MEMBER else None,
                recorded_for_organization_id=reporter.id,
                created_at=self.at(period_end + timedelta(days=rng.randint(5, 30))),
            )


@dataclass
class RegionPlan:
    id: uuid.UUID
    name: str
    label: str
    prefectures: list[PrefectureData]
    secretariat: Org
    members: list[Org]  # ACTIVE ones, the secretariat first


def _lg_code(five: str) -> str:
    return five + local_government_code_check_digit(five)


def _amount(value: float) -> Decimal:
    return Decimal(f"{value:.1f}")


def _spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def batches(sizes: Sizes, *, seed: int, today: date) -> Iterator[Batch]:
    """The data set, a batch at a time: organizations first, then one region at a time."""
    generator = Generator(sizes, seed=seed, today=today)
    yield generator.organizations()
    names: set[str] = set()
    milestones_each = max(1, sizes.milestones // sizes.projects)
    for number, count in enumerate(_spread(sizes.projects, sizes.regions), start=1):
        region_batch, plan = generator.region(number, names)
        yield region_batch
        yield generator.projects(plan, count, milestones_each)
    if sizes.large_region:
        region_batch, plan = generator.region(sizes.regions + 1, names)
        yield region_batch
        yield generator.projects(plan, sizes.large_region, milestones_each)
