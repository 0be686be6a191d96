"""Benchmark: the dashboard's home page read model and the /figures use case on a big database.

Times bot/usecases/overview.py home (counts by tier + the 2,000 most urgent pins) for the admin,
a street and a grid worker, and bot/usecases/figures.py figures for each period as the admin
(the whole office), a street and a community, each twice (the second call of a finished period
comes from the caches), in-process on a copy of the bench database (read only; the clock at
bench.populate.NOW).

    python -m bench.overview  # builds /tmp/griddesk-bench-overview-100k.sqlite3 once
    python -m bench.overview --figures-only --db /tmp/griddesk-bench-1m.sqlite3 --reports 1000000

The old code's figures for comparison: run this file from an export of the old commit
(`git archive OLD | tar -x -C DIR; cp bench/overview.py DIR/bench/; cd DIR; python -m
bench.overview …`), as bench/README.md "13." did.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import database
from bench.office import ADMIN, COMMUNITY_BASE, GRID_WORKER_BASE, STREET_BASE
from bench.populate import NOW


async def measure(db: Path, skip_home: bool = False) -> None:
    from bot.usecases import figures, overview

    with tempfile.TemporaryDirectory(prefix="griddesk-overview-") as folder:
        copy = database.working_copy(db, Path(folder))
        services: Any = await database.open_services(copy, Path(folder), units=1_000)
        try:
            who = ((ADMIN, "admin"), (STREET_BASE, "street S0"), (GRID_WORKER_BASE, "grid G0"))
            for user_id, name in () if skip_home else who:
                times = []
                for _ in range(5):
                    started = time.perf_counter()
                    result = await overview.home(services, by=user_id, at=NOW, lang="zh")
                    times.append(time.perf_counter() - started)
                home = result.value
                print(
                    f"home {name}: {home.counts.total} open, {len(home.pins)} pins,"
                    f" median {statistics.median(times) * 1000:.0f} ms of 5"
                )
            who = (*who[:2], (COMMUNITY_BASE, "community C0"))
            for period in figures.Period:
                for user_id, name in who:
                    seconds = []
                    for _ in range(2):  # the first call, then again (a finished period: cached)
                        started = time.perf_counter()
                        page = await figures.figures(
                            services, by=user_id, unit=None, period=period, at=NOW
                        )
                        seconds.append(time.perf_counter() - started)
                    received = page.value.unit.figures.received
                    print(
                        f"figures {period.value} {name}: {received} received,"
                        f" {seconds[0]:.2f} s, again {seconds[1]:.2f} s",
                        flush=True,
                    )
        finally:
            await services.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--db", type=Path, default=Path("/tmp/griddesk-bench-overview-100k.sqlite3")
    )
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument(
        "--figures-only", action="store_true", help="time only /figures, not the home page"
    )
    args = parser.parse_args()
    due = 10_000 if args.reports >= 1_000_000 else 0  # the shared 1M database has due reports
    db = database.ensure(args.db, args.reports, units=1_000, due=due)
    asyncio.run(measure(db, args.figures_only))


if __name__ == "__main__":
    main()
