"""The team_reports sweep (工作月汇报) over 10,000 helpers in 1,000 grids, on an SQLite file:
the reminder passes, an idle pass, the missing lists' pass and an idle pass after it.

    python -m bench.teams [--grids 1000] [--per-grid 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot import settings as settings_module
from bot.app import open_services
from bot.domain.people import Role, Staff
from bot.usecases import teams
from storage.people import upsert_staff

REPO = Path(__file__).resolve().parents[1]
REMIND_AT = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 25th 09:00 in Shanghai: reminders
LIST_AT = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # three days later: the missing lists


async def run(grids: int, per_grid: int, folder: Path) -> dict[str, float]:
    config = folder / "config.toml"
    shutil.copy(REPO / "tests" / "data" / "config.toml", config)
    settings = settings_module.load(config)
    settings.storage.path = str(folder / "bench.sqlite3")
    services = await open_services(settings, lambda: REMIND_AT)
    staff = []
    async with services.store.db.transaction() as conn:
        for g in range(grids):
            await conn.execute(
                "INSERT INTO units (code, name, level, parent) VALUES (?, ?, 'grid', 'C1')",
                (f"BG{g}", f"网格{g}"),
            )
            await conn.execute(
                "INSERT INTO units (code, name, level, parent) VALUES (?, ?, 'building', ?)",
                (f"BB{g}", f"楼{g}", f"BG{g}"),
            )
            staff.append(Staff(10_000_000 + g, f"网格长{g}", Role.GRID_HEAD, f"BG{g}"))
            for i in range(per_grid):
                head = i % 2 == 1
                staff.append(
                    Staff(
                        20_000_000 + g * per_grid + i,
                        f"楼长{g}-{i}",
                        Role.BUILDING_HEAD if head else Role.PART_TIME,
                        f"BB{g}" if head else f"BG{g}",
                    )
                )
        await upsert_staff(conn, staff, "import", REMIND_AT)
    figures: dict[str, float] = {}
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        passes = reminders = 0
        while (queued := await teams.monthly_sweep(services, REMIND_AT)) > 0:
            passes += 1
            reminders += queued
        figures["reminders"] = reminders
        figures["reminder_passes"] = passes
        figures["reminders_wall_s"] = time.perf_counter() - wall
        figures["reminders_cpu_s"] = time.process_time() - cpu
        for name, at in (
            ("idle_reminding", REMIND_AT),
            ("lists", LIST_AT),
            ("idle_after", LIST_AT),
        ):
            wall, cpu = time.perf_counter(), time.process_time()
            figures[f"{name}_queued"] = await teams.monthly_sweep(services, at)
            figures[f"{name}_wall_s"] = time.perf_counter() - wall
            figures[f"{name}_cpu_s"] = time.process_time() - cpu
    finally:
        await services.store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grids", type=int, default=1000)
    parser.add_argument("--per-grid", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(run(args.grids, args.per_grid, Path(folder)))
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
    print("JSON " + json.dumps(figures))


if __name__ == "__main__":
    main()
