"""Benchmark of the warm matching engine through the worker's code path (issue 15, Performance).

    .venv/bin/python bench/engine_warm.py all --professionals 10000 --needs 1000
    .venv/bin/python bench/engine_warm.py run --edits 30      # on the data generated before

`generate` fills a database of its own (`renkei_bench_engine`, or RENKEI_BENCH_DATABASE_URL)
with bench/talent_dataset.py's firms, needs, professionals and proposals (as talent_views.py).
`run` then plays the worker: an embedded Redis, the lease and generation counter of
renkei.workers.talent_engine, and each message handled by renkei.workers.jobs.handle_message
with the worker's handlers, as the application role. Measured, each end to end (the message
claimed, the engine changed, the moved needs' proposals upserted, new proposals told as
notifications, the transaction committed):

- the first message: the engine loaded from the database (what a started or restarted worker
  pays once);
- `--edits` need edits (a random open need's hours a month moved, its NEED_CHANGED handled);
- `--edits` profile edits (a random open profile's hours a month moved, PROFILE_CHANGED);
- the nightly full recompute (the engine rebuilt from the database, its drift counted, every
  need's proposals stored), twice: the first also tells of proposals that differ from the
  generated ones, the second is a steady night;
- the worker's RSS after each phase and its peak.

The edits are made as the platform directly on the rows (the services would also check the
firm's or the professional's rights; that part is not the engine's cost). `--cold 1` also times
that many need edits the old way (the engine rebuilt from the database for each), to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import dashboard
import talent_dataset
import talent_views
from redis.asyncio import Redis

from renkei import outbox
from renkei.config import Settings
from renkei.db import SessionFactory, create_engine, session_factory, unit_of_work
from renkei.embedded import start_redis
from renkei.talent import service
from renkei.talent import tasks as talent_tasks
from renkei.talent.metrics import ENGINE_DRIFT
from renkei.talent.models import ProfessionalProfile, TalentNeed
from renkei.tenancy import Viewer
from renkei.workers.jobs import handle_message, handlers_for
from renkei.workers.talent_engine import GENERATION_KEY, OWNER_KEY, EngineOwnership

BENCH_DATABASE = "renkei_bench_engine"
TARGETS_MS = {"need_edit_p50": 200.0, "profile_edit_p50": 500.0, "nightly": 30_000.0}
TARGET_RSS_MIB = 2048.0


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _load() -> list[float]:
    """The machine's load average (1, 5, 15 minutes): the figures are wall times on 2 cores
    shared with other work."""
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _ids(sessions: SessionFactory) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    from renkei.talent import repository

    async with unit_of_work(sessions, Viewer.platform()) as session:
        needs = [n.id for n in await repository.open_needs(session)]
        profiles = [p.professional_id for p in await repository.open_profiles(session)]
    return needs, profiles


async def _edit_need(sessions: SessionFactory, need_id: uuid.UUID) -> uuid.UUID:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        need = await session.get(TalentNeed, need_id)
        assert need is not None
        need.hours_per_month = max(1, min(200, need.hours_per_month + random.choice((-5, 5))))
        need.version += 1
        return outbox.enqueue(session, service.NEED_CHANGED, {"need_id": str(need_id)}).id


async def _edit_profile(sessions: SessionFactory, professional_id: uuid.UUID) -> uuid.UUID:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        profile = await session.get(ProfessionalProfile, professional_id)
        assert profile is not None
        profile.hours_per_month = max(5, profile.hours_per_month + random.choice((-5, 5)))
        payload = {"professional_id": str(professional_id)}
        return outbox.enqueue(session, service.PROFILE_CHANGED, payload).id


async def _nightly(sessions: SessionFactory) -> uuid.UUID:
    async with unit_of_work(sessions, Viewer.platform()) as session:
        payload = {"on": "bench", "run": uuid.uuid4().hex}
        return outbox.enqueue(session, talent_tasks.NIGHTLY_RECOMPUTE, payload).id


class _Verified(logging.Handler):
    """Keeps what the nightly logs ("warm engine verified": drift, stored, told, phases)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.last: dict[str, Any] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "warm engine verified":
            keys = ("needs", "drift", "stored", "told", "stable", "seconds", "cpu_seconds")
            self.last = {k: getattr(record, k, None) for k in keys}


async def _timed(sessions: SessionFactory, message_id: uuid.UUID, handlers: Any) -> float:
    started = time.perf_counter()
    assert await handle_message(sessions, message_id, handlers=handlers)
    return (time.perf_counter() - started) * 1000


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def measure(database: dashboard.Database, args: argparse.Namespace, bench_dir: Path) -> dict:
    random.seed(args.seed)
    engine = create_engine(database.app_url, pool_size=2)
    sessions = session_factory(engine)
    server, redis_url = start_redis(bench_dir)
    redis = Redis.from_url(redis_url)
    report: dict[str, Any] = {"rss_start_mib": round(rss_mib(), 1)}
    try:
        await redis.delete(OWNER_KEY, GENERATION_KEY)
        host = EngineOwnership(redis)
        handlers = handlers_for(None, None, host)
        needs, profiles = await _ids(sessions)
        report["open"] = {"needs": len(needs), "professionals": len(profiles)}
        print(f"open needs {len(needs):,}, open profiles {len(profiles):,}", flush=True)

        # The first message loads the engine (a started or restarted worker).
        first = await _timed(sessions, await _edit_need(sessions, random.choice(needs)), handlers)
        report["first_message_with_load_ms"] = round(first, 1)
        report["load_average_after_load"] = _load()
        report["rss_after_load_mib"] = round(rss_mib(), 1)
        print(f"first need edit, engine loaded: {first:.0f} ms", flush=True)

        times = [
            await _timed(sessions, await _edit_need(sessions, random.choice(needs)), handlers)
            for _ in range(args.edits)
        ]
        report["need_edit"] = _summary(times)
        print(f"need edit: {report['need_edit']}", flush=True)

        times = [
            await _timed(sessions, await _edit_profile(sessions, random.choice(profiles)), handlers)
            for _ in range(args.edits if args.profile_edits is None else args.profile_edits)
        ]
        report["profile_edit"] = _summary(times) if times else None
        report["rss_after_edits_mib"] = round(rss_mib(), 1)
        print(f"profile edit: {report['profile_edit']}", flush=True)

        assert host.loads == 1, "the engine was reloaded during the edits"
        verified = _Verified()
        tasks_logger = logging.getLogger(talent_tasks.__name__)
        tasks_logger.addHandler(verified)
        tasks_logger.setLevel(logging.INFO)
        cpu = time.process_time()
        nightly = await _timed(sessions, await _nightly(sessions), handlers)
        report["nightly_ms"] = round(nightly, 1)
        report["nightly_cpu_s"] = round(time.process_time() - cpu, 1)
        report["nightly_load_average"] = _load()
        report["nightly_drift"] = ENGINE_DRIFT._value.get()
        report["nightly"] = verified.last
        report["rss_after_nightly_mib"] = round(rss_mib(), 1)
        print(
            f"nightly full recompute with storing: {nightly:.0f} ms, "
            f"drift {report['nightly_drift']:.0f} needs; {verified.last}",
            flush=True,
        )
        # The first night after `generate` also writes and tells of every proposal that
        # differs from the generated ones; the second is a night's steady cost.
        cpu = time.process_time()
        again = await _timed(sessions, await _nightly(sessions), handlers)
        report["second_nightly_ms"] = round(again, 1)
        report["second_nightly_cpu_s"] = round(time.process_time() - cpu, 1)
        report["second_nightly_load_average"] = _load()
        report["second_nightly"] = verified.last
        report["rss_after_second_nightly_mib"] = round(rss_mib(), 1)
        print(f"second nightly: {again:.0f} ms; {verified.last}", flush=True)

        if args.cold:
            cold = talent_tasks.HANDLERS
            times = [
                await _timed(sessions, await _edit_need(sessions, random.choice(needs)), cold)
                for _ in range(args.cold)
            ]
            report["cold_need_edit"] = _summary(times)
            print(f"cold need edit (rebuilt from the database): {report['cold_need_edit']}")
        report["peak_rss_mib"] = round(peak_rss_mib(), 1)
    finally:
        await redis.delete(OWNER_KEY, GENERATION_KEY)
        await redis.aclose()
        server._cleanup()
        await engine.dispose()
    met = {
        "need_edit_p50": report["need_edit"]["p50_ms"] < TARGETS_MS["need_edit_p50"],
        "profile_edit_p50": bool(report["profile_edit"])
        and report["profile_edit"]["p50_ms"] < TARGETS_MS["profile_edit_p50"],
        "nightly": report["second_nightly_ms"] < TARGETS_MS["nightly"],
        "rss": report["peak_rss_mib"] < TARGET_RSS_MIB,
    }
    report["targets_met"] = met
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("generate", "run", "all"))
    parser.add_argument("--professionals", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=1_000)
    parser.add_argument("--edits", type=int, default=30, help="need edits, and profile edits")
    parser.add_argument(
        "--profile-edits", type=int, help="profile edits, when not as many as --edits"
    )
    parser.add_argument("--cold", type=int, default=0, help="need edits the old way, to compare")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default=BENCH_DATABASE)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    data_dir = Settings.from_env().data_dir
    bench_dir = data_dir / "bench-engine"
    bench_dir.mkdir(parents=True, exist_ok=True)
    database = dashboard.open_database(data_dir, args.database)
    try:
        if args.command in ("generate", "all"):
            sizes = talent_dataset.TalentSizes(args.professionals, args.needs)
            talent_views.generate(database, sizes, args.seed)
        if args.command in ("run", "all"):
            report = asyncio.run(measure(database, args, bench_dir))
            print(json.dumps(report, ensure_ascii=False))
            if args.json:
                Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        return 0
    finally:
        database.close()


if __name__ == "__main__":
    sys.exit(main())
