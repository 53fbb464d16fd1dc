"""How long the API takes to refuse the fragment bomb of issue 10, and whether others wait.

    .venv/bin/python bench/query_limits.py [--runs 50]

In process, through what the schema's QueryLimits extension runs before execution (parse in a
worker thread, the linear measure, validation in a worker thread): each run sends a new text (a
trailing comment differs), so no cache helps. After a warm-up, prints the time to refuse the
834-byte bomb, the time to pass a legitimate document of 5,000 tokens, and how long the event loop
stalled meanwhile, as seen by a ticker sleeping 1 ms at a time beside them (work held on the loop
would show there).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from graphql import specified_rules

from renkei.graphql.input_guard import StringsPostgresAccepts
from renkei.graphql.limits import check_document, document_of
from renkei.graphql.schema import build_schema

RULES = (*specified_rules, StringsPostgresAccepts)


def fragment_bomb(levels: int = 20) -> str:
    spreads = "\n".join(
        f"fragment L{i} on Query {{ ...L{i + 1} ...L{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...L0 }}\n{spreads}\nfragment L{levels} on Query {{ prefectures {{ code }} }}"


def big_document() -> str:
    """30 aliases of `nodes(ids:)` with 99 ids each, padded with __typename: 5,000 tokens."""
    ids = ", ".join(['"x"'] * 99)
    return (
        "{ "
        + " ".join(f"n{i}: nodes(ids: [{ids}]) {{ id{' __typename' * 55} }}" for i in range(30))
        + " }"
    )


async def ticker(stalls: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        stalls.append(time.perf_counter() - started - 0.001)


async def timed(schema: Any, query: str) -> tuple[float, Any]:
    started = time.perf_counter()
    errors = await check_document(schema, query, await document_of(query), RULES, {})
    return time.perf_counter() - started, errors


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


async def main(runs: int) -> None:
    schema = build_schema()._schema
    bomb = fragment_bomb()
    big = big_document()
    for warm_up in range(3):
        await timed(schema, f"{bomb}\n# warm-up {warm_up}")
        await timed(schema, f"{big}\n# warm-up {warm_up}")
    stalls: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(stalls, stop))
    print(f"bomb: {len(bomb.encode())} bytes")
    refusals = []
    for run in range(runs):
        elapsed, errors = await timed(schema, f"{bomb}\n# {run}")
        assert [e.extensions["code"] for e in errors] == ["QUERY_TOO_LARGE"], errors
        refusals.append(elapsed)
    accepted = []
    for run in range(max(runs // 5, 3)):
        elapsed, errors = await timed(schema, f"{big}\n# {run}")
        assert errors == [], errors
        accepted.append(elapsed)
    stop.set()
    await tick
    print(f"refuse the bomb      p50 {ms(statistics.median(refusals))}  max {ms(max(refusals))}")
    print(f"check 5,000 tokens   p50 {ms(statistics.median(accepted))}  max {ms(max(accepted))}")
    print(f"event loop stall     p50 {ms(statistics.median(stalls))}  max {ms(max(stalls))}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    asyncio.run(main(parser.parse_args().runs))
