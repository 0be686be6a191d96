"""Benchmark: the 台账 export of 100,000 cases (issue 9, "Measure").

On a bench database (bench.populate: 1,000 units, 100,000 reports over the 9 weeks before
2026-11-30) services are opened as `griddesk run` opens them, on a copy. Timed, each in its own
phase:

1. `any_rows` (what /export checks before it accepts a period);
2. `bot.usecases.ledger.build` for the whole office over the whole span (every one of the
   100,000 cases with its history, plus the other sheets) — the workbook written in a worker
   thread, a page of 1,000 records read at a time;
3. the same for one street's subtree.

While each build runs, a ticker on the event loop measures how late it wakes (the bot's
updates are served on that loop): its worst lateness is printed with the time, the rows,
the file's size and the process's peak RSS (before the builds and after).

    python -m bench.export                  # builds /tmp/griddesk-bench-100k.sqlite3 once
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench import common, database

DEFAULT_DB = Path("/tmp/griddesk-bench-100k.sqlite3")
FIRST, LAST = date(2026, 9, 28), date(2026, 11, 30)  # the populated span, local days


async def _timed_build(services: Any, unit: str | None, lang: str) -> dict[str, Any]:
    from bot.domain.ledger import Period
    from bot.usecases import ledger

    worst = 0.0
    running = True

    async def ticker() -> None:
        nonlocal worst
        while running:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - before - 0.01)

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    built = await ledger.build(services, unit, Period(FIRST, LAST), lang, at=services.clock())
    seconds = time.perf_counter() - started
    running = False
    await tick
    assert built is not None
    return {
        "seconds": seconds,
        "rows": built.counts,
        "xlsx_mb": len(built.data) / 2**20,
        "loop_worst_lateness_ms": worst * 1000,
        "peak_rss_mb_after": common.peak_rss_mb(),
    }


async def run(source: Path, units: int) -> dict[str, Any]:
    from bot.domain.ledger import Period, bounds

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-export-"))
    try:
        copied = database.working_copy(source, folder)
        services: Any = await database.open_services(copied, folder, units)
        try:
            tree = await services.units.tree()
            street = next(u.code for u in tree if u.level == "street")
            rss_before = common.peak_rss_mb()
            start, end = bounds(Period(FIRST, LAST), services.tz)
            started = time.perf_counter()
            assert await services.store.ledgers.any_rows(start, end, None)
            any_seconds = time.perf_counter() - started
            whole = await _timed_build(services, None, "zh")
            one_street = await _timed_build(services, street, "en")
            stored = (await services.store.db.fetchone("SELECT COUNT(*) FROM reports"))[0]
        finally:
            await services.store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "reports_stored": stored,
        "period": f"{FIRST}..{LAST}",
        "peak_rss_mb_before_export": rss_before,
        "any_rows_seconds": any_seconds,
        "whole_office": whole,
        f"street_{street}": one_street,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=1_000)
    args = parser.parse_args()
    common.show("machine", common.machine())
    source = database.ensure(args.db, args.reports, args.units, 0)
    common.show("ledger export", asyncio.run(run(source, args.units)))


if __name__ == "__main__":
    main()
