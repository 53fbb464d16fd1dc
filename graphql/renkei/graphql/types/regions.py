"""Regions (広域リージョン): their declaration, vision, secretariat and member organizations."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from renkei.activity.models import SubjectType
from renkei.graphql.compiled.json_sql import (
    iso_date_sql,
    iso_datetime_sql,
)
from renkei.graphql.compiled.spec import (
    NUMBER,
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
    decode_global_id,
    enum_value,
    register_root,
    register_table,
)
from renkei.graphql.context import Info
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import (
    MAX_PAGE_SIZE,
    Connection,
    Node,
    PageArgs,
    empty_page,
    fetch_pages,
    parse_global_id,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.activity import ORDER as ACTIVITY_ORDER
from renkei.graphql.types.activity import Activity
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.kpis_computed import KPI_ROLLUP
from renkei.graphql.types.organizations import Organization
from renkei.identity.scopes import PROJECTS_READ
from renkei.organizations.service import is_slug
from renkei.regions import models, repository
from renkei.text_search import bigrams

if TYPE_CHECKING:
    from renkei.graphql.types.kpis import Kpi, KpiRollup
    from renkei.graphql.types.projects import Project, ProjectCategory, ProjectStatus

RegionRole = strawberry.enum(
    models.RegionRole, description="An organization's part in a region: it runs it, or takes part."
)
ParticipationStatus = strawberry.enum(
    models.ParticipationStatus,
    description="Where an organization stands: it joins only by accepting an invitation.",
)


@strawberry.type(description="宣言: the public declaration that founds a region.")
class RegionDeclaration:
    text: str
    declared_on: date | None
    region: strawberry.Private[models.Region]

    @strawberry.field(
        description="The member organizations that signed it, in the order they joined "
        f"(the first {MAX_PAGE_SIZE})."
    )
    async def signatories(self, info: Info) -> list[Organization]:
        loader = info.context.loaders.region_signatories
        page = await loader.load((self.region.id, PageArgs(first=MAX_PAGE_SIZE)))
        rows = await info.context.loaders.organization.load_many(
            [m.organization_id for m in page.rows]
        )
        return [Organization.from_row(row) for row in rows if row is not None]


@strawberry.type(
    description="ビジョン: the region's plan (projects, 役割分担, 実施体制); each adoption is a "
    "new version, earlier ones are in the activity log."
)
class RegionVision:
    text: str
    adopted_on: date | None
    version: int


@strawberry.type(
    description="広域リージョン: a consortium across prefectures, run by a secretariat."
)
class Region(Node):
    slug: str
    name: str
    version: int = strawberry.field(
        description="Send it back with a change: a stale one conflicts."
    )
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Region]

    @classmethod
    def from_row(cls, row: models.Region) -> Region:
        return cls(
            id=to_global_id("Region", row.id),
            slug=row.slug,
            name=row.name,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at or row.created_at,
            row=row,
        )

    @strawberry.field(description="The prefectures it covers, in JIS X 0401 order.")
    def prefectures(self) -> list[Prefecture]:
        return [p for p in map(Prefecture.by_code, self.row.prefecture_codes) if p is not None]

    @strawberry.field(description="事務局: the organization that runs the region.")
    async def secretariat(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.secretariat_organization_id)
        return Organization.from_row(row)

    @strawberry.field
    def declaration(self) -> RegionDeclaration:
        return RegionDeclaration(
            text=self.row.declaration_text,
            declared_on=self.row.declared_on,
            region=self.row,
        )

    @strawberry.field(description="The vision in force; null until one is adopted.")
    def vision(self) -> RegionVision | None:
        if self.row.vision_text is None:
            return None
        return RegionVision(
            text=self.row.vision_text,
            adopted_on=self.row.vision_adopted_on,
            version=self.row.vision_version,
        )

    @strawberry.field(
        description="Member organizations, in the order they were invited. Active ones are "
        "public; invitations and past members show to the secretariat and to that organization."
    )
    async def members(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: ParticipationStatus = models.ParticipationStatus.ACTIVE,  # type: ignore[valid-type]
    ) -> Connection[RegionMember]:
        args = PageArgs.of(first, after, last, before)
        wanted = models.ParticipationStatus(status)
        page = await info.context.loaders.region_members.load((self.row.id, args, wanted))
        return to_connection(page, RegionMember.from_row)

    @strawberry.field(description="The region's projects you may see, by name.")
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        category: Annotated[ProjectCategory, strawberry.lazy("renkei.graphql.types.projects")]  # type: ignore[valid-type]
        | None = None,
        status: Annotated[ProjectStatus, strawberry.lazy("renkei.graphql.types.projects")]  # type: ignore[valid-type]
        | None = None,
    ) -> Connection[Annotated[Project, strawberry.lazy("renkei.graphql.types.projects")]]:
        from renkei.graphql.types.projects import Project

        args = PageArgs.of(first, after, last, before)
        loader = info.context.loaders.region_projects
        page = await loader.load((self.row.id, args, (category, status)))
        return to_connection(page, Project.from_row)

    @strawberry.field(description="The region's own KPIs, by name; for its members.")
    async def kpis(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Kpi, strawberry.lazy("renkei.graphql.types.kpis")]]:
        from renkei.graphql.types.kpis import region_kpis

        return await region_kpis(info, self.row.id, PageArgs.of(first, after, last, before))

    @strawberry.field(
        description="The region's KPIs and its projects' you may see, rolled up: the mean "
        "attainment, with the formula and each KPI's inputs."
    )
    async def kpi_rollup(
        self, info: Info
    ) -> Annotated[KpiRollup, strawberry.lazy("renkei.graphql.types.kpis")]:
        from renkei.graphql.types.kpis import region_kpi_rollup

        return await region_kpi_rollup(info, self.row.id)

    @strawberry.field(
        description="Changes to the region and its membership, oldest first (`last: 20` for "
        "the newest); visible to its active members."
    )
    async def activity(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        args = PageArgs.of(first, after, last, before)
        page = await info.context.loaders.region_activity.load((self.row.id, args))
        return to_connection(page, Activity.from_row)


@strawberry.type(description="An organization's place in a region, from invitation to answer.")
class RegionMember(Node):
    role: RegionRole  # type: ignore[valid-type]
    status: ParticipationStatus  # type: ignore[valid-type]
    is_signatory: bool = strawberry.field(description="Signs the declaration (宣言).")
    responded_at: datetime | None = strawberry.field(
        description="When its admins accepted or declined; null while invited."
    )
    created_at: datetime
    row: strawberry.Private[models.RegionMember]

    @classmethod
    def from_row(cls, row: models.RegionMember) -> RegionMember:
        return cls(
            id=to_global_id("RegionMember", row.id),
            role=row.role,
            status=row.status,
            is_signatory=row.is_signatory,
            responded_at=row.responded_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field
    async def region(self, info: Info) -> Region:
        row = await info.context.loaders.region.load(self.row.region_id)
        assert row is not None, "a member's region is visible to whoever sees the member"
        return Region.from_row(row)

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)


def _prefecture_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code).strip().zfill(2)


@strawberry.type
class RegionQueries:
    @strawberry.field(
        description="A region by global id or slug.", extensions=requires(PROJECTS_READ)
    )
    async def region(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
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
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        prefecture_code: str | None = None,
        search: str | None = None,
    ) -> Connection[Region]:
        args = PageArgs.of(first, after, last, before)
        stmt = repository.regions(
            prefecture_code=_prefecture_code(prefecture_code) if prefecture_code else None,
            search=search,
        )
        pages = await info.context.run(
            lambda s: fetch_pages(
                s, stmt, order_by=(models.Region.name, models.Region.id), args=args
            )
        )
        return to_connection(next(iter(pages.values()), empty_page(args)), Region.from_row)

    @strawberry.field(
        description="Invitations to regions waiting for your acting organization's answer.",
        extensions=requires(PROJECTS_READ),
    )
    async def region_invitations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[RegionMember]:
        args = PageArgs.of(first, after, last, before)
        organization_id = info.context.viewer.organization_id
        if organization_id is None:
            return to_connection(empty_page(args), RegionMember.from_row)
        pages = await info.context.run(
            lambda s: fetch_pages(
                s,
                repository.invitations_to(organization_id),
                order_by=(models.RegionMember.created_at, models.RegionMember.id),
                args=args,
            )
        )
        return to_connection(next(iter(pages.values()), empty_page(args)), RegionMember.from_row)


register_node("Region", models.Region, Region.from_row, PROJECTS_READ)
register_node("RegionMember", models.RegionMember, RegionMember.from_row, PROJECTS_READ)


_BY_CREATION = (Key("created_at", "timestamptz"), Key("id", "uuid"))
PREFECTURES_OF = Many(
    "Prefecture",
    join="true",
    order="u.n",
    source="unnest({t}.prefecture_codes) WITH ORDINALITY u(code, n)"
    " JOIN prefectures {c} ON {c}.code = u.code",
)
register_table(
    "Region",
    "regions",
    {
        "slug": Scalar("{t}.slug"),
        "name": Scalar("{t}.name"),
        "version": Scalar("{t}.version", NUMBER),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "updated_at": Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD),
        "prefectures": PREFECTURES_OF,
        "secretariat": One("Organization", "{c}.id = {t}.secretariat_organization_id"),
        "declaration": Inline("RegionDeclaration"),
        "vision": Inline("RegionVision", null_when="{t}.vision_text IS NULL"),
        "members": Page(
            "RegionMember",
            _BY_CREATION,
            join="{c}.region_id = {t}.id",
            filters={"status": Filter("{t}.status = {p}", enum_value)},
        ),
        "projects": Page(
            "Project",
            (Key("name"), Key("id", "uuid")),
            join="{c}.region_id = {t}.id",
            filters={
                "category": Filter("{t}.category = {p}", enum_value),
                "status": Filter("{t}.status = {p}", enum_value),
            },
        ),
        "kpis": Page("Kpi", (Key("name"), Key("id", "uuid")), join="{c}.region_id = {t}.id"),
        "kpi_rollup": KPI_ROLLUP,
        # repository.activity: entries about the region and its members, not its projects.
        "activity": Page(
            "Activity",
            ACTIVITY_ORDER,
            join="{c}.region_id = {t}.id",
            where=f"{{t}}.subject_type IN ('{SubjectType.REGION.value}',"
            f" '{SubjectType.REGION_MEMBER.value}') AND {{t}}.project_id IS NULL",
        ),
    },
)
register_table(
    "RegionDeclaration",
    "regions",
    {
        "text": Scalar("{t}.declaration_text"),
        "declared_on": Scalar(iso_date_sql("{t}.declared_on"), WORD),
        "signatories": Many(
            "Organization",
            join="m.region_id = {t}.id AND m.status = 'ACTIVE' AND m.is_signatory",
            order="m.created_at, m.id",
            source="region_members m JOIN organizations {c} ON {c}.id = m.organization_id",
            limit=MAX_PAGE_SIZE,
        ),
    },
)
register_table(
    "RegionVision",
    "regions",
    {
        "text": Scalar("{t}.vision_text"),
        "adopted_on": Scalar(iso_date_sql("{t}.vision_adopted_on"), WORD),
        "version": Scalar("{t}.vision_version", NUMBER),
    },
)
register_table(
    "RegionMember",
    "region_members",
    {
        "role": Scalar("{t}.role", WORD),
        "status": Scalar("{t}.status", WORD),
        "is_signatory": Scalar("{t}.is_signatory", NUMBER),
        "responded_at": Scalar(iso_datetime_sql("{t}.responded_at"), WORD),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "region": One("Region", "{c}.id = {t}.region_id"),
        "organization": One("Organization", "{c}.id = {t}.organization_id"),
    },
)


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
register_root(
    "regions",
    Page(
        "Region",
        (Key("name"), Key("id", "uuid")),
        filters={
            "prefecture_code": Filter(
                "{t}.prefecture_codes @> ARRAY[CAST({p} AS varchar)]", _prefecture_code
            ),
            "search": Filter(
                "{t}.search_terms @> CAST({p} AS text[])", lambda q: bigrams(q) or None
            ),
        },
    ),
    scope=PROJECTS_READ,
)
