"""Visibility, enforced by row-level security: who sees and who changes what (issue 4, item 9).

The world (tenancy/visibility_world.py) is built once for the module and every test leaves it as
it was. The matrix is enumerated as organization role × project visibility × object type:

- reads, four ways: the list queries through the resolvers (`list`), the same read compiled into
  one SQL statement (`compiled`), `node(id:)` / `nodes(ids:)` / the typed lookups with the real
  ids (`node`), and `select(Model)` as renkei_app with the viewer set (`sql`), which proves the
  row-level security itself, whatever the resolvers do;
- no text of what a viewer may not see reaches it anywhere (`text`), exports included;
- writes, two ways: the GraphQL mutation (`api`) is refused with a userError and nothing changes,
  or the allowed writer succeeds; the same change written directly in SQL (`sql`) is refused by
  row-level security (an error, or no row affected), or succeeds for the allowed writer.

Each principal's reads are fetched once and each cell checks its part; the refused mutations of
one principal on one target run in one request (each mutation in its own savepoint), so that the
few thousand cells stay within a minute.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import orjson
import pytest
from graphql import parse
from sqlalchemy import Update, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from factories import graphql
from renkei.activity.models import SubjectType
from renkei.db import unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.compiled import compile_operation
from renkei.graphql.relay import parse_global_id, to_global_id
from renkei.graphql.schema import build_schema
from renkei.identity.tokens import TokenService
from renkei.kpis.models import Kpi, KpiObservation, ObservationSource
from renkei.projects.models import (
    Baseline,
    FundingKind,
    FundingSource,
    Milestone,
    MilestoneDependency,
    MilestoneStatus,
    ParticipantRole,
    Project,
    ProjectParticipant,
    ProjectStatus,
)
from renkei.regions.models import ParticipationStatus
from renkei.tenancy import MembershipRole, Viewer
from tenancy.visibility_world import (
    ANONYMOUS,
    INVITED,
    LEAD,
    ORGANIZATIONS,
    OUTSIDER,
    PARTNER,
    PERSONAL,
    REGION_MARKER,
    REGION_MEMBER,
    ROLES,
    SECRETARIAT,
    VISIBILITIES,
    Principal,
    ProjectObjects,
    SqlView,
    VisibilityWorld,
    build_world,
    detail_marker,
    fingerprint,
    read_as,
    rolled_back,
    sessions_on,
    summary_marker,
)

OWNER, ADMIN, MEMBER, VIEWER = ROLES

# The expected visibility --------------------------------------------------------------------

FULL, SUMMARY, NONE = "full", "summary", "none"
# What the people of each organization (whatever their role) see of each project: FULL is the
# project and everything below it (participants, funding, milestones, KPIs, baselines, activity);
# SUMMARY its row only (name, category, status, prefectures, lead); NONE not even that.
# fmt: off
SEES: dict[str, dict[str, str]] = {
    #              PARTICIPANTS           REGION         PUBLIC
    LEAD:          dict(PARTICIPANTS=FULL,    REGION=FULL,   PUBLIC=FULL),     # leads all three
    PARTNER:       dict(PARTICIPANTS=FULL,    REGION=FULL,   PUBLIC=FULL),     # takes part in all
    SECRETARIAT:   dict(PARTICIPANTS=NONE,    REGION=FULL,   PUBLIC=FULL),     # runs R
    REGION_MEMBER: dict(PARTICIPANTS=NONE,    REGION=FULL,   PUBLIC=FULL),     # member of R
    INVITED:       dict(PARTICIPANTS=SUMMARY, REGION=NONE,   PUBLIC=SUMMARY),  # invited, no answer
    OUTSIDER:      dict(PARTICIPANTS=NONE,    REGION=NONE,   PUBLIC=SUMMARY),  # no tie
    PERSONAL:      dict(PARTICIPANTS=NONE,    REGION=NONE,   PUBLIC=SUMMARY),  # no organization
    ANONYMOUS:     dict(PARTICIPANTS=NONE,    REGION=NONE,   PUBLIC=NONE),
}
# fmt: on
# The invited organization also sees its own invitation (a participant row of status INVITED).
# R's own KPI (its targets, observations) and R's activity: for R's active members only.
IN_REGION = {SECRETARIAT, LEAD, REGION_MEMBER}
REGION_TARGET = "R"

# Who may make each change, by organization and role; everyone else is refused.
MANAGERS = (OWNER, ADMIN)
WRITERS = (OWNER, ADMIN, MEMBER)
# fmt: off
MAY: dict[str, dict[str, tuple[MembershipRole, ...]]] = {
    "update-project":          {LEAD: MANAGERS},
    "change-project-status":   {LEAD: MANAGERS},
    "invite-participant":      {LEAD: MANAGERS},
    "add-funding":             {LEAD: MANAGERS},
    "create-milestone":        {LEAD: WRITERS, PARTNER: WRITERS},
    "update-milestone":        {LEAD: WRITERS, PARTNER: WRITERS},  # m2: owner A, lead L
    "change-milestone-status": {LEAD: WRITERS, PARTNER: WRITERS},  # m2
    "sign-off-milestone":      {PARTNER: WRITERS},                 # m1: counterpart A
    "add-dependency":          {LEAD: WRITERS, PARTNER: WRITERS},  # m3 -> m2
    "create-kpi":              {LEAD: MANAGERS},
    "record-kpi-observation":  {LEAD: WRITERS, PARTNER: WRITERS},
    "create-baseline":         {LEAD: WRITERS, PARTNER: WRITERS},
    "create-region-kpi":       {SECRETARIAT: MANAGERS},
    "record-region-kpi-observation": {SECRETARIAT: WRITERS, LEAD: WRITERS, REGION_MEMBER: WRITERS},
}
# fmt: on
# Row-level security is the backstop, coarser where the service adds a rule of its own: any
# writer of a participating organization may update a milestone's row (the service lets only
# the counterpart sign off). Those in RLS_MAY but not in MAY have no SQL cell.
RLS_MAY = {**MAY, "sign-off-milestone": {LEAD: WRITERS, PARTNER: WRITERS}}

PRINCIPALS = [f"{r.value}@{o}" for o in ORGANIZATIONS for r in ROLES] + [PERSONAL, ANONYMOUS]
TARGETS = [*VISIBILITIES, REGION_TARGET]


def organization_of(principal: str) -> str:
    return principal.split("@")[1] if "@" in principal else principal


def role_of(principal: str) -> MembershipRole | None:
    return MembershipRole(principal.split("@")[0]) if "@" in principal else None


def sees(principal: str, visibility: str) -> str:
    return SEES[organization_of(principal)][visibility]


def may(table: dict[str, dict[str, tuple[MembershipRole, ...]]], action: str, who: str) -> bool:
    return role_of(who) in table[action].get(organization_of(who), ())


# Reads: the documents -----------------------------------------------------------------------

CHANGE = "fragment Change on Activity { __typename id action before after }"
MILESTONE = """
fragment MilestoneDetails on Milestone {
  __typename id title description atRiskReason status project { __typename id name }
  dependsOn { __typename id title } dependents { __typename id title }
  activity(first: 10) { nodes { ...Change } }
}
"""
KPI = """
fragment KpiDetails on Kpi {
  __typename id name unit targets { fiscalYear value }
  observations(first: 5) {
    nodes { __typename id note activity(first: 10) { nodes { ...Change } } }
  }
  latestObservation { __typename id note }
  attainment { percent latestValue }
  activity(first: 10) { nodes { ...Change } }
}
"""
PROJECT = """
fragment Details on Project {
  __typename id name summary category status visibility prefectures { code } lead { id name }
  region { id } totalFundingJpy allowedTransitions
  participants(first: 5) {
    nodes {
      __typename id role status organization { id } activity(first: 10) { nodes { ...Change } }
    }
  }
  fundingSources { __typename id name amountJpy funder { id } }
  milestones(first: 10) { nodes { ...MilestoneDetails } }
  progress { percent inputs { title milestone { __typename id } } }
  kpis(first: 3) { nodes { ...KpiDetails } }
  baselines {
    __typename id name milestones { milestoneId title } variance { items { milestoneId title } }
  }
  activity(first: 10) { nodes { ...Change } }
}
"""
# The list queries, one document: through the resolvers (the app runs with compiled reads off).
LISTS = (
    """
query Lists($region: ID!) {
  region(id: $region) {
    __typename id
    projects(first: 5) { nodes { __typename id name lead { id } } }
    kpis(first: 5) { nodes { ...KpiDetails } }
    kpiRollup {
      percent
      included { kpi { __typename id name } }
      excluded { kpi { __typename id name } reason }
    }
    activity(first: 50) { nodes { ...Change } }
  }
  projects(first: 5) { nodes { ...Details } }
  milestones(first: 50) { nodes { ...MilestoneDetails } }
  kpis(first: 50) { nodes { ...KpiDetails } }
  projectInvitations {
    __typename id role status organization { id } project { __typename id name summary }
  }
}
"""
    + PROJECT
    + MILESTONE
    + KPI
    + CHANGE
)
# Only fields registered for compiled reads: PostgreSQL builds the whole answer in one statement.
COMPILED = """
query Compiled($region: ID!, $p0: ID!, $p1: ID!, $p2: ID!, $k0: ID!, $k1: ID!, $k2: ID!, $k3: ID!) {
  region(id: $region) {
    __typename id
    projects(first: 5) { nodes { ...Summary } }
    kpis(first: 5) { nodes { ...KpiRows } }
  }
  projects(first: 5) { nodes { ...Summary } }
  p0: project(id: $p0) { ...Summary }
  p1: project(id: $p1) { ...Summary }
  p2: project(id: $p2) { ...Summary }
  k0: kpi(id: $k0) { ...KpiRows }
  k1: kpi(id: $k1) { ...KpiRows }
  k2: kpi(id: $k2) { ...KpiRows }
  k3: kpi(id: $k3) { ...KpiRows }
}
fragment Summary on Project {
  __typename id name summary category status visibility prefectures { code } lead { id name }
  participants(first: 5) { nodes { __typename id role status organization { id } } }
  fundingSources { __typename id name amountJpy funder { id } }
  kpis(first: 3) { nodes { ...KpiRows } }
}
fragment KpiRows on Kpi {
  __typename id name unit targets { fiscalYear value }
  observations(first: 5) { nodes { __typename id note } }
  latestObservation { __typename id note value }
}
"""
NODE_TEXTS = """
  __typename id
  ... on Project { name summary }
  ... on ProjectParticipant { status }
  ... on FundingSource { name }
  ... on Milestone { title description atRiskReason }
  ... on Baseline { name }
  ... on Kpi { name }
  ... on KpiObservation { note }
  ... on Activity { before after }
"""
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) {" + NODE_TEXTS + "} }"
EXPORT_FILES = ("roadmap.svg", "roadmap.ics", "milestones.csv", "kpis.csv")
# Exports do not depend on the role: one person of each organization asks for them.
EXPORTERS = [f"VIEWER@{o}" for o in ORGANIZATIONS] + [PERSONAL, ANONYMOUS]

# Object types, the node types that show them, the table that holds them, and the ways to read.
NODE_TYPES = {
    "project": "Project",
    "participants": "ProjectParticipant",
    "invitation": "ProjectParticipant",
    "funding": "FundingSource",
    "milestones": "Milestone",
    "baselines": "Baseline",
    "kpis": "Kpi",
    "observations": "KpiObservation",
    "activity": "Activity",
}
TABLE_OF = {
    "project": "projects",
    "participants": "project_participants",
    "invitation": "project_participants",
    "funding": "funding_sources",
    "milestones": "milestones",
    "dependencies": "milestone_dependencies",
    "baselines": "baselines",
    "baseline-milestones": "baseline_milestones",
    "kpis": "kpis",
    "targets": "kpi_targets",
    "observations": "kpi_observations",
    "activity": "activities",
}
PROJECT_KINDS = list(TABLE_OF)
REGION_KINDS = ["kpis", "targets", "observations", "activity"]
COMPILED_KINDS = {
    "project",
    "participants",
    "invitation",
    "funding",
    "kpis",
    "targets",
    "observations",
}
# The list queries reach activity through these subjects (funding and baselines have none).
LISTED_SUBJECTS = {
    SubjectType.PROJECT,
    SubjectType.PARTICIPANT,
    SubjectType.MILESTONE,
    SubjectType.KPI,
    SubjectType.KPI_OBSERVATION,
}


def _ways(kind: str) -> list[str]:
    ways = ["list"]
    if kind in COMPILED_KINDS:
        ways.append("compiled")
    if kind in NODE_TYPES:
        ways.append("node")
    return [*ways, "sql"]


def _read_cells() -> Iterator[tuple[str, str, str, str]]:
    for principal in PRINCIPALS:
        for target in TARGETS:
            kinds = REGION_KINDS if target == REGION_TARGET else PROJECT_KINDS
            for kind in kinds:
                if kind == "invitation" and target != "PARTICIPANTS":
                    continue
                for way in _ways(kind):
                    yield principal, target, kind, way


READ_CELLS = list(_read_cells())


# Reads: fetching once per principal ---------------------------------------------------------


@dataclass
class Seen:
    """Everything one principal got back, each way."""

    lists: dict[str, Any] = field(default_factory=dict)
    compiled: dict[str, Any] = field(default_factory=dict)
    node: dict[str, Any] = field(default_factory=dict)  # nodes(ids:)
    single: dict[str, Any] = field(default_factory=dict)  # node(id:) and the typed lookups
    exports: dict[str, tuple[int, str]] = field(default_factory=dict)
    sql: SqlView | None = None
    _shown: dict[str, Shown] = field(default_factory=dict)

    def shown(self, way: str) -> Shown:
        if way not in self._shown:
            responses = {
                "list": self.lists,
                "compiled": self.compiled,
                "node": self.node,
                "single": self.single,
            }[way]
            self._shown[way] = _shown(responses)
        return self._shown[way]


def _gid(type_name: str, key: uuid.UUID) -> str:
    return to_global_id(type_name, key)


def _node_ids(world: VisibilityWorld) -> list[str]:
    """Every object of the world that node(id:) can fetch, as global ids."""
    ids: list[str] = []
    for objects in world.projects.values():
        ids += [_gid("Project", objects.project), _gid("FundingSource", objects.funding)]
        participants = [objects.lead_participant, objects.partner_participant, objects.invitation]
        ids += [_gid("ProjectParticipant", p) for p in participants if p is not None]
        ids += [_gid("Milestone", m) for m in sorted(objects.milestones)]
        ids += [_gid("Baseline", objects.baseline), _gid("Kpi", objects.kpi)]
        ids += [_gid("KpiObservation", objects.observation)]
        ids += [_gid("Activity", a) for a in sorted(objects.activity)]
    ids += [_gid("Kpi", world.region.kpi), _gid("KpiObservation", world.region.observation)]
    ids += [_gid("Activity", a) for a in sorted(world.region.activity)]
    return ids


def _one_by_one(world: VisibilityWorld) -> tuple[str, set[tuple[str, uuid.UUID]]]:
    """node(id:) and the typed lookups, one id a field (30 fields: the most a document has),
    and the objects it asks for."""
    fields: list[str] = []
    for objects in world.projects.values():
        name = objects.visibility.lower()
        project, kpi = _gid("Project", objects.project), _gid("Kpi", objects.kpi)
        milestone = _gid("Milestone", objects.m1)
        fields += [
            f'{name}Project: project(id: "{project}") {{ __typename id }}',
            f'{name}Milestone: milestone(id: "{milestone}") {{ __typename id }}',
            f'{name}Kpi: kpi(id: "{kpi}") {{ __typename id }}',
        ]
        ids = [
            project,
            _gid("ProjectParticipant", objects.partner_participant),
            _gid("FundingSource", objects.funding),
            _gid("Milestone", objects.m2),
            _gid("Baseline", objects.baseline),
            _gid("KpiObservation", objects.observation),
        ]
        if objects.invitation is not None:
            ids.append(_gid("ProjectParticipant", objects.invitation))
        fields += [f'{name}{i}: node(id: "{g}") {{ __typename id }}' for i, g in enumerate(ids)]
    region_kpi, observation = world.region.kpi, world.region.observation
    fields += [
        f'rKpi: kpi(id: "{_gid("Kpi", region_kpi)}") {{ __typename id }}',
        f'r0: node(id: "{_gid("KpiObservation", observation)}") {{ __typename id }}',
    ]
    document = "query OneByOne {\n  " + "\n  ".join(fields) + "\n}"
    asked = {_decode(g) for g in re.findall(r'id: "([^"]+)"', document)}
    return document, {a for a in asked if a is not None}


@dataclass
class Apps:
    resolvers: httpx.AsyncClient
    compiled: httpx.AsyncClient


async def _data(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any], who: Principal
) -> Any:
    body = await graphql(client, document, variables, token=who.token)
    assert "errors" not in body, (who.key, body["errors"])
    return body["data"]


async def _see(world: VisibilityWorld, apps: Apps, who: Principal) -> Seen:
    seen = Seen()
    region = {"region": _gid("Region", world.region.region)}
    seen.lists["lists"] = await _data(apps.resolvers, LISTS, region, who)
    kpis = [o.kpi for o in world.projects.values()] + [world.region.kpi]
    compiled_variables = {
        **region,
        **{f"p{i}": _gid("Project", o.project) for i, o in enumerate(world.projects.values())},
        **{f"k{i}": _gid("Kpi", k) for i, k in enumerate(kpis)},
    }
    seen.compiled["compiled"] = await _data(apps.compiled, COMPILED, compiled_variables, who)
    ids = _node_ids(world)
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        seen.node[f"nodes{start}"] = await _data(apps.resolvers, NODES, {"ids": chunk}, who)
    seen.single["one-by-one"] = await _data(apps.resolvers, _one_by_one(world)[0], {}, who)
    if who.key in EXPORTERS:
        headers = {"Authorization": f"Bearer {who.token}"} if who.token else {}
        for target in TARGETS:
            subject = (
                f"regions/{_gid('Region', world.region.region)}"
                if target == REGION_TARGET
                else f"projects/{_gid('Project', world.projects[target].project)}"
            )
            for file in EXPORT_FILES:
                response = await apps.resolvers.get(f"/exports/{subject}/{file}", headers=headers)
                seen.exports[f"{target}/{file}"] = (response.status_code, response.text)
    seen.sql = await read_as(world.sessions, who.viewer)
    return seen


# Reads: what a response shows ---------------------------------------------------------------


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _decode(global_id: Any) -> tuple[str, uuid.UUID] | None:
    parsed = parse_global_id(global_id) if isinstance(global_id, str) else None
    if parsed is None:
        return None
    try:
        return parsed[0], uuid.UUID(parsed[1])
    except ValueError:
        return None


@dataclass
class Shown:
    """What some responses show: objects by node type, dependency edges, frozen milestones,
    KPI targets."""

    ids: dict[str, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    edges: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    frozen: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    targets: set[tuple[uuid.UUID, int]] = field(default_factory=set)


def _shown(responses: dict[str, Any]) -> Shown:
    shown = Shown()
    for obj in _walk(list(responses.values())):
        decoded = _decode(obj.get("id"))
        if decoded is None:
            continue
        type_name, key = decoded
        shown.ids[type_name].add(key)
        if type_name == "Milestone":
            for before in obj.get("dependsOn") or []:
                shown.edges.add((_decode(before["id"])[1], key))  # type: ignore[index]
            for after in obj.get("dependents") or []:
                shown.edges.add((key, _decode(after["id"])[1]))  # type: ignore[index]
        if type_name == "Baseline":
            for frozen in obj.get("milestones") or []:
                shown.frozen.add((key, _decode(frozen["milestoneId"])[1]))  # type: ignore[index]
        if type_name == "Kpi":
            for target in obj.get("targets") or []:
                shown.targets.add((key, target["fiscalYear"]))
    return shown


def _sql_shown(view: SqlView, kind: str) -> set[Any]:
    return view.keys.get(TABLE_OF[kind], set())


# Reads: what the world holds, and who should see it --------------------------------------------


def _keys(world: VisibilityWorld, target: str, kind: str, way: str) -> set[Any]:
    """The world's objects of this kind in this target (as this way can reach them)."""
    if target == REGION_TARGET:
        region = world.region
        return {
            "kpis": {region.kpi},
            "targets": region.targets,
            "observations": {region.observation},
            "activity": region.activity,
        }[kind]
    objects = world.projects[target]
    if kind == "activity":
        listed = {a for a, subject in objects.activity.items() if subject in LISTED_SUBJECTS}
        return listed if way == "list" else set(objects.activity)
    return {
        "project": {objects.project},
        "participants": {objects.lead_participant, objects.partner_participant},
        "invitation": {objects.invitation},
        "funding": {objects.funding},
        "milestones": objects.milestones,
        "dependencies": objects.dependencies,
        "baselines": {objects.baseline},
        "baseline-milestones": objects.baseline_milestones,
        "kpis": {objects.kpi},
        "targets": objects.targets,
        "observations": {objects.observation},
    }[kind]


def _expected(world: VisibilityWorld, principal: str, target: str, kind: str, way: str) -> set[Any]:
    keys = _keys(world, target, kind, way)
    if target == REGION_TARGET:
        return keys if organization_of(principal) in IN_REGION else set()
    if kind == "dependencies":
        # Resolvers show an edge only when both ends are visible; the row is readable when one
        # end is (row-level security: "one may depend only on a milestone one can see").
        ends = {
            edge: [sees(principal, world.project_of_milestone(m).visibility) == FULL for m in edge]
            for edge in keys
        }
        test = any if way == "sql" else all
        return {edge for edge, visible in ends.items() if test(visible)}
    shown = sees(principal, target)
    if kind == "project":
        return keys if shown != NONE else set()
    if kind == "invitation":
        return keys if shown == FULL or organization_of(principal) == INVITED else set()
    return keys if shown == FULL else set()


def _observed(world: VisibilityWorld, seen: Seen, target: str, kind: str, way: str) -> set[Any]:
    keys = _keys(world, target, kind, way)
    if way == "sql":
        assert seen.sql is not None
        return _sql_shown(seen.sql, kind) & keys
    shown = seen.shown(way)
    if kind == "dependencies":
        return shown.edges & keys
    if kind == "baseline-milestones":
        return shown.frozen & keys
    if kind == "targets":
        return shown.targets & keys
    return shown.ids[NODE_TYPES[kind]] & keys


# Fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def connection(app_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection for the module, in a transaction rolled back at its end."""
    async with app_engine.connect() as connection:
        outer = await connection.begin()
        yield connection
        await outer.rollback()


@pytest.fixture(scope="module")
async def world(connection: AsyncConnection, tokens: TokenService) -> VisibilityWorld:
    return await build_world(sessions_on(connection), tokens)


@pytest.fixture(scope="module")
async def apps(
    connection: AsyncConnection, tokens: TokenService, redis_url: str
) -> AsyncIterator[Apps]:
    def client(compiled: bool) -> httpx.AsyncClient:
        app = create_app(
            sessions=sessions_on(connection),
            tokens=tokens,
            redis_url=redis_url,
            development=True,
            compiled_reads=compiled,
        )
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://renkei.test"
        )

    async with client(False) as resolvers, client(True) as compiled:
        yield Apps(resolvers=resolvers, compiled=compiled)


@pytest.fixture(scope="module")
async def pristine(world: VisibilityWorld) -> dict[str, tuple[int, str]]:
    return await fingerprint(world.sessions)


@dataclass
class Reads:
    world: VisibilityWorld
    seen: dict[str, Seen]  # by principal
    one_by_one: set[tuple[str, uuid.UUID]]  # what node(id:) and the typed lookups asked for


# The module-scoped fixtures' values, for the cheap fixtures below: a few thousand cells that each
# walked the chain of fixtures behind `reads` and `writes` would spend more time on that than on
# their checks.
_SHARED: dict[str, Any] = {}


@pytest.fixture(scope="module")
async def reads(
    connection: AsyncConnection, world: VisibilityWorld, apps: Apps
) -> AsyncIterator[Reads]:
    async with rolled_back(connection):
        seen = {p.key: await _see(world, apps, p) for p in world.principals}
    _SHARED["reads"] = Reads(world, seen, _one_by_one(world)[1])
    yield _SHARED["reads"]
    del _SHARED["reads"]


def _shared(request: pytest.FixtureRequest, name: str) -> Any:
    if name not in _SHARED:
        try:
            request.getfixturevalue(name)
        except Exception as error:
            # Fail every other cell at once, rather than building the world again for each.
            _SHARED[name] = error
            raise
    found = _SHARED[name]
    if isinstance(found, Exception):
        raise found
    return found


@pytest.fixture
def read(request: pytest.FixtureRequest) -> Reads:
    """What every principal read, fetched once for the module."""
    found: Reads = _shared(request, "reads")
    return found


# Reads: the cells ---------------------------------------------------------------------------


def test_the_world_holds_what_the_matrix_reads(read: Reads) -> None:
    # A cell that expects nothing proves nothing if the world were empty.
    world = read.world
    for objects in world.projects.values():
        for kind in PROJECT_KINDS:
            if kind != "invitation" or objects.visibility == "PARTICIPANTS":
                assert _keys(world, objects.visibility, kind, "list"), (objects.visibility, kind)
    assert len(world.projects["REGION"].dependencies) == 2
    for kind in REGION_KINDS:
        assert _keys(world, REGION_TARGET, kind, "list"), kind


def test_the_markers_reach_those_who_may_see_them(read: Reads) -> None:
    # The text cells look for markers: they prove nothing unless the markers are shown at all.
    def shown(principal: str) -> str:
        view = read.seen[principal]
        return orjson.dumps([view.lists, view.compiled, view.node, view.single]).decode()

    everything = [*map(detail_marker, VISIBILITIES), *map(summary_marker, VISIBILITIES)]
    for marker in [*everything, REGION_MARKER]:
        assert marker in shown("VIEWER@lead"), marker
    assert summary_marker("PUBLIC") in shown("personal")
    assert detail_marker("REGION") in shown("VIEWER@region-member")
    for marker in everything:
        assert marker in "".join(body for _, body in read.seen["VIEWER@lead"].exports.values())


def test_the_compiled_way_runs_as_one_statement() -> None:
    schema = build_schema()._schema
    variables = {"region": "x", **{f"p{i}": "x" for i in range(3)}}
    variables |= {f"k{i}": "x" for i in range(4)}
    assert compile_operation(schema, parse(COMPILED), None, variables) is not None


@pytest.mark.parametrize(
    ("principal", "target", "kind", "way"), READ_CELLS, ids=["-".join(c) for c in READ_CELLS]
)
def test_read(principal: str, target: str, kind: str, way: str, read: Reads) -> None:
    expected = _expected(read.world, principal, target, kind, way)
    observed = _observed(read.world, read.seen[principal], target, kind, way)
    assert observed == expected, _difference(principal, kind, target, way, observed, expected)
    if way == "node":
        # node(id:) and project(id:), milestone(id:), kpi(id:) for some of them, one by one
        asked = {k for t, k in read.one_by_one if t == NODE_TYPES[kind]}
        single = _observed(read.world, read.seen[principal], target, kind, "single")
        assert single == expected & asked, _difference(
            principal, kind, target, "node(id:)", single, expected & asked
        )


def _difference(
    principal: str, kind: str, target: str, way: str, observed: set[Any], expected: set[Any]
) -> str:
    return (
        f"{principal} reads {kind} of {target} through {way}: "
        f"{len(observed)} shown, {len(expected)} expected; "
        f"leaked {len(observed - expected)}, hidden wrongly {len(expected - observed)}"
    )


def _forbidden_markers(principal: str, target: str) -> list[str]:
    if target == REGION_TARGET:
        return [] if organization_of(principal) in IN_REGION else [REGION_MARKER]
    shown = sees(principal, target)
    markers = [] if shown == FULL else [detail_marker(target)]
    return markers + ([summary_marker(target)] if shown == NONE else [])


def _where(value: Any, marker: str, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _where(item, marker, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _where(item, marker, f"{path}[{i}]")
    elif marker in orjson.dumps(value).decode():
        yield path


@pytest.mark.parametrize(
    ("principal", "target"),
    [(p, t) for p in PRINCIPALS for t in TARGETS],
    ids=[f"{p}-{t}-text" for p in PRINCIPALS for t in TARGETS],
)
def test_no_text_of_what_is_hidden_reaches_the_viewer(
    principal: str, target: str, read: Reads
) -> None:
    view = read.seen[principal]
    assert view.sql is not None
    found = []
    for marker in _forbidden_markers(principal, target):
        for way, responses in (("list", view.lists), ("compiled", view.compiled)):
            found += [f"{way}:{p}" for p in _where(responses, marker)]
        found += [f"node:{p}" for p in _where(view.node, marker)]
        found += [f"node:{p}" for p in _where(view.single, marker)]
        found += [f"export:{name}" for name, (_, body) in view.exports.items() if marker in body]
        found += [f"sql:{p}" for p in _where(view.sql.texts, marker)]
    assert not found, f"{principal} is shown text of {target} it may not see, at: {found}"


@pytest.mark.parametrize(
    ("principal", "target"),
    [(p, t) for p in EXPORTERS for t in TARGETS],
    ids=[f"{p}-{t}-exports" for p in EXPORTERS for t in TARGETS],
)
def test_exports_follow_the_same_visibility(principal: str, target: str, read: Reads) -> None:
    if principal == ANONYMOUS:
        expected = 401
    elif target == REGION_TARGET:
        expected = 200  # a region's declaration is public; its roadmap holds what one may see
    else:
        expected = {FULL: 200, SUMMARY: 403, NONE: 404}[sees(principal, target)]
    statuses = {f: read.seen[principal].exports[f"{target}/{f}"][0] for f in EXPORT_FILES}
    assert statuses == dict.fromkeys(EXPORT_FILES, expected)


# Guessed ids: another type's real id, an unknown id, nonsense ---------------------------------

GUESSES = """
query Guesses($ids: [ID!]!, $project: ID!, $milestone: ID!, $kpi: ID!) {
  nodes(ids: $ids) { __typename id }
  project(id: $project) { id }
  milestone(id: $milestone) { id }
  kpi(id: $kpi) { id }
}
"""


def _guesses(world: VisibilityWorld) -> dict[str, Any]:
    hidden = world.projects["PARTICIPANTS"]
    random = uuid.uuid4()
    retyped = [
        _gid("Project", hidden.m1),
        _gid("Milestone", hidden.project),
        _gid("Kpi", hidden.observation),
        _gid("KpiObservation", hidden.kpi),
        _gid("FundingSource", hidden.baseline),
        _gid("Baseline", hidden.funding),
        _gid("ProjectParticipant", hidden.project),
        _gid("Activity", hidden.m2),
    ]
    unknown = [_gid(t, random) for t in set(NODE_TYPES.values())]
    nonsense = ["not-an-id", base64.b64encode(b"Project:not-a-uuid").decode(), ""]
    return {
        "ids": retyped + unknown + nonsense,
        "project": _gid("Project", hidden.m1),
        "milestone": _gid("Milestone", random),
        "kpi": _gid("Kpi", hidden.project),
    }


@pytest.mark.parametrize("principal", PRINCIPALS, ids=[f"{p}-guessed-ids-node" for p in PRINCIPALS])
async def test_guessed_ids_find_nothing(principal: str, writer: Writer) -> None:
    guesses = _guesses(writer.world)
    data = await _data(writer.apps.resolvers, GUESSES, guesses, writer.world.principal(principal))
    assert data == {
        "nodes": [None] * len(guesses["ids"]),
        "project": None,
        "milestone": None,
        "kpi": None,
    }


# Writes -------------------------------------------------------------------------------------

ERRORS = "userErrors { field code message }"


@dataclass(frozen=True)
class Ids:
    """What a write aims at: one project and its objects, or the region and its KPI."""

    project: uuid.UUID
    version: int
    m1: uuid.UUID
    m1_version: int
    m2: uuid.UUID
    m2_version: int
    m3: uuid.UUID
    kpi: uuid.UUID
    lead: uuid.UUID
    invitee: uuid.UUID  # an organization a project may invite: O
    region: uuid.UUID
    region_kpi: uuid.UUID

    def guessed(self) -> Ids:
        """The same aims, with an unknown id wherever a hidden object's id would be."""
        new = uuid.uuid4
        return Ids(
            project=new(),
            version=self.version,
            m1=new(),
            m1_version=self.m1_version,
            m2=new(),
            m2_version=self.m2_version,
            m3=new(),
            kpi=new(),
            lead=self.lead,
            invitee=self.invitee,
            region=new(),
            region_kpi=new(),
        )


@dataclass(frozen=True)
class Write:
    """One kind of change: the mutation, what must be visible to aim at it, the same change
    written directly in SQL, and what reads it back."""

    name: str
    aim: str  # "project", "milestone", "kpi", "region" or "region-kpi"
    mutation: Callable[[Ids], str]
    payload: str
    sql: Callable[[Ids], Any]
    probe: Callable[[Ids], Any]


def _g(type_name: str, key: uuid.UUID) -> str:
    return f'"{to_global_id(type_name, key)}"'


def _count(column: Any, value: uuid.UUID) -> Any:
    return select(func.count()).where(column == value)


def _now() -> datetime:
    return datetime.now(UTC)


WRITES = [
    Write(
        "update-project",
        "project",
        lambda i: (
            f"updateProject(input: {{id: {_g('Project', i.project)}, version: {i.version},"
            f' name: "改名した計画"}}) {{ project {{ id }} {ERRORS} }}'
        ),
        "project",
        lambda i: update(Project).where(Project.id == i.project).values(name="直接の改名"),
        lambda i: select(Project.version, Project.name).where(Project.id == i.project),
    ),
    Write(
        "change-project-status",
        "project",
        lambda i: (
            f"changeProjectStatus(input: {{id: {_g('Project', i.project)}, status: ON_HOLD,"
            f" version: {i.version}}}) {{ project {{ id }} {ERRORS} }}"
        ),
        "project",
        lambda i: (
            update(Project).where(Project.id == i.project).values(status=ProjectStatus.ON_HOLD)
        ),
        lambda i: select(Project.status).where(Project.id == i.project),
    ),
    Write(
        "invite-participant",
        "project",
        lambda i: (
            f"inviteProjectParticipant(input: {{projectId: {_g('Project', i.project)},"
            f" organizationId: {_g('Organization', i.invitee)}, role: SUPPORTER}})"
            f" {{ participant {{ id }} {ERRORS} }}"
        ),
        "participant",
        lambda i: insert(ProjectParticipant).values(
            id=uuid.uuid4(),
            project_id=i.project,
            organization_id=i.invitee,
            role=ParticipantRole.SUPPORTER,
            status=ParticipationStatus.INVITED,
        ),
        lambda i: _count(ProjectParticipant.project_id, i.project),
    ),
    Write(
        "add-funding",
        "project",
        lambda i: (
            f"addFundingSource(input: {{projectId: {_g('Project', i.project)},"
            ' kind: BANK_FINANCE, name: "地域金融機関の融資", amountJpy: 10000000})'
            f" {{ fundingSource {{ id }} {ERRORS} }}"
        ),
        "fundingSource",
        lambda i: insert(FundingSource).values(
            id=uuid.uuid4(),
            project_id=i.project,
            kind=FundingKind.BANK_FINANCE,
            name="直接の融資",
            amount_jpy=10_000_000,
        ),
        lambda i: _count(FundingSource.project_id, i.project),
    ),
    Write(
        "create-milestone",
        "project",
        lambda i: (
            f"createMilestone(input: {{projectId: {_g('Project', i.project)},"
            ' title: "追加の工程", dueOn: "2027-12-31", horizonYears: 1})'
            f" {{ milestone {{ id }} {ERRORS} }}"
        ),
        "milestone",
        lambda i: insert(Milestone).values(
            id=uuid.uuid4(),
            project_id=i.project,
            title="直接の工程",
            due_on=date(2027, 12, 31),
            horizon_years=1,
            owner_organization_id=i.lead,
        ),
        lambda i: _count(Milestone.project_id, i.project),
    ),
    Write(
        "update-milestone",
        "milestone",
        lambda i: (
            f"updateMilestone(input: {{id: {_g('Milestone', i.m2)},"
            f' version: {i.m2_version}, title: "改題した試作"}}) {{ milestone {{ id }} {ERRORS} }}'
        ),
        "milestone",
        lambda i: update(Milestone).where(Milestone.id == i.m2).values(title="直接の改題"),
        lambda i: select(Milestone.version, Milestone.title).where(Milestone.id == i.m2),
    ),
    Write(
        "change-milestone-status",
        "milestone",
        lambda i: (
            f"changeMilestoneStatus(input: {{id: {_g('Milestone', i.m2)},"
            f" version: {i.m2_version}, progress: 50}}) {{ milestone {{ id }} {ERRORS} }}"
        ),
        "milestone",
        lambda i: update(Milestone).where(Milestone.id == i.m2).values(progress=50),
        lambda i: select(Milestone.progress).where(Milestone.id == i.m2),
    ),
    Write(
        "sign-off-milestone",
        "milestone",
        lambda i: (
            f"signOffMilestone(input: {{id: {_g('Milestone', i.m1)},"
            f" version: {i.m1_version}}}) {{ milestone {{ id }} {ERRORS} }}"
        ),
        "milestone",
        lambda i: (
            update(Milestone)
            .where(Milestone.id == i.m1)
            .values(status=MilestoneStatus.DONE, signed_off_at=_now())
        ),
        lambda i: select(Milestone.status).where(Milestone.id == i.m1),
    ),
    Write(
        "add-dependency",
        "milestone",
        lambda i: (
            f"addMilestoneDependency(input: {{predecessorId: {_g('Milestone', i.m3)},"
            f" successorId: {_g('Milestone', i.m2)}}}) {{ successor {{ id }} {ERRORS} }}"
        ),
        "successor",
        lambda i: insert(MilestoneDependency).values(
            predecessor_id=i.m3,
            successor_id=i.m2,
            predecessor_project_id=i.project,
            successor_project_id=i.project,
        ),
        lambda i: _count(MilestoneDependency.successor_id, i.m2),
    ),
    Write(
        "create-kpi",
        "project",
        lambda i: (
            f"createKpi(input: {{projectId: {_g('Project', i.project)},"
            f' name: "新規雇用者数", unit: "人", baseline: 0}}) {{ kpi {{ id }} {ERRORS} }}'
        ),
        "kpi",
        lambda i: insert(Kpi).values(
            id=uuid.uuid4(), project_id=i.project, name="直接のKPI", unit="人", baseline_value=0
        ),
        lambda i: _count(Kpi.project_id, i.project),
    ),
    Write(
        "record-kpi-observation",
        "kpi",
        lambda i: (
            f"recordKpiObservation(input: {{kpiId: {_g('Kpi', i.kpi)},"
            ' periodStart: "2025-07-01", periodEnd: "2025-09-30", value: 130})'
            f" {{ kpiObservation {{ id }} {ERRORS} }}"
        ),
        "kpiObservation",
        lambda i: insert(KpiObservation).values(
            id=uuid.uuid4(),
            kpi_id=i.kpi,
            project_id=i.project,
            period_start=date(2025, 7, 1),
            period_end=date(2025, 9, 30),
            value=130,
            source=ObservationSource.MEMBER,
        ),
        lambda i: _count(KpiObservation.kpi_id, i.kpi),
    ),
    Write(
        "create-baseline",
        "project",
        lambda i: (
            f"createBaseline(input: {{projectId: {_g('Project', i.project)},"
            f' name: "補助金申請時"}}) {{ baseline {{ id }} {ERRORS} }}'
        ),
        "baseline",
        lambda i: insert(Baseline).values(id=uuid.uuid4(), project_id=i.project, name="直接"),
        lambda i: _count(Baseline.project_id, i.project),
    ),
    Write(
        "create-region-kpi",
        "region",
        lambda i: (
            f"createKpi(input: {{regionId: {_g('Region', i.region)},"
            f' name: "広域連携協定数", unit: "件", baseline: 0}}) {{ kpi {{ id }} {ERRORS} }}'
        ),
        "kpi",
        lambda i: insert(Kpi).values(
            id=uuid.uuid4(), region_id=i.region, name="直接のKPI", unit="件", baseline_value=0
        ),
        lambda i: _count(Kpi.region_id, i.region),
    ),
    Write(
        "record-region-kpi-observation",
        "region-kpi",
        lambda i: (
            f"recordKpiObservation(input: {{kpiId: {_g('Kpi', i.region_kpi)},"
            ' periodStart: "2025-07-01", periodEnd: "2025-09-30", value: 1150})'
            f" {{ kpiObservation {{ id }} {ERRORS} }}"
        ),
        "kpiObservation",
        lambda i: insert(KpiObservation).values(
            id=uuid.uuid4(),
            kpi_id=i.region_kpi,
            region_id=i.region,
            period_start=date(2025, 7, 1),
            period_end=date(2025, 9, 30),
            value=1150,
            source=ObservationSource.MEMBER,
        ),
        lambda i: _count(KpiObservation.kpi_id, i.region_kpi),
    ),
]
WRITES_BY_NAME = {w.name: w for w in WRITES}
REGION_WRITES = {"create-region-kpi", "record-region-kpi-observation"}


def _writes_on(target: str) -> list[Write]:
    on_region = target == REGION_TARGET
    return [w for w in WRITES if (w.name in REGION_WRITES) == on_region]


def _hidden(principal: str, target: str, write: Write) -> bool:
    """Whether the principal cannot see what the write aims at (it may not learn it exists)."""
    if write.aim == "region":
        return principal == ANONYMOUS  # declarations are public to everyone signed in
    if write.aim == "region-kpi":
        return organization_of(principal) not in IN_REGION
    shown = sees(principal, target)
    return shown == NONE if write.aim == "project" else shown != FULL


def _ids(world: VisibilityWorld, target: str) -> Ids:
    # The region's writes aim at R; the project's ids are those of the REGION project then.
    objects: ProjectObjects = world.projects["REGION" if target == REGION_TARGET else target]
    return Ids(
        project=objects.project,
        version=objects.version,
        m1=objects.m1,
        m1_version=objects.milestone_versions[objects.m1],
        m2=objects.m2,
        m2_version=objects.milestone_versions[objects.m2],
        m3=objects.m3,
        kpi=objects.kpi,
        lead=world.parties[LEAD].id,
        invitee=world.parties[OUTSIDER].id,
        region=world.region.region,
        region_kpi=world.region.kpi,
    )


def _document(writes: list[Write], ids: Ids) -> str:
    fields = "\n  ".join(f"{w.name.replace('-', '_')}: {w.mutation(ids)}" for w in writes)
    return "mutation Writes {\n  " + fields + "\n}"


async def _probe(world: VisibilityWorld, writes: list[Write], ids: Ids) -> dict[str, Any]:
    """What each write would change, read back as the platform."""
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        return {w.name: tuple((await session.execute(w.probe(ids))).one()) for w in writes}


@dataclass
class Attempts:
    """The refused writes of one principal on one target, made in one request."""

    payloads: dict[str, Any]
    errors: list[Any]
    unchanged: bool
    probes: dict[str, tuple[Any, Any]]  # before, after


class Writer:
    """Runs the writes, caching the batched refusals and the guessed-id answers."""

    def __init__(
        self,
        connection: AsyncConnection,
        world: VisibilityWorld,
        apps: Apps,
        pristine: dict[str, tuple[int, str]],
    ) -> None:
        self.connection = connection
        self.world = world
        self.apps = apps
        self.pristine = pristine
        self._refused: dict[tuple[str, str], Attempts] = {}
        self._guessed: dict[str, dict[str, Any]] = {}
        self._refused_in_sql: dict[tuple[str, str], dict[str, int | str]] = {}
        self._before: dict[str, dict[str, Any]] = {}

    async def run(self, principal: str, document: str) -> dict[str, Any]:
        token = self.world.principal(principal).token
        body: dict[str, Any] = await graphql(self.apps.resolvers, document, token=token)
        return body

    async def refused(self, principal: str, target: str) -> Attempts:
        """Every write this principal may not make on this target, in one request."""
        key = (principal, target)
        if key not in self._refused:
            ids = _ids(self.world, target)
            writes = [w for w in _writes_on(target) if not may(MAY, w.name, principal)]
            before = await self.before(target)
            async with rolled_back(self.connection):
                body = await self.run(principal, _document(writes, ids))
                after = await _probe(self.world, writes, ids)
                unchanged = await fingerprint(self.world.sessions) == self.pristine
            self._refused[key] = Attempts(
                payloads=body.get("data") or {},
                errors=body.get("errors") or [],
                unchanged=unchanged,
                probes={n: (before[n], after[n]) for n in after},
            )
        return self._refused[key]

    async def before(self, target: str) -> dict[str, Any]:
        """What each write on the target would change, as the world was built."""
        if target not in self._before:
            ids = _ids(self.world, target)
            self._before[target] = await _probe(self.world, _writes_on(target), ids)
        return self._before[target]

    async def refused_in_sql(self, principal: str, target: str) -> dict[str, int | str]:
        """Every change row-level security must refuse this principal on this target, written
        directly as renkei_app with the principal's viewer, each in its own savepoint."""
        key = (principal, target)
        if key not in self._refused_in_sql:
            ids = _ids(self.world, target)
            writes = [w for w in _writes_on(target) if not may(RLS_MAY, w.name, principal)]
            viewer = self.world.principal(principal).viewer
            async with (
                rolled_back(self.connection),
                unit_of_work(self.world.sessions, viewer) as session,
            ):
                self._refused_in_sql[key] = {
                    w.name: await _write_directly(session, w.sql(ids)) for w in writes
                }
        return self._refused_in_sql[key]

    async def guessed(self, principal: str) -> dict[str, Any]:
        """Every write with unknown ids where the objects' would be: what a hidden one must
        look like."""
        if principal not in self._guessed:
            ids = _ids(self.world, "REGION").guessed()
            async with rolled_back(self.connection):
                body = await self.run(principal, _document(WRITES, ids))
            assert "errors" not in body, body["errors"]
            self._guessed[principal] = body["data"]
        return self._guessed[principal]


@pytest.fixture(scope="module")
def writes(
    connection: AsyncConnection,
    world: VisibilityWorld,
    apps: Apps,
    pristine: dict[str, tuple[int, str]],
) -> Iterator[Writer]:
    _SHARED["writes"] = Writer(connection, world, apps, pristine)
    yield _SHARED["writes"]
    del _SHARED["writes"]


@pytest.fixture
def writer(request: pytest.FixtureRequest) -> Writer:
    """The module's writer (see `read`)."""
    found: Writer = _shared(request, "writes")
    return found


def _api_cells() -> Iterator[tuple[str, str, str]]:
    # Without a token no mutation runs at all (test_anonymous_writes_are_refused_before_they_run).
    for principal in (p for p in PRINCIPALS if p != ANONYMOUS):
        for target in TARGETS:
            for write in _writes_on(target):
                yield principal, target, write.name


API_CELLS = list(_api_cells())
REFUSED_API = [c for c in API_CELLS if not may(MAY, c[2], c[0])]
ALLOWED_API = [c for c in API_CELLS if may(MAY, c[2], c[0])]
# Refused by row-level security, and allowed by both it and the service.
REFUSED_SQL = [c for c in API_CELLS if not may(RLS_MAY, c[2], c[0])]
ALLOWED_SQL = ALLOWED_API


def _cell_ids(cells: list[tuple[str, str, str]], way: str) -> list[str]:
    return [f"{p}-{t}-{w}-{way}" for p, t, w in cells]


@pytest.mark.parametrize(
    ("principal", "target", "write"), REFUSED_API, ids=_cell_ids(REFUSED_API, "api")
)
async def test_refused_write_through_the_api(
    principal: str, target: str, write: str, writer: Writer
) -> None:
    # when the principal makes every change it may not make on the target
    attempts = await writer.refused(principal, target)
    # then this one is refused with a user error, as a fault would not be
    assert not attempts.errors, attempts.errors
    payload = attempts.payloads[write.replace("-", "_")]
    assert payload[WRITES_BY_NAME[write].payload] is None, payload
    codes = {"FORBIDDEN", "NOT_FOUND"} | ({"UNAUTHENTICATED"} if principal == ANONYMOUS else set())
    assert [e["code"] for e in payload["userErrors"]] in [[c] for c in codes], payload
    # and what it aims at is untouched, as is every other row
    before, after = attempts.probes[write]
    assert after == before
    assert attempts.unchanged, "a write of this batch changed the database: see its refusal"
    if _hidden(principal, target, WRITES_BY_NAME[write]):
        # and one who cannot see the target learns nothing: the answer is that of an unknown id
        guessed = await writer.guessed(principal)
        assert payload == guessed[write.replace("-", "_")]


@pytest.mark.parametrize("target", TARGETS, ids=[f"anonymous-{t}-api" for t in TARGETS])
async def test_anonymous_writes_are_refused_before_they_run(target: str, writer: Writer) -> None:
    # when an anonymous caller makes every change on the target
    document = _document(_writes_on(target), _ids(writer.world, target))
    async with rolled_back(writer.connection):
        response = await writer.apps.resolvers.post("/graphql", json={"query": document})
        unchanged = await fingerprint(writer.world.sessions) == writer.pristine
    # then the request is refused as a whole, and nothing changed
    assert response.status_code == 401
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAUTHENTICATED"]
    assert unchanged


@pytest.mark.parametrize(
    ("principal", "target", "write"), ALLOWED_API, ids=_cell_ids(ALLOWED_API, "api")
)
async def test_allowed_write_through_the_api(
    principal: str, target: str, write: str, writer: Writer
) -> None:
    world = writer.world
    change = WRITES_BY_NAME[write]
    ids = _ids(world, target)
    before = (await writer.before(target))[write]
    async with rolled_back(writer.connection):
        body = await writer.run(principal, _document([change], ids))
        after = await _probe(world, [change], ids)
    assert "errors" not in body, body["errors"]
    payload = body["data"][write.replace("-", "_")]
    assert payload["userErrors"] == []
    assert payload[change.payload] is not None
    assert after[write] != before


REFUSED_BY_RLS = "refused by row-level security"


async def _write_directly(session: AsyncSession, statement: Any) -> int | str:
    """The number of rows written, or the refusal of row-level security."""
    try:
        async with session.begin_nested():
            result = await session.execute(statement)
    except DBAPIError as error:
        message = str(error.orig)
        return REFUSED_BY_RLS if "row-level security" in message else message
    # An INSERT that was not refused wrote its row (the driver does not count it).
    return int(result.rowcount) if isinstance(statement, Update) else 1


@pytest.mark.parametrize(
    ("principal", "target", "write"), REFUSED_SQL, ids=_cell_ids(REFUSED_SQL, "sql")
)
async def test_refused_write_in_sql(
    principal: str, target: str, write: str, writer: Writer
) -> None:
    written = (await writer.refused_in_sql(principal, target))[write]
    assert written in (0, REFUSED_BY_RLS)


@pytest.mark.parametrize(
    ("principal", "target", "write"), ALLOWED_SQL, ids=_cell_ids(ALLOWED_SQL, "sql")
)
async def test_allowed_write_in_sql(
    principal: str, target: str, write: str, writer: Writer
) -> None:
    change, ids = WRITES_BY_NAME[write], _ids(writer.world, target)
    viewer = writer.world.principal(principal).viewer
    before = (await writer.before(target))[write]
    async with rolled_back(writer.connection):
        async with unit_of_work(writer.world.sessions, viewer) as session:
            written = await _write_directly(session, change.sql(ids))
        after = await _probe(writer.world, [change], ids)
    assert written == 1
    assert after[write] != before
