"""Benchmark: 回访 reads on a big office — the sweep's pass, /revisits, /monthly's counts.

A fresh database (migrations applied as `griddesk run` applies them) holds --reports closed
cases of a category marked `revisit` across 40 buildings, each with its accept, resolve and
confirm events (the trigger makes each case's task as the real closing does); all but
--waiting of the tasks are answered. Measured (median of 20, warm): the sweep's pass when
nothing is due (storage/revisit.py `due`), a /revisits page for a community member (8 of the
waiting tasks, the handler filter included) and /monthly's counts over a month.

    python -m bench.revisit                     # 100,000 cases, 1,000 waiting
    python -m bench.revisit --reports 1000000 --waiting 10000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
BUILDINGS = [f"B{i}" for i in range(40)]


def iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


async def build(path: Path, reports: int, waiting: int) -> None:
    from storage.db import Database

    db = await Database(path).open()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO units (code, name, level) VALUES ('C1', '社区', 'community')"
        )
        await conn.executemany(
            "INSERT INTO units (code, name, level, parent) VALUES (?, ?, 'building', 'C1')",
            [(b, b) for b in BUILDINGS],
        )
        await conn.execute(
            "INSERT INTO categories (code, name_zh, name_en, position, revisit)"
            " VALUES ('litter', '环境', 'Litter', 0, 1)"
        )
    step = 5000
    for start in range(0, reports, step):
        ids = range(start + 1, min(start + step, reports) + 1)
        at = {i: iso(NOW - timedelta(minutes=reports - i)) for i in ids}
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO reports (id, reporter_id, category, unit, description, status,"
                " holder_unit, tier, created_at, updated_at, stars)"
                " VALUES (?, ?, 'litter', ?, '垃圾', 'closed', 'C1', 'community', ?, ?, 5)",
                [(i, 5_000_000 + i, BUILDINGS[i % len(BUILDINGS)], at[i], at[i]) for i in ids],
            )
            await conn.executemany(
                "INSERT INTO report_events (report_id, action, new, actor_id, at)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    row
                    for i in ids
                    for row in (
                        (i, "accept", "accepted", 101 + i % 7, at[i]),
                        (i, "resolve", "resolved", 101 + i % 7, at[i]),
                        (i, "confirm", "closed", 5_000_000 + i, at[i]),
                    )
                ],
            )
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE revisits SET state = 'answered', satisfied = id % 2, next_at = NULL,"
            " answered_by = 201, answered_at = closed_at WHERE id <= ?",
            (reports - waiting,),
        )
        await conn.execute(
            "UPDATE revisits SET state = 'open', due_at = closed_at, next_at = ?"
            " WHERE state = 'new'",
            (iso(NOW + timedelta(days=3)),),
        )
    await db.close()


async def measure(path: Path) -> dict[str, float]:
    from storage.db import Database
    from storage.revisit import Revisits

    db = await Database(path).open()
    repo = Revisits(db)
    units = ["C1", *BUILDINGS]
    cases = {
        "sweep pass, nothing due": lambda: repo.due(NOW, 200),
        "/revisits page (8 of the waiting)": lambda: repo.waiting(201, units, offset=0, limit=8),
        "/monthly counts (a month)": lambda: repo.counts(units, NOW - timedelta(days=30), NOW),
    }
    out = {}
    for name, run in cases.items():
        await run()  # warm
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            await run()
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times) * 1000
    await db.close()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--waiting", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        t0 = time.perf_counter()
        await build(path, args.reports, args.waiting)
        print(f"built {args.reports} closed cases in {time.perf_counter() - t0:.1f} s")
        for name, ms in (await measure(path)).items():
            print(f"{name}: {ms:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
