"""The talent benchmark's data: firms and their needs, professionals and their profiles, and the
matches the engine proposes between them, with the explanations it writes.

Professionals and needs are drawn by bench/matching.py's Generator (skills by popularity and
field, professionals mostly in metropolitan areas, needs mostly in regional prefectures); the
real MatchingEngine then proposes each need's shortlist, so every match carries the engine's own
explanation. Some proposals move on: about 1 in 10 accepted by both sides, 1 in 20 contracted
with a fee and travel cost, and each prefecture has a subsidy scheme for the fiscal year, so the
firm's view reads costs and an estimated subsidy. Two needs per firm, as the Generator names them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from matching import Generator
from stdnum.jp import cn

from renkei.db import Base
from renkei.fiscal import fiscal_year
from renkei.geography.data import PREFECTURES
from renkei.identity.models import User
from renkei.organizations.models import Membership, Organization, OrganizationKind
from renkei.talent.matching import MatchingConfig, MatchingEngine
from renkei.talent.models import (
    CostKind,
    Match,
    MatchCost,
    MatchStatus,
    NeedStatus,
    Professional,
    ProfessionalProfile,
    SubsidyScheme,
    TalentNeed,
)
from renkei.talent.skills import default_taxonomy
from renkei.tenancy import MembershipRole
from renkei.text_search import document_terms

# In the order they are copied (foreign keys first).
TABLES: tuple[type[Base], ...] = (
    User,
    Organization,
    Membership,
    Professional,
    ProfessionalProfile,
    TalentNeed,
    SubsidyScheme,
    Match,
    MatchCost,
)
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = ["翔太", "美咲", "大輔", "陽子", "健一", "由美", "拓也", "愛", "誠", "真由美"]
HEADLINES = ["{}の実務経験豊富なプロ人材", "{}で成果を出してきた副業人材", "{}の専門家"]
CHALLENGES = ["{}の仕組みを立ち上げたい", "{}の担い手がいない", "{}を外部の知見で強化したい"]


@dataclass
class TalentSizes:
    professionals: int = 100_000
    needs: int = 10_000


@dataclass
class TalentData:
    rows: dict[type[Base], list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: type[Base], **row: Any) -> None:
        self.rows.setdefault(model, []).append(row)


def build(sizes: TalentSizes, *, seed: int, today: date) -> TalentData:
    """Every row of the talent data set, proposals included (a full recompute: about a minute)."""
    taxonomy = default_taxonomy()
    names = {s.slug: s.name_ja for s in taxonomy}
    generator = Generator(taxonomy, seed)
    pros = generator.professionals(sizes.professionals)
    needs = generator.needs(sizes.needs)
    result = MatchingEngine(pros, taxonomy=taxonomy, config=MatchingConfig()).recompute_all(needs)
    rng = random.Random(seed)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    data = TalentData()

    def person(email: str) -> uuid.UUID:
        user_id = uuid.uuid4()
        data.add(
            User,
            id=user_id,
            email=email,
            display_name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
            is_service_account=False,
            created_at=now - timedelta(days=rng.randint(30, 700)),
        )
        return user_id

    firms: dict[str, uuid.UUID] = {}
    for spec in needs:
        if spec.organization_id in firms:
            continue
        number = len(firms)
        owner = person(f"owner@firm-{number}.example")
        firm = firms[spec.organization_id] = uuid.uuid4()
        base = f"{rng.randrange(10**11, 10**12):012d}"
        data.add(
            Organization,
            id=firm,
            slug=f"firm-{number:05d}",
            name=f"地域企業{number:05d}株式会社",
            kind=OrganizationKind.COMPANY.value,
            corporate_number=cn.calc_check_digit(base) + base,
            home_prefecture_code=spec.workplace_prefecture_code,
            created_by_id=owner,
            created_at=now - timedelta(days=800),
        )
        data.add(
            Membership,
            id=uuid.uuid4(),
            organization_id=firm,
            user_id=owner,
            role=MembershipRole.OWNER.value,
            created_at=now - timedelta(days=800),
        )
    professionals: dict[str, uuid.UUID] = {}
    for number, spec in enumerate(pros):
        user_id = person(f"pro{number}@bench.example")
        pro_id = professionals[str(spec.id)] = uuid.uuid4()
        pseudonym = f"P{number:07d}"
        skill_name = names[next(iter(spec.skills))]
        data.add(
            Professional,
            id=pro_id,
            user_id=user_id,
            full_name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
            contact_email=f"pro{number}@bench.example",
            phone="090-0000-0000",
            current_employer=f"東京商事{number % 997}",
            pseudonym=pseudonym,
            created_at=now - timedelta(days=rng.randint(30, 700)),
        )
        data.add(
            ProfessionalProfile,
            professional_id=pro_id,
            pseudonym=pseudonym,
            headline=rng.choice(HEADLINES).format(skill_name),
            skills=[
                {"skill": s, "level": level.level, "years": level.years}
                for s, level in spec.skills.items()
            ],
            experience_summary=f"{skill_name}を中心に{len(spec.skills)}分野の経験。",
            engagement_types=sorted(t.value for t in spec.engagement_types),
            hours_per_month=spec.hours_per_month,
            available_from=spec.available_from,
            remote_preference=spec.remote_preference.value,
            residence_prefecture_code=spec.residence_prefecture_code,
            max_site_visits_per_month=spec.max_site_visits_per_month,
            travel_prefecture_codes=sorted(spec.travel_prefecture_codes),
            ties=[{"prefecture": t.prefecture_code, "kind": t.kind.value} for t in spec.ties],
            fee_min_jpy=spec.fee_min,
            fee_max_jpy=spec.fee_max,
            max_engagements=spec.max_concurrent_engagements,
            is_open=True,
            version=1,
            created_at=now - timedelta(days=rng.randint(30, 700)),
        )
    need_ids: dict[str, uuid.UUID] = {}
    for number, spec in enumerate(needs):
        need_id = need_ids[str(spec.id)] = uuid.uuid4()
        top = max(spec.required_skills.values())
        skill_name = names[next(iter(spec.required_skills))]
        title = f"{skill_name}の専門人材を募集（{number}）"
        challenge = rng.choice(CHALLENGES).format(skill_name)
        data.add(
            TalentNeed,
            id=need_id,
            organization_id=firms[spec.organization_id],
            title=title,
            challenge=challenge,
            deliverables="月次の報告と改善提案",
            required_skills=[
                {"skill": s, "weight": round(w / top, 3)} for s, w in spec.required_skills.items()
            ],
            preferred_skills=[{"skill": s, "weight": w} for s, w in spec.preferred_skills.items()],
            engagement_types=sorted(t.value for t in spec.engagement_types),
            hours_per_month=spec.hours_per_month,
            duration_months=spec.duration_months,
            remote_policy=spec.remote_policy.value,
            site_visits_per_month=spec.site_visits_per_month,
            workplace_prefecture_code=spec.workplace_prefecture_code,
            workplace_municipality="",
            fee_min_jpy=spec.fee_min,
            fee_max_jpy=spec.fee_max,
            starts_on=spec.start_date,
            openings=spec.openings,
            status=NeedStatus.OPEN.value,
            search_terms=document_terms(title, challenge),
            version=1,
            created_at=now - timedelta(days=rng.randint(1, 90), seconds=number),
        )
    year = fiscal_year(today)
    for prefecture in PREFECTURES:
        data.add(
            SubsidyScheme,
            id=uuid.uuid4(),
            prefecture_code=prefecture.code,
            fiscal_year=year,
            name=f"{prefecture.name} 副業・兼業人材活用促進事業",
            rate=Decimal(rng.choice(["0.500", "0.667", "0.800"])),
            cap_jpy=rng.choice([300_000, 500_000, 1_000_000]),
            eligible_cost_kinds=rng.choice(
                [["FEE"], ["FEE", "TRAVEL"], [k.value for k in CostKind]]
            ),
            first_use_only=rng.random() < 0.3,
            notes="",
            created_at=now - timedelta(days=200),
        )
    starts = date(year, 4, 1)
    firm_of = {str(n.id): firms[n.organization_id] for n in needs}
    for number, proposal in enumerate(p for ps in result.proposals.values() for p in ps):
        need = need_ids[str(proposal.need_id)]
        match_id = uuid.uuid4()
        created = now - timedelta(days=rng.randint(0, 60), seconds=number)
        row: dict[str, Any] = {
            "id": match_id,
            "need_id": need,
            "professional_id": professionals[str(proposal.professional_id)],
            "organization_id": firm_of[str(proposal.need_id)],
            "status": MatchStatus.PROPOSED.value,
            "score": Decimal(f"{proposal.score:.4f}"),
            "rank": proposal.rank,
            "explanation": proposal.explanation.as_json(),
            "version": 1,
            "created_at": created,
        }
        draw = rng.random()
        if draw < 0.15:
            row |= {
                "status": MatchStatus.ACCEPTED.value,
                "firm_accepted_at": created + timedelta(days=1),
                "professional_accepted_at": created + timedelta(days=2),
            }
        if draw < 0.05:
            fee = 10_000 * rng.randint(10, 40)
            row |= {
                "status": MatchStatus.CONTRACTED.value,
                "contract_fee_jpy": fee,
                "contract_hours_per_month": 20,
                "contract_starts_on": starts + timedelta(days=rng.randint(0, 200)),
            }
            for kind, amount, days in ((CostKind.FEE, fee, 0), (CostKind.TRAVEL, 42_000, 2)):
                data.add(
                    MatchCost,
                    id=uuid.uuid4(),
                    match_id=match_id,
                    organization_id=row["organization_id"],
                    kind=kind.value,
                    amount_jpy=amount,
                    incurred_on=row["contract_starts_on"] + timedelta(days=25),
                    visit_days=days,
                    note="",
                    created_at=created + timedelta(days=30),
                )
        data.add(Match, **row)
    return data


def batches(sizes: TalentSizes, *, seed: int, today: date) -> Iterator[TalentData]:
    yield build(sizes, seed=seed, today=today)
