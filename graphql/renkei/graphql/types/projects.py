"""Projects across prefectures: their lead, participants, funding and the portfolio query."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select

from renkei.errors import DomainError
from renkei.graphql.compiled.json_sql import (
    iso_date_sql,
    iso_datetime_sql,
)
from renkei.graphql.compiled.spec import (
    NUMBER,
    WORD,
    Filter,
    JsonText,
    Key,
    Lookup,
    Many,
    NotCompilable,
    One,
    Page,
    Scalar,
    decode_global_id,
    enum_list_sql,
    enum_value,
    register_root,
    register_table,
)
from renkei.graphql.context import Info
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import (
    Connection,
    Node,
    PageArgs,
    decode_id,
    empty_page,
    fetch_pages,
    parse_global_id,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.activity import ACTIVITY_OF_SUBJECT, Activity, activity_of
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.milestones import MILESTONES_OF_PROJECT
from renkei.graphql.types.milestones_computed import BASELINES, PROGRESS
from renkei.graphql.types.organizations import Organization
from renkei.graphql.types.regions import PREFECTURES_OF, ParticipationStatus
from renkei.identity.scopes import PROJECTS_READ
from renkei.projects import models, repository
from renkei.projects.service import ALLOWED_TRANSITIONS, MAX_FUNDING_SOURCES, allowed_transitions
from renkei.regions.models import ParticipationStatus as ParticipationStatusValue
from renkei.text_search import bigrams

if TYPE_CHECKING:
    from renkei.graphql.types.kpis import Kpi
    from renkei.graphql.types.milestones import (
        Baseline,
        Milestone,
        MilestoneStatus,
        ProgressRollup,
    )
    from renkei.graphql.types.regions import Region

ProjectCategory = strawberry.enum(
    models.ProjectCategory,
    description="What a project does: 半導体 supply chains, 共同研究・開発, 周遊型観光, GX, DX, …",
)
ProjectStatus = strawberry.enum(
    models.ProjectStatus,
    description="PLANNED → ACTIVE ⇄ ON_HOLD → COMPLETED; CANCELLED from any unfinished status.",
)
ProjectVisibility = strawberry.enum(
    models.ProjectVisibility,
    description="Who sees the project: its participants; also its region's members; also, "
    "as a summary, everyone signed in.",
)
ParticipantRole = strawberry.enum(models.ParticipantRole)
FundingKind = strawberry.enum(
    models.FundingKind,
    description="Where money comes from: 交付金, 補助金, 企業版ふるさと納税, a bank's loan, …",
)

# The whole list of a project's funding sources fits one page: the service caps their number.
ALL_FUNDING_SOURCES = PageArgs(first=MAX_FUNDING_SOURCES)
ONE = PageArgs(first=1)


@strawberry.type(description="A project across prefectures, in a region or standing alone.")
class Project(Node):
    name: str
    summary: str
    category: ProjectCategory  # type: ignore[valid-type]
    status: ProjectStatus  # type: ignore[valid-type]
    visibility: ProjectVisibility  # type: ignore[valid-type]
    starts_on: date | None
    ends_on: date | None
    version: int = strawberry.field(
        description="Send it back with a change: a stale one gets a CONFLICT, nothing is written."
    )
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Project]

    @classmethod
    def from_row(cls, row: models.Project) -> Project:
        return cls(
            id=to_global_id("Project", row.id),
            name=row.name,
            summary=row.summary,
            category=row.category,
            status=row.status,
            visibility=row.visibility,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at or row.created_at,
            row=row,
        )

    @strawberry.field(description="The prefectures it covers, in JIS X 0401 order.")
    def prefectures(self) -> list[Prefecture]:
        return [p for p in map(Prefecture.by_code, self.row.prefecture_codes) if p is not None]

    @strawberry.field(
        description="The statuses it may move to next (its lead's owners and admins move it)."
    )
    def allowed_transitions(self) -> list[ProjectStatus]:  # type: ignore[valid-type]
        return list(allowed_transitions(self.row.status))

    @strawberry.field(description="The organization that leads it.")
    async def lead(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.lead_organization_id)
        return Organization.from_row(row)

    @strawberry.field(description="The region it belongs to; null for a standalone project.")
    async def region(
        self, info: Info
    ) -> Annotated[Region, strawberry.lazy("renkei.graphql.types.regions")] | None:
        from renkei.graphql.types.regions import Region

        if self.row.region_id is None:
            return None
        row = await info.context.loaders.region.load(self.row.region_id)
        return Region.from_row(row) if row else None

    @strawberry.field(
        description="Organizations taking part, in the order they were invited; empty for "
        "those who see only the public summary."
    )
    async def participants(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: ParticipationStatus | None = None,  # type: ignore[valid-type]
    ) -> Connection[ProjectParticipant]:
        args = PageArgs.of(first, after, last, before)
        wanted = ParticipationStatusValue(status) if status is not None else None
        page = await info.context.loaders.project_participants.load((self.row.id, args, wanted))
        return to_connection(page, ProjectParticipant.from_row)

    async def _funding_rows(self, info: Info) -> list[models.FundingSource]:
        loader = info.context.loaders.project_funding_sources
        return list((await loader.load((self.row.id, ALL_FUNDING_SOURCES))).rows)

    @strawberry.field(
        description="Where its money comes from, in the order recorded; empty for those who "
        "see only the public summary."
    )
    async def funding_sources(self, info: Info) -> list[FundingSource]:
        return [FundingSource.from_row(r) for r in await self._funding_rows(info)]

    @strawberry.field(
        description="The sum of its funding sources in JPY; null for those who see only the "
        "public summary."
    )
    async def total_funding_jpy(self, info: Info) -> float | None:
        if not (await info.context.loaders.project_details.load((self.row.id, ONE))).rows:
            return None
        return float(sum(r.amount_jpy for r in await self._funding_rows(info)))

    @strawberry.field(
        description="Its milestones by due date, optionally of some statuses; empty for those "
        "who see only the public summary."
    )
    async def milestones(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: list[
            Annotated[MilestoneStatus, strawberry.lazy("renkei.graphql.types.milestones")]  # type: ignore[valid-type]
        ]
        | None = None,
    ) -> Connection[Annotated[Milestone, strawberry.lazy("renkei.graphql.types.milestones")]]:
        from renkei.graphql.types.milestones import project_milestones

        args = PageArgs.of(first, after, last, before)
        return await project_milestones(info, self.row.id, args, status)

    @strawberry.field(
        description="Progress rolled up from its milestones by the published formula, with "
        "every input: weight × progress summed over milestones not cancelled (DONE counts 100), "
        "divided by the sum of their weights."
    )
    async def progress(
        self, info: Info
    ) -> Annotated[ProgressRollup, strawberry.lazy("renkei.graphql.types.milestones")]:
        from renkei.graphql.types.milestones import project_progress

        return await project_progress(info, self.row.id)

    @strawberry.field(description="Frozen snapshots of its milestones, oldest first.")
    async def baselines(
        self, info: Info
    ) -> list[Annotated[Baseline, strawberry.lazy("renkei.graphql.types.milestones")]]:
        from renkei.graphql.types.milestones import project_baselines

        return await project_baselines(info, self.row.id)

    @strawberry.field(description="The project's KPIs, by name; empty for a summary.")
    async def kpis(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Kpi, strawberry.lazy("renkei.graphql.types.kpis")]]:
        from renkei.graphql.types.kpis import project_kpis

        return await project_kpis(info, self.row.id, PageArgs.of(first, after, last, before))

    @strawberry.field(
        description="Changes to the project, oldest first (`last: 20` for the newest); "
        "visible to those who see its details."
    )
    async def activity(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))


@strawberry.type(description="An organization's part in a project, from invitation to answer.")
class ProjectParticipant(Node):
    role: ParticipantRole  # type: ignore[valid-type]
    status: ParticipationStatus  # type: ignore[valid-type]
    responded_at: datetime | None = strawberry.field(
        description="When its admins accepted or declined; null while invited."
    )
    created_at: datetime
    row: strawberry.Private[models.ProjectParticipant]

    @classmethod
    def from_row(cls, row: models.ProjectParticipant) -> ProjectParticipant:
        return cls(
            id=to_global_id("ProjectParticipant", row.id),
            role=row.role,
            status=row.status,
            responded_at=row.responded_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(
        description="The project; null once you may no longer see it (after declining)."
    )
    async def project(self, info: Info) -> Project | None:
        row = await info.context.loaders.project.load(self.row.project_id)
        return Project.from_row(row) if row else None

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)

    @strawberry.field(
        description="Changes to this participation: invitation, answer.",
    )
    async def activity(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))


@strawberry.type(description="Money for a project: 交付金, 企業版ふるさと納税, a bank's loan, …")
class FundingSource(Node):
    kind: FundingKind  # type: ignore[valid-type]
    name: str
    amount_jpy: float = strawberry.field(description="In JPY, a whole number.")
    fiscal_year: int | None = strawberry.field(description="年度 (FY2025 starts 2025-04-01).")
    created_at: datetime
    row: strawberry.Private[models.FundingSource]

    @classmethod
    def from_row(cls, row: models.FundingSource) -> FundingSource:
        return cls(
            id=to_global_id("FundingSource", row.id),
            kind=row.kind,
            name=row.name,
            amount_jpy=float(row.amount_jpy),
            fiscal_year=row.fiscal_year,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The organization that provides it, when one is named.")
    async def funder(self, info: Info) -> Organization | None:
        if self.row.funder_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.funder_organization_id)
        return Organization.from_row(row) if row else None

    @strawberry.field(description="The project it funds.")
    async def project(self, info: Info) -> Project | None:
        row = await info.context.loaders.project.load(self.row.project_id)
        return Project.from_row(row) if row else None


def _prefecture_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code).strip().zfill(2)


def portfolio(args: dict[str, Any]) -> Select[models.Project]:
    """The repository's portfolio for the `projects` arguments: the resolver's and the compiled
    page's one row source."""
    region_id, category, status = args.get("region_id"), args.get("category"), args.get("status")
    prefecture_code, search = args.get("prefecture_code"), args.get("search")
    return repository.projects(
        region_id=decode_id(region_id, "Region", field="regionId") if region_id else None,
        category=models.ProjectCategory(category) if category else None,
        status=models.ProjectStatus(status) if status else None,
        prefecture_code=_prefecture_code(prefecture_code) if prefecture_code else None,
        search_terms=bigrams(search) if search else None,
    )


def _compiled_portfolio(args: dict[str, Any]) -> Select[models.Project]:
    try:
        return portfolio(args)
    except DomainError as error:  # e.g. another type's id: the resolver says so
        raise NotCompilable(str(error), reason="arguments") from error


@strawberry.type
class ProjectQueries:
    @strawberry.field(description="A project by global id.", extensions=requires(PROJECTS_READ))
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        parsed = parse_global_id(id)
        if parsed is None or parsed[0] != "Project":
            return None
        try:
            row_id = uuid.UUID(parsed[1])
        except ValueError:
            return None
        row = await info.context.loaders.project.load(row_id)
        return Project.from_row(row) if row else None

    @strawberry.field(
        description="The portfolio: every project you may see, by name, optionally of one "
        "region, category or status, covering a prefecture (JIS X 0401 code), or matching a "
        "search on name and summary (Japanese works: any two characters, 東京; ｶﾀｶﾅ too).",
        extensions=requires(PROJECTS_READ),
    )
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        region_id: strawberry.ID | None = None,
        category: ProjectCategory | None = None,  # type: ignore[valid-type]
        status: ProjectStatus | None = None,  # type: ignore[valid-type]
        prefecture_code: str | None = None,
        search: str | None = None,
    ) -> Connection[Project]:
        args = PageArgs.of(first, after, last, before)
        stmt = portfolio(
            {
                "region_id": region_id,
                "category": category,
                "status": status,
                "prefecture_code": prefecture_code,
                "search": search,
            }
        )
        pages = await info.context.run(
            lambda s: fetch_pages(
                s, stmt, order_by=(models.Project.name, models.Project.id), args=args
            )
        )
        return to_connection(next(iter(pages.values()), empty_page(args)), Project.from_row)

    @strawberry.field(
        description="Invitations to projects waiting for your acting organization's answer, "
        "oldest first.",
        extensions=requires(PROJECTS_READ),
    )
    async def project_invitations(self, info: Info) -> list[ProjectParticipant]:
        organization_id = info.context.viewer.organization_id
        if organization_id is None:
            return []
        rows = await info.context.run(
            lambda s: s.scalars(repository.invitations_of(organization_id))
        )
        return [ProjectParticipant.from_row(r) for r in rows.all()]


register_node("Project", models.Project, Project.from_row, PROJECTS_READ)
register_node(
    "ProjectParticipant", models.ProjectParticipant, ProjectParticipant.from_row, PROJECTS_READ
)
register_node("FundingSource", models.FundingSource, FundingSource.from_row, PROJECTS_READ)


_BY_CREATION = (Key("created_at", "timestamptz"), Key("id", "uuid"))
register_table(
    "Project",
    "projects",
    {
        "name": Scalar("{t}.name"),
        "summary": Scalar("{t}.summary"),
        "category": Scalar("{t}.category", WORD),
        "status": Scalar("{t}.status", WORD),
        "visibility": Scalar("{t}.visibility", WORD),
        "starts_on": Scalar(iso_date_sql("{t}.starts_on"), WORD),
        "ends_on": Scalar(iso_date_sql("{t}.ends_on"), WORD),
        "version": Scalar("{t}.version", NUMBER),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "updated_at": Scalar(iso_datetime_sql("coalesce({t}.updated_at, {t}.created_at)"), WORD),
        "prefectures": PREFECTURES_OF,
        "allowed_transitions": JsonText(enum_list_sql("{t}.status", ALLOWED_TRANSITIONS)),
        "lead": One("Organization", "{c}.id = {t}.lead_organization_id"),
        "region": One("Region", "{c}.id = {t}.region_id"),
        "participants": Page(
            "ProjectParticipant",
            _BY_CREATION,
            join="{c}.project_id = {t}.id",
            filters={"status": Filter("{t}.status = {p}", enum_value)},
        ),
        "funding_sources": Many(
            "FundingSource",
            join="{c}.project_id = {t}.id",
            order="{c}.created_at, {c}.id",
            limit=MAX_FUNDING_SOURCES,
        ),
        "kpis": Page("Kpi", (Key("name"), Key("id", "uuid")), join="{c}.project_id = {t}.id"),
        "milestones": MILESTONES_OF_PROJECT,
        "progress": PROGRESS,
        "baselines": BASELINES,
        "activity": ACTIVITY_OF_SUBJECT,
        # The first page of funding sources, summed, for those who see the project's details.
        "total_funding_jpy": Scalar(
            "CASE WHEN {t}.id IN (SELECT renkei_project_ids()) THEN (SELECT"
            " coalesce(sum(f.amount_jpy), 0) FROM (SELECT g.amount_jpy FROM funding_sources g"
            " WHERE g.project_id = {t}.id ORDER BY g.created_at, g.id"
            f" LIMIT {MAX_FUNDING_SOURCES}) f)::float8 END",
            NUMBER,
        ),
    },
)
register_table(
    "ProjectParticipant",
    "project_participants",
    {
        "role": Scalar("{t}.role", WORD),
        "status": Scalar("{t}.status", WORD),
        "responded_at": Scalar(iso_datetime_sql("{t}.responded_at"), WORD),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "project": One("Project", "{c}.id = {t}.project_id"),
        "organization": One("Organization", "{c}.id = {t}.organization_id"),
        "activity": ACTIVITY_OF_SUBJECT,
    },
)
register_table(
    "FundingSource",
    "funding_sources",
    {
        "kind": Scalar("{t}.kind", WORD),
        "name": Scalar("{t}.name"),
        "amount_jpy": Scalar("({t}.amount_jpy)::float8", NUMBER),
        "fiscal_year": Scalar("{t}.fiscal_year", NUMBER),
        "created_at": Scalar(iso_datetime_sql("{t}.created_at"), WORD),
        "funder": One("Organization", "{c}.id = {t}.funder_organization_id"),
        "project": One("Project", "{c}.id = {t}.project_id"),
    },
)
register_root(
    "project",
    Lookup("Project", by={"id": Filter("{t}.id = {p}", decode_global_id("Project"))}),
    scope=PROJECTS_READ,
)
register_root(
    "projects",
    Page("Project", (Key("name"), Key("id", "uuid")), source=_compiled_portfolio),
    scope=PROJECTS_READ,
)
