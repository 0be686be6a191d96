"""Benchmark: the 码上安全 cadence over 10,000 approved shops (issue 12 item 8, "Measure").

On a fresh SQLite file (or a PostgreSQL database with --pg-url) with config.example.toml's office
(its [merchants] section: weekly, two reminders, 72 h grace), 10,000 approved shops spread over
the example's buildings, all due at the start of a period. The registered sweep
(bot.jobs.merchants.merchant_checks) runs pass after pass at the same instant until nothing is
left (each pass takes at most bot.usecases.merchants.BATCH shops): the time and CPU of that
cadence (10,000 checklists queued), of the reminder cadence a day later, of the missed-check
cadence after the grace (one message per grid worker), and of an idle pass (nothing due: what
every sweep interval costs).

    python -m bench.merchants                 # ~1–2 min on this machine
    python -m bench.merchants --shops 2000    # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import common

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai: a period begins


async def populate(services: Any, shops: int) -> None:
    """Stores SHOPS approved shops in the example's buildings, due at START (one commit)."""
    from storage.db import to_db

    tree = await services.units.tree()
    places = [u.code for u in tree if u.level == "building"] or [u.code for u in tree]
    kinds = [k.code for k in services.settings.merchants.kinds]
    before = to_db(START - timedelta(days=8))
    rows = [
        (
            9_000_000 + i,
            f"商户{i}",
            kinds[i % len(kinds)],
            places[i % len(places)],
            "13800000000",
            before,
            to_db(START),
            before,
            before,
        )
        for i in range(shops)
    ]
    async with services.store.db.transaction(completes_update=False) as conn:
        await conn.executemany(
            "INSERT INTO merchants (owner_id, name, kind, unit, phone, status, decided_by,"
            " decided_at, next_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'approved', 1, ?, ?, ?, ?)",
            rows,
        )


async def cadence(services: Any, at: datetime) -> dict[str, float]:
    """Runs the sweep at AT until it acts on nothing; returns passes, shops, seconds, CPU."""
    from bot.jobs.merchants import merchant_checks

    passes = acted = 0
    cpu = time.process_time()
    started = time.perf_counter()
    while True:
        done = await merchant_checks(services, at)
        passes += 1
        if done == 0:
            break
        acted += done
    return {
        "passes": passes,
        "shops": acted,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
    }


async def measure(shops: int, url: str | None) -> dict[str, Any]:
    from bot import settings as settings_module
    from bot.app import open_services

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-merchants-"))
    try:
        config = folder / "config.toml"
        text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
        config.write_text(text, encoding="utf-8")
        settings = settings_module.load(config)
        settings.storage.path = str(folder / "merchants.sqlite3")
        if url:
            settings.storage.url = url
        clock = [START]
        services: Any = await open_services(settings, lambda: clock[0])
        try:
            db = services.store.db
            started = time.perf_counter()
            await populate(services, shops)
            seeded = time.perf_counter() - started
            outbox = "SELECT COUNT(*) FROM outbox"
            before = (await db.fetchone(outbox))[0]
            send = await cadence(services, START)
            sent = (await db.fetchone(outbox))[0] - before
            idle_started = time.perf_counter()
            await cadence(services, START + timedelta(minutes=1))
            idle_ms = 1000 * (time.perf_counter() - idle_started)
            remind = await cadence(services, START + timedelta(hours=24))
            before = (await db.fetchone(outbox))[0]
            missed = await cadence(services, START + timedelta(hours=72))
            told = (await db.fetchone(outbox))[0] - before
        finally:
            await services.store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "backend": "postgresql" if url else "sqlite",
        "shops": shops,
        "seed_seconds": seeded,
        "checklists: sweep passes": send["passes"],
        "checklists: shops acted on": send["shops"],
        "checklists: messages queued": sent,
        "checklists: seconds (all passes)": send["seconds"],
        "checklists: CPU seconds (main thread + SQLite)": send["cpu"],
        "checklists: ms per shop": 1000 * send["seconds"] / max(1, send["shops"]),
        "idle pass ms (nothing due)": idle_ms,
        "reminders: seconds / CPU": f"{remind['seconds']:.2f} / {remind['cpu']:.2f}",
        "reminders: shops": remind["shops"],
        "missed: seconds / CPU": f"{missed['seconds']:.2f} / {missed['cpu']:.2f}",
        "missed: shops / messages to grid staff": f"{missed['shops']} / {told}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--pg-url", default=None, help="a PostgreSQL database to use instead")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.shops, args.pg_url))
    common.show(f"码上安全 cadence over {args.shops:,} shops", {**common.machine(), **figures})


if __name__ == "__main__":
    main()
