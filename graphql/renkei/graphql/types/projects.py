"""Projects across prefectures: their lead, participants, funding and the portfolio query."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select

from renkei.geography.codes import normalize_prefecture_code
from renkei.graphql.compiled.spec import (
    NUMBER,
    Filter,
    JsonText,
    Key,
    Lookup,
    Many,
    One,
    Page,
    Rows,
    Scalar,
    column,
    computed,
    decode_global_id,
    enum_list_sql,
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
    After,
    Before,
    Connection,
    First,
    Last,
    Node,
    PageArgs,
    decode_id,
    parse_global_id,
    root_page,
    to_connection,
    to_global_id,
)
from renkei.graphql.types.activity import ACTIVITY_OF_SUBJECT, Activity, activity_of
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.milestones import MILESTONES_OF_PROJECT
from renkei.graphql.types.milestones_computed import BASELINES, PROGRESS
from renkei.graphql.types.organizations import Organization
from renkei.graphql.types.regions import (
    LAST_CHANGED,
    PREFECTURES_OF,
    ParticipationStatus,
    last_changed,
    prefectures_of,
)
from renkei.identity.scopes import PROJECTS_READ
from renkei.projects import models, repository
from renkei.projects.service import ALLOWED_TRANSITIONS, MAX_FUNDING_SOURCES, allowed_transitions
from renkei.regions.models import ParticipationStatus as ParticipationStatusValue
from renkei.text_search import bigrams

if TYPE_CHECKING:
    from renkei.graphql.types.grants import GrantApplication
    from renkei.graphql.types.kpis import Kpi
    from renkei.graphql.types.milestones import (
        Baseline,
        Milestone,
        MilestoneStatus,
        ProgressRollup,
    )
    from renkei.graphql.types.regions import Region
    from renkei.graphql.types.talent import TalentNeed

ProjectCategory = described_enum(
    models.ProjectCategory,
    description="What a project does: 半導体 supply chains, 共同研究・開発, 周遊型観光, GX, DX, …",
    values={
        "SEMICONDUCTOR": "Semiconductor industry support (半導体関連産業の支援): supply chains.",
        "JOINT_RND": "Joint research and development (共同研究・開発).",
        "CIRCUIT_TOURISM": "Tourism routes that cross prefectures (周遊型観光).",
        "GX_ENERGY": "Green transformation and energy (GX・エネルギー).",
        "DX": "Digital transformation (DX).",
        "FOOD_EXPORT": "Food and agricultural exports (農林水産物・食品の輸出).",
        "INFRASTRUCTURE": "Infrastructure (インフラ整備): transport, logistics, utilities.",
        "TALENT_DEVELOPMENT": "Talent development (人材育成).",
    },
)
ProjectStatus = described_enum(
    models.ProjectStatus,
    description="PLANNED → ACTIVE ⇄ ON_HOLD → COMPLETED; CANCELLED from any unfinished status.",
    values={
        "PLANNED": "Declared, not started (計画中); a new project starts here.",
        "ACTIVE": "Under way (実施中).",
        "ON_HOLD": "Paused (一時停止中); it may become ACTIVE again.",
        "COMPLETED": "Finished (完了).",
        "CANCELLED": "Stopped before it finished (中止).",
    },
)
ProjectVisibility = described_enum(
    models.ProjectVisibility,
    description="Who sees the project: its participants; also its region's members; also, "
    "as a summary, everyone signed in.",
    values={
        "PARTICIPANTS": "Only the members of its participating organizations.",
        "REGION": "Also the members of its region's organizations.",
        "PUBLIC": "Also everyone signed in, as a summary (name, category, status, prefectures,"
        " lead); the details stay with the region.",
    },
)
ParticipantRole = described_enum(
    models.ParticipantRole,
    description="An organization's part in a project.",
    values={
        "LEAD": "The lead organization (代表団体): runs the project.",
        "PARTNER": "A partner (パートナー): does part of the work with the lead.",
        "FUNDER": "A funder (資金提供者): a bank, a grant-giving body, a donor firm.",
        "SUPPORTER": "Gives hands-on support (伴走支援) without doing the work.",
        "OBSERVER": "An observer (オブザーバー): follows the project without a part in it.",
    },
)
FundingKind = described_enum(
    models.FundingKind,
    description="Where money comes from: 交付金, 補助金, 企業版ふるさと納税, a bank's loan, …",
    values={
        "NATIONAL_GRANT": "A national grant (交付金), e.g. the 地域未来交付金.",
        "SUBSIDY": "A subsidy (補助金) from the state or a prefecture.",
        "CORPORATE_HOMETOWN_TAX": "A firm's donation under 企業版ふるさと納税.",
        "BANK_FINANCE": "A loan or other finance from a bank (地域金融機関の融資).",
        "LOCAL_GOVERNMENT_BUDGET": "A local government's own budget (地方負担, 単独事業).",
        "PRIVATE_INVESTMENT": "Investment by firms or funds.",
        "OTHER": "Any other source.",
    },
)

# The whole list of a project's funding sources fits one page: the service caps their number.
ALL_FUNDING_SOURCES = PageArgs(first=MAX_FUNDING_SOURCES)
ONE = PageArgs(first=1)


_BY_CREATION = (Key("created_at", "timestamptz"), Key("id", "uuid"))
# The first page of funding sources, summed, for those who see the project's details.
_TOTAL_FUNDING = Scalar(
    "CASE WHEN {t}.id IN (SELECT renkei_project_ids()) THEN (SELECT"
    " coalesce(sum(f.amount_jpy), 0) FROM (SELECT g.amount_jpy FROM funding_sources g"
    " WHERE g.project_id = {t}.id ORDER BY g.created_at, g.id"
    f" LIMIT {MAX_FUNDING_SOURCES}) f)::float8 END",
    NUMBER,
)


@table(models.Project)
@strawberry.type(description="A project across prefectures, in a region or standing alone.")
class Project(Node):
    row: strawberry.Private[models.Project]
    name: str = column(models.Project.name, description="The project's name.")
    summary: str = column(
        models.Project.summary, description="What the project does and why; empty if not written."
    )
    demo: bool = column(
        models.Project.demo, description="An invented project of the demonstration data."
    )
    category: ProjectCategory = column(  # type: ignore[valid-type]
        models.Project.category,
        description="What the project does (半導体, 共同研究・開発, 周遊型観光, ...).",
    )
    status: ProjectStatus = column(  # type: ignore[valid-type]
        models.Project.status,
        description="Where the project stands: PLANNED, ACTIVE, ON_HOLD, COMPLETED or CANCELLED.",
    )
    visibility: ProjectVisibility = column(  # type: ignore[valid-type]
        models.Project.visibility,
        description="Who sees it: its participants, also its region's members, or also"
        " everyone signed in (as a summary).",
    )
    starts_on: date | None = column(
        models.Project.starts_on, description="When the project starts; null if not decided."
    )
    ends_on: date | None = column(
        models.Project.ends_on, description="When the project ends; null if not decided."
    )
    version: int = column(
        models.Project.version,
        description="Send it back with a change: a stale one gets a CONFLICT, nothing is written.",
    )
    created_at: datetime = column(
        models.Project.created_at, description="When the project was created."
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
    def from_row(cls, row: models.Project) -> Project:
        return cls(id=to_global_id("Project", row.id), row=row)

    allowed_transitions: list[ProjectStatus] = computed(  # type: ignore[valid-type]
        JsonText(enum_list_sql("{t}.status", ALLOWED_TRANSITIONS)),
        lambda row: list(allowed_transitions(row.status)),
        description="The statuses it may move to next (its lead's owners and admins move it).",
    )

    @strawberry.field(
        description="The organization that leads it.",
        metadata=sql(One("Organization", "{c}.id = {t}.lead_organization_id")),
    )
    async def lead(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.lead_organization_id)
        return Organization.from_row(row)

    @strawberry.field(
        description="The region it belongs to; null for a standalone project.",
        metadata=sql(One("Region", "{c}.id = {t}.region_id")),
    )
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
        "those who see only the public summary.",
        metadata=sql(
            Page(
                "ProjectParticipant",
                _BY_CREATION,
                join="{c}.project_id = {t}.id",
                filters={"status": Filter("{t}.status = {p}", enum_value)},
            )
        ),
    )
    async def participants(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            ParticipationStatus | None,  # type: ignore[valid-type]
            strawberry.argument(
                description="Only participants in this status (e.g. INVITED for pending"
                " invitations); all of them if not given."
            ),
        ] = None,
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
        "see only the public summary.",
        metadata=sql(
            Many(
                "FundingSource",
                join="{c}.project_id = {t}.id",
                order="{c}.created_at, {c}.id",
                limit=MAX_FUNDING_SOURCES,
            )
        ),
    )
    async def funding_sources(self, info: Info) -> list[FundingSource]:
        return [FundingSource.from_row(r) for r in await self._funding_rows(info)]

    @strawberry.field(
        description="The sum of its funding sources in JPY; null for those who see only the "
        "public summary.",
        metadata=sql(_TOTAL_FUNDING),
    )
    async def total_funding_jpy(self, info: Info) -> float | None:
        if not (await info.context.loaders.project_details.load((self.row.id, ONE))).rows:
            return None
        return float(sum(r.amount_jpy for r in await self._funding_rows(info)))

    @strawberry.field(
        description="Its milestones by due date, optionally of some statuses; empty for those "
        "who see only the public summary.",
        metadata=sql(MILESTONES_OF_PROJECT),
    )
    async def milestones(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            list[
                Annotated[MilestoneStatus, strawberry.lazy("renkei.graphql.types.milestones")]  # type: ignore[valid-type]
            ]
            | None,
            strawberry.argument(
                description="Only milestones in one of these statuses; all of them if not given."
            ),
        ] = None,
    ) -> Connection[Annotated[Milestone, strawberry.lazy("renkei.graphql.types.milestones")]]:
        from renkei.graphql.types.milestones import project_milestones

        args = PageArgs.of(first, after, last, before)
        return await project_milestones(info, self.row.id, args, status)

    @strawberry.field(
        description="Progress rolled up from its milestones by the published formula, with "
        "every input: weight × progress summed over milestones not cancelled (DONE counts 100), "
        "divided by the sum of their weights.",
        metadata=sql(PROGRESS),
    )
    async def progress(
        self, info: Info
    ) -> Annotated[ProgressRollup, strawberry.lazy("renkei.graphql.types.milestones")]:
        from renkei.graphql.types.milestones import project_progress

        return await project_progress(info, self.row.id)

    @strawberry.field(
        description="Frozen snapshots of its milestones, oldest first.", metadata=sql(BASELINES)
    )
    async def baselines(
        self, info: Info
    ) -> list[Annotated[Baseline, strawberry.lazy("renkei.graphql.types.milestones")]]:
        from renkei.graphql.types.milestones import project_baselines

        return await project_baselines(info, self.row.id)

    @strawberry.field(
        description="Its grant applications (交付金), oldest first: read by its participants "
        "only (empty for anyone else)."
    )
    async def grant_applications(
        self, info: Info
    ) -> list[Annotated[GrantApplication, strawberry.lazy("renkei.graphql.types.grants")]]:
        from renkei.graphql.types.grants import project_grant_applications

        return await project_grant_applications(info, self.row.id)

    @strawberry.field(
        description="The project's KPIs, by name; empty for a summary.",
        metadata=sql(Page("Kpi", (Key("name"), Key("id", "uuid")), join="{c}.project_id = {t}.id")),
    )
    async def kpis(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[Kpi, strawberry.lazy("renkei.graphql.types.kpis")]]:
        from renkei.graphql.types.kpis import project_kpis

        return await project_kpis(info, self.row.id, PageArgs.of(first, after, last, before))

    @strawberry.field(
        description="人材ニーズ serving the project, newest first: those you see (open needs, "
        "and your firm's own).",
        metadata=sql(
            Many("TalentNeed", join="{c}.project_id = {t}.id", order="{c}.created_at DESC, {c}.id")
        ),
    )
    async def talent_needs(
        self, info: Info
    ) -> list[Annotated[TalentNeed, strawberry.lazy("renkei.graphql.types.talent")]]:
        from renkei.graphql.types.talent import TalentNeed
        from renkei.talent import repository as talent_repository

        rows = await info.context.run(lambda s: talent_repository.needs_of_project(s, self.row.id))
        return [TalentNeed.from_row(r) for r in rows]

    @strawberry.field(
        description="Changes to the project, oldest first (`last: 20` for the newest); "
        "visible to those who see its details.",
        metadata=sql(ACTIVITY_OF_SUBJECT),
    )
    async def activity(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))


@table(models.ProjectParticipant)
@strawberry.type(description="An organization's part in a project, from invitation to answer.")
class ProjectParticipant(Node):
    row: strawberry.Private[models.ProjectParticipant]
    role: ParticipantRole = column(  # type: ignore[valid-type]
        models.ProjectParticipant.role,
        description="Its part in the project: LEAD, PARTNER, FUNDER, SUPPORTER or OBSERVER.",
    )
    status: ParticipationStatus = column(  # type: ignore[valid-type]
        models.ProjectParticipant.status,
        description="Where it stands: INVITED, ACTIVE (accepted), DECLINED or LEFT.",
    )
    responded_at: datetime | None = column(
        models.ProjectParticipant.responded_at,
        description="When its admins accepted or declined; null while invited.",
    )
    created_at: datetime = column(
        models.ProjectParticipant.created_at,
        description="When it was invited (or, for the lead, when the project was created).",
    )

    @classmethod
    def from_row(cls, row: models.ProjectParticipant) -> ProjectParticipant:
        return cls(id=to_global_id("ProjectParticipant", row.id), row=row)

    @strawberry.field(
        description="The project; null once you may no longer see it (after declining).",
        metadata=sql(One("Project", "{c}.id = {t}.project_id")),
    )
    async def project(self, info: Info) -> Project | None:
        row = await info.context.loaders.project.load(self.row.project_id)
        return Project.from_row(row) if row else None

    @strawberry.field(
        description="The participating organization.",
        metadata=sql(One("Organization", "{c}.id = {t}.organization_id")),
    )
    async def organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return Organization.from_row(row)

    @strawberry.field(
        description="Changes to this participation: invitation, answer.",
        metadata=sql(ACTIVITY_OF_SUBJECT),
    )
    async def activity(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Activity]:
        return await activity_of(info, self.row.id, PageArgs.of(first, after, last, before))


@table(models.FundingSource)
@strawberry.type(description="Money for a project: 交付金, 企業版ふるさと納税, a bank's loan, …")
class FundingSource(Node):
    row: strawberry.Private[models.FundingSource]
    kind: FundingKind = column(  # type: ignore[valid-type]
        models.FundingSource.kind,
        description="Where the money comes from (交付金, 補助金, 企業版ふるさと納税, ...).",
    )
    name: str = column(
        models.FundingSource.name,
        description="The grant, scheme or loan by name, e.g. 新しい地方経済・生活環境創生交付金.",
    )
    amount_jpy: float = column(
        models.FundingSource.amount_jpy, description="In JPY, a whole number."
    )
    fiscal_year: int | None = column(
        models.FundingSource.fiscal_year, description="年度 (FY2025 starts 2025-04-01)."
    )
    staff_secondment: bool = column(
        models.FundingSource.staff_secondment,
        description="A 企業版ふるさと納税 given as seconded staff (人材派遣型); its funder "
        "is the donor firm.",
    )
    created_at: datetime = column(
        models.FundingSource.created_at, description="When it was recorded."
    )

    @classmethod
    def from_row(cls, row: models.FundingSource) -> FundingSource:
        return cls(id=to_global_id("FundingSource", row.id), row=row)

    @strawberry.field(
        description="The organization that provides it, when one is named.",
        metadata=sql(One("Organization", "{c}.id = {t}.funder_organization_id")),
    )
    async def funder(self, info: Info) -> Organization | None:
        if self.row.funder_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.funder_organization_id)
        return Organization.from_row(row) if row else None

    @strawberry.field(
        description="The project it funds.", metadata=sql(One("Project", "{c}.id = {t}.project_id"))
    )
    async def project(self, info: Info) -> Project | None:
        row = await info.context.loaders.project.load(self.row.project_id)
        return Project.from_row(row) if row else None


def portfolio(args: dict[str, Any]) -> Select[models.Project]:
    """The repository's portfolio for the `projects` arguments: the resolver's and the compiled
    page's one row source."""
    region_id, category, status = args.get("region_id"), args.get("category"), args.get("status")
    prefecture_code, search = args.get("prefecture_code"), args.get("search")
    return repository.projects(
        region_id=decode_id(region_id, "Region", field="regionId") if region_id else None,
        category=models.ProjectCategory(category) if category else None,
        status=models.ProjectStatus(status) if status else None,
        prefecture_code=normalize_prefecture_code(prefecture_code) if prefecture_code else None,
        search_terms=bigrams(search) if search else None,
    )


@strawberry.type
class ProjectQueries:
    @strawberry.field(description="A project by global id.", extensions=requires(PROJECTS_READ))
    async def project(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The project's global id; null if you may not see it."),
        ],
    ) -> Project | None:
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
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the projects of this region (its global id)."),
        ] = None,
        category: Annotated[
            ProjectCategory | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only projects of this category."),
        ] = None,
        status: Annotated[
            ProjectStatus | None,  # type: ignore[valid-type]
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
                " characters, half-width katakana too."
            ),
        ] = None,
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
        page = await root_page(
            info.context, stmt, order_by=(models.Project.name, models.Project.id), args=args
        )
        return to_connection(page, Project.from_row)

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


register_root(
    "project",
    Lookup("Project", by={"id": Filter("{t}.id = {p}", decode_global_id("Project"))}),
    scope=PROJECTS_READ,
)
register_root(
    "projects",
    Page("Project", (Key("name"), Key("id", "uuid")), source=portfolio),
    scope=PROJECTS_READ,
)
# repository.invitations_of the viewer's acting organization (none without one).
register_root(
    "projectInvitations",
    Rows(
        "ProjectParticipant",
        order="{c}.created_at, {c}.id",
        where="{t}.organization_id = (SELECT renkei_organization_id())"
        f" AND {{t}}.status = '{ParticipationStatusValue.INVITED.value}'",
    ),
    scope=PROJECTS_READ,
)
