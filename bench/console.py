"""Benchmark of the web console's pages (issue 14, Performance): p50 and SQL statements per page.

    .venv/bin/python bench/console.py all                # generate, then run (a few minutes)
    .venv/bin/python bench/console.py run --requests 200

`generate` fills a database of its own, `renkei_bench_console` on the embedded PostgreSQL under
.renkei/ (or RENKEI_BENCH_DATABASE_URL), with bench/dataset.py's generator at a size where every
region has 200 projects (5 regions, 1,000 projects, 10,000 milestones), then the development seed
on top (regions kyushu, kansai, chugoku; the talent data). `run` starts browser sessions for four
people (the generated region's secretariat, the seeded secretariat of kyushu, a seeded firm's
president, a seeded professional), then for each console page:

- counts its SQL statements in process (an engine event, on the page's first and second view),
  and the viewer's own statements (the home page's total minus its one compiled query), so that
  the table shows what the page costs beyond the viewer;
- loads it over HTTP from a real `renkei serve` process in production mode, one client at a
  time, and prints p50/p99 latency. Targets: p50 under 30 ms per page, and under 60 ms for the
  region home of a 200-project region (and its sub-pages: portfolio, KPIs); at most 2
  statements beyond the viewer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dataset
import httpx2
import psycopg
from dashboard import (
    ROOT,
    Database,
    free_port,
    generate,
    libpq,
    open_database,
    serve,
)
from joserfc.jwk import KeySet
from sqlalchemy import event

from renkei import migrate
from renkei.crypto import SecretBox
from renkei.db import create_engine, session_factory, unit_of_work
from renkei.embedded import start_redis
from renkei.identity import signin
from renkei.identity.oidc import OidcClient
from renkei.identity.tokens import TokenService, generate_key
from renkei.seeding import seed
from renkei.tenancy import Viewer

BENCH_DATABASE = "renkei_bench_console"
APP_ROLE = "renkei_app"
SIZES = dataset.Sizes(
    organizations=200, regions=5, projects=1_000, milestones=10_000, large_region=0
)
TARGET_P50_MS = 30.0
TARGET_REGION_HOME_P50_MS = 60.0
TARGET_STATEMENTS_BEYOND_VIEWER = 2
COOKIE_SECRET = "bench-console-cookie-secret"


@dataclass(frozen=True)
class Person:
    key: str
    description: str
    user_id: uuid.UUID
    organization_id: uuid.UUID | None


def people(database: Database) -> dict[str, Person]:
    """Whom the benchmark signs in as; each found by what the data set and the seed hold."""
    found: dict[str, Person] = {}
    with psycopg.connect(libpq(database.owner_url)) as conn:
        queries = {
            "generated": (
                "the secretariat of a generated region of 200 projects",
                "SELECT m.user_id, o.id FROM regions r"
                " JOIN organizations o ON o.id = r.secretariat_organization_id"
                " JOIN memberships m ON m.organization_id = o.id AND m.role = 'OWNER'"
                " WHERE r.slug NOT IN ('kyushu', 'kansai', 'chugoku')"
                " ORDER BY (SELECT count(*) FROM projects p WHERE p.region_id = r.id) DESC"
                " LIMIT 1",
            ),
            "secretariat": (
                "secretariat@kyushu-keizai.example (seed)",
                "SELECT u.id, o.id FROM users u JOIN memberships m ON m.user_id = u.id"
                " JOIN organizations o ON o.id = m.organization_id"
                " WHERE u.email = 'secretariat@kyushu-keizai.example'"
                " AND o.slug = 'kyushu-keizai'",
            ),
            "firm": (
                "the president of the seeded firm with the most talent needs",
                "SELECT m.user_id, n.organization_id FROM talent_needs n"
                " JOIN memberships m ON m.organization_id = n.organization_id"
                " AND m.role = 'OWNER' GROUP BY m.user_id, n.organization_id"
                " ORDER BY count(*) DESC LIMIT 1",
            ),
            "professional": (
                "the seeded professional with the most matches",
                "SELECT p.user_id, NULL::uuid FROM matches x"
                " JOIN professionals p ON p.id = x.professional_id"
                " GROUP BY p.user_id ORDER BY count(*) DESC LIMIT 1",
            ),
        }
        for key, (description, sql) in queries.items():
            row = conn.execute(sql).fetchone()
            if row is None:
                raise SystemExit(f"bench: no {description} in the data: run `generate`")
            found[key] = Person(key, description, row[0], row[1])
    return found


async def start_sessions(database: Database, persons: dict[str, Person]) -> dict[str, str]:
    """A browser session (its cookie's secret) for each person, as sign-in would start it."""
    engine = create_engine(database.app_url, pool_size=1)
    secrets_by_person: dict[str, str] = {}
    try:
        async with unit_of_work(session_factory(engine), Viewer.platform()) as session:
            for key, person in persons.items():
                new = await signin.start_session(
                    session, user_id=person.user_id, organization_id=person.organization_id
                )
                secrets_by_person[key] = new.secret
    finally:
        await engine.dispose()
    return secrets_by_person


# The pages, by person; {placeholders} are filled from ids() below.
PAGES: list[tuple[str, str, str]] = [
    ("home", "secretariat", "/app/"),
    ("regions", "secretariat", "/app/regions"),
    ("region home (seed)", "secretariat", "/app/regions/kyushu"),
    ("region home (200 projects)", "generated", "/app/regions/{generated_region}"),
    ("portfolio (200 projects)", "generated", "/app/regions/{generated_region}/projects"),
    ("portfolio search", "generated", "/app/regions/{generated_region}/projects?q={word}"),
    ("region KPIs (seed)", "secretariat", "/app/regions/kyushu/kpis"),
    ("region KPIs (200 projects)", "generated", "/app/regions/{generated_region}/kpis"),
    ("project", "secretariat", "/app/projects/{project}"),
    ("milestone", "secretariat", "/app/projects/{project}/milestones/{milestone}"),
    ("project KPI", "secretariat", "/app/projects/{project}/kpis/{kpi}"),
    ("notifications", "secretariat", "/app/notifications"),
    ("talent needs", "firm", "/app/talent/needs"),
    ("talent need", "firm", "/app/talent/needs/{need}"),
    ("need form", "firm", "/app/talent/needs/{need}/edit"),
    ("match (firm)", "firm", "/app/matches/{match}"),
    ("my side jobs", "professional", "/app/me"),
    ("profile editor", "professional", "/app/me/profile"),
    ("skill suggestions", "professional", "/app/me/skills?q=%E8%B2%A1%E5%8B%99"),
    ("match (professional)", "professional", "/app/matches/{match}"),
]


def ids(database: Database, persons: dict[str, Person]) -> dict[str, str]:
    """The global ids and slugs the pages' addresses need."""
    from renkei.graphql.relay import to_global_id

    with psycopg.connect(libpq(database.owner_url)) as conn:
        generated = conn.execute(
            "SELECT slug FROM regions WHERE secretariat_organization_id = %s",
            (persons["generated"].organization_id,),
        ).fetchone()
        # The secretariat's own project (its organization participates) with milestones and KPIs.
        project = conn.execute(
            "SELECT p.id, min(m.id::text), min(k.id::text) FROM projects p"
            " JOIN regions r ON r.id = p.region_id"
            " JOIN project_participants pp ON pp.project_id = p.id"
            " JOIN organizations o ON o.id = pp.organization_id"
            " JOIN milestones m ON m.project_id = p.id JOIN kpis k ON k.project_id = p.id"
            " WHERE r.slug = 'kyushu' AND o.slug = 'kyushu-keizai'"
            " GROUP BY p.id, p.created_at ORDER BY p.created_at LIMIT 1"
        ).fetchone()
        word = conn.execute(
            "SELECT left(p.name, 2) FROM projects p"
            " WHERE p.region_id = (SELECT id FROM regions WHERE slug = %s) LIMIT 1",
            (generated[0] if generated else "",),
        ).fetchone()
        match = conn.execute(
            "SELECT x.id FROM matches x JOIN professionals p ON p.id = x.professional_id"
            " WHERE p.user_id = %s AND x.organization_id = %s LIMIT 1",
            (persons["professional"].user_id, persons["firm"].organization_id),
        ).fetchone()
        need = conn.execute(
            "SELECT id FROM talent_needs WHERE organization_id = %s ORDER BY created_at LIMIT 1",
            (persons["firm"].organization_id,),
        ).fetchone()
    assert generated and project and need, "bench: the data lacks a region, project or need"
    found = {
        "generated_region": generated[0],
        "project": to_global_id("Project", project[0]),
        "milestone": to_global_id("Milestone", uuid.UUID(project[1])),
        "kpi": to_global_id("Kpi", uuid.UUID(project[2])),
        "word": quote(word[0] if word else "x"),
        "need": to_global_id("TalentNeed", need[0]),
    }
    if match:
        found["match"] = to_global_id("Match", match[0])
    return found


async def count_statements(
    database: Database, cookies: dict[str, str], pages: list[tuple[str, str, str]]
) -> dict[str, dict[str, Any]]:
    """Each page's SQL statements on its first and second view, through the app in process."""
    from renkei.graphql.app import create_app
    from renkei.graphql.auth import SignInConfig

    engine = create_engine(database.app_url, pool_size=2)
    statements: list[str] = []
    counting = [False]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if counting[0]:
            statements.append(statement)

    app = create_app(
        sessions=session_factory(engine),
        tokens=TokenService(KeySet([generate_key()]), issuer="http://bench"),
        redis_url="redis://unused",
        development=False,
        sign_in=SignInConfig(
            public_url="http://bench",
            box=SecretBox({"bench": b"\0" * 32}),
            oidc=OidcClient(),
            cookie_secret=COOKIE_SECRET,
            secure_cookies=False,
        ),
    )
    found: dict[str, dict[str, Any]] = {}
    try:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, person, path in pages:
                views = []
                for _view in range(2):
                    statements.clear()
                    counting[0] = True
                    response = await client.get(path, cookies={signin_cookie(): cookies[person]})
                    counting[0] = False
                    views.append(len(statements))
                found[name] = {
                    "status": response.status_code,
                    "statements": views,
                    "sql": [" ".join(s.split())[:140] for s in statements],
                }
    finally:
        await engine.dispose()
    return found


def signin_cookie() -> str:
    from renkei.graphql.auth import SESSION_COOKIE

    return SESSION_COOKIE


async def load(base: str, cookie: str, path: str, requests: int) -> tuple[list[float], int]:
    """`requests` sequential GETs of the page (after 10 to warm up): latencies in ms, status."""
    timings: list[float] = []
    status = 0
    async with httpx2.AsyncClient(base_url=base, cookies={signin_cookie(): cookie}) as client:
        for number in range(requests + 10):
            started = time.perf_counter()
            response = await client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            status = response.status_code
            if number >= 10:
                timings.append(elapsed)
    return timings, status


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(database: Database, args: argparse.Namespace, bench_dir: Path) -> int:
    migrate.upgrade(database.owner_url, app_role=APP_ROLE)
    persons = people(database)
    for person in persons.values():
        print(f"  {person.key}: {person.description}")
    cookies = asyncio.run(start_sessions(database, persons))
    found = ids(database, persons)
    pages = [
        (name, person, path.format(**found))
        for name, person, path in PAGES
        if all(key in found for key in re.findall(r"\{(\w+)\}", path))
    ]
    statements = asyncio.run(count_statements(database, cookies, pages))
    viewer = statements["home"]["statements"][1] - 1
    keys = json.dumps(KeySet([generate_key()]).as_dict(private=True))
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    redis_server, redis_url = start_redis(bench_dir)
    reports = []
    try:
        with serve(database, redis_url, keys, port, bench_dir / "console-server.log"):
            for name, person, path in pages:
                timings, status = asyncio.run(load(base, cookies[person], path, args.requests))
                counted = statements[name]["statements"]
                reports.append(
                    {
                        "page": name,
                        "path": path,
                        "status": status,
                        "p50_ms": round(statistics.median(timings), 2),
                        "p99_ms": round(percentile(timings, 0.99), 2),
                        "statements_first_view": counted[0],
                        "statements": counted[1],
                        "beyond_viewer": counted[1] - viewer,
                    }
                )
    finally:
        redis_server._cleanup()
    print(f"\nthe viewer costs {viewer} statements (home page's total minus its one query)")
    print(f"{'page':<28}{'status':>7}{'p50 ms':>9}{'p99 ms':>9}{'SQL':>5}{'beyond':>8}  path")
    failed = False
    for report in reports:
        target = TARGET_REGION_HOME_P50_MS if "(200 projects)" in report["page"] else TARGET_P50_MS
        ok = (
            report["status"] == 200
            and report["p50_ms"] < target
            and report["beyond_viewer"] <= TARGET_STATEMENTS_BEYOND_VIEWER
        )
        failed = failed or not ok
        print(
            f"{report['page']:<28}{report['status']:>7}{report['p50_ms']:>9.1f}"
            f"{report['p99_ms']:>9.1f}{report['statements']:>5}{report['beyond_viewer']:>8}"
            f"  {report['path']}{'' if ok else '  <- misses its target'}"
        )
    if args.show_sql:
        for name, counted in statements.items():
            print(f"\n{name}:")
            for sql in counted["sql"]:
                print(f"  {sql}")
    print(json.dumps({"viewer_statements": viewer, "pages": reports}, ensure_ascii=False))
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/console.py", description=__doc__)
    parser.add_argument("command", choices=["generate", "run", "all"])
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per page")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--show-sql", action="store_true", help="print each page's statements")
    parser.add_argument("--database", default=BENCH_DATABASE)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    bench_dir = ROOT / ".renkei" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(ROOT / ".renkei", args.database)
    try:
        if args.command in ("generate", "all"):
            generate(database, SIZES, seed=14)
            asyncio.run(seed_on_top(database))
        if args.command in ("run", "all"):
            return run(database, args, bench_dir)
        return 0
    finally:
        database.close()


async def seed_on_top(database: Database) -> None:
    """The development seed on the generated data: the seeded regions and the talent data."""
    started = time.perf_counter()
    engine = create_engine(database.app_url, pool_size=4)
    try:
        await seed(session_factory(engine))
    finally:
        await engine.dispose()
    print(f"seeded on top in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
