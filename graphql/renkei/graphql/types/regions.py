"""Regions (広域リージョン): their declaration, vision, secretariat and member organizations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import strawberry
from sqlalchemy import Select

from renkei.activity.models import SubjectType
from renkei.geography.codes import normalize_prefecture_code
from renkei.graphql.compiled.json_sql import iso_datetime_sql
from renkei.graphql.compiled.spec import (
    WORD,
    Filter,
    Inline,
    Key,
    Lookup,
    Many,
    NotCompilable,
    One,
    Page,
    Scalar,
    column,
    computed,
    decode_global_id,
    enum_value,
    register_root,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import (
    MAX_PAGE_SIZE,
    After,
    Before,
    Connection,
    First,
    Last,
    Node,
    PageArgs,
    empty_page,
    parse_global_id,
    root_page,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.activity import ORDER as ACTIVITY_ORDER
from renkei.graphql.types.activity import Activity
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.kpis_computed import KPI_ROLLUP
from renkei.graphql.types.milestones import MILESTONES_OF_REGION
from renkei.graphql.types.organizations import Organization
from renkei.identity.scopes import PROJECTS_READ
from renkei.organizations.service import is_slug
from renkei.regions import models, repository
from renkei.text_search import bigrams

if TYPE_CHECKING:
    from renkei.graphql.types.kpis import Kpi, KpiRollup
    from renkei.graphql.types.milestones import Milestone, MilestoneStatus
    from renkei.graphql.types.projects import Project, ProjectCategory, ProjectStatus

RegionRole = described_enum(
    models.RegionRole,
    description="An organization's part in a region: it runs it, or takes part.",
    values={
        "SECRETARIAT": "Runs the region (事務局): invites members, adopts its vision.",
        "MEMBER": "A member organization (メンバー) of the region.",
        "SUPPORTER": "Supports the region (支援団体, e.g. a bank or university) without being a"
        " member.",
    },
)
ParticipationStatus = described_enum(
    models.ParticipationStatus,
    description="Where an organization stands in a region or a project: it joins only by "
    "accepting an invitation.",
    values={
        "INVITED": "Invited (招待中); it takes part only once its owners or admins accept.",
        "ACTIVE": "Takes part: it accepted the invitation, or founded the region or project.",
        "DECLINED": "It declined the invitation (辞退).",
        "LEFT": "It took part and left (脱退済み).",
    },
)

_BY_CREATION = (Key("created_at", "timestamptz"), Key("id", "uuid"))
_BY_NAME = (Key("name"), Key("id", "uuid"))
# The prefectures of a region's or a project's `prefecture_codes`, in the order stored.
PREFECTURES_OF = Many(
    "Prefecture",
    join="true",
    order="u.n",
    source="unnest({t}.prefecture_codes) WITH ORDINALITY u(code, n)"
    " JOIN prefectures {c} ON {c}.code = u.code",
)


class _Row(Protocol):
    """What a region and a project both have."""

    prefecture_codes: list[str]
    created_at: datetime
    updated_at: datetime | None


def last_changed(row: _Row) -> datetime:
    """A region's or a project's `updatedAt`: its creation until its first change."""
    return row.updated_at or row.created_at


def prefectures_of(row: _Row) -> list[Prefecture]:
    """A region's or a project's prefectures, in the order of its `prefecture_codes`."""
    return [p for p in map(Prefecture.by_code, row.prefecture_codes) if p is not None]


LAST_CHANGED = Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD)


@table(models.Region)
@strawberry.type(description="宣言: the public declaration that founds a region.")
class RegionDeclaration:
    row: strawberry.Private[models.Region]
    text: str = column(
        models.Region.declaration_text, description="The declaration's text; empty if not recorded."
    )
    declared_on: date | None = column(
        models.Region.declared_on, description="When it was declared; null if not yet."
    )
    demo: bool = column(
        models.Region.declaration_demo,
        description="The text was invented for the demonstration data, not the one declared.",
    )
    sources: list[str] = column(
        models.Region.declaration_sources,
        description="Public pages that record the declaration (who declared, and when).",
    )

    @strawberry.field(
        description="The member organizations that signed it, in the order they joined "
        f"(the first {MAX_PAGE_SIZE}).",
        metadata=sql(
            Many(
                "Organization",
                join="m.region_id = {t}.id AND m.status = 'ACTIVE' AND m.is_signatory",
                order="m.created_at, m.id",
                source="region_members m JOIN organizations {c} ON {c}.id = m.organization_id",
                limit=MAX_PAGE_SIZE,
            )
        ),
    )
    async def signatories(self, info: Info) -> list[Organization]:
        loader = info.context.loaders.region_signatories
        page = await loader.load((self.row.id, PageArgs(first=MAX_PAGE_SIZE)))
        rows = await info.context.loaders.organization.load_many(
            [m.organization_id for m in page.rows]
        )
        return [Organization.from_row(row) for row in rows if row is not None]

    @strawberry.field(
        description="Members that a signatory body signed for (関西広域連合 for its 府県 and "
        f"政令市), in the order they joined (the first {MAX_PAGE_SIZE}); each member's "
        "`representedBy` names the body.",
        metadata=sql(
            Many(
                "RegionMember",
                join="{c}.region_id = {t}.id AND {c}.status = 'ACTIVE'"
                " AND {c}.represented_by_organization_id IS NOT NULL",
                order="{c}.created_at, {c}.id",
                limit=MAX_PAGE_SIZE,
            )
        ),
    )
    async def represented(self, info: Info) -> list[RegionMember]:
        loader = info.context.loaders.region_represented
        page = await loader.load((self.row.id, PageArgs(first=MAX_PAGE_SIZE)))
        return [RegionMember.from_row(row) for row in page.rows]


@table(models.Region)
@strawberry.type(
    description="ビジョン: the region's plan (projects, 役割分担, 実施体制); each adoption is a "
    "new version, earlier ones are in the activity log."
)
class RegionVision:
    row: strawberry.Private[models.Region]
    text: str = column(
        models.Region.vision_text,
        description="The vision's text: projects, division of roles (役割分担),"
        " implementation structure (実施体制).",
    )
    adopted_on: date | None = column(
        models.Region.vision_adopted_on, description="When it was adopted; null if not recorded."
    )
    version: int = column(
        models.Region.vision_version,
        description="1 for the first vision adopted, and one more with each new one.",
    )
    demo: bool = column(
        models.Region.vision_demo,
        description="The text (and its adoption date) was invented for the demonstration data.",
    )


@table(models.Region)
@strawberry.type(
    description="広域リージョン: a consortium across prefectures, run by a secretariat."
)
class Region(Node):
    row: strawberry.Private[models.Region]
    slug: str = column(
        models.Region.slug,
        description="A short unique name in addresses (e.g. kyushu): lower-case"
        " letters, digits, hyphens.",
    )
    name: str = column(models.Region.name, description="Its name, e.g. 九州広域リージョン.")
    version: int = column(
        models.Region.version, description="Send it back with a change: a stale one conflicts."
    )
    created_at: datetime = column(
        models.Region.created_at, description="When it was created in Renkei."
    )
    updated_at: datetime = computed(
        LAST_CHANGED,
        last_changed,
        description="When it last changed (its creation until its first change).",
    )
    prefectures: list[Prefecture] = computed(
        PREFECTURES_OF,
        prefectures_of,
        description="The prefectures it covers, in JIS X 0401 order.",
    )

    @classmethod
    def from_row(cls, row: models.Region) -> Region:
        return cls(id=to_global_id("Region", row.id), row=row)

    @strawberry.field(
        description="事務局: the organization that runs the region.",
        metadata=sql(One("Organization", "{c}.id = {t}.secretariat_organization_id")),
    )
    async def secretariat(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.secretariat_organization_id)
        return Organization.from_row(row)

    @strawberry.field(
        description="The declaration (宣言) that founds the region: its text, date and sources.",
        metadata=sql(Inline("RegionDeclaration")),
    )
    def declaration(self) -> RegionDeclaration:
        return RegionDeclaration(row=self.row)

    @strawberry.field(
        description="The vision in force; null until one is adopted.",
        metadata=sql(Inline("RegionVision", null_when="{t}.vision_text IS NULL")),
    )
    def vision(self) -> RegionVision | None:
        return None if self.row.vision_text is None else RegionVision(row=self.row)

    @strawberry.field(
        description="Member organizations, in the order they were invited. Active ones are "
        "public; invitations and past members show to the secretariat and to that organization.",
        metadata=sql(
            Page(
                "RegionMember",
                _BY_CREATION,
                join="{c}.region_id = {t}.id",
                filters={"status": Filter("{t}.status = {p}", enum_value)},
            )
        ),
    )
    async def members(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            ParticipationStatus,  # type: ignore[valid-type]
            strawberry.argument(
                description="Only members in this status: ACTIVE by default; INVITED for"
                " pending invitations."
            ),
        ] = models.ParticipationStatus.ACTIVE,
    ) -> Connection[RegionMember]:
        args = PageArgs.of(first, after, last, before)
        wanted = models.ParticipationStatus(status)
        page = await info.context.loaders.region_members.load((self.row.id, args, wanted))
        return to_connection(page, RegionMember.from_row)

    @strawberry.field(
        description="The region's projects you may see, by name; optionally of one category or "
        "status, covering a prefecture (JIS X 0401 code), or matching a search on name and "
        "summary (Japanese works: any two characters).",
        metadata=sql(
            Page(
                "Project",
                _BY_NAME,
                join="{c}.region_id = {t}.id",
                filters={
                    "category": Filter("{t}.category = {p}", enum_value),
                    "status": Filter("{t}.status = {p}", enum_value),
                    # The repository's functions (as Query.projects): GIN indexes answer them.
                    "prefecture_code": Filter(
                        "{t}.id IN (SELECT renkei_projects_in_prefecture(CAST({p} AS varchar)))",
                        normalize_prefecture_code,
                    ),
                    "search": Filter(
                        "{t}.id IN (SELECT renkei_project_search(CAST({p} AS text[])))", bigrams
                    ),
                },
            )
        ),
    )
    async def projects(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        category: Annotated[
            Annotated[ProjectCategory, strawberry.lazy("renkei.graphql.types.projects")]  # type: ignore[valid-type]
            | None,
            strawberry.argument(description="Only projects of this category."),
        ] = None,
        status: Annotated[
            Annotated[ProjectStatus, strawberry.lazy("renkei.graphql.types.projects")]  # type: ignore[valid-type]
            | None,
            strawberry.argument(description="Only projects in this status."),
        ] = None,
        prefecture_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only projects that cover this prefecture (JIS X 0401 code, 01 to 47)."
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words to find in the name and summary; Japanese works with any two"
                " characters."
            ),
        ] = None,
    ) -> Connection[Annotated[Project, strawberry.lazy("renkei.graphql.types.projects")]]:
        from renkei.graphql.types.projects import Project

        args = PageArgs.of(first, after, last, before)
        loader = info.context.loaders.region_projects
        code = normalize_prefecture_code(prefecture_code) if prefecture_code else None
        terms = tuple(bigrams(search)) if search else None
        page = await loader.load((self.row.id, args, (category, status, code, terms)))
        return to_connection(page, Project.from_row)

    @strawberry.field(
        description="Milestones of the region's projects you may see, by due date: as "
        "Query.milestones(regionId:). With dueFrom, dueTo or overdue and no status, only open "
        "ones (not DONE or CANCELLED): the next 30 days are dueFrom: today, dueTo: today + 30.",
        metadata=sql(MILESTONES_OF_REGION),
    )
    async def milestones(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        due_from: Annotated[
            date | None,
            strawberry.argument(description="Only milestones due on or after this day."),
        ] = None,
        due_to: Annotated[
            date | None,
            strawberry.argument(description="Only milestones due on or before this day."),
        ] = None,
        overdue: Annotated[
            bool | None,
            strawberry.argument(
                description="true: only milestones past their due date and not DONE or"
                " CANCELLED; false: only the others."
            ),
        ] = None,
        status: Annotated[
            list[
                Annotated[MilestoneStatus, strawberry.lazy("renkei.graphql.types.milestones")]  # type: ignore[valid-type]
            ]
            | None,
            strawberry.argument(description="Only milestones in one of these statuses."),
        ] = None,
    ) -> Connection[Annotated[Milestone, strawberry.lazy("renkei.graphql.types.milestones")]]:
        from renkei.graphql.types.milestones import region_milestones

        args = PageArgs.of(first, after, last, before)
        filters = {"due_from": due_from, "due_to": due_to, "overdue": overdue, "status": status}
        return await region_milestones(info, self.row.id, args, filters)

    @strawberry.field(
        description="The region's own KPIs, by name; for its members.",
        metadata=sql(Page("Kpi", _BY_NAME, join="{c}.region_id = {t}.id")),
    )
    async def kpis(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[Kpi, strawberry.lazy("renkei.graphql.types.kpis")]]:
        from renkei.graphql.types.kpis import region_kpis

        return await region_kpis(info, self.row.id, PageArgs.of(first, after, last, before))

    @strawberry.field(
        description="The region's KPIs and its projects' you may see, rolled up: the mean "
        "attainment, with the formula and each KPI's inputs.",
        metadata=sql(KPI_ROLLUP),
    )
    async def kpi_rollup(
        self, info: Info
    ) -> Annotated[KpiRollup, strawberry.lazy("renkei.graphql.types.kpis")]:
        from renkei.graphql.types.kpis import region_kpi_rollup

        return await region_kpi_rollup(info, self.row.id)

    @strawberry.field(
        description="Changes to the region and its membership, oldest first (`last: 20` for "
        "the newest); visible to its active members.",
        # repository.activity: entries about the region and its members, not its projects.
        metadata=sql(
            Page(
                "Activity",
                ACTIVITY_ORDER,
                join="{c}.region_id = {t}.id",
                where=f"{{t}}.subject_type IN ('{SubjectType.REGION.value}',"
                f" '{SubjectType.REGION_MEMBER.value}') AND {{t}}.project_id IS NULL",
            )
        ),
    )
    async def activity(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Activity]:
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.region_activity.load((self.row.id, args))
        return to_connection(page, Activity.from_row)


@table(models.RegionMember)
@strawberry.type(description="An organization's place in a region, from invitation to answer.")
class RegionMember(Node):
    row: strawberry.Private[models.RegionMember]
    role: RegionRole = column(  # type: ignore[valid-type]
        models.RegionMember.role,
        description="Its part in the region: SECRETARIAT, MEMBER or SUPPORTER.",
    )
    status: ParticipationStatus = column(  # type: ignore[valid-type]
        models.RegionMember.status,
        description="Where it stands: INVITED, ACTIVE, DECLINED or LEFT.",
    )
    is_signatory: bool = column(
        models.RegionMember.is_signatory, description="Signs the declaration (宣言)."
    )
    responded_at: datetime | None = column(
        models.RegionMember.responded_at,
        description="When its admins accepted or declined; null while invited.",
    )
    representation_confirmed_at: datetime | None = column(
        models.RegionMember.representation_confirmed_at,
        description="When its admins confirmed that `representedBy` signed on its behalf.",
    )
    demo: bool = column(
        models.RegionMember.demo,
        description="The membership was invented for the demonstration data.",
    )
    created_at: datetime = column(
        models.RegionMember.created_at,
        description="When the membership was recorded: the invitation, for an invited member.",
    )

    @classmethod
    def from_row(cls, row: models.RegionMember) -> RegionMember:
        return cls(id=to_global_id("RegionMember", row.id), row=row)

    @strawberry.field(
        description="The region.", metadata=sql(One("Region", "{c}.id = {t}.region_id"))
    )
    async def region(self, info: Info) -> Region:
        row = await info.context.loaders.region.load(self.row.region_id)
        assert row is not None, "a member's region is visible to whoever sees the member"
        return Region.from_row(row)

    @strawberry.field(
        description="The member organization.",
        metadata=sql(One("Organization", "{c}.id = {t}.organization_id")),
    )
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)

    @strawberry.field(
        description="The body that signed the declaration on its behalf (a 広域連合 for its "
        "members); null when it signed itself or did not sign.",
        metadata=sql(One("Organization", "{c}.id = {t}.represented_by_organization_id")),
    )
    async def represented_by(self, info: Info) -> Organization | None:
        if self.row.represented_by_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.represented_by_organization_id)
        return Organization.from_row(row) if row else None


def region_list(args: dict[str, Any]) -> Select[models.Region]:
    """The repository's regions for the `regions` arguments: the resolver's and the compiled
    page's one row source."""
    prefecture_code, search = args.get("prefecture_code"), args.get("search")
    return repository.regions(
        prefecture_code=normalize_prefecture_code(prefecture_code) if prefecture_code else None,
        search=search,
    )


@strawberry.type
class RegionQueries:
    @strawberry.field(
        description="A region by global id or slug.", extensions=requires(PROJECTS_READ)
    )
    async def region(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The region's global id. Give one of id and slug; with neither, the"
                " answer is null."
            ),
        ] = None,
        slug: Annotated[
            str | None,
            strawberry.argument(
                description="The region's slug, as in its console address (e.g. kyushu); case"
                " is ignored. Give one of id and slug; with neither, the answer is"
                " null."
            ),
        ] = None,
    ) -> Region | None:
        if id is not None:
            parsed = parse_global_id(id)
            if parsed is None or parsed[0] != "Region":
                return None
            try:
                row_id = uuid.UUID(parsed[1])
            except ValueError:
                return None
            row = await info.context.loaders.region.load(row_id)
            return Region.from_row(row) if row else None
        if slug is not None and is_slug(slug.strip().lower()):
            found = await info.context.run(lambda s: repository.by_slug(s, slug.strip().lower()))
            return Region.from_row(found) if found else None
        return None

    @strawberry.field(
        description="Regions by name, optionally covering a prefecture (JIS X 0401 code) or "
        "matching a search on their name (Japanese works: any two characters, 九州).",
        extensions=requires(PROJECTS_READ),
    )
    async def regions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        prefecture_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only regions that cover this prefecture (JIS X 0401 code, 01 to 47)."
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words to find in the region's name; Japanese works with any two"
                " characters (九州)."
            ),
        ] = None,
    ) -> Connection[Region]:
        args = PageArgs.of(first, after, last, before)
        stmt = region_list({"prefecture_code": prefecture_code, "search": search})
        page = await root_page(
            info.context, stmt, order_by=(models.Region.name, models.Region.id), args=args
        )
        return to_connection(page, Region.from_row)

    @strawberry.field(
        description="Invitations to regions waiting for your acting organization's answer.",
        extensions=requires(PROJECTS_READ),
    )
    async def region_invitations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[RegionMember]:
        args = PageArgs.of(first, after, last, before)
        organization_id = info.context.viewer.organization_id
        if organization_id is None:
            return to_connection(empty_page(args), RegionMember.from_row)
        page = await root_page(
            info.context,
            repository.invitations_to(organization_id),
            order_by=(models.RegionMember.created_at, models.RegionMember.id),
            args=args,
        )
        return to_connection(page, RegionMember.from_row)


register_node("Region", models.Region, Region.from_row, PROJECTS_READ)
register_node("RegionMember", models.RegionMember, RegionMember.from_row, PROJECTS_READ)


def _region_slug(value: str) -> str:
    slug = value.strip().lower()
    if not is_slug(slug):
        raise NotCompilable("not a slug: the resolver answers null")
    return slug


register_root(
    "region",
    Lookup(
        "Region",
        by={
            "id": Filter("{t}.id = {p}", decode_global_id("Region")),
            "slug": Filter("{t}.slug = {p}", _region_slug),
        },
    ),
    scope=PROJECTS_READ,
)
register_root("regions", Page("Region", _BY_NAME, source=region_list), scope=PROJECTS_READ)
# repository.invitations_to the viewer's acting organization (none without one).
register_root(
    "regionInvitations",
    Page(
        "RegionMember",
        _BY_CREATION,
        where="{t}.organization_id = (SELECT renkei_organization_id())"
        f" AND {{t}}.status = '{models.ParticipationStatus.INVITED.value}'",
    ),
    scope=PROJECTS_READ,
)
