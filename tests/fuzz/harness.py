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
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import graphql
import httpx
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from fuzz.world import FuzzViewer, FuzzWorld
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.relay import to_global_id
from renkei.graphql.schema import build_schema
from renkei.tenancy import Viewer

SCHEMA: graphql.GraphQLSchema = build_schema()._schema
assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
QUERY_FIELDS = tuple(SCHEMA.query_type.fields)
MUTATION_FIELDS = tuple(SCHEMA.mutation_type.fields)

# Examples in all, spread evenly over every root field and viewer. The default keeps the fuzz
# files near a minute of `make test`; before a release run RENKEI_FUZZ_EXAMPLES=5000.
DEFAULT_EXAMPLES = 1300


def examples_per_case(cases: int) -> int:
    total = int(os.environ.get("RENKEI_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
    return max(1, -(-total // cases))


# Documents ------------------------------------------------------------------------------------


def _scalars(world: FuzzWorld) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    real = st.sampled_from(world.global_ids)
    foreign_type = st.sampled_from(world.global_ids).map(
        lambda gid: to_global_id("Region", gid[-12:])  # decodes, but names no uuid
    )
    ids = st.one_of(real, real, real, real, foreign_type, st.text(max_size=40))
    return {
        "ID": ids.map(nodes.String),
        "Date": st.one_of(st.dates().map(nodes.String), st.dates().map(nodes.String)),
        "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat())),
        "JSON": st.from_regex(r"\A[a-z]{0,8}\Z").map(nodes.String),
    }


def documents(world: FuzzWorld, root_field: str) -> st.SearchStrategy[str]:
    """Valid documents that select `root_field` of Query or Mutation, with the world's ids."""
    build = queries if root_field in QUERY_FIELDS else mutations
    return build(SCHEMA, fields=[root_field], custom_scalars=_scalars(world))


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


def faults_of(response: httpx.Response) -> Answer:
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


async def send(client: httpx.AsyncClient, viewer: FuzzViewer, document: str) -> Answer:
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
