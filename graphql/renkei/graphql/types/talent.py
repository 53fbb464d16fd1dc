"""Talent: skills, firms' needs and professionals' profiles (matches: talent_matches.py).

A firm reads a professional through `Match.professional` (the anonymized profile) and
`Match.contact`, which is null until both sides have accepted: row-level security hides the
professional's identity row until then, so the resolver has nothing to show.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import strawberry

from renkei.graphql.compiled.json_sql import iso_datetime_sql
from renkei.graphql.compiled.spec import (
    NUMBER,
    WORD,
    Filter,
    JsonText,
    Key,
    Many,
    One,
    Page,
    Scalar,
    column,
    computed,
    enum_list_sql,
    enum_value,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.graphql.nodes import register_node
from renkei.graphql.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    Node,
    PageArgs,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.organizations import Organization
from renkei.graphql.types.project_link import ProjectRef, project_of
from renkei.identity.scopes import TALENT_READ
from renkei.talent import models, repository, specs
from renkei.talent import skills as taxonomy
from renkei.talent.lifecycle import Side
from renkei.talent.service import NEED_TRANSITIONS

if TYPE_CHECKING:
    from renkei.graphql.types.milestones import Milestone
    from renkei.graphql.types.talent_matches import Match

NeedStatus = described_enum(
    models.NeedStatus,
    description="Where a talent need (人材ニーズ) stands: DRAFT → OPEN → PAUSED/FILLED/CLOSED.",
    values={
        "DRAFT": "Being written (下書き): only the firm sees it.",
        "OPEN": "Published (公開中): everyone signed in sees it, professionals may apply and the"
        " engine proposes matches.",
        "PAUSED": "Paused (一時停止中): hidden again from those outside the firm and its matches,"
        " no new matches; it may open again.",
        "FILLED": "Filled (充足): every opening is taken.",
        "CLOSED": "Closed (終了) by the firm without being filled.",
    },
)
MatchStatus = described_enum(
    models.MatchStatus,
    description="Where a match (マッチング) stands: proposed, applied, scouted or introduced; "
    "accepted; 面談 (INTERVIEW); 契約 (CONTRACTED); 稼働 (ACTIVE); 評価 at COMPLETED.",
    values={
        "PROPOSED": "Proposed by the matching engine; either side may accept or decline.",
        "APPLIED": "The professional applied; the firm accepts or declines.",
        "SCOUTED": "The firm scouted the professional; the professional accepts or declines.",
        "INTRODUCED": "An intermediary introduced the professional; each side accepts, as on a"
        " proposal.",
        "ACCEPTED": "Both sides want to talk; the firm schedules the interview.",
        "INTERVIEW": "The interview (面談) is scheduled.",
        "CONTRACTED": "The contract's terms (契約) are recorded and confirmed.",
        "ACTIVE": "The professional is working (稼働).",
        "COMPLETED": "The work is done; the sides review each other (評価).",
        "DECLINED": "A side declined; the match is over.",
        "WITHDRAWN": "A side withdrew before the contract; the match is over.",
        "EXPIRED": "A proposal the engine no longer makes; proposed again if it comes back.",
    },
)
EngagementType = described_enum(
    specs.EngagementType,
    description="How a professional works for a firm.",
    values={
        "SIDE_JOB": "A side job or second job alongside a main employer (副業・兼業).",
        "FULL_TIME": "A full-time hire (常勤雇用).",
        "SECONDMENT": "A secondment from the professional's employer (出向).",
    },
)
RemotePolicy = described_enum(
    specs.RemotePolicy,
    description="How much presence at the workplace. For a need: what it asks. For a "
    "professional: the most presence they accept.",
    values={
        "REMOTE": "Remote work only (リモート).",
        "HYBRID": "Remote work plus site visits, up to a number a month (ハイブリッド).",
        "ONSITE": "Work at the firm's site (現地勤務).",
    },
)
TieKind = described_enum(
    specs.TieKind,
    description="A professional's tie to a prefecture (関係人口).",
    values={
        "HOMETOWN": "Born or raised there (出身地).",
        "PAST_RESIDENCE": "Lived there before (過去の居住地).",
        "SECOND_HOME": "Lives there part of the time (二地域居住).",
        "FURUSATO_NOZEI": "Gives to its local governments through ふるさと納税.",
    },
)
MatchSide = described_enum(
    Side,
    name="MatchSide",
    description="Which side of a match you are on.",
    values={
        "FIRM": "The firm that posted the talent need.",
        "PROFESSIONAL": "The professional (プロフェッショナル人材).",
        "INTERMEDIARY": "The intermediary that introduced the professional: it reads the match"
        " and takes no step.",
    },
)
CostKind = described_enum(
    models.CostKind,
    description="A kind of a match's cost, as side-job subsidies (副業・兼業人材活用促進事業) count"
    " them.",
    values={
        "FEE": "The professional's fee (報酬).",
        "TRAVEL": "Travel costs (旅費).",
        "PLACEMENT_FEE": "A placement agency's fee (紹介手数料).",
    },
)


def json_elements(column: str) -> str:
    """A JSONB list of objects as rows `{c}.v`, numbered `{c}.n` (for `Many(order="{c}.n")`)."""
    return f"jsonb_array_elements({column}) WITH ORDINALITY {{c}}(v, n)"


# The row source of a type made of a JSONB list's elements ({t}.v, numbered {t}.n): no table
# holds them, they are always read through their parent's `json_elements(...)`.
ELEMENTS = "(SELECT NULL::jsonb AS v, NULL::bigint AS n WHERE false)"
Element = dict[str, Any]


class _Changed(Protocol):
    created_at: datetime
    updated_at: datetime | None


def last_changed(row: _Changed) -> datetime:
    """`updatedAt`: its creation until its first change."""
    return row.updated_at or row.created_at


UPDATED_AT = Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD)


@table(models.TalentSkill)
@strawberry.type(description="A canonical skill of the taxonomy, with its names and synonyms.")
class Skill:
    row: strawberry.Private[taxonomy.Skill]
    slug: str = column(
        models.TalentSkill.slug,
        description="The skill's stable key, e.g. `marketing`; inputs accept it or any name.",
    )
    name_ja: str = column(
        models.TalentSkill.name_ja, description="The skill's name in Japanese, e.g. マーケティング."
    )
    name_en: str = column(
        models.TalentSkill.name_en, description="The skill's name in English, e.g. Marketing."
    )
    category: str = column(
        models.TalentSkill.category,
        description="The group of skills it belongs to, as a key (e.g. `marketing`, `finance`).",
    )
    synonyms: list[str] = column(
        models.TalentSkill.synonyms,
        description="Other names the skill is found by, Japanese and English"
        " (e.g. Webマーケティング, web marketing).",
    )

    @classmethod
    def of(cls, skill: taxonomy.Skill) -> Skill:
        return cls(row=skill)

    @classmethod
    def by_slug(cls, slug: str) -> Skill:
        return cls.of(taxonomy.default_taxonomy()[slug])


# An element's skill, by slug, with the need's weight or the professional's level.
SKILL_OF_ELEMENT = One("Skill", "{c}.slug = {t}.v->>'skill'")


def _skill_of(element: Element) -> Skill:
    return Skill.by_slug(element["skill"])


@table(ELEMENTS)
@strawberry.type(description="A skill a need asks for, with the firm's weight (0..1).")
class WeightedSkill:
    row: strawberry.Private[Element]
    skill: Skill = computed(SKILL_OF_ELEMENT, _skill_of, description="The skill.")
    weight: float = computed(
        Scalar("({t}.v->>'weight')::float8", NUMBER),
        lambda element: element["weight"],
        description="How much the skill counts in matching, more than 0 and at most 1.",
    )


@table(ELEMENTS)
@strawberry.type(description="A professional's skill: level 1 (basic) to 5 (expert), years.")
class SkillLevel:
    row: strawberry.Private[Element]
    skill: Skill = computed(SKILL_OF_ELEMENT, _skill_of, description="The skill.")
    level: int = computed(
        Scalar("({t}.v->>'level')::int", NUMBER),
        lambda element: element["level"],
        description="The professional's level: 1 (basic) to 5 (expert).",
    )
    years: float = computed(
        Scalar("({t}.v->>'years')::float8", NUMBER),
        lambda element: element["years"],
        description="Years of experience with the skill.",
    )


@table(ELEMENTS)
@strawberry.type(description="A professional's tie to a prefecture (関係人口).")
class Tie:
    row: strawberry.Private[Element]
    prefecture: Prefecture = computed(
        One("Prefecture", "{c}.code = {t}.v->>'prefecture'"),
        lambda element: Prefecture.by_code(element["prefecture"]),
        description="The prefecture.",
    )
    kind: TieKind = computed(  # type: ignore[valid-type]
        Scalar("{t}.v->>'kind'", WORD),
        lambda element: specs.TieKind(element["kind"]),
        description="What ties the professional to it.",
    )


_SERVED_MILESTONE = (
    "{c}.id IN (SELECT l.milestone_id FROM talent_need_milestones l WHERE l.need_id = {t}.id)"
)


def _skills_of(column: str) -> Many:
    return Many("WeightedSkill", join="true", order="{c}.n", source=json_elements(column))


@table(models.TalentNeed)
@strawberry.type(description="人材ニーズ: what a regional firm needs a professional for.")
class TalentNeed(Node):
    row: strawberry.Private[models.TalentNeed]
    title: str = column(models.TalentNeed.title, description="A short title for the need.")
    challenge: str = column(
        models.TalentNeed.challenge, description="経営課題: the business challenge."
    )
    deliverables: str = column(
        models.TalentNeed.deliverables,
        description="What the professional should deliver by the end (成果物); empty if not said.",
    )
    engagement_types: list[EngagementType] = column(  # type: ignore[valid-type]
        models.TalentNeed.engagement_types,
        description="The ways of working the firm accepts (副業・兼業, 常勤雇用, 出向).",
    )
    hours_per_month: int = column(
        models.TalentNeed.hours_per_month,
        description="Working hours a month the need asks for, 1 to 200.",
    )
    duration_months: int = column(
        models.TalentNeed.duration_months, description="How many months the engagement should last."
    )
    remote_policy: RemotePolicy = column(  # type: ignore[valid-type]
        models.TalentNeed.remote_policy,
        description="How much presence at the workplace the need asks for.",
    )
    site_visits_per_month: int = column(
        models.TalentNeed.site_visits_per_month,
        description="Site visits a month the need asks for (for HYBRID); 0 for none.",
    )
    workplace_municipality: str = column(
        models.TalentNeed.workplace_municipality,
        description="The workplace's municipality (市区町村) as written; empty if not said.",
    )
    fee_min_jpy: int = column(
        models.TalentNeed.fee_min_jpy, description="The lowest monthly fee offered, in yen."
    )
    fee_max_jpy: int = column(
        models.TalentNeed.fee_max_jpy, description="The highest monthly fee offered, in yen."
    )
    starts_on: date = column(models.TalentNeed.starts_on, description="When the work should start.")
    openings: int = column(
        models.TalentNeed.openings,
        description="How many professionals the firm takes on for this need.",
    )
    status: NeedStatus = column(  # type: ignore[valid-type]
        models.TalentNeed.status,
        description="Where the need stands: DRAFT, OPEN, PAUSED, FILLED or CLOSED.",
    )
    version: int = column(
        models.TalentNeed.version,
        description="Increases with each change; send it back when you update the need.",
    )
    created_at: datetime = column(models.TalentNeed.created_at, description="When it was created.")
    updated_at: datetime = computed(
        UPDATED_AT,
        last_changed,
        description="When it last changed (its creation until its first change).",
    )

    @classmethod
    def from_row(cls, row: models.TalentNeed) -> TalentNeed:
        return cls(id=to_global_id("TalentNeed", row.id), row=row)

    @strawberry.field(
        description="Skills the professional must have, with their weights.",
        metadata=sql(_skills_of("{t}.required_skills")),
    )
    def required_skills(self) -> list[WeightedSkill]:
        return [WeightedSkill(row=s) for s in self.row.required_skills]

    @strawberry.field(
        description="Skills that help but are not required, with their weights.",
        metadata=sql(_skills_of("{t}.preferred_skills")),
    )
    def preferred_skills(self) -> list[WeightedSkill]:
        return [WeightedSkill(row=s) for s in self.row.preferred_skills]

    @strawberry.field(
        description="The prefecture of the workplace.",
        metadata=sql(One("Prefecture", "{c}.code = {t}.workplace_prefecture_code")),
    )
    def workplace_prefecture(self) -> Prefecture | None:
        return Prefecture.by_code(self.row.workplace_prefecture_code)

    @strawberry.field(
        description="The firm that posted it.",
        metadata=sql(One("Organization", "{c}.id = {t}.organization_id")),
    )
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)

    project: ProjectRef | None = strawberry.field(
        resolver=project_of,
        description="The project it serves, if you see it.",
        metadata=sql(One("Project", "{c}.id = {t}.project_id")),
    )

    @strawberry.field(
        description="The milestones of its project it serves that you see, by due date.",
        metadata=sql(Many("Milestone", join=_SERVED_MILESTONE, order="{c}.due_on, {c}.id")),
    )
    async def milestones(
        self, info: Info
    ) -> list[Annotated[Milestone, strawberry.lazy("renkei.graphql.types.milestones")]]:
        from renkei.graphql.types.milestones import Milestone

        rows = await info.context.run(lambda s: repository.milestones_of_need(s, self.row.id))
        return [Milestone.from_row(r) for r in rows]

    @strawberry.field(
        description="The statuses it may go to next.",
        metadata=sql(JsonText(enum_list_sql("{t}.status", NEED_TRANSITIONS))),
    )
    def allowed_transitions(self) -> list[NeedStatus]:  # type: ignore[valid-type]
        return list(NEED_TRANSITIONS[self.row.status])

    @strawberry.field(
        description="Its matches you may see (the engine's proposals among them), oldest "
        "first: all of them for the firm, your own for a professional.",
        metadata=sql(
            Page(
                "Match",
                (Key("created_at", "timestamptz"), Key("id", "uuid")),
                join="{c}.need_id = {t}.id",
                filters={"status": Filter("{t}.status = {p}", enum_value)},
            )
        ),
    )
    async def matches(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            MatchStatus | None,  # type: ignore[valid-type]
            strawberry.argument(
                description="Only the matches in this status; all of them if not given."
            ),
        ] = None,
    ) -> Connection[Annotated[Match, strawberry.lazy("renkei.graphql.types.talent_matches")]]:
        from renkei.graphql.types.talent_matches import Match

        wanted = models.MatchStatus(status) if status else None
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.need_matches.load((self.row.id, args, wanted))
        return to_connection(page, Match.from_row)


@table(models.ProfessionalProfile)
@strawberry.type(description="What a firm reads about a professional: no name, contact, employer.")
class ProfessionalProfile:
    row: strawberry.Private[models.ProfessionalProfile]
    pseudonym: str = column(
        models.ProfessionalProfile.pseudonym,
        description="Stable, and says nothing about the person.",
    )
    headline: str = column(
        models.ProfessionalProfile.headline,
        description="One line about the professional, e.g. 「製造業DXのPM、15年」.",
    )
    experience_summary: str = column(
        models.ProfessionalProfile.experience_summary,
        description="Their experience in a few sentences.",
    )
    engagement_types: list[EngagementType] = column(  # type: ignore[valid-type]
        models.ProfessionalProfile.engagement_types,
        description="The ways of working they accept (副業・兼業, 常勤雇用, 出向).",
    )
    hours_per_month: int = column(
        models.ProfessionalProfile.hours_per_month,
        description="Hours a month they can give, 1 to 200.",
    )
    available_from: date = column(
        models.ProfessionalProfile.available_from, description="The first day they can start."
    )
    remote_preference: RemotePolicy = column(  # type: ignore[valid-type]
        models.ProfessionalProfile.remote_preference,
        description="The most presence at a workplace they accept.",
    )
    max_site_visits_per_month: int = column(
        models.ProfessionalProfile.max_site_visits_per_month,
        description="The most site visits a month they accept.",
    )
    fee_min_jpy: int = column(
        models.ProfessionalProfile.fee_min_jpy,
        description="The lowest monthly fee they accept, in yen.",
    )
    fee_max_jpy: int = column(
        models.ProfessionalProfile.fee_max_jpy,
        description="The monthly fee they hope for at most, in yen.",
    )
    max_engagements: int = column(
        models.ProfessionalProfile.max_engagements,
        description="How many engagements they take at once, 1 to 10.",
    )
    is_open: bool = column(
        models.ProfessionalProfile.is_open,
        description="Whether they take new matches now; false keeps them out of"
        " proposals and scouting.",
    )
    version: int = column(
        models.ProfessionalProfile.version,
        description="Increases with each change; send it back when you save the profile.",
    )

    @classmethod
    def from_row(cls, row: models.ProfessionalProfile) -> ProfessionalProfile:
        return cls(row=row)

    @strawberry.field(
        description="Their skills, with level and years, in the order they gave them.",
        metadata=sql(
            Many("SkillLevel", join="true", order="{c}.n", source=json_elements("{t}.skills"))
        ),
    )
    def skills(self) -> list[SkillLevel]:
        return [SkillLevel(row=s) for s in self.row.skills]

    @strawberry.field(
        description="The prefecture they live in (the prefecture only, never an address).",
        metadata=sql(One("Prefecture", "{c}.code = {t}.residence_prefecture_code")),
    )
    def residence_prefecture(self) -> Prefecture | None:
        return Prefecture.by_code(self.row.residence_prefecture_code)

    @strawberry.field(
        description="Prefectures they would travel to, in the order they gave them.",
        metadata=sql(
            Many(
                "Prefecture",
                join="true",
                order="u.n",
                source="unnest({t}.travel_prefecture_codes) WITH ORDINALITY u(code, n)"
                " JOIN prefectures {c} ON {c}.code = u.code",
            )
        ),
    )
    def travel_prefectures(self) -> list[Prefecture]:
        codes = self.row.travel_prefecture_codes
        return [p for p in map(Prefecture.by_code, codes) if p is not None]

    # Ties to a prefecture that exists.
    @strawberry.field(
        description="Their ties to prefectures (関係人口): hometown, past residence,"
        " second home, ふるさと納税.",
        metadata=sql(
            Many(
                "Tie",
                join="EXISTS (SELECT FROM prefectures p WHERE p.code = {c}.v->>'prefecture')",
                order="{c}.n",
                source=json_elements("{t}.ties"),
            )
        ),
    )
    def ties(self) -> list[Tie]:
        return [
            Tie(row=t) for t in self.row.ties if Prefecture.by_code(t["prefecture"]) is not None
        ]


@table(models.Professional)
@strawberry.type(description="Your own professional record: who you are, and your profile.")
class Professional(Node):
    row: strawberry.Private[models.Professional]
    pseudonym: str = column(
        models.Professional.pseudonym,
        description="The name firms see before a match is accepted (e.g."
        " 「人材-7F3K2Q」): stable, and says nothing about the person.",
    )
    full_name: str = column(
        models.Professional.full_name,
        description="Your full name (氏名); a firm sees it only once both sides accept a match.",
    )
    contact_email: str = column(
        models.Professional.contact_email,
        description="Where firms reach you once a match is accepted.",
    )
    phone: str | None = column(
        models.Professional.phone, description="Your phone number; null if you gave none."
    )
    current_employer: str | None = column(
        models.Professional.current_employer,
        description="Your main employer (本業); null if you gave none.",
    )

    @classmethod
    def from_row(cls, row: models.Professional) -> Professional:
        return cls(id=to_global_id("Professional", row.id), row=row)

    @strawberry.field(
        description="Your profile as firms read it; null until you save one.",
        metadata=sql(One("ProfessionalProfile", "{c}.professional_id = {t}.id")),
    )
    async def profile(self, info: Info) -> ProfessionalProfile | None:
        row = await info.context.run(lambda s: repository.profile(s, self.row.id))
        return ProfessionalProfile.from_row(row) if row else None


register_node("TalentNeed", models.TalentNeed, TalentNeed.from_row, TALENT_READ)
register_node("Professional", models.Professional, Professional.from_row, TALENT_READ)
