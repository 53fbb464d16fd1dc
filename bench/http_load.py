"""A small HTTP load generator for Renkei's own numbers (infra/README.md, Scaling).

Sends one GraphQL document again and again from `--concurrency` clients over keep-alive
connections, until `--requests` have been sent or `--duration` seconds have passed, whichever
comes first, and prints latency percentiles and throughput as JSON. It only ever targets this
machine (a loopback address), and both bounds are capped.

    .venv/bin/python bench/http_load.py --url http://127.0.0.1:8010/graphql \\
        --query '{ prefectures { code name } }' --concurrency 10 --requests 3000 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx2
import orjson

MAX_REQUESTS = 100_000
MAX_DURATION_SECONDS = 300.0
MAX_CONCURRENCY = 256


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def loopback_url(url: str) -> str:
    """The URL, if its host is a loopback address; anything else is refused."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return url
    try:
        if ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise SystemExit(f"http_load: {url} is not on this machine; only loopback hosts are allowed")


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


async def _client(
    client: httpx2.AsyncClient,
    url: str,
    body: dict[str, object],
    tally: Tally,
    *,
    limit: int,
    deadline: float,
    record: bool,
) -> None:
    while tally.sent < limit and time.perf_counter() < deadline:
        tally.sent += 1
        started = time.perf_counter()
        try:
            response = await client.post(url, json=body)
        except httpx2.HTTPError as exc:
            tally.error(type(exc).__name__)
            continue
        elapsed = time.perf_counter() - started
        # orjson: parsing a 100 kB answer with the standard library costs the client milliseconds
        # of the two cores it shares with the server.
        if response.status_code != 200 or "errors" in orjson.loads(response.content):
            tally.error(f"HTTP {response.status_code}")
        elif record:
            tally.latencies.append(elapsed)


async def run(
    url: str,
    query: str,
    *,
    token: str | None,
    concurrency: int,
    requests: int,
    duration: float,
    warmup: int,
) -> dict[str, object]:
    headers = {"Accept": "application/graphql-response+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body: dict[str, object] = {"query": query}
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(headers=headers, limits=limits, timeout=30.0) as client:
        # Warm-up: connections opened, caches and the database's plans filled; not recorded.
        warm = Tally()
        await asyncio.gather(
            *(
                _client(
                    client,
                    url,
                    body,
                    warm,
                    limit=warmup,
                    deadline=time.perf_counter() + 30,
                    record=False,
                )
                for _ in range(concurrency)
            )
        )
        if warm.errors:
            raise SystemExit(f"http_load: the warm-up failed: {warm.errors}")
        tally = Tally()
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _client(
                    client,
                    url,
                    body,
                    tally,
                    limit=requests,
                    deadline=started + duration,
                    record=True,
                )
                for _ in range(concurrency)
            )
        )
        elapsed = time.perf_counter() - started
    latencies = sorted(tally.latencies)
    return {
        "concurrency": concurrency,
        "requests": tally.sent,
        "ok": len(latencies),
        "errors": tally.errors,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(latencies) / elapsed, 1) if elapsed else None,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the GraphQL endpoint, on a loopback host")
    parser.add_argument("--query", required=True, help="the GraphQL document to send")
    parser.add_argument("--token", help="a bearer token (renkei token --email … --org …)")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000, help="at most this many requests")
    parser.add_argument("--duration", type=float, default=30.0, help="at most this many seconds")
    parser.add_argument("--warmup", type=int, default=100, help="unrecorded requests first")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be from 1 to {MAX_CONCURRENCY}")
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be from 1 to {MAX_REQUESTS}")
    if not 0 < args.duration <= MAX_DURATION_SECONDS:
        parser.error(f"--duration must be more than 0 and at most {MAX_DURATION_SECONDS:g}")
    if not 0 <= args.warmup <= 10_000:
        parser.error("--warmup must be from 0 to 10000")
    result = asyncio.run(
        run(
            loopback_url(args.url),
            args.query,
            token=args.token,
            concurrency=args.concurrency,
            requests=args.requests,
            duration=args.duration,
            warmup=args.warmup,
        )
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
