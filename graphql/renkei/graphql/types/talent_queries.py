"""Talent's root queries: skills, needs, your professional record and profile, matches and
subsidy schemes; each also compiled into the one-statement read (renkei.graphql.compiled)."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.compiled.spec import (
    Filter,
    Key,
    Lookup,
    Page,
    Rows,
    decode_global_id,
    enum_value,
    register_root,
)
from renkei.graphql.context import Info
from renkei.graphql.permissions import requires
from renkei.graphql.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    PageArgs,
    empty_page,
    root_page,
    row_id,
    to_connection,
)
from renkei.graphql.types.talent import (
    MatchSide,
    MatchStatus,
    NeedStatus,
    Professional,
    ProfessionalProfile,
    Skill,
    TalentNeed,
)
from renkei.graphql.types.talent_matches import VIEWER_ORGANIZATION, Match, SubsidyScheme
from renkei.graphql.types.talent_report import MatchingReport
from renkei.identity.scopes import TALENT_READ
from renkei.talent import models, report, repository, subsidies
from renkei.talent import skills as taxonomy
from renkei.talent.lifecycle import Side
from renkei.text_search import normalize


def search_skills(search: str | None) -> list[taxonomy.Skill]:
    """Skills whose names or synonyms contain the search, the exact name first; all without."""
    found = taxonomy.default_taxonomy()
    if not search or not search.strip():
        return list(found)
    exact = found.lookup(search)
    wanted = normalize(unicodedata.normalize("NFKC", search))
    hits = [s for s in found if any(wanted in normalize(n) for n in s.names)]
    hits += [s for s in found.resolve(search) if s not in hits]
    if exact is not None and exact in hits:
        hits.remove(exact)
        hits.insert(0, exact)
    elif exact is not None:
        hits.insert(0, exact)
    return hits


def prefecture_code(value: str | None) -> str | None:
    """A prefecture code as people type it (ｆull width, 1 for 01); None for none."""
    return unicodedata.normalize("NFKC", value).strip().zfill(2) if value else None


def skill_slug(value: str) -> str | None:
    """The slug of a skill named by slug or any name; None when the taxonomy has no such."""
    found = taxonomy.default_taxonomy()
    resolved = found.by_slug.get(value.strip()) or found.lookup(value)
    return None if resolved is None else resolved.slug


async def _own_profile(
    session: AsyncSession, user_id: uuid.UUID
) -> models.ProfessionalProfile | None:
    own = await repository.own_professional(session, user_id)
    return None if own is None else await repository.profile(session, own.id)


def need_list(args: dict[str, Any]) -> Select[models.TalentNeed] | None:
    """The repository's needs for the `talentNeeds` arguments: the resolver's and the compiled
    page's one row source. None when nothing can match: a skill the taxonomy does not know, or
    the id of something other than an organization."""
    skill, organization = args.get("skill"), args.get("organization_id")
    slug = None if skill is None else skill_slug(skill)
    firm = None if organization is None else row_id(organization, "Organization")
    if (skill is not None and slug is None) or (organization is not None and firm is None):
        return None
    status = args.get("status")
    return repository.needs(
        organization_id=firm,
        status=models.NeedStatus(status) if status else None,
        prefecture_code=prefecture_code(args.get("prefecture_code")),
        skill=slug,
        search=args.get("search"),
    )


@strawberry.type
class TalentQueries:
    @strawberry.field(
        description="Skills of the taxonomy whose names or synonyms match the search (財務, "
        "ふぁいなんす, finance); all of them without one.",
        extensions=requires(TALENT_READ),
    )
    def skills(
        self,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words to find in a skill's names and synonyms, in kanji, kana or"
                " English; all skills without one."
            ),
        ] = None,
    ) -> list[Skill]:
        return [Skill.of(s) for s in search_skills(search)]

    @strawberry.field(
        description="Needs you may see: open ones for everyone signed in, and your firm's own. "
        "Filter by status, workplace prefecture, a skill (slug or name), a search or the firm.",
        extensions=requires(TALENT_READ),
    )
    async def talent_needs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            NeedStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only needs in this status."),
        ] = None,
        prefecture_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only needs whose workplace is in this prefecture (JIS X 0401 code,"
                " 01 to 47)."
            ),
        ] = None,
        skill: Annotated[
            str | None,
            strawberry.argument(
                description="Only needs that ask for this skill, by slug or any of its names"
                " (e.g. マーケティング)."
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words to find in the title and challenge; Japanese works with any"
                " two characters."
            ),
        ] = None,
        organization_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only the needs of this firm (its organization's global id)."
            ),
        ] = None,
    ) -> Connection[TalentNeed]:
        args = PageArgs.of(first, after, last, before)
        stmt = need_list(
            {
                "status": status,
                "prefecture_code": prefecture_code,
                "skill": skill,
                "search": search,
                "organization_id": organization_id,
            }
        )
        page = await root_page(
            info.context,
            stmt,
            order_by=(models.TalentNeed.created_at, models.TalentNeed.id),
            args=args,
        )
        return to_connection(page, TalentNeed.from_row)

    @strawberry.field(
        description="A talent need (人材ニーズ) by global id; null if you may not see"
        " it (another firm's draft, for one).",
        extensions=requires(TALENT_READ),
    )
    async def talent_need(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The talent need's global id."),
        ],
    ) -> TalentNeed | None:
        key = row_id(id, "TalentNeed")
        if key is None:
            return None
        row = await info.context.loaders.talent_need.load(key)
        return TalentNeed.from_row(row) if row else None

    @strawberry.field(
        description="The matching engine's stability report: over every open need for the "
        "platform's operators, or for one need (needId) for its own firm; null for anyone else.",
        extensions=requires(TALENT_READ),
    )
    async def matching_report(
        self,
        info: Info,
        need_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="One need's global id, for its own firm; without it, the report"
                " over every open need (operators only)."
            ),
        ] = None,
    ) -> MatchingReport | None:
        key = None if need_id is None else row_id(need_id, "TalentNeed")
        if need_id is not None and key is None:
            return None
        found = await info.context.run(
            lambda s: report.matching_report(s, info.context.viewer, need_id=key)
        )
        return None if found is None else MatchingReport(row=found)

    @strawberry.field(
        description="Your own professional record; null until you save a profile.",
        extensions=requires(TALENT_READ),
    )
    async def my_professional(self, info: Info) -> Professional | None:
        user_id = info.context.viewer.user_id
        if user_id is None:
            return None
        row = await info.context.run(lambda s: repository.own_professional(s, user_id))
        return Professional.from_row(row) if row else None

    @strawberry.field(
        description="Your own profile as firms read it; null until you save one.",
        extensions=requires(TALENT_READ),
    )
    async def my_professional_profile(self, info: Info) -> ProfessionalProfile | None:
        user_id = info.context.viewer.user_id
        if user_id is None:
            return None
        row = await info.context.run(lambda s: _own_profile(s, user_id))
        return ProfessionalProfile.from_row(row) if row else None

    @strawberry.field(
        description="Matches of your side, newest first: your firm's when you act for an "
        "organization (or side: FIRM), your own as a professional otherwise; side: "
        "INTERMEDIARY, those your organization introduced.",
        extensions=requires(TALENT_READ),
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
            strawberry.argument(description="Only matches in this status."),
        ] = None,
        side: Annotated[
            MatchSide | None,  # type: ignore[valid-type]
            strawberry.argument(
                description="Which side's matches: FIRM (your organization's needs),"
                " PROFESSIONAL (your own) or INTERMEDIARY (those your organization"
                " introduced); decided by whom you act for if not given."
            ),
        ] = None,
    ) -> Connection[Match]:
        args = PageArgs.of(first, after, last, before)
        viewer = info.context.viewer
        wanted = models.MatchStatus(status) if status else None
        if side is Side.INTERMEDIARY:
            if viewer.user_id is None or viewer.organization_id is None:
                return to_connection(empty_page(args), Match.from_row)
            introduced = repository.matches(introduced_by=viewer.organization_id, status=wanted)
            page = await root_page(
                info.context,
                introduced,
                order_by=(models.Match.created_at, models.Match.id),
                args=args,
            )
            return to_connection(page, Match.from_row)
        as_firm = side is Side.FIRM or (side is None and viewer.organization_id is not None)
        if viewer.user_id is None or (as_firm and viewer.organization_id is None):
            return to_connection(empty_page(args), Match.from_row)
        if as_firm:
            stmt = repository.matches(organization_id=viewer.organization_id, status=wanted)
        else:
            user_id = viewer.user_id
            own = await info.context.run(lambda s: repository.own_professional(s, user_id))
            if own is None:
                return to_connection(empty_page(args), Match.from_row)
            stmt = repository.matches(professional_id=own.id, status=wanted)
        page = await root_page(
            info.context, stmt, order_by=(models.Match.created_at, models.Match.id), args=args
        )
        return to_connection(page, Match.from_row)

    @strawberry.field(
        description="A match (マッチング) by global id; null unless you are on one of"
        " its sides or introduced it.",
        extensions=requires(TALENT_READ),
    )
    async def match(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The match's global id."),
        ],
    ) -> Match | None:
        key = row_id(id, "Match")
        if key is None:
            return None
        row = await info.context.loaders.match.load(key)
        return Match.from_row(row) if row else None

    @strawberry.field(
        description="Prefectures' side-job subsidy schemes, by prefecture code and fiscal year.",
        extensions=requires(TALENT_READ),
    )
    async def subsidy_schemes(
        self,
        info: Info,
        prefecture_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only the schemes of this prefecture (JIS X 0401 code, 01 to 47)."
            ),
        ] = None,
        fiscal_year: Annotated[
            int | None,
            strawberry.argument(
                description="Only the schemes of this fiscal year (年度): 2026 is April 2026 to"
                " March 2027."
            ),
        ] = None,
    ) -> list[SubsidyScheme]:
        code = _code(prefecture_code)
        rows = await info.context.run(
            lambda s: subsidies.schemes(s, prefecture_code=code, fiscal_year=fiscal_year)
        )
        return [SubsidyScheme.from_row(r) for r in rows]


_code = prefecture_code
_BY_CREATION = (Key("created_at", "timestamptz"), Key("id", "uuid"))
_SIGNED_IN = "(SELECT renkei_user_id()) IS NOT NULL"
_AS_FIRM = f"{{t}}.organization_id = {VIEWER_ORGANIZATION}"
# The viewer's own professional record (one per user), once per statement: an index reads
# their matches by professional_id.
_OWN = "(SELECT p.id FROM professionals p WHERE p.user_id = (SELECT renkei_user_id()))"
_AS_PROFESSIONAL = f"{{t}}.professional_id = {_OWN}"
_AS_INTERMEDIARY = f"{{t}}.introduced_by_organization_id = {VIEWER_ORGANIZATION}"


def _side_rules(args: dict[str, object]) -> list[str]:
    """TalentQueries.matches: the firm's when acting for one (or side: FIRM), else your own."""
    side = enum_value(args.get("side"))
    if side == Side.FIRM.value:
        return [_SIGNED_IN, _AS_FIRM]
    if side == Side.PROFESSIONAL.value:
        return [_SIGNED_IN, _AS_PROFESSIONAL]
    if side == Side.INTERMEDIARY.value:
        return [_SIGNED_IN, _AS_INTERMEDIARY]
    # Each side of the OR is an index condition (a CASE would read every match).
    return [
        _SIGNED_IN,
        f"(({VIEWER_ORGANIZATION} IS NOT NULL AND {_AS_FIRM})"
        f" OR ({VIEWER_ORGANIZATION} IS NULL AND {_AS_PROFESSIONAL}))",
    ]


register_root(
    "skills",
    Rows(
        "Skill",
        order="{c}.position",
        filters={
            "search": Filter(
                "{t}.slug = ANY(CAST({p} AS text[]))",
                lambda q: [s.slug for s in search_skills(q)] if q.strip() else None,
            )
        },
        ordered={"search": "array_position(CAST({p} AS text[]), {c}.slug::text)"},
    ),
    scope=TALENT_READ,
)
register_root("talentNeeds", Page("TalentNeed", _BY_CREATION, source=need_list), scope=TALENT_READ)
register_root(
    "talentNeed",
    Lookup("TalentNeed", by={"id": Filter("{t}.id = {p}", decode_global_id("TalentNeed"))}),
    scope=TALENT_READ,
)
register_root(
    "myProfessional",
    Lookup("Professional", by={}, where="{t}.user_id = (SELECT renkei_user_id())"),
    scope=TALENT_READ,
)
register_root(
    "myProfessionalProfile",
    Lookup("ProfessionalProfile", by={}, where=f"{{t}}.professional_id = {_OWN}"),
    scope=TALENT_READ,
)
register_root(
    "matches",
    Page(
        "Match",
        _BY_CREATION,
        filters={"status": Filter("{t}.status = {p}", enum_value)},
        rules=_side_rules,
        ruled=frozenset({"side"}),
    ),
    scope=TALENT_READ,
)
register_root(
    "match",
    Lookup("Match", by={"id": Filter("{t}.id = {p}", decode_global_id("Match"))}),
    scope=TALENT_READ,
)
register_root(
    "subsidySchemes",
    Rows(
        "SubsidyScheme",
        order="{c}.prefecture_code, {c}.fiscal_year, {c}.name",
        filters={
            "prefecture_code": Filter("{t}.prefecture_code = {p}", _code),
            "fiscal_year": Filter("{t}.fiscal_year = {p}"),
        },
    ),
    scope=TALENT_READ,
)
