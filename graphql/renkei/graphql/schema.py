"""The GraphQL schema: queries, mutations, node lookup and the rules every request passes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode
from sqlalchemy import Select
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from renkei.geography.codes import normalize_prefecture_code
from renkei.geography.data import PLANNING_BLOCS
from renkei.graphql.compiled.planner import (
    CompiledReads,
)
from renkei.graphql.compiled.spec import (
    TABLES,
    ById,
    Filter,
    Found,
    Key,
    Lookup,
    NotCompilable,
    Page,
    Rows,
    decode_global_id,
    register_root,
)
from renkei.graphql.context import Context, Info
from renkei.graphql.error_log import Schema
from renkei.graphql.hardening import IntrospectionGate
from renkei.graphql.limits import limit_extensions
from renkei.graphql.mutations.api_clients import ApiClientMutations
from renkei.graphql.mutations.email_domains import EmailDomainMutations
from renkei.graphql.mutations.evaluations import EvaluationMutations
from renkei.graphql.mutations.grants import GrantMutations
from renkei.graphql.mutations.identity import IdentityMutations
from renkei.graphql.mutations.intermediaries import IntermediaryMutations
from renkei.graphql.mutations.kpis import KpiMutations
from renkei.graphql.mutations.milestones import MilestoneMutations
from renkei.graphql.mutations.notifications import NotificationMutations
from renkei.graphql.mutations.organizations import OrganizationMutations
from renkei.graphql.mutations.preferences import PreferenceMutations
from renkei.graphql.mutations.projects import ProjectMutations
from renkei.graphql.mutations.regions import RegionMutations
from renkei.graphql.mutations.subsidies import SubsidyMutations
from renkei.graphql.mutations.talent import TalentMutations
from renkei.graphql.mutations.webhooks import WebhookMutations
from renkei.graphql.nodes import NODE_TYPES
from renkei.graphql.permissions import check_scope, requires
from renkei.graphql.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    Node,
    PageArgs,
    parse_global_id,
    root_page,
    to_connection,
)
from renkei.graphql.scalars import SCALAR_MAP
from renkei.graphql.types.activity import Activity
from renkei.graphql.types.evaluations import EvaluationQueries
from renkei.graphql.types.geography import (
    PlanningBloc,
    Prefecture,
    all_planning_blocs,
    all_prefectures,
)
from renkei.graphql.types.grants import GrantQueries
from renkei.graphql.types.intermediaries import IntermediaryQueries
from renkei.graphql.types.kpi_goals import KpiGoalQueries
from renkei.graphql.types.kpis import KpiQueries
from renkei.graphql.types.milestones import MilestoneQueries
from renkei.graphql.types.organizations import (
    Invitation,
    Membership,
    Organization,
    OrganizationKind,
    User,
)
from renkei.graphql.types.projects import ProjectQueries
from renkei.graphql.types.regions import RegionQueries
from renkei.graphql.types.talent_queries import TalentQueries
from renkei.graphql.types.viewer import VIEWER_ROW, Viewer
from renkei.i18n.messages import _
from renkei.identity.scopes import ORGANIZATIONS_READ
from renkei.organizations import repository as organizations
from renkei.organizations.models import Organization as OrganizationRow
from renkei.organizations.models import OrganizationKind as OrganizationKindValue
from renkei.organizations.service import is_slug

SDL_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"
MAX_NODES_PER_LOOKUP = 100
# The scope a token needs to fetch each type by id; prefectures are public reference data.
NODE_SCOPES = {
    "Organization": ORGANIZATIONS_READ,
    "User": ORGANIZATIONS_READ,
    "Membership": ORGANIZATIONS_READ,
    "Invitation": ORGANIZATIONS_READ,
}


def _node_loader(info: Info, type_name: str) -> tuple[Any, Callable[[Any], Node]] | None:
    """The request's loader of a node type's rows, and what wraps a row; None if no such type."""
    loaders = info.context.loaders
    organizations: dict[str, tuple[Any, Callable[[Any], Node]]] = {
        "Organization": (loaders.organization, Organization.from_row),
        "User": (loaders.user, User.from_row),
        "Membership": (loaders.membership, Membership.from_row),
        "Invitation": (loaders.invitation, Invitation.from_row),
    }
    node = NODE_TYPES.get(type_name)
    return (loaders.rows_of(node.model), node.wrap) if node else organizations.get(type_name)


def _check_node_scopes(info: Info, global_ids: list[strawberry.ID]) -> None:
    """Refuse the whole lookup, before anything is read, if one id's type needs a missing scope."""
    for global_id in global_ids:
        parsed = parse_global_id(global_id)
        scope = None
        if parsed is not None:
            node = NODE_TYPES.get(parsed[0])
            scope = node.scope if node else NODE_SCOPES.get(parsed[0])
        if scope is not None:
            check_scope(info, scope)


async def _resolve_node(info: Info, global_id: str) -> Node | None:
    """A node by global id; null alike for a malformed, unknown or another tenant's id."""
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    type_name, key = parsed
    if type_name == "Prefecture":
        return Prefecture.by_code(key)
    entry = _node_loader(info, type_name)
    if entry is None:
        return None
    try:
        row_id = uuid.UUID(key)
    except ValueError:
        return None
    loader, wrap = entry
    row = await loader.load(row_id)
    return wrap(row) if row is not None else None


@strawberry.type(
    description="What you can read. Most fields need a token with a scope (see"
    " `@requiresScope`); the prefectures and planning blocs are public."
    " What you may not see is absent or null, exactly as if it did not"
    " exist."
)
class Query(
    RegionQueries,
    ProjectQueries,
    MilestoneQueries,
    KpiQueries,
    TalentQueries,
    IntermediaryQueries,
    GrantQueries,
    EvaluationQueries,
    KpiGoalQueries,
):
    @strawberry.field(
        description="Fetch any object by its global id; null if you may not see it. A token needs"
        " the scope that reads its type (organizations:read for organizations and people)."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The global id of any object (the `id` field of a Node)."
            ),
        ],
    ) -> Node | None:
        _check_node_scopes(info, [id])
        return await _resolve_node(info, id)

    @strawberry.field(description="Fetch up to 100 objects by global id, in the order asked.")
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(
                description="Up to 100 global ids; the answer keeps their order, with null for"
                " each one you may not see."
            ),
        ],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES_PER_LOOKUP:
            raise GraphQLError(
                _("at most {most} ids at a time", most=MAX_NODES_PER_LOOKUP),
                extensions={"code": "TOO_MANY_IDS"},
            )
        _check_node_scopes(info, ids)
        # Gathered, so that the loaders see every id at once: one statement per type.
        return list(await asyncio.gather(*(_resolve_node(info, i) for i in ids)))

    @strawberry.field(description="You, when signed in.", extensions=requires(ORGANIZATIONS_READ))
    async def viewer(self, info: Info) -> Viewer | None:
        viewer = info.context.viewer
        if viewer.user_id is None:
            return None
        row = await info.context.loaders.user.load(viewer.user_id)
        if row is None:
            return None
        return Viewer(row=row)

    @strawberry.field(
        description="An organization by global id or slug.", extensions=requires(ORGANIZATIONS_READ)
    )
    async def organization(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The organization's global id. Give one of id and slug; with"
                " neither, the answer is null."
            ),
        ] = None,
        slug: Annotated[
            str | None,
            strawberry.argument(
                description="The organization's slug, as in its console address (e.g."
                " fukuoka-pref); case is ignored. Give one of id and slug; with"
                " neither, the answer is null."
            ),
        ] = None,
    ) -> Organization | None:
        if id is not None:
            node = await _resolve_node(info, id)
            return node if isinstance(node, Organization) else None
        if slug is not None and is_slug(slug.strip().lower()):
            row = await info.context.run(
                lambda s: s.scalar(
                    organizations.organizations().where(
                        OrganizationRow.slug == slug.strip().lower()
                    )
                )
            )
            return Organization.from_row(row) if row else None
        return None

    @strawberry.field(
        description="The organizations you can see, by name.",
        extensions=requires(ORGANIZATIONS_READ),
    )
    async def organizations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        kind: Annotated[
            OrganizationKind | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only organizations of this kind (産官学金労言士)."),
        ] = None,
        prefecture_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only organizations whose home prefecture has this JIS X 0401 code"
                " (01 to 47)."
            ),
        ] = None,
    ) -> Connection[Organization]:
        args = PageArgs.of(first, after, last, before)
        stmt = directory({"kind": kind, "prefecture_code": prefecture_code})
        page = await root_page(
            info.context, stmt, order_by=(OrganizationRow.name, OrganizationRow.id), args=args
        )
        return to_connection(page, Organization.from_row)

    @strawberry.field(description="The 47 prefectures, optionally of one planning bloc.")
    def prefectures(
        self,
        planning_bloc: Annotated[
            str | None,
            strawberry.argument(
                description="Only the prefectures of this planning bloc (広域地方計画区域), by"
                " its code, e.g. KYUSHU; all 47 without one."
            ),
        ] = None,
    ) -> list[Prefecture]:
        return all_prefectures(planning_bloc)

    @strawberry.field(description="A prefecture by its JIS X 0401 code (01 to 47).")
    def prefecture(
        self,
        code: Annotated[
            str,
            strawberry.argument(
                description="The JIS X 0401 code, 01 (北海道) to 47 (沖縄県); full-width digits"
                " and a missing leading zero are accepted (４３, 4)."
            ),
        ],
    ) -> Prefecture | None:
        return Prefecture.by_code(code)

    @strawberry.field(description="The national planning blocs (広域地方計画).")
    def planning_blocs(self) -> list[PlanningBloc]:
        return all_planning_blocs()


@strawberry.type(
    description="What you can change. Each mutation takes one `input` and returns a"
    " payload with `userErrors`: all or nothing."
)
class Mutation(
    OrganizationMutations,
    ApiClientMutations,
    IdentityMutations,
    EmailDomainMutations,
    RegionMutations,
    ProjectMutations,
    MilestoneMutations,
    KpiMutations,
    TalentMutations,
    SubsidyMutations,
    IntermediaryMutations,
    EvaluationMutations,
    PreferenceMutations,
    NotificationMutations,
    WebhookMutations,
    GrantMutations,
):
    pass


def _slug(value: str) -> str:
    slug = value.strip().lower()
    if not is_slug(slug):
        raise NotCompilable("not a slug: the resolver answers null")
    return slug


def directory(args: dict[str, Any]) -> Select[OrganizationRow]:
    """The repository's organizations for the `organizations` arguments: the resolver's and the
    compiled page's one row source."""
    kind = args.get("kind")
    return organizations.organizations(
        kind=OrganizationKindValue(kind) if kind else None,
        prefecture_code=args.get("prefecture_code"),
    )


def _node_scope(type_name: str) -> str | None:
    node = NODE_TYPES.get(type_name)
    return node.scope if node else NODE_SCOPES.get(type_name)


def _found(global_id: str) -> Found:
    """The row node(id:) reads for a global id, as _resolve_node and _check_node_scopes have it:
    nothing for a malformed id or a type it does not fetch, but the type's scope all the same."""
    parsed = parse_global_id(global_id)
    if parsed is None:
        return Found(None)
    type_name, key = parsed
    scope = _node_scope(type_name)
    if type_name == "Prefecture":
        return Found("Prefecture", key, scope, "{t}.code = {p}")
    node = NODE_TYPES.get(type_name)
    if node is None and type_name not in NODE_SCOPES:
        return Found(None, scope=scope)
    declared = TABLES.get(type_name)
    if node is not None and declared is not None and declared.name != node.model.__tablename__:
        raise NotCompilable(f"{type_name} is fetched from another table", reason="spec")
    try:
        return Found(type_name, uuid.UUID(key), scope)
    except ValueError:
        return Found(None, scope=scope)


def _bloc_order() -> str:
    """The blocs in the order of renkei.geography.data, which the resolver lists."""
    codes = ", ".join(f"'{b.code}'" for b in PLANNING_BLOCS)
    return f"array_position(ARRAY[{codes}]::text[], {{c}}.code::text)"


register_root("node", ById(_found))
register_root("nodes", ById(_found, many=True, most=MAX_NODES_PER_LOOKUP))
register_root("viewer", Lookup("Viewer", by={}, where=VIEWER_ROW), scope=ORGANIZATIONS_READ)
register_root(
    "prefectures",
    Rows("Prefecture", "{c}.code", {"planning_bloc": Filter("{t}.planning_bloc_code = {p}")}),
)
register_root(
    "prefecture",
    # As typed (４３, 4): the code as stored (43, 04).
    Lookup("Prefecture", by={"code": Filter("{t}.code = {p}", normalize_prefecture_code)}),
)
register_root("planningBlocs", Rows("PlanningBloc", _bloc_order()))
register_root(
    "organizations",
    Page("Organization", (Key("name"), Key("id", "uuid")), source=directory),
    scope=ORGANIZATIONS_READ,
)
register_root(
    "organization",
    Lookup(
        "Organization",
        by={
            "id": Filter("{t}.id = {p}", decode_global_id("Organization")),
            "slug": Filter("{t}.slug = {p}", _slug),
        },
    ),
    scope=ORGANIZATIONS_READ,
)


class OperationChoice(SchemaExtension):
    """Refuse to guess which operation of a document to run; Strawberry would pick the first."""

    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        if document is None:
            return
        names = [
            d.name.value if d.name else None
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ]
        context = self.execution_context.context
        # Strawberry's own operation_name falls back to the first operation's name once parsed.
        wanted = context.operation_name if isinstance(context, Context) else None
        if wanted is None and len(names) > 1:
            raise GraphQLError(_("the document has several operations: name one in operationName"))
        if wanted is not None and wanted not in names:
            raise GraphQLError(_("the document has no operation named '{name}'", name=wanted))
        if not names:
            raise GraphQLError(_("the document has no operation to run"))


def build_schema() -> strawberry.Schema:
    """The schema. Faults are masked where responses leave, in renkei.graphql.http."""
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[Organization, Membership, Invitation, User, Prefecture, Activity],
        extensions=[*limit_extensions(), OperationChoice, CompiledReads, IntrospectionGate],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )


def export_sdl(path: Path = SDL_PATH) -> str:
    sdl = build_schema().as_str() + "\n"
    path.write_text(sdl)
    return sdl
