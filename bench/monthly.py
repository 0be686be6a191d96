"""Benchmark 9: the monthly 通报 for every unit over 1,000,000 stored reports.

On the bench database (bench.populate: 1,000 units, reports over the 9 weeks before 2026-11-30)
services are opened as `griddesk run` opens them, on a copy (the sweep writes). Timed, each in
its own phase:

1. `month_figures` for November 2026 (the ~480,000 reports filed that month, each judged from its
   history as of the month's end, summed per unit, up the tree and per worker);
2. `unit_report` and the 通报 text for every one of the 1,000 units;
3. the real sweep (bot.jobs.appraisal.monthly_posts) at 1 December 09:01, with a summary group
   bound to the district and to every street: each community's 通报 (text, chart, XLSX) to its
   street's group and staff, each street's to the district's, and every unit's 红黄榜 — until
   nothing is owed; then once more (nothing to do).

Prints the time of each phase, the rows and files queued, and the process's peak RSS.

    python -m bench.monthly                 # ~3–5 minutes once the database exists
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common, database

MONTH = "2026-11"
POSTS_AT = datetime(2026, 12, 1, 1, 1, tzinfo=UTC)  # 1 December 09:01 in Shanghai
GROUP_BASE = -1_000_000_000_000
DEFAULT_DB = Path("/tmp/griddesk-bench-1m-appraisal.sqlite3")


async def run(source: Path, units: int) -> dict[str, Any]:
    from bot.jobs.appraisal import monthly_posts
    from bot.notices.appraisal import report_text
    from bot.usecases.appraisal import _FINISHED, as_of, month_figures, unit_report
    from storage.db import to_db

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-monthly-"))
    try:
        copied = database.working_copy(source, folder)
        started = time.perf_counter()
        services: Any = await database.open_services(copied, folder, units)
        open_seconds = time.perf_counter() - started
        try:
            tree = await services.units.tree()
            categories = await services.units.categories()
            end = as_of(services, MONTH, POSTS_AT)

            started = time.perf_counter()
            data = await month_figures(services, MONTH, at=end)
            figures_seconds = time.perf_counter() - started

            started = time.perf_counter()
            for unit in tree:
                report_text(
                    services, unit_report(services, data, unit.code), "zh", categories, tree
                )
            reports_seconds = time.perf_counter() - started

            bound = [u.code for u in tree if u.level in ("district", "street")]
            rows = [
                (GROUP_BASE - n, code, "summary", 900_000, to_db(end), "zh")
                for n, code in enumerate(bound)
            ]
            async with services.store.db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO group_bindings (chat_id, unit, purpose, bound_by, bound_at,"
                    " lang) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            _FINISHED.clear()  # the sweep judges the month itself, as on 1 December
            started = time.perf_counter()
            queued = await monthly_posts(services, POSTS_AT)
            sweep_seconds = time.perf_counter() - started
            started = time.perf_counter()
            again = await monthly_posts(services, POSTS_AT)
            again_seconds = time.perf_counter() - started

            outbox = (await services.store.db.fetchone("SELECT COUNT(*) FROM outbox"))[0]
            files = await services.store.db.fetchone(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM outbox_files"
            )
            district = data.rolled["D"]
            stored = (await services.store.db.fetchone("SELECT COUNT(*) FROM reports"))[0]
        finally:
            await services.store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "reports_stored": stored,
        "units": len(tree),
        "month": MONTH,
        "month_reports": district.submitted,
        "open_services_seconds": open_seconds,
        "month_figures_seconds": figures_seconds,
        "unit_reports_and_texts_seconds": reports_seconds,
        "sweep_seconds": sweep_seconds,
        "sweep_posts_queued": queued,
        "sweep_again_seconds": again_seconds,
        "sweep_again_queued": again,
        "outbox_rows": outbox,
        "files_stored": files[0],
        "files_mb": files[1] / 2**20,
        "district_closing_rate": district.closing_rate,
        "district_on_time_rate": district.on_time_rate,
        "district_response_rate": district.response_rate,
        "district_satisfaction_rate": district.satisfaction_rate,
        "workers_appraised": len(data.workers),
        "peak_rss_mb": common.peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    common.show("machine", common.machine())
    source = database.ensure(args.db, args.reports, args.units, args.due)
    common.show("monthly report", asyncio.run(run(source, args.units)))


if __name__ == "__main__":
    main()
