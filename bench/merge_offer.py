"""Benchmark: the 并单 offer — how long finding the open reports like a new one takes.

A fresh database (all migrations) holds an office of BUILDINGS buildings spread over a 6 km × 6 km
district and REPORTS reports over 8 categories, OPEN_SHARE of them open (a third with a shared
location). Then `bot.usecases.duplicates.candidates` — what the report flow calls before the
summary — runs for ROUNDS random (building, category) pairs: median and p95 time, how many
reports were offered, and the query plan of the open-report lookup (it must read the partial
index reports_open_category).

    python -m bench.merge_offer                        # 200,000 reports, ~1 min
    python -m bench.merge_offer --reports 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import common

CATEGORIES = ("litter", "road", "property", "parking", "greenery", "noise", "water", "safety")
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ORIGIN = (30.58, 114.27)


def populate(path: Path, *, buildings: int, reports: int, open_share: float, seed: int) -> None:
    """Writes the office and its reports straight into PATH (already migrated)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    units = [("D", "区", "district", None, None, None), ("G", "网格", "grid", "D", None, None)]
    points = []
    for i in range(buildings):
        lat = ORIGIN[0] + rng.uniform(0, 6000) / 111_000
        lon = ORIGIN[1] + rng.uniform(0, 6000) / (111_000 * math.cos(math.radians(ORIGIN[0])))
        points.append((lat, lon))
        units.append((f"B{i}", f"{i}栋", "building", "G", lat, lon))
    conn.executemany(
        "INSERT INTO units (code, name, level, parent, lat, lon) VALUES (?, ?, ?, ?, ?, ?)", units
    )
    conn.executemany(
        "INSERT INTO categories (code, name_zh, name_en, position) VALUES (?, ?, ?, ?)",
        [(c, c, c, i) for i, c in enumerate(CATEGORIES)],
    )
    rows = []
    for i in range(reports):
        b = rng.randrange(buildings)
        status = "open" if rng.random() < open_share else rng.choice(("closed", "rejected"))
        lat = lon = None
        if rng.random() < 1 / 3:
            lat = points[b][0] + rng.uniform(-30, 30) / 111_000
            lon = points[b][1] + rng.uniform(-30, 30) / 96_000
        at = (NOW - timedelta(minutes=reports - i)).isoformat()
        reporter, category = 5000 + rng.randrange(50_000), rng.choice(CATEGORIES)
        rows.append((reporter, category, f"B{b}", "x", lat, lon, status, "G", "grid", at, at))
        if len(rows) == 50_000:
            _flush(conn, rows)
    _flush(conn, rows)
    conn.commit()
    conn.close()


def _flush(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO reports (reporter_id, category, unit, description, lat, lon, status,"
        " holder_unit, tier, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    rows.clear()


async def measure(path: Path, *, buildings: int, rounds: int, seed: int) -> dict[str, Any]:
    from bot.clock import system_clock
    from bot.services import Services
    from bot.settings import Settings
    from bot.texts import Texts
    from bot.usecases import duplicates
    from storage.db import Database
    from storage.uow import Store

    db = await Database(path).open()
    services = Services(
        settings=Settings(),
        store=Store(db),
        texts=Texts(),
        clock=system_clock,
        tz=ZoneInfo("Asia/Shanghai"),
    )
    rng = random.Random(seed + 1)
    times, offered = [], []
    try:
        plan = await db.fetchall(
            "EXPLAIN QUERY PLAN SELECT r.id FROM reports r JOIN units u ON u.code = r.unit"
            " WHERE r.status IN ('open', 'accepted') AND r.category = 'litter'"
            " AND (r.unit = 'B1' OR (COALESCE(r.lat, u.lat) BETWEEN 1 AND 2"
            " AND COALESCE(r.lon, u.lon) BETWEEN 1 AND 2)) ORDER BY r.id DESC LIMIT 50"
        )
        for _ in range(rounds):
            unit, category = f"B{rng.randrange(buildings)}", rng.choice(CATEGORIES)
            started = time.perf_counter()
            found = await duplicates.candidates(
                services, category=category, unit=unit, lat=None, lon=None, by=1
            )
            times.append(time.perf_counter() - started)
            offered.append(len(found))
        open_rows = await db.fetchone("SELECT COUNT(*) FROM reports WHERE status = 'open'")
        total = await db.fetchone("SELECT COUNT(*) FROM reports")
    finally:
        await db.close()
    return {
        "reports_stored": total[0],
        "open_reports": open_rows[0],
        "rounds": rounds,
        "candidates_ms_median": 1000 * common.median(times),
        "candidates_ms_p95": 1000 * common.percentile(times, 0.95),
        "offered_mean": sum(offered) / len(offered),
        "offered_max": max(offered),
        "query_plan": " | ".join(str(row["detail"]) for row in plan),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--buildings", type=int, default=3_000)
    parser.add_argument("--open-share", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-merge-"))
    try:
        path = folder / "merge.sqlite3"
        asyncio.run(_migrate(path))
        started = time.perf_counter()
        populate(
            path,
            buildings=args.buildings,
            reports=args.reports,
            open_share=args.open_share,
            seed=args.seed,
        )
        built = time.perf_counter() - started
        figures = asyncio.run(
            measure(path, buildings=args.buildings, rounds=args.rounds, seed=args.seed)
        )
        figures = {"populate_seconds": built, **figures, "machine": json.dumps(common.machine())}
        common.show("并单 offer: open reports like a new one", figures)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _migrate(path: Path) -> None:
    from storage.db import Database

    db = await Database(path).open()
    await db.close()


if __name__ == "__main__":
    main()
