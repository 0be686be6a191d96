"""Benchmark: the 下沉干部 weekly sweep and /monthly's cadre block at a street's scale.

On a fresh SQLite file with the test office (tests/data/config.toml) plus GRIDS grids under its
community, CADRES partner staff each sent down to one grid, and PATROLS patrols over the 9 weeks
before 2026-11-27 (a third by cadres, the rest by others), timed:

1. the weekly sweep at its moment (Friday 09:00): every cadre's progress, reminders to those
   behind, one list per grid head — until nothing is owed; then once more (nothing to do);
2. `month_figures` for the community (every cadre's November, per duty).

    python -m bench.cadres        # 200 grids, 2,000 cadres, 1,000,000 patrols
    python -m bench.cadres --patrols 200000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

FRIDAY_9 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
DUTIES = """
[cadres]
weekday = 5
hour = 9

[[cadres.duties]]
code = "knock"
zh = "网格叮咚敲门"
en = "Door-knocking"
kind = "doorknock"
count = 1

[[cadres.duties]]
code = "safe"
zh = "安全巡查"
en = "Safety check"
kind = "safety"
count = 2
per = "month"
"""


async def run(grids: int, cadres: int, patrols: int) -> None:
    from bot import settings as settings_module
    from bot.app import open_services
    from bot.usecases import cadres as usecases
    from storage.db import to_db

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-cadres-"))
    try:
        text = (Path(__file__).parent.parent / "tests" / "data" / "config.toml").read_text()
        text = text.replace('path = "griddesk.sqlite3"', f'path = "{folder / "b.sqlite3"}"')
        for i in range(grids):
            text += f'\n[[units]]\ncode = "BG{i}"\nname = "网格{i}"\nlevel = "grid"\n'
            text += 'parent = "C1"\n'
            text += f'\n[[staff]]\ntelegram_id = {10_000 + i}\nname = "网格长{i}"\n'
            text += f'role = "grid_head"\nunit = "BG{i}"\n'
        (folder / "config.toml").write_text(text + DUTIES, encoding="utf-8")
        settings = settings_module.load(folder / "config.toml")
        services = await open_services(settings, lambda: FRIDAY_9)
        rng = random.Random(7)
        cadre_ids = [1_000_000 + i for i in range(cadres)]
        async with services.store.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO staff (user_id, name, role, unit, categories, source, active)"
                " VALUES (?, ?, 'partner', 'C1', '[]', 'bench', 1)",
                [(uid, f"干部{uid}") for uid in cadre_ids],
            )
            await conn.executemany(
                "INSERT INTO cadres (user_id, unit, duties, source, since)"
                " VALUES (?, ?, '[]', 'chat', ?)",
                [
                    (uid, f"BG{i % grids}", to_db(FRIDAY_9 - timedelta(days=90)))
                    for i, uid in enumerate(cadre_ids)
                ],
            )
            rows = []
            for _ in range(patrols):
                who = rng.choice(cadre_ids) if rng.random() < 0.33 else rng.randrange(1, 50_000)
                kind = rng.choice(("patrol", "doorknock", "safety"))
                at = FRIDAY_9 - timedelta(seconds=rng.randrange(63 * 86400))
                rows.append((who, kind, f"BG{rng.randrange(grids)}", to_db(at)))
            await conn.executemany(
                "INSERT INTO patrols (worker_id, kind, unit, note, at) VALUES (?, ?, ?, '', ?)",
                rows,
            )
        try:
            started, acted, passes = time.perf_counter(), 0, 0
            while (done := await usecases.remind_behind(services, FRIDAY_9)) or passes == 0:
                acted, passes = acted + done, passes + 1
            sweep = time.perf_counter() - started
            started = time.perf_counter()
            assert await usecases.remind_behind(services, FRIDAY_9) == 0
            again = time.perf_counter() - started
            started = time.perf_counter()
            figures = await usecases.month_figures(services, "C1", (2026, 11))
            month = time.perf_counter() - started
            queued = await services.store.db.fetchone("SELECT COUNT(*) FROM outbox")
        finally:
            await services.store.close()
        print(f"{grids} grids, {cadres} cadres, {patrols:,} patrols")
        print(f"weekly sweep: {sweep:.2f} s in {passes} passes, {acted} told, {queued[0]} rows")
        print(f"weekly sweep again (nothing owed): {again * 1000:.0f} ms")
        print(f"/monthly cadre block for the community: {month:.2f} s ({len(figures)} lines)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=200)
    parser.add_argument("--cadres", type=int, default=2000)
    parser.add_argument("--patrols", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(run(args.grids, args.cadres, args.patrols))


if __name__ == "__main__":
    main()
