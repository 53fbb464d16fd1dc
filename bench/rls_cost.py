"""What row-level security costs the compiled dashboard statement as a viewer's projects grow.

    .venv/bin/python bench/rls_cost.py                      # on the data of `dashboard.py generate`
    .venv/bin/python bench/rls_cost.py --runs 60 --warmup 10

For the secretariat of a region of 200 projects (the first region) and of the region of 2,000
(`generate`'s large region), the dashboard document is compiled into its one SQL statement, as the
API would, and run again and again, each time in a transaction of its own begun with
renkei_act_as (the viewer, as a request has it) and committed: as the application role, under
row-level security, and as the owner, whom it does not bind. The two alternate, after a few
unrecorded runs (psycopg prepares the statement on its fifth run, as on the API's connections);
the time is the statement's round trip on the local socket, answer read. The RLS share is
(app - owner) / app of the medians. Issue 11's target: under 20% at 2,000 projects.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from graphql import parse
from sqlalchemy.engine import make_url

from renkei.graphql.compiled.direct import psycopg_sql
from renkei.graphql.compiled.planner import Plan, compile_operation
from renkei.graphql.relay import to_global_id
from renkei.graphql.schema import build_schema

TARGET_SHARE_AT_2000 = 0.20
ACT_AS = "SELECT 1 FROM renkei_act_as(%s, %s)"


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


@dataclass
class Viewer:
    region_slug: str
    region_id: uuid.UUID
    projects: int  # in the region
    user_id: uuid.UUID
    organization_id: uuid.UUID
    visible: int = 0  # projects the acting organization sees, anywhere


def viewers(owner_url: str) -> list[Viewer]:
    """The owners of the secretariats of the first region and of the one with most projects."""
    query = (
        "SELECT r.slug, r.id, (SELECT count(*) FROM projects p WHERE p.region_id = r.id) AS n,"
        " m.user_id, r.secretariat_organization_id FROM regions r"
        " JOIN memberships m ON m.organization_id = r.secretariat_organization_id"
        " AND m.role = 'OWNER'"
    )
    with psycopg.connect(libpq(owner_url)) as conn:
        first = conn.execute(query + " ORDER BY r.slug LIMIT 1").fetchone()
        largest = conn.execute(query + " ORDER BY n DESC, r.slug LIMIT 1").fetchone()
    if first is None or largest is None:
        raise SystemExit("bench: no region: run `bench/dashboard.py generate` first")
    chosen = [Viewer(*first)] + ([Viewer(*largest)] if largest[0] != first[0] else [])
    return chosen


def statement(document: str, region_id: uuid.UUID) -> tuple[str, dict[str, Any]]:
    """The dashboard's compiled statement and parameters for this region, as the API runs it."""
    variables = {"id": to_global_id("Region", region_id)}
    plan = compile_operation(build_schema()._schema, parse(document), None, variables)
    if not isinstance(plan, Plan) or plan.deferred:
        raise SystemExit("bench: the dashboard document does not compile into one statement")
    return psycopg_sql(plan), plan.params


def _run(conn: psycopg.Connection[Any], viewer: Viewer, sql: str, params: dict[str, Any]) -> float:
    """One transaction: the viewer, then the statement, timed with its answer read; committed, as
    the API does (it only read): psycopg prepares a statement on its fifth run, but forgets it
    on a rollback, and the server's connections keep theirs."""
    with conn.cursor() as cursor:
        cursor.execute(ACT_AS, (viewer.user_id, viewer.organization_id))
        started = time.perf_counter()
        cursor.execute(sql, params)
        answer = cursor.fetchone()
        elapsed = time.perf_counter() - started
    conn.commit()
    if answer is None or answer[0] is None:
        raise SystemExit("bench: the dashboard statement returned nothing")
    return elapsed


def measure(
    owner_url: str, app_url: str, document: str, *, runs: int, warmup: int
) -> list[dict[str, Any]]:
    results = []
    with (
        psycopg.connect(libpq(app_url)) as app,
        psycopg.connect(libpq(owner_url)) as owner,
    ):
        for viewer in viewers(owner_url):
            with app.cursor() as cursor:
                cursor.execute(ACT_AS, (viewer.user_id, viewer.organization_id))
                found = cursor.execute("SELECT count(*) FROM renkei_project_ids()").fetchone()
                viewer.visible = int(found[0]) if found else 0
            app.rollback()
            sql, params = statement(document, viewer.region_id)
            for _ in range(warmup):
                _run(app, viewer, sql, params)
                _run(owner, viewer, sql, params)
            as_app, as_owner = [], []
            for _ in range(runs):
                as_app.append(_run(app, viewer, sql, params))
                as_owner.append(_run(owner, viewer, sql, params))
            app_ms = statistics.median(as_app) * 1000
            owner_ms = statistics.median(as_owner) * 1000
            results.append(
                {
                    "region": viewer.region_slug,
                    "region_projects": viewer.projects,
                    "visible_projects": viewer.visible,
                    "runs": runs,
                    "app_ms": round(app_ms, 2),
                    "owner_ms": round(owner_ms, 2),
                    "rls_share": round((app_ms - owner_ms) / app_ms, 3),
                }
            )
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{'region':<12}{'projects':>9}{'visible':>9}{'app role ms':>13}{'owner ms':>10}"
        f"{'RLS share':>11}"
    ]
    for r in results:
        lines.append(
            f"{r['region']:<12}{r['region_projects']:>9,}{r['visible_projects']:>9,}"
            f"{r['app_ms']:>13.2f}{r['owner_ms']:>10.2f}{r['rls_share']:>11.0%}"
        )
    return "\n".join(lines)


def verdict(results: list[dict[str, Any]]) -> bool | None:
    large = [r for r in results if r["region_projects"] >= 2000]
    return large[-1]["rls_share"] < TARGET_SHARE_AT_2000 if large else None


def report(owner_url: str, app_url: str, document: str, *, runs: int, warmup: int) -> dict:
    """Measure, print the table and the target's verdict, and return them."""
    print(
        f"\nrow-level security cost of the compiled dashboard statement (median of {runs} runs"
        f" after {warmup} unrecorded, app role and owner alternating):",
        flush=True,
    )
    results = measure(owner_url, app_url, document, runs=runs, warmup=warmup)
    print(table(results))
    met = verdict(results)
    print(
        f"target RLS share < {TARGET_SHARE_AT_2000:.0%} at 2,000 projects: "
        + ("met" if met else "not met" if met is False else "not measured (no such region)")
    )
    return {"rls_cost": results, "rls_target_met": met}


def main(argv: list[str] | None = None) -> int:
    import dashboard

    parser = argparse.ArgumentParser(prog="bench/rls_cost.py", description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=dashboard.BENCH_DATABASE)
    parser.add_argument("--runs", type=int, default=40, help="recorded runs per role and region")
    parser.add_argument("--warmup", type=int, default=5, help="unrecorded runs before them")
    parser.add_argument("--dashboard-query", type=dashboard.document, default=dashboard.DASHBOARD)
    parser.add_argument("--json", metavar="PATH", help="also write the results to this file")
    args = parser.parse_args(argv)
    from renkei.config import Settings

    database = dashboard.open_database(Settings.from_env().data_dir, args.database)
    try:
        found = report(
            database.owner_url,
            database.app_url,
            args.dashboard_query,
            runs=args.runs,
            warmup=args.warmup,
        )
    finally:
        database.close()
    print(json.dumps(found))
    if args.json:
        Path(args.json).write_text(json.dumps(found, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
