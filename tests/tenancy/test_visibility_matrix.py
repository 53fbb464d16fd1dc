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
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import orjson
import pytest
from graphql import parse
from sqlalchemy import Update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from factories import graphql
from renkei.db import unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.compiled.planner import (
    compile_operation,
)
from renkei.graphql.schema import build_schema
from renkei.identity.tokens import TokenService
from tenancy.visibility_cells import (
    COMPILED,
    EXPORT_FILES,
    EXPORTERS,
    FULL,
    IN_REGION,
    MAY,
    NODE_TYPES,
    NONE,
    PRINCIPALS,
    PROJECT_KINDS,
    READ_CELLS,
    REGION_KINDS,
    REGION_TARGET,
    RLS_MAY,
    SUMMARY,
    TARGETS,
    Apps,
    Seen,
    _data,
    _expected,
    _gid,
    _keys,
    _observed,
    _one_by_one,
    _see,
    may,
    organization_of,
    sees,
)
from tenancy.visibility_world import (
    ANONYMOUS,
    REGION_MARKER,
    VISIBILITIES,
    VisibilityWorld,
    build_world,
    detail_marker,
    fingerprint,
    rolled_back,
    sessions_on,
    summary_marker,
)
from tenancy.visibility_writes import (
    WRITES,
    WRITES_BY_NAME,
    _document,
    _hidden,
    _ids,
    _probe,
    _writes_on,
)

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
    def client(compiled: bool) -> httpx2.AsyncClient:
        app = create_app(
            sessions=sessions_on(connection),
            tokens=tokens,
            redis_url=redis_url,
            development=True,
            compiled_reads=compiled,
        )
        return httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
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
