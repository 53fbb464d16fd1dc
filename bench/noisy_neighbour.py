"""Noisy neighbour: one tenant floods at 10x its cost budget while another reads its dashboard
(issue 10, Performance).

    .venv/bin/python bench/dashboard.py generate            # once (or generate --small)
    .venv/bin/python bench/noisy_neighbour.py --compare-off # about 5 minutes

Serves the benchmark database (bench/dashboard.py `generate`) from a real `renkei serve`
process in production mode, signs in as the owners of two regions' secretariats, and measures:

1. the limiter's own cost: its Lua script (EVALSHA through renkei.graphql.throttle.Throttle,
   as a request makes it) timed over many calls against the same Redis, in this process;
2. the quiet tenant alone: the region dashboard at `--quiet-rate` requests a second (open
   loop: requests leave on schedule whatever the answers take), its p50/p95;
3. the same with the flooder sending its own region's dashboard at `--flood-factor` times what
   its budget refills (by default 10 x 2.5 = 25 dashboards a second), starting `--settle`
   seconds before the quiet tenant is measured; both tenants' p50/p95 and the flooder's share
   of 429s;
4. with `--compare-off`: a query of cost 1 sent to two servers at once, the limiter on in one
   and off in the other, alternating one request at a time; then 2 and 3 again on a server with
   the limiter off (RENKEI_THROTTLE=off), to show what the limiter buys.

The budget is the server's default (`--capacity 20000 --refill-per-minute 120000`: 2.5
dashboards of 800 points a second); the quiet tenant reads 2 a second, within its own.
Targets: the quiet tenant's p95 under load within 25% of its p95 alone, and the limiter under
0.3 ms a request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import dashboard
import http_load
import psycopg
from joserfc.jwk import KeySet

from renkei.config import Settings
from renkei.embedded import start_redis
from renkei.graphql.relay import to_global_id
from renkei.graphql.schema import build_schema
from renkei.graphql.throttle import Budget, Throttle, Throttling
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.tokens import TokenService, generate_key

DASHBOARD_COST = 800  # projects(first: 50) + 50 x (milestones(first: 10) + kpis(first: 5))
CHEAP = 'query Cheap { prefecture(code: "13") { name } }'
TARGET_P95_RATIO = 1.25
TARGET_OVERHEAD_MS = 0.3


@dataclass
class Tenant:
    name: str
    organization_id: uuid.UUID
    user_id: uuid.UUID
    region_id: uuid.UUID


def tenants(database: dashboard.Database) -> tuple[Tenant, Tenant]:
    """The owners of the first two regions' secretariats (different organizations)."""
    with psycopg.connect(dashboard.libpq(database.owner_url)) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (o.id) o.name, o.id, m.user_id, r.id FROM regions r"
            " JOIN organizations o ON o.id = r.secretariat_organization_id"
            " JOIN memberships m ON m.organization_id = o.id AND m.role = 'OWNER'"
            " ORDER BY o.id, r.slug LIMIT 2"
        ).fetchall()
    if len(rows) < 2:
        raise SystemExit("bench: two regions with secretariats are needed: run generate first")
    quiet, noisy = (Tenant(*row) for row in rows)
    return quiet, noisy


def percentiles(latencies: list[float]) -> dict[str, float | None]:
    ordered = sorted(latencies)
    if not ordered:
        return {"p50_ms": None, "p95_ms": None}
    return {
        "p50_ms": round(http_load.percentile(ordered, 0.50) * 1000, 2),
        "p95_ms": round(http_load.percentile(ordered, 0.95) * 1000, 2),
    }


async def paced(
    session: aiohttp.ClientSession,
    url: str,
    payload: bytes,
    token: str,
    *,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    """Requests at `rate` a second for `seconds`, each sent on schedule (open loop)."""
    headers = {
        "Accept": "application/graphql-response+json",
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def one() -> None:
        started = time.perf_counter()
        try:
            async with session.post(url, data=payload, headers=headers) as response:
                answer = await response.read()
                status = response.status
        except aiohttp.ClientError as exc:
            statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
            return
        elapsed = time.perf_counter() - started
        kind = str(status) if status != 200 or b'"errors":' not in answer else "200 with errors"
        statuses[kind] = statuses.get(kind, 0) + 1
        if status == 200 and kind == "200":
            latencies.append(elapsed)

    tasks = []
    start = time.perf_counter()
    count = int(rate * seconds)
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    sent = sum(statuses.values())
    return {
        "rate": rate,
        "sent": sent,
        "statuses": statuses,
        "throttled_share": round(statuses.get("429", 0) / sent, 3) if sent else None,
        **percentiles(latencies),
    }


async def phase(
    base: str,
    quiet: tuple[bytes, str],
    noisy: tuple[bytes, str] | None,
    args: argparse.Namespace,
) -> dict[str, Any]:
    url = http_load.loopback_url(f"{base}/graphql")
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm-up, unrecorded: connections, caches and plans, for both documents; the quiet
        # tenant's at its own rate, within its budget.
        await paced(session, url, *quiet, rate=args.quiet_rate, seconds=args.warmup)
        if noisy is not None:
            await paced(session, url, *noisy, rate=20, seconds=1)
        flood = None
        if noisy is not None:
            # The flood starts first: its first second spends a full bucket, and the quiet
            # tenant is measured once the limiter holds the flooder to its refill.
            flood = asyncio.create_task(
                paced(
                    session,
                    url,
                    *noisy,
                    rate=args.flood_rate,
                    seconds=args.duration + args.settle,
                )
            )
            await asyncio.sleep(args.settle)
        calm = await paced(session, url, *quiet, rate=args.quiet_rate, seconds=args.duration)
        results = [calm, await flood if flood is not None else None]
    return {"quiet": results[0], "noisy": results[1] if noisy else None}


async def limiter_overhead(redis_url: str, calls: int, region: uuid.UUID) -> dict[str, float]:
    """What the limiter adds to a request, in process and one call at a time after a warm-up:
    charge_operation on the dashboard document (its cost, then EVALSHA), as a request calls it.
    Wall time on this shared machine includes waiting for the cores; the CPU it spends here
    and Redis's own time per EVALSHA (INFO commandstats) do not."""
    # A budget never exhausted: each call runs the whole script.
    budget = Budget(capacity=10**12, refill_per_minute=10**12)
    prefix = f"bench:{uuid.uuid4().hex}:"
    throttle = Throttle(redis_url, Throttling(budget=budget, key_prefix=prefix))
    schema = build_schema()._schema
    variables = {"id": to_global_id("Region", region)}

    async def charge(key: str) -> bool:
        status = await throttle.charge_operation(
            key, schema, dashboard.DASHBOARD, variables, "Dashboard"
        )
        return status.shared and status.allowed and status.cost == DASHBOARD_COST

    try:
        for _ in range(200):
            await charge("org:warm")
        await throttle.redis.config_resetstat()
        durations = []
        cpu = time.process_time()
        for i in range(calls):
            started = time.perf_counter()
            if not await charge(f"org:{i % 100}"):
                raise SystemExit("bench: the limiter could not reach Redis, or the cost changed")
            durations.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu
        stats = await throttle.redis.info("commandstats")
    finally:
        await throttle.close()
    ordered = sorted(durations)
    redis_us = float(stats.get("cmdstat_evalsha", {}).get("usec_per_call", "nan"))
    client_cpu = cpu / calls * 1000
    return {
        "calls": calls,
        "client_cpu_ms": round(client_cpu, 3),
        "redis_ms": round(redis_us / 1000, 3),
        "cpu_ms": round(client_cpu + redis_us / 1000, 3),
        "wall_mean_ms": round(sum(ordered) / len(ordered) * 1000, 3),
        "wall_p50_ms": round(http_load.percentile(ordered, 0.50) * 1000, 3),
        "wall_p95_ms": round(http_load.percentile(ordered, 0.95) * 1000, 3),
    }


async def cheap_requests(bases: dict[str, str], token: str, count: int) -> dict[str, Any]:
    """A query of cost 1 sent `count` times to each server, one request at a time, alternating
    between the servers (so that the shared cores' load falls on both alike): the limiter's share
    shows best when the request itself is small."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    payload = json.dumps({"query": CHEAP}).encode()
    durations: dict[str, list[float]] = {label: [] for label in bases}
    async with aiohttp.ClientSession(headers=headers) as session:
        for i in range(count + 200):
            order = list(bases) if i % 2 else list(reversed(bases))
            for label in order:
                url = http_load.loopback_url(f"{bases[label]}/graphql")
                started = time.perf_counter()
                async with session.post(url, data=payload) as response:
                    await response.read()
                    if response.status != 200:
                        raise SystemExit(f"bench: the cheap query answered {response.status}")
                if i >= 200:  # the first 200 warm up
                    durations[label].append(time.perf_counter() - started)
    result: dict[str, Any] = {"requests": count}
    for label, values in durations.items():
        ordered = sorted(values)
        result[label] = {
            "mean_ms": round(sum(ordered) / len(ordered) * 1000, 3),
            "p50_ms": round(http_load.percentile(ordered, 0.50) * 1000, 3),
        }
    if {"on", "off"} <= set(durations):
        result["p50_difference_ms"] = round(result["on"]["p50_ms"] - result["off"]["p50_ms"], 3)
        result["mean_difference_ms"] = round(result["on"]["mean_ms"] - result["off"]["mean_ms"], 3)
    return result


def compare_cheap(
    database: dashboard.Database,
    redis_url: str,
    keys: str,
    token: str,
    args: argparse.Namespace,
    bench_dir: Path,
) -> dict[str, Any]:
    """Two servers at once, the limiter on in one and off in the other."""
    ports = {"on": dashboard.free_port(), "off": dashboard.free_port()}
    with contextlib.ExitStack() as servers:
        for label, port in ports.items():
            os.environ["RENKEI_THROTTLE"] = label
            log = bench_dir / f"cheap-{label}.log"
            servers.enter_context(dashboard.serve(database, redis_url, keys, port, log))
        bases = {label: f"http://127.0.0.1:{port}" for label, port in ports.items()}
        return asyncio.run(cheap_requests(bases, token, args.cheap_requests))


def body(tenant: Tenant) -> bytes:
    return json.dumps(
        {
            "query": dashboard.DASHBOARD,
            "variables": {"id": to_global_id("Region", tenant.region_id)},
        }
    ).encode()


def measure_server(
    database: dashboard.Database,
    redis_url: str,
    keys: str,
    tokens_for: dict[str, str],
    quiet: Tenant,
    noisy: Tenant,
    args: argparse.Namespace,
    bench_dir: Path,
    *,
    limiter: bool,
) -> dict[str, Any]:
    os.environ["RENKEI_THROTTLE"] = "on" if limiter else "off"
    os.environ["RENKEI_THROTTLE_REFILL_PER_MINUTE"] = str(args.refill_per_minute)
    os.environ["RENKEI_THROTTLE_CAPACITY"] = str(args.capacity)
    port = args.port
    base = f"http://127.0.0.1:{port}"
    label = "on" if limiter else "off"
    quiet_request = (body(quiet), tokens_for["quiet"])
    noisy_request = (body(noisy), tokens_for["noisy"])
    with dashboard.serve(database, redis_url, keys, port, bench_dir / f"noisy-{label}.log"):
        alone = asyncio.run(phase(base, quiet_request, None, args))["quiet"]
        print(f"limiter {label}, quiet tenant alone: {json.dumps(alone)}", flush=True)
        loaded = asyncio.run(phase(base, quiet_request, noisy_request, args))
        print(f"limiter {label}, quiet under the flood: {json.dumps(loaded['quiet'])}", flush=True)
        print(f"limiter {label}, the flooder: {json.dumps(loaded['noisy'])}", flush=True)
    return {"alone": alone, **loaded}


def run(database: dashboard.Database, args: argparse.Namespace, bench_dir: Path) -> int:
    quiet, noisy = tenants(database)
    print(f"quiet tenant: {quiet.name}; flooder: {noisy.name}", flush=True)
    per_second = args.refill_per_minute / 60
    args.flood_rate = args.flood_factor * per_second / DASHBOARD_COST
    print(
        f"budget: {args.capacity:,} points, refilled at {per_second:,.0f} a second; the dashboard"
        f" costs {DASHBOARD_COST}: quiet at {args.quiet_rate}/s"
        f" ({args.quiet_rate * DASHBOARD_COST / per_second:.0%} of its budget), flooder at"
        f" {args.flood_rate:.1f}/s ({args.flood_factor}x its budget) for {args.duration:.0f} s",
        flush=True,
    )
    keys = json.dumps(KeySet([generate_key()]).as_dict(private=True))
    args.port = dashboard.free_port()
    issuer = f"http://127.0.0.1:{args.port}"
    # Every server started here accepts the same tokens.
    os.environ["RENKEI_TOKEN_ISSUER"] = issuer
    os.environ["RENKEI_TOKEN_AUDIENCE"] = issuer
    service = TokenService.from_json(keys, issuer=issuer)
    tokens_for = {
        name: service.issue(
            user_id=tenant.user_id,
            organization_id=tenant.organization_id,
            scopes=ALL_SCOPES,
            ttl_seconds=3600,
        )
        for name, tenant in (("quiet", quiet), ("noisy", noisy))
    }
    redis, redis_url = start_redis(bench_dir)
    summary: dict[str, Any] = {}
    try:
        summary["lua"] = asyncio.run(limiter_overhead(redis_url, args.lua_calls, quiet.region_id))
        print(f"limiter per request (in process): {json.dumps(summary['lua'])}", flush=True)
        if args.compare_off:
            summary["cost_1"] = compare_cheap(
                database, redis_url, keys, tokens_for["quiet"], args, bench_dir
            )
            print(f"a query of cost 1, limiter on and off: {json.dumps(summary['cost_1'])}")
        common = (database, redis_url, keys, tokens_for, quiet, noisy, args, bench_dir)
        summary["on"] = measure_server(*common, limiter=True)
        if args.compare_off:
            summary["off"] = measure_server(*common, limiter=False)
    finally:
        redis._cleanup()
    on = summary["on"]
    ratio = on["quiet"]["p95_ms"] / on["alone"]["p95_ms"]
    summary["quiet_p95_ratio"] = round(ratio, 3)
    summary["targets"] = {
        "quiet_p95_within_25_percent": ratio <= TARGET_P95_RATIO,
        "limiter_under_0_3_ms_cpu": summary["lua"]["cpu_ms"] < TARGET_OVERHEAD_MS,
        "limiter_under_0_3_ms_wall_p50": summary["lua"]["wall_p50_ms"] < TARGET_OVERHEAD_MS,
    }
    print(
        f"\nquiet p95 alone {on['alone']['p95_ms']} ms, under the flood {on['quiet']['p95_ms']}"
        f" ms ({ratio:.2f}x); flooder p50/p95 {on['noisy']['p50_ms']}/{on['noisy']['p95_ms']} ms"
        f" for its answered requests, {on['noisy']['throttled_share']:.1%} refused with 429"
    )
    if "off" in summary:
        off = summary["off"]
        print(
            f"limiter off: quiet p50/p95 alone {off['alone']['p50_ms']}/{off['alone']['p95_ms']}"
            f" ms, under the flood {off['quiet']['p50_ms']}/{off['quiet']['p95_ms']} ms"
        )
    for target, met in summary["targets"].items():
        print(f"target {target}: {'met' if met else 'not met'}")
    print(json.dumps(summary))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/noisy_neighbour.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database", default=dashboard.BENCH_DATABASE)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument(
        "--settle", type=float, default=3.0, help="seconds of flood before measuring"
    )
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds of unrecorded quiet requests"
    )
    parser.add_argument("--quiet-rate", type=float, default=2.0, help="dashboards a second")
    parser.add_argument("--flood-factor", type=float, default=10.0, help="times the budget")
    parser.add_argument("--capacity", type=int, default=20_000)
    parser.add_argument("--refill-per-minute", type=int, default=120_000)
    parser.add_argument("--lua-calls", type=int, default=5_000)
    parser.add_argument("--cheap-requests", type=int, default=2_000)
    parser.add_argument(
        "--compare-off", action="store_true", help="also measure with the limiter off"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the summary to this file")
    args = parser.parse_args(argv)
    data_dir = Settings.from_env().data_dir
    bench_dir = data_dir / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    database = dashboard.open_database(data_dir, args.database)
    try:
        return run(database, args, bench_dir)
    finally:
        database.close()


if __name__ == "__main__":
    sys.exit(main())
