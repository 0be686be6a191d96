"""Benchmark 4: weekly summaries for 1,000 units over 1,000,000 stored reports.

On the bench database (bench.populate), griddesk's services are opened as `griddesk run` opens
them and bot.jobs.summaries.build_summaries computes the summary of week 2026-W48 (the figures, the
ranking of sub-units and the 8 weeks of history the chart shows) for every unit at once, and
for one grid. Its SQL (storage/summaries.py) is timed alone (for the week; the
history runs the last two 8 times more) and shown with SQLite's EXPLAIN QUERY PLAN. Then
the text of every unit's summary is rendered, and one chart PNG.

With --groups N (default 100), N group chats are bound to units on a copy of the database
and the real summary sweep (bot.jobs.summaries.send_weekly_summaries) runs until every group's
summary is queued: the end-to-end time, charts included.

    python -m bench.summaries               # ~1–3 minutes once the database exists
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import common, database
from bench.populate import SUMMARY_WEEK

GROUP_BASE = -1_000_000_000_000


async def plans(db: Any, window: dict[str, str | None]) -> dict[str, str]:
    from storage import summaries as sql

    # The statements of the code being measured (main's before 0025 or the kept facts' after),
    # so the same harness times both in one run.
    names = {
        "cohort": "_COHORT",
        "events": "_EVENTS",
        "outcomes": "_OUTCOMES",
        "counts": "_COUNTS",
        "confirmed": "_CONFIRMED",
        "medians": "_MEDIANS",
        "overdue": "_OVERDUE",
        "new_by_unit": "_NEW_BY_UNIT",
        "closed_by_unit": "_CLOSED_BY_UNIT",
    }
    queries = {name: getattr(sql, const) for name, const in names.items() if hasattr(sql, const)}
    bucket = getattr(sql, "BUCKET", {}).get(db.dialect, "")
    scope, _ = sql.scoped(None)  # the whole office's statements, as the sweep runs them
    shown = {}
    for name, text in queries.items():
        text = text.format(hours=sql.HOURS[db.dialect], bucket=bucket, **scope)
        params = {k: v for k, v in window.items() if f":{k}" in text}
        rows = await db.fetchall(f"EXPLAIN QUERY PLAN {text}", params)
        started = time.perf_counter()
        result = await db.fetchall(text, params)
        took = time.perf_counter() - started
        plan = " | ".join(row["detail"] for row in rows)
        shown[name] = f"{took:.3f} s, {len(result)} rows; {plan}"
    return shown


async def compute(source: Path, units: int, rounds: int) -> dict[str, Any]:
    from bot.domain.summary import IsoWeek, send_time
    from bot.jobs.summaries import build_summaries, chart_png, summary_text
    from storage.db import to_db

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-summaries-"))
    try:
        services: Any = await database.open_services(source, folder, units)
        try:
            week = IsoWeek.parse(SUMMARY_WEEK)
            config = services.settings.summaries
            at = send_time(week, config.weekday, _time(config.time), services.tz)
            tree = await services.units.tree()
            codes = [unit.code for unit in tree]
            all_units, one_unit, texts, all_cpu, one_cpu = [], [], [], [], []
            for _ in range(rounds):
                started, cpu = time.perf_counter(), time.process_time()
                summaries = await build_summaries(services, codes, week, at)
                all_units.append(time.perf_counter() - started)
                all_cpu.append(time.process_time() - cpu)
                started, cpu = time.perf_counter(), time.process_time()
                one = await build_summaries(services, ["G5"], week, at)
                one_unit.append(time.perf_counter() - started)
                one_cpu.append(time.process_time() - cpu)
                categories = await services.units.categories()
                started = time.perf_counter()
                for summary in summaries.values():
                    summary_text(services, summary, "zh", categories)
                texts.append(time.perf_counter() - started)
            started = time.perf_counter()
            png = chart_png(services, one["G5"], "zh")
            chart_seconds = time.perf_counter() - started
            window = {
                "start": to_db(week.start(services.tz)),
                "end": to_db(week.end(services.tz)),
                "as_of": to_db(at),
            }
            shown = await plans(services.store.db, window)
            district = summaries["D"].tally
            stored = (await services.store.db.fetchone("SELECT COUNT(*) FROM reports"))[0]
        finally:
            await services.store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "reports_stored": stored,
        "units": len(codes),
        "week": SUMMARY_WEEK,
        "all_units_seconds": common.median(all_units),
        "all_units_seconds_each_round": [round(s, 3) for s in all_units],
        "all_units_cpu_seconds": common.median(all_cpu),
        "all_units_cpu_seconds_each_round": [round(s, 3) for s in all_cpu],
        "one_unit_seconds": common.median(one_unit),
        "one_unit_cpu_seconds": common.median(one_cpu),
        "texts_all_units_seconds": common.median(texts),
        "one_chart_png_seconds": chart_seconds,
        "chart_png_bytes": len(png),
        "district_new": district.new,
        "district_resolved": district.resolved,
        "district_overdue": district.overdue,
        "district_median_accept_hours": district.median_accept_hours,
        "district_median_resolve_hours": district.median_resolve_hours,
        **{f"plan_{name}": plan for name, plan in shown.items()},
    }


def _time(text: str) -> Any:
    from datetime import time as clock_time

    return clock_time.fromisoformat(text)


async def sweep(source: Path, units: int, groups: int) -> dict[str, Any]:
    """Binds GROUPS groups on a copy and runs the real summary sweep until all are queued."""
    from bot.domain.summary import IsoWeek, send_time
    from bot.jobs.summaries import send_weekly_summaries
    from storage.db import to_db

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-summary-sweep-"))
    try:
        copied = database.working_copy(source, folder)
        services: Any = await database.open_services(copied, folder, units)
        try:
            week = IsoWeek.parse(SUMMARY_WEEK)
            config = services.settings.summaries
            send_at = send_time(week, config.weekday, _time(config.time), services.tz)
            codes = [unit.code for unit in await services.units.tree()]
            bound = to_db(send_at - timedelta(days=3))
            rows = [
                (GROUP_BASE - n, codes[n % len(codes)], "summary", 900_000, bound, "zh")
                for n in range(groups)
            ]
            async with services.store.db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO group_bindings (chat_id, unit, purpose, bound_by, bound_at,"
                    " lang) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            now = send_at + timedelta(minutes=1)
            passes = queued = 0
            started = time.perf_counter()
            while queued < groups and passes < groups:
                done = await send_weekly_summaries(services, now)
                passes += 1
                queued += done
                if done == 0:
                    break
            seconds = time.perf_counter() - started
            files = (await services.store.db.fetchone("SELECT COUNT(*) FROM outbox_files"))[0]
        finally:
            await services.store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "groups_bound": groups,
        "summaries_queued": queued,
        "sweep_passes": passes,
        "sweep_seconds": seconds,
        "seconds_per_group": seconds / max(1, queued),
        "charts_stored": files,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=database.DEFAULT)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--groups", type=int, default=100, help="bound groups for the sweep run")
    args = parser.parse_args()
    common.show("machine", common.machine())
    source = database.ensure(args.db, args.reports, args.units, args.due)
    common.show("summaries compute", asyncio.run(compute(source, args.units, args.rounds)))
    if args.groups:
        common.show("summaries sweep", asyncio.run(sweep(source, args.units, args.groups)))


if __name__ == "__main__":
    main()
