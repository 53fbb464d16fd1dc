"""Benchmark of the talent views at bench scale (issue 11, Performance): a firm's needs with
their proposals, and a professional's matches with the engine's explanations.

    .venv/bin/python bench/talent_views.py all        # generate (a few minutes), then run
    .venv/bin/python bench/talent_views.py generate --professionals 10000 --needs 1000
    .venv/bin/python bench/talent_views.py run --duration 15 --port 18300

`generate` fills a database of its own (`renkei_bench_talent` on the embedded PostgreSQL, or
RENKEI_BENCH_DATABASE_URL) with bench/talent_dataset.py's firms, needs, professionals and the
engine's proposals. `run` signs in as the firm with the most matches and as the professional with
the most matches; checks in process that each query compiles, that the compiled answer equals
the resolvers' answer and that its bytes differ from it; then loads each query on a real
`renkei serve` (production mode) and prints p50/p99 and requests/s.

Fallbacks are counted twice: by the server (`renkei_compiled_fallback_total`, read from its
metrics on the port after the server's, before and after each load, warm-up included), and from
the responses: a request the resolvers answered writes its JSON in Python, whose bytes differ from
the compiled answer's (checked first: floats are `1.0` for Python and `1` for PostgreSQL), so
`fallbacks` is the number of answers whose data's bytes differ from the compiled answer's.
A third query, the viewer's own professional id, is the floor of this
machine at the time (one row read: what any request costs here); its bytes are the same both ways,
so it shows latency only. Target: p50 under 15 ms at one client, 0 fallbacks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import dashboard
import http_load
import httpx2
import psycopg
import talent_dataset
from joserfc.jwk import KeySet
from sqlalchemy import event
from sqlalchemy.engine import make_url

from renkei.config import Settings
from renkei.db import create_engine, session_factory
from renkei.embedded import start_redis
from renkei.graphql.compiled.spec import MARK
from renkei.graphql.relay import to_global_id
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService, generate_key

BENCH_DATABASE = "renkei_bench_talent"
# Answers that differed from the compiled one, to look at (the first few are written out).
MISMATCHES: list[bytes] = []
TARGET_P50_MS_AT_1 = 15.0
SKILL = "skill { slug nameJa }"
FIRM_NEEDS = f"""
query FirmNeeds($firm: ID!) {{
  talentNeeds(organizationId: $firm, first: 20) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id title status hoursPerMonth feeMinJpy feeMaxJpy startsOn allowedTransitions
      requiredSkills {{ {SKILL} weight }} workplacePrefecture {{ name }}
      matches(first: 20) {{
        nodes {{
          id status score rank side allowedSteps
          professional {{ pseudonym headline hoursPerMonth feeMinJpy feeMaxJpy
                          skills {{ {SKILL} level years }} residencePrefecture {{ name }} }}
          contact {{ name email }}
          explanation {{ component side label value weight points text }}
          contract {{ feeJpy startsOn }}
          costs {{ kind amountJpy incurredOn }}
          estimatedSubsidy {{ scheme {{ name }} eligibleJpy estimateJpy firstUse reason formula }}
        }}
      }}
    }}
  }}
}}
"""
MY_MATCHES = f"""
query MyMatches {{
  myProfessional {{ id pseudonym fullName }}
  matches(first: 20) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id status score rank side allowedSteps createdAt
      explanation {{ component side label value weight points text }}
      contract {{ feeJpy hoursPerMonth startsOn }}
      costs {{ kind amountJpy }}
      estimatedSubsidy {{ estimateJpy }}
      need {{
        id title challenge hoursPerMonth feeMinJpy feeMaxJpy startsOn remotePolicy
        requiredSkills {{ {SKILL} weight }} preferredSkills {{ {SKILL} weight }}
        workplacePrefecture {{ name }} organization {{ name }}
      }}
    }}
  }}
}}
"""

FLOOR = "query Floor { myProfessional { id } }"


def generate(database: dashboard.Database, sizes: talent_dataset.TalentSizes, seed: int) -> None:
    print(
        f"generating {sizes.professionals:,} professionals and {sizes.needs:,} needs into "
        f"{make_url(database.owner_url).database}",
        flush=True,
    )
    started = time.perf_counter()
    dashboard.recreate(database)
    data = talent_dataset.build(sizes, seed=seed, today=date.today())
    built = time.perf_counter()
    with psycopg.connect(dashboard.libpq(database.owner_url)) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cursor:
            for model in talent_dataset.TABLES:
                rows = data.rows.get(model) or []
                if not rows:
                    continue
                table = model.__table__  # type: ignore[attr-defined]
                names = [c.name for c in table.columns if c.name in rows[0]]
                missing = [
                    c.name
                    for c in table.columns
                    if not c.nullable and c.server_default is None and c.name not in rows[0]
                ]
                if missing:
                    raise SystemExit(f"bench: {table.name}: missing columns {missing}")
                jsonb = {c.name for c in table.columns if type(c.type).__name__ == "JSONB"}
                with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(
                            [
                                json.dumps(row[n], ensure_ascii=False) if n in jsonb else row[n]
                                for n in names
                            ]
                        )
                print(f"  {table.name:<24}{len(rows):>10,}", flush=True)
    with psycopg.connect(dashboard.libpq(database.owner_url), autocommit=True) as conn:
        tables = ", ".join(m.__table__.name for m in talent_dataset.TABLES)  # type: ignore[attr-defined]
        conn.execute(f"VACUUM (ANALYZE) {tables}")
    print(
        f"generated in {time.perf_counter() - started:.1f} s (proposals and rows "
        f"{built - started:.1f} s)",
        flush=True,
    )


def subjects(database: dashboard.Database) -> dict[str, Any]:
    """The firm with the most matches, the professional with the most, and the counts."""
    with psycopg.connect(dashboard.libpq(database.owner_url)) as conn:
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("professionals", "talent_needs", "matches", "match_costs")
        }
        firm = conn.execute(
            "SELECT m.organization_id, ms.user_id, count(*) FROM matches m"
            " JOIN memberships ms ON ms.organization_id = m.organization_id"
            " GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 1"
        ).fetchone()
        pro = conn.execute(
            "SELECT p.user_id, count(*) FROM matches m JOIN professionals p"
            " ON p.id = m.professional_id GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
    if firm is None or pro is None:
        raise SystemExit("bench: no matches in the benchmark database: run `generate` first")
    return {
        "counts": counts,
        "firm": {"organization_id": firm[0], "user_id": firm[1], "matches": firm[2]},
        "professional": {"user_id": pro[0], "matches": pro[1]},
    }


async def check_in_process(
    database: dashboard.Database, tokens: TokenService, queries: dict[str, tuple[dict, str]]
) -> dict[str, Any]:
    """Each query through the app in this process: compiled (one statement with the MARK) and
    through the resolvers; their answers equal, their bytes different."""
    from renkei.graphql.app import create_app

    engine = create_engine(database.app_url, pool_size=2)
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    found: dict[str, Any] = {}
    try:
        apps = {
            compiled: create_app(
                sessions=session_factory(engine),
                tokens=tokens,
                redis_url="redis://unused",
                development=False,
                compiled_reads=compiled,
            )
            for compiled in (True, False)
        }
        for name, (body, token) in queries.items():
            answers = {}
            for compiled, app in apps.items():
                statements.clear()
                async with httpx2.AsyncClient(
                    transport=httpx2.ASGITransport(app=app), base_url="http://bench"
                ) as client:
                    response = await client.post(
                        "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                answers[compiled] = (response.content, list(statements))
            (raw, compiled_sql), (resolved_raw, resolved_sql) = answers[True], answers[False]
            found[name] = {
                "raw": raw,
                "compiled_statements": sum(MARK in s for s in compiled_sql),
                "compiled_other_statements": sum(
                    MARK not in s
                    and s.lstrip().upper().startswith("SELECT")
                    and "set_config" not in s
                    and "renkei_act_as" not in s
                    for s in compiled_sql
                ),
                "resolver_statements": len(resolved_sql),
                "equal_to_resolvers": json.loads(raw) == json.loads(resolved_raw),
                "bytes_differ_from_resolvers": raw != resolved_raw,
                "returned": dict(dashboard.shape(json.loads(raw).get("data"))),
                "errors": dashboard.graphql_errors(json.loads(raw)),
                "bytes": len(raw),
            }
    finally:
        await engine.dispose()
    return found


async def load(
    url: str,
    body: dict[str, Any],
    token: str,
    expected: bytes,
    *,
    concurrency: int,
    duration: float,
) -> dict[str, Any]:
    """Keep-alive clients sending the request again and again; each answer is compared with
    the compiled answer's bytes (a difference is a fallback to the resolvers, or a fault)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    payload = json.dumps(body).encode()
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), headers=headers
    ) as session:

        async def client(deadline: float, record: bool) -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.post(url, data=payload) as response:
                    answer = await response.read()
                elapsed = time.perf_counter() - started
                if not record:
                    continue
                if response.status != 200:
                    outcomes[f"HTTP {response.status}"] += 1
                # The server adds `"extensions":{"cost":…}` (the limiter's) after the data.
                elif not answer.startswith(expected[:-1]):
                    outcomes["fallback or different answer"] += 1
                    MISMATCHES.append(answer)
                else:
                    outcomes["compiled"] += 1
                latencies.append(elapsed)

        async def run(seconds: float, record: bool) -> float:
            started = time.perf_counter()
            deadline = started + seconds
            await asyncio.gather(*(client(deadline, record) for _ in range(concurrency)))
            return time.perf_counter() - started

        await run(3.0, record=False)
        elapsed = await run(duration, record=True)
    latencies.sort()
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(http_load.percentile(latencies, 0.50) * 1000, 2),
        "p90_ms": round(http_load.percentile(latencies, 0.90) * 1000, 2),
        "p99_ms": round(http_load.percentile(latencies, 0.99) * 1000, 2),
        "fallbacks": sum(n for k, n in outcomes.items() if k != "compiled"),
        "outcomes": dict(outcomes),
    }


def fallbacks_counted(metrics_port: int) -> float:
    """The server's own count of queries that left the compiled path (all reasons)."""
    text = httpx2.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("renkei_compiled_fallback_total{")
    )


def run(database: dashboard.Database, args: argparse.Namespace, bench_dir: Path) -> int:
    found = subjects(database)
    print(f"data set: {found['counts']}", flush=True)
    print(f"firm: {found['firm']}; professional: {found['professional']}", flush=True)
    base = f"http://127.0.0.1:{args.port}"
    keys = json.dumps(KeySet([generate_key()]).as_dict(private=True))
    tokens = TokenService.from_json(keys, issuer=base)
    firm, pro = found["firm"], found["professional"]
    firm_token = tokens.issue(
        user_id=firm["user_id"],
        organization_id=firm["organization_id"],
        scopes=ALL_SCOPES,
        ttl_seconds=3600,
    )
    pro_token = tokens.issue(
        user_id=pro["user_id"], organization_id=None, scopes=ALL_SCOPES, ttl_seconds=3600
    )
    queries = {
        "firm_needs_with_proposals": (
            {
                "query": FIRM_NEEDS,
                "variables": {"firm": to_global_id("Organization", firm["organization_id"])},
            },
            firm_token,
        ),
        "professional_matches_with_explanations": ({"query": MY_MATCHES}, pro_token),
        # The floor on this machine now: a compiled lookup of one row, for comparison.
        "floor_my_professional_id": ({"query": FLOOR}, pro_token),
    }
    checks = asyncio.run(check_in_process(database, tokens, queries))
    for name, check in checks.items():
        shown = {k: v for k, v in check.items() if k != "raw"}
        print(f"\n{name} in process: {json.dumps(shown, ensure_ascii=False)}", flush=True)
    reports: dict[str, list[dict[str, Any]]] = {}
    redis, redis_url = start_redis(bench_dir)
    try:
        with dashboard.serve(
            database, redis_url, keys, args.port, bench_dir / "serve.log", args.port + 1
        ):
            for name, (body, token) in queries.items():
                reports[name] = []
                for concurrency in args.concurrency:
                    before = fallbacks_counted(args.port + 1)
                    result = asyncio.run(
                        load(
                            f"{base}/graphql",
                            body,
                            token,
                            checks[name]["raw"],
                            concurrency=concurrency,
                            duration=args.duration,
                        )
                    )
                    # The server's counter includes the warm-up requests.
                    result["server_fallbacks"] = fallbacks_counted(args.port + 1) - before
                    print(f"{name}: {json.dumps(result, ensure_ascii=False)}", flush=True)
                    reports[name].append(result)
    finally:
        redis._cleanup()
    fallbacks = sum(
        r["fallbacks"] + r["server_fallbacks"] for runs in reports.values() for r in runs
    )
    for name, check in checks.items():
        (bench_dir / f"expected-{name}.json").write_bytes(check["raw"])
    for number, answer in enumerate(MISMATCHES[:3]):
        (bench_dir / f"different-{number}.json").write_bytes(answer)
    at_one = [
        r["p50_ms"]
        for name, runs in reports.items()
        for r in runs
        if r["concurrency"] == 1 and not name.startswith("floor")
    ]
    print(f"\nfallback count (answers not from the compiled statement): {fallbacks}")
    met = bool(at_one) and max(at_one) < TARGET_P50_MS_AT_1 and fallbacks == 0
    print(
        f"target p50 < {TARGET_P50_MS_AT_1} ms at one client, 0 fallbacks: "
        f"{'met' if met else 'not met'}"
    )
    summary = {
        "dataset": found["counts"],
        "in_process": {n: {k: v for k, v in c.items() if k != "raw"} for n, c in checks.items()},
        "loads": reports,
        "fallbacks": fallbacks,
        "target_met": met,
    }
    print(json.dumps(summary, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    bad = any(c["errors"] or not c["equal_to_resolvers"] for c in checks.values())
    return 1 if bad or fallbacks else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("generate", "run", "all"))
    parser.add_argument("--professionals", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default=BENCH_DATABASE)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument(
        "--port", type=int, default=dashboard.free_port(), help="and the next one for metrics"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
    data_dir = Settings.from_env().data_dir
    bench_dir = data_dir / "bench-talent"
    bench_dir.mkdir(parents=True, exist_ok=True)
    database = dashboard.open_database(data_dir, args.database)
    try:
        if args.command in ("generate", "all"):
            sizes = talent_dataset.TalentSizes(args.professionals, args.needs)
            generate(database, sizes, args.seed)
        if args.command in ("run", "all"):
            return run(database, args, bench_dir)
        return 0
    finally:
        database.close()


if __name__ == "__main__":
    sys.exit(main())
