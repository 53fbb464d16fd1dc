"""Property-based fuzzing of the whole API (issue 10, item 6): every query and every mutation,
as a prefecture admin, a firm user, a professional and no token, with ids of every tenant.

Each case is one root field as one viewer; hypothesis-graphql draws valid documents for it
(derandomized: the same examples on every run, so that CI is stable). Each example is sent
through the real HTTP stack and then rolled back, so that every example meets the same world.
It must answer without a fault (renkei/tests/fuzz/harness.py says what one is) and leave every
row of other tenants as it was.

`make test` runs 1,920 examples in all (six per field and viewer, about 55 s); before a release,
run many more, newly drawn:
RENKEI_FUZZ_EXAMPLES=5000 RENKEI_FUZZ_RANDOM=1 .venv/bin/python -m pytest -p no:xdist tests/fuzz
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx2
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fuzz.harness import (
    MUTATION_FIELDS,
    QUERY_FIELDS,
    changes,
    draw_document,
    examples_per_case,
    faults_of,
    foreign_rows,
    send,
    writes,
)
from fuzz.world import FIRM_USER, VIEWERS, FuzzWorld, build_fuzz_world
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.app import create_app
from renkei.identity.tokens import TokenService
from renkei.tenancy import Viewer
from tenancy.visibility_world import rolled_back, sessions_on

FIELDS = (*QUERY_FIELDS, *MUTATION_FIELDS)
CASES = [(f, v) for f in FIELDS for v in VIEWERS]
FUZZ = settings(
    max_examples=examples_per_case(len(CASES)),
    deadline=None,
    # The same examples on every run, unless RENKEI_FUZZ_RANDOM is set (then --hypothesis-seed=N
    # makes a run repeatable; a failure prints its document anyway).
    derandomize=not os.environ.get("RENKEI_FUZZ_RANDOM"),
    database=None,
    # Each example is a request; shrinking a failure would take minutes, and a document of
    # one root field reads well as drawn.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
async def connection(app_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection for the module, in a transaction rolled back at its end."""
    async with app_engine.connect() as connection:
        outer = await connection.begin()
        yield connection
        await outer.rollback()


@pytest.fixture(scope="module")
def sessions(connection: AsyncConnection) -> SessionFactory:
    return sessions_on(connection)


@pytest.fixture(scope="module")
async def world(sessions: SessionFactory, tokens: TokenService) -> FuzzWorld:
    return await build_fuzz_world(sessions, tokens)


@pytest.fixture(scope="module")
async def foreign_before(
    sessions: SessionFactory, world: FuzzWorld
) -> dict[str, dict[str, set[str]]]:
    """Each viewer's foreign rows as the world was built: every example starts from there."""
    return {
        name: await foreign_rows(sessions, world, viewer) for name, viewer in world.viewers.items()
    }


@pytest.fixture(scope="module")
async def client(
    sessions: SessionFactory, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(sessions=sessions, tokens=tokens, redis_url=redis_url, development=True)
    # A crash must come back as the 500 a user would get, not as an exception in the test.
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://renkei.test") as http:
        yield http


def test_the_world_holds_rows_of_every_viewer_and_others(
    world: FuzzWorld, foreign_before: dict[str, dict[str, set[str]]]
) -> None:
    """Without foreign rows to watch, the write check below would pass whatever happened."""
    for name in VIEWERS:
        watched = {t for t, rows in foreign_before[name].items() if rows}
        assert {"organizations", "projects", "milestones", "kpi_observations"} <= watched, name
        assert {"talent_needs", "matches", "region_members", "memberships"} <= watched, name
    assert len(world.global_ids) > 60


async def test_a_changed_row_of_another_tenant_is_seen_and_ones_own_is_not(
    world: FuzzWorld,
    connection: AsyncConnection,
    sessions: SessionFactory,
    foreign_before: dict[str, dict[str, set[str]]],
) -> None:
    """The write check itself: without it, a digest that watched nothing would pass."""
    firm_user = world.viewers[FIRM_USER]
    async with rolled_back(connection):
        # given every need's title changed behind the API's back
        written = await writes(sessions)
        async with unit_of_work(sessions, Viewer.platform()) as session:
            await session.execute(text("UPDATE talent_needs SET title = title || ' (changed)'"))
        assert await writes(sessions) > written
        # when each viewer's foreign rows are read again
        after = {n: await foreign_rows(sessions, world, v) for n, v in world.viewers.items()}
    # then every viewer sees another firm's need changed; the firm user not its own firm's
    for name in VIEWERS:
        changed = changes(foreign_before[name], after[name])
        assert any(c.startswith("talent_needs: now") for c in changed), name
    assert not any(
        str(firm_user.organization_id) in c
        for c in changes(foreign_before[FIRM_USER], after[FIRM_USER])
    )


def test_an_error_without_a_code_and_a_5xx_are_faults() -> None:
    request = httpx2.Request("POST", "http://renkei.test/graphql")
    coded = {"data": None, "errors": [{"message": "no", "extensions": {"code": "FORBIDDEN"}}]}
    uncoded = {"data": None, "errors": [{"message": "division by zero", "path": ["kpi"]}]}
    masked = {
        "errors": [{"message": "Internal error: x", "extensions": {"code": "INTERNAL_ERROR"}}]
    }
    assert faults_of(httpx2.Response(200, json=coded, request=request)).faults == []
    assert faults_of(httpx2.Response(200, json=uncoded, request=request)).faults
    assert faults_of(httpx2.Response(200, json=masked, request=request)).faults
    assert faults_of(httpx2.Response(500, text="Internal Server Error", request=request)).faults


@pytest.mark.parametrize(("root_field", "viewer_name"), CASES)
@FUZZ
@given(data=st.data())
async def test_no_fault_and_no_foreign_write(
    root_field: str,
    viewer_name: str,
    data: st.DataObject,
    world: FuzzWorld,
    connection: AsyncConnection,
    sessions: SessionFactory,
    client: httpx2.AsyncClient,
    foreign_before: dict[str, dict[str, set[str]]],
) -> None:
    # given
    viewer = world.viewers[viewer_name]
    document = draw_document(data, world, root_field)
    async with rolled_back(connection):
        written = await writes(sessions)
        # when
        answer = await send(client, viewer, document)
        wrote = await writes(sessions) != written
        after = (
            await foreign_rows(sessions, world, viewer) if wrote else foreign_before[viewer_name]
        )
    # then
    assert not answer.faults, (
        f"{viewer_name}: faults {answer.faults} (known: {answer.known or 'none'})"
        f"\n{document}\n{answer.body}"
    )
    changed = changes(foreign_before[viewer_name], after)
    assert not changed, f"{viewer_name} wrote outside its organizations: {changed}\n{document}"
