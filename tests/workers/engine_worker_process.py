"""A worker process of its own, as `renkei worker` runs one, for tests that kill it.

Run as `python engine_worker_process.py <settings json>`: the json holds the Settings' fields
and `queue`, `scope`, `lease_ms`, `renew_seconds`. It prints `holding` once its engine is
loaded and it reads the engine's queue (or `waiting` when another process holds it), then runs
until it is killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from renkei.config import Settings
from renkei.runtime import Runtime
from renkei.workers.settings import create_worker
from renkei.workers.talent_engine import LeaseTiming


async def main(options: dict[str, str]) -> None:
    settings = Settings(
        database_url=options["database_url"],
        app_database_url=options["app_database_url"],
        redis_url=options["redis_url"],
        signing_keys=options["signing_keys"],
        data_dir=Path(options["data_dir"]),
    )
    runtime = Runtime.start(settings)
    worker = create_worker(
        runtime,
        relay=False,
        queue_name=options["queue"],
        engine_scope=options["scope"],
        engine_timing=LeaseTiming(
            lease_ms=int(options["lease_ms"]), renew_seconds=float(options["renew_seconds"])
        ),
    )
    running = asyncio.create_task(worker.async_run())
    said = ""
    while not running.done():
        seat = worker.ctx.get("engine_seat")
        state = ""
        if seat is not None:
            state = "holding" if seat.holding and seat.ownership.engine.loaded else "waiting"
        if state and state != said:
            print(state, flush=True)
            said = state
        await asyncio.sleep(0.1)
    running.result()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
