"""The fuzzer's parts: documents from the schema, the faults to look for, and the rows that no
request of a viewer may change.

Documents are drawn by hypothesis-graphql, one root field at a time, so that a test names the
field it fuzzes. Ids are drawn from the world's real rows (every tenant's), now and then a
malformed one; dates cover the whole calendar.

A fault is what a user must never see: a 5xx, a body that is not GraphQL-shaped JSON, an error
without `extensions.code`, or a masked "Internal error". A foreign write is a change to a row
tied to none of the viewer's keys (its organization, its user) but to another tenant of the
world: before and after each request, the rows of every tenant table are read as the platform
and the foreign ones compared. Outbox and notifications are left out: telling other
organizations is what they are for.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

import graphql
import httpx2
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from fuzz.world import FuzzViewer, FuzzWorld
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.graphql.schema import build_schema
from renkei.identity.scopes import ALL_SCOPES
from renkei.tenancy import Viewer

SCHEMA: graphql.GraphQLSchema = build_schema()._schema
assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
QUERY_FIELDS = tuple(SCHEMA.query_type.fields)
MUTATION_FIELDS = tuple(SCHEMA.mutation_type.fields)

# Examples in all, spread evenly over every root field and viewer (320 cases). The default keeps
# the fuzz file near a minute of `make test`; before a release, run RENKEI_FUZZ_EXAMPLES=5000+.
DEFAULT_EXAMPLES = 1920


def examples_per_case(cases: int) -> int:
    total = int(os.environ.get("RENKEI_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
    return max(1, -(-total // cases))


# Documents ------------------------------------------------------------------------------------

# The type of row each id argument names (see the decode_id calls of renkei.graphql.mutations).
ID_TYPES = {
    "funderId": "Organization",
    "organizationId": "Organization",
    "ownerOrganizationId": "Organization",
    "counterpartOrganizationId": "Organization",
    "projectId": "Project",
    "regionId": "Region",
    "invitationId": "Invitation",
    "membershipId": "Membership",
    "participantId": "ProjectParticipant",
    "regionMemberId": "RegionMember",
    "fundingSourceId": "FundingSource",
    "predecessorId": "Milestone",
    "successorId": "Milestone",
    "kpiId": "Kpi",
    "needId": "TalentNeed",
    "matchId": "Match",
    "apiClientId": "ApiClient",
}
# `id` names a row of the type its input or query field is about: UpdateMilestoneInput, kpi(id:).
ID_OWNERS = re.compile(
    r"^(?:Change|Update|SignOff)?(Milestone|Project|TalentNeed|Kpi|Organization|Region"
    r"|IdentityProvider)(?:Status)?Input$"
)


PREFECTURE_CODES = [f"{code:02d}" for code in range(1, 48)]
_TEXT = st.text(alphabet="九州半導体人材育成観光あいうアイウabcXYZ 0123-", min_size=1, max_size=16)
_PREFECTURE = st.sampled_from(PREFECTURE_CODES)
# Values the services accept, for inputs named so: drawn instead of the generator's four times
# in five, so that examples get past validation into the rules about who may do what.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    **dict.fromkeys(
        [
            "prefectureCode",
            "prefectureCodes",
            "homePrefectureCode",
            "workplacePrefectureCode",
            "residencePrefectureCode",
            "travelPrefectureCodes",
        ],
        _PREFECTURE,
    ),
    **dict.fromkeys(
        ["email", "contactEmail"],
        st.sampled_from(["member@fuzz-hakata.fuzz.example", "pro@fuzz.example", "x@fuzz.example"]),
    ),
    "slug": st.from_regex(r"\A[a-z][a-z0-9-]{1,20}[a-z0-9]\Z"),
    "localGovernmentCode": st.sampled_from(["400009", "430005", "131016", "401005"]),
    "scopes": st.sampled_from(sorted(ALL_SCOPES)),
    "skill": st.sampled_from(["finance", "財務", "export-sales", "marketing"]),
    **dict.fromkeys(
        [
            "name",
            "title",
            "text",
            "summary",
            "description",
            "note",
            "unit",
            "challenge",
            "headline",
            "fullName",
            "currentEmployer",
            "review",
            "deliverables",
            "atRiskReason",
            "declarationText",
            "visionText",
            "experienceSummary",
            "workplaceMunicipality",
        ],
        _TEXT,
    ),
    "fiscalYear": st.integers(2024, 2028),
    "horizonYears": st.sampled_from([1, 3, 5]),
    **dict.fromkeys(
        [
            "progress",
            "hoursPerMonth",
            "rating",
            "level",
            "openings",
            "durationMonths",
            "visitDays",
            "siteVisitsPerMonth",
            "maxEngagements",
            "maxSiteVisitsPerMonth",
        ],
        st.integers(0, 100),
    ),
    **dict.fromkeys(("feeJpy", "feeMinJpy", "feeMaxJpy", "amountJpy"), st.integers(0, 900_000)),
    **dict.fromkeys(("value", "baseline", "weight", "years"), st.floats(0, 10_000)),
}


def _scalars(world: FuzzWorld) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Custom scalars, and ids: mostly real ones (of any type), else malformed or of no row."""
    real = st.sampled_from(world.global_ids)
    no_row = st.sampled_from(sorted(world.ids)).map(
        lambda t: to_global_id(t, str(uuid.UUID(int=7)))
    )
    ids = st.one_of(real, real, real, no_row, st.text(max_size=40))
    return {
        "ID": ids.map(nodes.String),
        "Date": st.one_of(st.dates(date(2025, 4, 1), date(2028, 3, 31)), st.dates()).map(
            nodes.String
        ),
        "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat())),
        "JSON": st.from_regex(r"\A[a-z]{0,8}\Z").map(nodes.String),
    }


def _id_type(owner: str, name: str) -> str | None:
    if name == "id":
        found = ID_OWNERS.match(owner)
        return found.group(1) if found else owner[:1].upper() + owner[1:]
    return ID_TYPES.get(name)


def _targets(
    value: graphql.ValueNode, type_: graphql.GraphQLInputType, owner: str, name: str
) -> Iterator[tuple[graphql.ValueNode, str]]:
    """The values inside an argument to retarget: ids (with the type of row they should name),
    and values of inputs with a PLAUSIBLE strategy (with their name)."""
    type_ = graphql.get_nullable_type(type_)  # type: ignore[arg-type]
    if isinstance(type_, graphql.GraphQLList) and isinstance(value, graphql.ListValueNode):
        for item in value.values:
            yield from _targets(item, type_.of_type, owner, name)
    elif isinstance(type_, graphql.GraphQLInputObjectType) and isinstance(
        value, graphql.ObjectValueNode
    ):
        for field_node in value.fields:
            field_type = type_.fields[field_node.name.value].type
            yield from _targets(field_node.value, field_type, type_.name, field_node.name.value)
    elif isinstance(value, graphql.StringValueNode) and getattr(type_, "name", None) == "ID":
        target = _id_type(owner, name)
        if target is not None:
            yield value, target
    elif name == "version" and isinstance(value, graphql.IntValueNode):
        yield value, "version"
    elif name in PLAUSIBLE and isinstance(
        value, graphql.StringValueNode | graphql.IntValueNode | graphql.FloatValueNode
    ):
        yield value, name


def _as_is(document: graphql.DocumentNode) -> graphql.DocumentNode:
    return document


_STRATEGIES: dict[tuple[int, str], st.SearchStrategy[graphql.DocumentNode]] = {}


def _strategy(world: FuzzWorld, root_field: str) -> st.SearchStrategy[graphql.DocumentNode]:
    key = (id(world), root_field)
    if key not in _STRATEGIES:
        build = queries if root_field in QUERY_FIELDS else mutations
        _STRATEGIES[key] = build(
            SCHEMA, fields=[root_field], custom_scalars=_scalars(world), print_ast=_as_is
        )
    return _STRATEGIES[key]


def draw_document(data: st.DataObject, world: FuzzWorld, root_field: str) -> str:
    """A valid document selecting `root_field` of Query or Mutation.

    hypothesis-graphql draws it; then, four times in five, each id argument gets a real row of the
    type it names (any tenant's) and each input named in PLAUSIBLE a value of its kind, and each
    `version` is small, so that examples get past "not an id of type …", "unknown prefecture"
    and "stale version" into the services' rules.
    """
    is_query = root_field in QUERY_FIELDS
    document: graphql.DocumentNode = data.draw(_strategy(world, root_field), label="drawn")
    root = SCHEMA.query_type if is_query else SCHEMA.mutation_type
    assert root is not None
    replaced: dict[int, str] = {}
    for operation in document.definitions:
        assert isinstance(operation, graphql.OperationDefinitionNode)
        for selection in operation.selection_set.selections:
            assert isinstance(selection, graphql.FieldNode)
            definition = root.fields[selection.name.value]
            for argument in selection.arguments:
                argument_type = definition.args[argument.name.value].type
                for node, target in _targets(
                    argument.value, argument_type, selection.name.value, argument.name.value
                ):
                    if target == "version":
                        replaced[id(node)] = str(data.draw(st.integers(0, 4), label="version"))
                    elif not data.draw(st.integers(0, 4), label=f"retarget {target}"):
                        continue  # one time in five, the generator's own value
                    elif target in PLAUSIBLE:
                        replaced[id(node)] = str(data.draw(PLAUSIBLE[target], label=target))
                    elif world.ids.get(target):
                        replaced[id(node)] = data.draw(
                            st.sampled_from(world.ids[target]), label=target
                        )
    return graphql.print_ast(graphql.visit(document, _Replace(replaced)))


class _Replace(graphql.Visitor):
    """Gives the chosen value nodes (AST nodes are frozen) their new values."""

    def __init__(self, replaced: dict[int, str]) -> None:
        super().__init__()
        self.replaced = replaced

    def enter_string_value(self, node: graphql.StringValueNode, *_: Any) -> Any:
        if id(node) in self.replaced:
            return graphql.StringValueNode(value=self.replaced[id(node)])
        return None

    def enter_int_value(self, node: graphql.IntValueNode, *_: Any) -> Any:
        if id(node) in self.replaced:
            return graphql.IntValueNode(value=self.replaced[id(node)])
        return None

    def enter_float_value(self, node: graphql.FloatValueNode, *_: Any) -> Any:
        if id(node) in self.replaced:
            return graphql.FloatValueNode(value=self.replaced[id(node)])
        return None


# Faults ---------------------------------------------------------------------------------------

# Faults other helpers of issue 10 are fixing; a failure names them so that nobody hunts twice.
KNOWN = {
    "cannot contain NUL": "NUL byte reaching PostgreSQL (issue 10, item 6)",
    "InvalidOperation": "decimal.InvalidOperation on a number >= 1e24 (issue 10, item 6)",
}


@dataclass
class Answer:
    status: int
    body: Any
    faults: list[str] = field(default_factory=list)

    @property
    def known(self) -> list[str]:
        return sorted({label for f in self.faults for k, label in KNOWN.items() if k in f})


def faults_of(response: httpx2.Response) -> Answer:
    """What in a response would be a fault; an empty list when it is a well-formed answer."""
    try:
        body = response.json()
    except ValueError:
        return Answer(response.status_code, response.text, [f"not JSON: {response.text[:200]}"])
    answer = Answer(response.status_code, body)
    if response.status_code >= 500:
        answer.faults.append(f"HTTP {response.status_code}")
    if not isinstance(body, dict) or not ({"data", "errors"} & body.keys()):
        answer.faults.append("not a GraphQL response")
        return answer
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        message = str(error.get("message"))
        if not code or code == "INTERNAL_ERROR" or "Internal error" in message:
            answer.faults.append(f"{code or 'no code'}: {message[:300]} at {error.get('path')}")
    return answer


async def send(client: httpx2.AsyncClient, viewer: FuzzViewer, document: str) -> Answer:
    headers = {"Authorization": f"Bearer {viewer.token}"} if viewer.token else {}
    response = await client.post("/graphql", json={"query": document}, headers=headers)
    return faults_of(response)


# Foreign rows ---------------------------------------------------------------------------------


# Who has a stake in a project (its lead, every participant), a region (its secretariat, every
# member) and a professional (their user), computed once per snapshot.
STAKES = """
WITH project_stake(id, keys) AS (
  SELECT p.id, ARRAY[p.lead_organization_id::text]
    || ARRAY(SELECT pp.organization_id::text FROM project_participants pp
             WHERE pp.project_id = p.id)
  FROM projects p
), region_stake(id, keys) AS (
  SELECT r.id, ARRAY[r.secretariat_organization_id::text]
    || ARRAY(SELECT m.organization_id::text FROM region_members m WHERE m.region_id = r.id)
  FROM regions r
), professional_stake(id, keys) AS (
  SELECT p.id, ARRAY[p.user_id::text] FROM professionals p
)
"""


def _project(column: str) -> str:
    return f"coalesce((SELECT s.keys FROM project_stake s WHERE s.id = {column}), '{{}}')"


def _region(column: str) -> str:
    return f"coalesce((SELECT s.keys FROM region_stake s WHERE s.id = {column}), '{{}}')"


def _professional(column: str) -> str:
    return f"coalesce((SELECT s.keys FROM professional_stake s WHERE s.id = {column}), '{{}}')"


def _keys(*columns: str) -> str:
    return "ARRAY[" + ", ".join(f"x.{c}::text" for c in columns) + "]"


PLATFORM = "platform"
# Each tenant table, and the keys (organization and user ids) its rows are tied to.
TIES: dict[str, str] = {
    "organizations": _keys("id"),
    "memberships": _keys("organization_id", "user_id"),
    "invitations": _keys("organization_id")
    + " || ARRAY(SELECT u.id::text FROM users u WHERE lower(u.email) = lower(x.email))",
    "api_clients": _keys("organization_id"),
    "identity_providers": _keys("organization_id"),
    "provider_domains": _keys("organization_id"),
    "audit_events": _keys("organization_id", "actor_user_id"),
    "activities": _keys("actor_organization_id", "actor_user_id"),
    "users": _keys("id"),
    "user_identities": _keys("user_id"),
    "browser_sessions": _keys("user_id", "organization_id"),
    "regions": _region("x.id"),
    "region_members": _region("x.region_id") + " || " + _keys("organization_id"),
    "projects": _project("x.id"),
    "project_participants": _project("x.project_id") + " || " + _keys("organization_id"),
    "funding_sources": _project("x.project_id"),
    "milestones": _project("x.project_id"),
    "milestone_dependencies": _project("x.predecessor_project_id")
    + " || "
    + _project("x.successor_project_id"),
    "baselines": _project("x.project_id"),
    "baseline_milestones": _project("x.project_id"),
    "kpis": _project("x.project_id") + " || " + _region("x.region_id"),
    "kpi_targets": _project("x.project_id") + " || " + _region("x.region_id"),
    "kpi_observations": _project("x.project_id") + " || " + _region("x.region_id"),
    "talent_needs": _keys("organization_id"),
    "matches": _keys("organization_id") + " || " + _professional("x.professional_id"),
    "match_costs": _keys("organization_id")
    + " || ARRAY(SELECT p.user_id::text FROM matches m JOIN professionals p"
    " ON p.id = m.professional_id WHERE m.id = x.match_id)",
    "professionals": _keys("user_id"),
    "professional_profiles": _professional("x.professional_id"),
    # Reference data: only the platform writes it.
    **{
        t: f"ARRAY['{PLATFORM}']"
        for t in ("prefectures", "planning_blocs", "subsidy_schemes", "platform_operators")
    },
}
# psycopg prepares it on the connection (planning it costs more than running it).
FOREIGN_ROWS = STAKES + " UNION ALL ".join(
    f"SELECT '{table}' AS t, x::text AS row FROM {table} x"
    f" WHERE NOT ({ties}) && %(mine)s::text[] AND ({ties}) && %(others)s::text[]"
    for table, ties in TIES.items()
)


# Rows inserted, updated or deleted by the current transaction so far, subtransactions included:
# when a request leaves it unchanged, it wrote nothing, and no digest is needed.
WRITES = (
    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint"
    " FROM pg_stat_xact_user_tables"
)


async def writes(sessions: SessionFactory) -> int:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        raw = await (await session.connection()).get_raw_connection()
        cursor = await raw.driver_connection.execute(WRITES, prepare=True)
        row = await cursor.fetchone()
        assert row is not None
        return int(row[0])


def others_of(world: FuzzWorld, viewer: FuzzViewer) -> list[str]:
    keys = {str(k) for k in (*world.organizations, *world.users)} | {PLATFORM}
    return sorted(keys - set(viewer.own))


async def foreign_rows(
    sessions: SessionFactory, world: FuzzWorld, viewer: FuzzViewer
) -> dict[str, set[str]]:
    """Every row tied to another tenant of the world and to nothing of `viewer`'s, by table."""
    found: dict[str, set[str]] = {t: set() for t in TIES}
    async with unit_of_work(sessions, Viewer.platform()) as session:
        raw = await (await session.connection()).get_raw_connection()
        cursor = await raw.driver_connection.execute(
            FOREIGN_ROWS, {"mine": viewer.own, "others": others_of(world, viewer)}, prepare=True
        )
        for table, row in await cursor.fetchall():
            found[table].add(row)
    return found


def changes(before: dict[str, set[str]], after: dict[str, set[str]]) -> list[str]:
    """The foreign rows that appeared, changed or disappeared, readable."""
    found = []
    for table in before:
        for row in sorted(before[table] - after[table]):
            found.append(f"{table}: was {row}")
        for row in sorted(after[table] - before[table]):
            found.append(f"{table}: now {row}")
    return found
