"""The visibility matrix's cells: who should see what, the read documents, and how a response
and the world are compared (used by test_visibility_matrix)."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2

from factories import graphql
from renkei.activity.models import SubjectType
from renkei.graphql.relay import parse_global_id, to_global_id
from renkei.tenancy import MembershipRole
from tenancy.visibility_world import (
    ANONYMOUS,
    INVITED,
    LEAD,
    ORGANIZATIONS,
    OUTSIDER,
    PARTNER,
    PERSONAL,
    REGION_MEMBER,
    ROLES,
    SECRETARIAT,
    VISIBILITIES,
    Principal,
    SqlView,
    VisibilityWorld,
    read_as,
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
    resolvers: httpx2.AsyncClient
    compiled: httpx2.AsyncClient


async def _data(
    client: httpx2.AsyncClient, document: str, variables: dict[str, Any], who: Principal
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
