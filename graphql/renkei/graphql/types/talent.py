"""Talent: skills, firms' needs and professionals' profiles (matches: talent_matches.py).

A firm reads a professional through `Match.professional` (the anonymized profile) and
`Match.contact`, which is null until both sides have accepted: row-level security hides the
professional's identity row until then, so the resolver has nothing to show.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from renkei.graphql.compiled.json_sql import iso_date_sql, iso_datetime_sql
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
    enum_list_sql,
    enum_value,
    register_table,
)
from renkei.graphql.context import Info
from renkei.graphql.nodes import register_node
from renkei.graphql.relay import Connection, Node, PageArgs, to_connection, to_global_id
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.organizations import Organization
from renkei.identity.scopes import TALENT_READ
from renkei.talent import models, repository, specs
from renkei.talent import skills as taxonomy
from renkei.talent.lifecycle import Side
from renkei.talent.service import NEED_TRANSITIONS

if TYPE_CHECKING:
    from renkei.graphql.types.talent_matches import Match

NeedStatus = strawberry.enum(models.NeedStatus, description="DRAFT → OPEN → PAUSED/FILLED/CLOSED.")
MatchStatus = strawberry.enum(models.MatchStatus, description="Where a match stands.")
EngagementType = strawberry.enum(specs.EngagementType)
RemotePolicy = strawberry.enum(specs.RemotePolicy)
TieKind = strawberry.enum(specs.TieKind, description="A tie to a prefecture (関係人口).")
MatchSide = strawberry.enum(Side, name="MatchSide")
CostKind = strawberry.enum(models.CostKind, description="A kind of a match's cost.")


@strawberry.type(description="A canonical skill of the taxonomy, with its names and synonyms.")
class Skill:
    slug: str
    name_ja: str
    name_en: str
    category: str
    synonyms: list[str]

    @classmethod
    def of(cls, skill: taxonomy.Skill) -> Skill:
        return cls(
            slug=skill.slug,
            name_ja=skill.name_ja,
            name_en=skill.name_en,
            category=skill.category,
            synonyms=list(skill.synonyms),
        )

    @classmethod
    def by_slug(cls, slug: str) -> Skill:
        return cls.of(taxonomy.default_taxonomy()[slug])


@strawberry.type(description="A skill a need asks for, with the firm's weight (0..1).")
class WeightedSkill:
    skill: Skill
    weight: float


@strawberry.type(description="A professional's skill: level 1 (basic) to 5 (expert), years.")
class SkillLevel:
    skill: Skill
    level: int
    years: float


@strawberry.type(description="A professional's tie to a prefecture (関係人口).")
class Tie:
    prefecture: Prefecture
    kind: TieKind  # type: ignore[valid-type]


def _prefectures(codes: list[str]) -> list[Prefecture]:
    return [p for p in map(Prefecture.by_code, codes) if p is not None]


@strawberry.type(description="人材ニーズ: what a regional firm needs a professional for.")
class TalentNeed(Node):
    title: str
    challenge: str = strawberry.field(description="経営課題: the business challenge.")
    deliverables: str
    engagement_types: list[EngagementType]  # type: ignore[valid-type]
    hours_per_month: int
    duration_months: int
    remote_policy: RemotePolicy  # type: ignore[valid-type]
    site_visits_per_month: int
    workplace_municipality: str
    fee_min_jpy: int
    fee_max_jpy: int
    starts_on: date
    openings: int
    status: NeedStatus  # type: ignore[valid-type]
    version: int
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.TalentNeed]

    @classmethod
    def from_row(cls, row: models.TalentNeed) -> TalentNeed:
        return cls(
            id=to_global_id("TalentNeed", row.id),
            title=row.title,
            challenge=row.challenge,
            deliverables=row.deliverables,
            engagement_types=[specs.EngagementType(t) for t in row.engagement_types],
            hours_per_month=row.hours_per_month,
            duration_months=row.duration_months,
            remote_policy=specs.RemotePolicy(row.remote_policy),
            site_visits_per_month=row.site_visits_per_month,
            workplace_municipality=row.workplace_municipality,
            fee_min_jpy=row.fee_min_jpy,
            fee_max_jpy=row.fee_max_jpy,
            starts_on=row.starts_on,
            openings=row.openings,
            status=row.status,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at or row.created_at,
            row=row,
        )

    @strawberry.field
    def required_skills(self) -> list[WeightedSkill]:
        return [
            WeightedSkill(skill=Skill.by_slug(s["skill"]), weight=s["weight"])
            for s in self.row.required_skills
        ]

    @strawberry.field
    def preferred_skills(self) -> list[WeightedSkill]:
        return [
            WeightedSkill(skill=Skill.by_slug(s["skill"]), weight=s["weight"])
            for s in self.row.preferred_skills
        ]

    @strawberry.field
    def workplace_prefecture(self) -> Prefecture | None:
        return Prefecture.by_code(self.row.workplace_prefecture_code)

    @strawberry.field(description="The firm that posted it.")
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)

    @strawberry.field(description="The statuses it may go to next.")
    def allowed_transitions(self) -> list[NeedStatus]:  # type: ignore[valid-type]
        return list(NEED_TRANSITIONS[self.row.status])

    @strawberry.field(
        description="Its matches you may see (the engine's proposals among them), oldest "
        "first: all of them for the firm, your own for a professional."
    )
    async def matches(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: MatchStatus | None = None,  # type: ignore[valid-type]
    ) -> Connection[Annotated[Match, strawberry.lazy("renkei.graphql.types.talent_matches")]]:
        from renkei.graphql.types.talent_matches import Match

        wanted = models.MatchStatus(status) if status else None
        loader = info.context.loaders.children(
            f"need_matches:{wanted}",
            lambda: repository.matches(status=wanted),
            parent=models.Match.need_id,
            order_by=(models.Match.created_at, models.Match.id),
        )
        page = await loader.load((self.row.id, PageArgs.of(first, after, last, before)))
        return to_connection(page, Match.from_row)


@strawberry.type(description="What a firm reads about a professional: no name, contact, employer.")
class ProfessionalProfile:
    pseudonym: str = strawberry.field(description="Stable, and says nothing about the person.")
    headline: str
    experience_summary: str
    engagement_types: list[EngagementType]  # type: ignore[valid-type]
    hours_per_month: int
    available_from: date
    remote_preference: RemotePolicy  # type: ignore[valid-type]
    max_site_visits_per_month: int
    fee_min_jpy: int
    fee_max_jpy: int
    max_engagements: int
    is_open: bool
    version: int
    row: strawberry.Private[models.ProfessionalProfile]

    @classmethod
    def from_row(cls, row: models.ProfessionalProfile) -> ProfessionalProfile:
        return cls(
            pseudonym=row.pseudonym,
            headline=row.headline,
            experience_summary=row.experience_summary,
            engagement_types=[specs.EngagementType(t) for t in row.engagement_types],
            hours_per_month=row.hours_per_month,
            available_from=row.available_from,
            remote_preference=specs.RemotePolicy(row.remote_preference),
            max_site_visits_per_month=row.max_site_visits_per_month,
            fee_min_jpy=row.fee_min_jpy,
            fee_max_jpy=row.fee_max_jpy,
            max_engagements=row.max_engagements,
            is_open=row.is_open,
            version=row.version,
            row=row,
        )

    @strawberry.field
    def skills(self) -> list[SkillLevel]:
        return [
            SkillLevel(skill=Skill.by_slug(s["skill"]), level=s["level"], years=s["years"])
            for s in self.row.skills
        ]

    @strawberry.field
    def residence_prefecture(self) -> Prefecture | None:
        return Prefecture.by_code(self.row.residence_prefecture_code)

    @strawberry.field
    def travel_prefectures(self) -> list[Prefecture]:
        return _prefectures(self.row.travel_prefecture_codes)

    @strawberry.field
    def ties(self) -> list[Tie]:
        return [
            Tie(prefecture=p, kind=specs.TieKind(t["kind"]))
            for t in self.row.ties
            if (p := Prefecture.by_code(t["prefecture"])) is not None
        ]


@strawberry.type(description="Your own professional record: who you are, and your profile.")
class Professional(Node):
    pseudonym: str
    full_name: str
    contact_email: str
    phone: str | None
    current_employer: str | None
    row: strawberry.Private[models.Professional]

    @classmethod
    def from_row(cls, row: models.Professional) -> Professional:
        return cls(
            id=to_global_id("Professional", row.id),
            pseudonym=row.pseudonym,
            full_name=row.full_name,
            contact_email=row.contact_email,
            phone=row.phone,
            current_employer=row.current_employer,
            row=row,
        )

    @strawberry.field
    async def profile(self, info: Info) -> ProfessionalProfile | None:
        row = await info.context.run(lambda s: repository.profile(s, self.row.id))
        return ProfessionalProfile.from_row(row) if row else None


register_node("TalentNeed", models.TalentNeed, TalentNeed.from_row, TALENT_READ)
register_node("Professional", models.Professional, Professional.from_row, TALENT_READ)


def json_elements(column: str) -> str:
    """A JSONB list of objects as rows `{c}.v`, numbered `{c}.n` (for `Many(order="{c}.n")`)."""
    return f"jsonb_array_elements({column}) WITH ORDINALITY {{c}}(v, n)"


def _skills_of(column: str) -> Many:
    return Many("WeightedSkill", join="true", order="{c}.n", source=json_elements(column))


def _dated(column: str) -> Scalar:
    return Scalar(iso_date_sql(f"{{t}}.{column}"), WORD)


def _timed(column: str) -> Scalar:
    return Scalar(iso_datetime_sql(f"{{t}}.{column}"), WORD)


UPDATED_AT = Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD)
ENUM_LIST = "to_json({t}.%s)::text"

register_table(
    "Skill",
    "talent_skills",
    {
        "slug": Scalar("{t}.slug"),
        "name_ja": Scalar("{t}.name_ja"),
        "name_en": Scalar("{t}.name_en"),
        "category": Scalar("{t}.category"),
        "synonyms": JsonText("to_json({t}.synonyms)::text"),
    },
)
# Elements of a JSONB list ({t}.v): the skill by slug, with the need's weight or a level.
SKILL_OF_ELEMENT = One("Skill", "{c}.slug = {t}.v->>'skill'")
register_table(
    "WeightedSkill",
    "talent_needs",
    {"skill": SKILL_OF_ELEMENT, "weight": Scalar("({t}.v->>'weight')::float8", NUMBER)},
)
register_table(
    "SkillLevel",
    "professional_profiles",
    {
        "skill": SKILL_OF_ELEMENT,
        "level": Scalar("({t}.v->>'level')::int", NUMBER),
        "years": Scalar("({t}.v->>'years')::float8", NUMBER),
    },
)
register_table(
    "Tie",
    "professional_profiles",
    {
        "prefecture": One("Prefecture", "{c}.code = {t}.v->>'prefecture'"),
        "kind": Scalar("{t}.v->>'kind'", WORD),
    },
)
register_table(
    "TalentNeed",
    "talent_needs",
    {
        "title": Scalar("{t}.title"),
        "challenge": Scalar("{t}.challenge"),
        "deliverables": Scalar("{t}.deliverables"),
        "engagement_types": JsonText(ENUM_LIST % "engagement_types"),
        "hours_per_month": Scalar("{t}.hours_per_month", NUMBER),
        "duration_months": Scalar("{t}.duration_months", NUMBER),
        "remote_policy": Scalar("{t}.remote_policy", WORD),
        "site_visits_per_month": Scalar("{t}.site_visits_per_month", NUMBER),
        "workplace_municipality": Scalar("{t}.workplace_municipality"),
        "fee_min_jpy": Scalar("{t}.fee_min_jpy", NUMBER),
        "fee_max_jpy": Scalar("{t}.fee_max_jpy", NUMBER),
        "starts_on": _dated("starts_on"),
        "openings": Scalar("{t}.openings", NUMBER),
        "status": Scalar("{t}.status", WORD),
        "version": Scalar("{t}.version", NUMBER),
        "created_at": _timed("created_at"),
        "updated_at": UPDATED_AT,
        "required_skills": _skills_of("{t}.required_skills"),
        "preferred_skills": _skills_of("{t}.preferred_skills"),
        "workplace_prefecture": One("Prefecture", "{c}.code = {t}.workplace_prefecture_code"),
        "organization": One("Organization", "{c}.id = {t}.organization_id"),
        "allowed_transitions": JsonText(enum_list_sql("{t}.status", NEED_TRANSITIONS)),
        "matches": Page(
            "Match",
            (Key("created_at", "timestamptz"), Key("id", "uuid")),
            join="{c}.need_id = {t}.id",
            filters={"status": Filter("{t}.status = {p}", enum_value)},
        ),
    },
)
register_table(
    "ProfessionalProfile",
    "professional_profiles",
    {
        "pseudonym": Scalar("{t}.pseudonym"),
        "headline": Scalar("{t}.headline"),
        "experience_summary": Scalar("{t}.experience_summary"),
        "engagement_types": JsonText(ENUM_LIST % "engagement_types"),
        "hours_per_month": Scalar("{t}.hours_per_month", NUMBER),
        "available_from": _dated("available_from"),
        "remote_preference": Scalar("{t}.remote_preference", WORD),
        "max_site_visits_per_month": Scalar("{t}.max_site_visits_per_month", NUMBER),
        "fee_min_jpy": Scalar("{t}.fee_min_jpy", NUMBER),
        "fee_max_jpy": Scalar("{t}.fee_max_jpy", NUMBER),
        "max_engagements": Scalar("{t}.max_engagements", NUMBER),
        "is_open": Scalar("{t}.is_open", NUMBER),
        "version": Scalar("{t}.version", NUMBER),
        "skills": Many(
            "SkillLevel", join="true", order="{c}.n", source=json_elements("{t}.skills")
        ),
        "residence_prefecture": One("Prefecture", "{c}.code = {t}.residence_prefecture_code"),
        "travel_prefectures": Many(
            "Prefecture",
            join="true",
            order="u.n",
            source="unnest({t}.travel_prefecture_codes) WITH ORDINALITY u(code, n)"
            " JOIN prefectures {c} ON {c}.code = u.code",
        ),
        # Ties to a prefecture that exists, as the resolver shows them.
        "ties": Many(
            "Tie",
            join="EXISTS (SELECT FROM prefectures p WHERE p.code = {c}.v->>'prefecture')",
            order="{c}.n",
            source=json_elements("{t}.ties"),
        ),
    },
)
register_table(
    "Professional",
    "professionals",
    {
        "pseudonym": Scalar("{t}.pseudonym"),
        "full_name": Scalar("{t}.full_name"),
        "contact_email": Scalar("{t}.contact_email"),
        "phone": Scalar("{t}.phone"),
        "current_employer": Scalar("{t}.current_employer"),
        "profile": One("ProfessionalProfile", "{c}.professional_id = {t}.id"),
    },
)
