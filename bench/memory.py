"""The server's memory under a mixed load (issue 11, Performance): its resident set after the
first 100 requests and after all of them (10,000 by default), and their ratio; target 1.10 at most.

Run by `bench/dashboard.py run|all` against the production-mode server it starts for this step
alone (so the first figure is the server's own start-up plus 100 requests). The mix is what a
region's secretariat and its members send: the plain dashboard, the dashboard with progress,
attainment and dependencies, the portfolio, and lookups of one project, milestone or KPI. The
resident set is read from /proc/<pid>/status (VmRSS), Linux only.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import http_load
import psycopg

from renkei.graphql.relay import to_global_id

TARGET_RATIO = 1.10
FIRST_CHECKPOINT = 100

FULL_DASHBOARD = """
query DashboardWithFormulas($id: ID!) {
  region(id: $id) {
    name
    kpis(first: 5) { nodes { name attainment { percent formula } } }
    projects(first: 20) {
      nodes {
        id name status
        lead { name }
        progress { percent formula inputs { title weight contribution } }
        milestones(first: 10) { nodes { id title dueOn status dependsOn { title } } }
        kpis(first: 5) { nodes { name attainment { percent achieved formula } } }
      }
    }
  }
}
"""
PORTFOLIO = """
query Portfolio($from: Date!, $to: Date!) {
  overdue: milestones(first: 50, overdue: true) { nodes { title dueOn project { name } } }
  soon: milestones(first: 50, dueFrom: $from, dueTo: $to) {
    edges { node { id title dueOn status project { name } owner { name } } }
  }
  projects(first: 20, category: SEMICONDUCTOR) { nodes { name status } }
}
"""
PROJECT = """
query Project($id: ID!) {
  project(id: $id) {
    name summary status lead { name } region { name }
    milestones(first: 5) { nodes { title dueOn } }
  }
}
"""
MILESTONE = """
query Milestone($id: ID!) {
  milestone(id: $id) { title dueOn status dependsOn { title } dependents { title } }
}
"""
KPI = """
query Kpi($id: ID!) {
  kpi(id: $id) {
    name targets { fiscalYear value } latestObservation { value } attainment { percent }
  }
}
"""


@dataclass(frozen=True)
class Lookups:
    """Rows of the subject's region to look up by id."""

    projects: list[uuid.UUID]
    milestones: list[uuid.UUID]
    kpis: list[uuid.UUID]


def find_lookups(owner_url: str, region_id: uuid.UUID, count: int = 5) -> Lookups:
    with psycopg.connect(owner_url) as conn:
        projects = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM projects WHERE region_id = %s ORDER BY name LIMIT %s",
                (region_id, count),
            )
        ]
        milestones = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM milestones WHERE project_id = ANY(%s) ORDER BY due_on LIMIT %s",
                (projects, count),
            )
        ]
        kpis = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM kpis WHERE project_id = ANY(%s) OR region_id = %s LIMIT %s",
                (projects, region_id, count),
            )
        ]
    return Lookups(projects, milestones, kpis)


def mixed_requests(
    dashboard: str, due_soon: str, region_id: uuid.UUID, lookups: Lookups
) -> list[tuple[str, dict[str, Any]]]:
    """One round of the mix, by name: sent in this order again and again."""
    today = date.today()
    window = {"from": today.isoformat(), "to": (today + timedelta(days=30)).isoformat()}
    region = {"id": to_global_id("Region", region_id)}
    mix: list[tuple[str, dict[str, Any]]] = [
        ("dashboard", {"query": dashboard, "variables": region}),
        ("full_dashboard", {"query": FULL_DASHBOARD, "variables": region}),
        ("due_soon", {"query": due_soon, "variables": window}),
        ("dashboard", {"query": dashboard, "variables": region}),
        ("portfolio", {"query": PORTFOLIO, "variables": window}),
    ]
    for name, query, type_name, ids in (
        ("project", PROJECT, "Project", lookups.projects),
        ("milestone", MILESTONE, "Milestone", lookups.milestones),
        ("kpi", KPI, "Kpi", lookups.kpis),
    ):
        mix += [
            (name, {"query": query, "variables": {"id": to_global_id(type_name, i)}})
            for i in ids[:2]
        ]
    return [(name, body) for name, body in mix]


def resident_kib(pid: int) -> int:
    """The process's resident set (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


async def load(
    url: str,
    token: str,
    mix: list[tuple[str, dict[str, Any]]],
    *,
    pid: int,
    requests: int,
    concurrency: int,
) -> dict[str, Any]:
    """Send `requests` requests of the mix from `concurrency` clients; read the server's resident
    set once the first 100 have been answered, and again after the last."""
    headers = {
        "Accept": "application/graphql-response+json",
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    payloads = [(name, json.dumps(body).encode()) for name, body in mix]
    sent = answered = 0
    by_query: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    rss: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def client() -> None:
            nonlocal sent, answered
            while sent < requests:
                name, payload = payloads[sent % len(payloads)]
                sent += 1
                try:
                    async with session.post(url, data=payload) as response:
                        answer = await response.read()
                        status = response.status
                except aiohttp.ClientError as exc:
                    errors[f"{name}: {type(exc).__name__}"] += 1
                else:
                    if status != 200 or b'"errors":' in answer:
                        errors[f"{name}: {'GraphQL errors' if status == 200 else status}"] += 1
                    by_query[name] += 1
                answered += 1
                if answered == FIRST_CHECKPOINT:
                    rss[FIRST_CHECKPOINT] = resident_kib(pid)

        await asyncio.gather(*(client() for _ in range(concurrency)))
    rss[answered] = resident_kib(pid)
    first, last = rss.get(FIRST_CHECKPOINT), rss[answered]
    ratio = round(last / first, 3) if first else None
    return {
        "requests": answered,
        "concurrency": concurrency,
        "seconds": round(time.perf_counter() - started, 1),
        "by_query": dict(by_query),
        "errors": dict(errors),
        "rss_mib_after_100": round(first / 1024, 1) if first else None,
        f"rss_mib_after_{answered}": round(last / 1024, 1),
        "ratio": ratio,
        "target_met": ratio is not None and ratio <= TARGET_RATIO,
    }


def report(result: dict[str, Any]) -> str:
    answered = result["requests"]
    ratio = result["ratio"]
    verdict = "met" if result["target_met"] else "not met" if ratio is not None else "not measured"
    lines = [
        f"\nserver memory over {answered:,} mixed requests at concurrency "
        f"{result['concurrency']} ({result['seconds']} s): "
        + ", ".join(f"{n:,} {q}" for q, n in sorted(result["by_query"].items())),
        f"  RSS after {FIRST_CHECKPOINT} requests: {result['rss_mib_after_100']} MiB",
        f"  RSS after {answered:,} requests: {result[f'rss_mib_after_{answered}']} MiB",
        f"  ratio: {ratio} (target <= {TARGET_RATIO:.2f}: {verdict})",
    ]
    if result["errors"]:
        lines.append("  FAILED requests: " + json.dumps(result["errors"], ensure_ascii=False))
    return "\n".join(lines)


def run(
    base: str,
    pid: int,
    token: str,
    mix: list[tuple[str, dict[str, Any]]],
    *,
    requests: int,
    concurrency: int,
) -> dict[str, Any]:
    url = http_load.loopback_url(f"{base}/graphql")
    result = asyncio.run(load(url, token, mix, pid=pid, requests=requests, concurrency=concurrency))
    print(report(result), flush=True)
    return result
