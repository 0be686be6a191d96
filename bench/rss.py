"""Benchmark 6: peak RSS of `griddesk run` with 1,000,000 reports stored, and of bench.populate.

On a copy of the bench database (GROUPS summary groups bound to units), the real bot process
runs against the fake Bot API server twice:
1. with its clock two days before bench.populate.NOW (nothing due: the sweeps run every 10 s
   and find nothing): RSS once it has been idle for SETTLE seconds;
2. with its clock moved to 09:05 on Monday 30 November 2026 (GRIDDESK_CLOCK_OFFSET): its first
   sweep pass takes the 10,000 due deadline steps and queues week 2026-W48's summary (a chart
   each) for every bound group; RSS once all of that is committed, and the peak (VmHWM).
Populate's peak RSS comes from when the database was built (kept next to it), or from a
fresh build in a temporary file with --measure-populate.

    python -m bench.rss                 # ~2–4 minutes once the database exists
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import common, database
from bench.office import office, write_config
from bench.populate import NOW, RESIDENT_BASE, RESIDENTS
from bench.process import BotProcess, fake_server, scalar
from storage.db import to_db

GROUP_BASE = -1_000_000_000_000
DEADLINE_STEPS = (
    "SELECT COUNT(*) FROM report_events"
    " WHERE id > ? AND action IN ('remind', 'nag', 'escalate', 'expire')"
)


def bind_groups(path: Path, groups: int, units: int) -> list[int]:
    """Binds GROUPS summary groups to units (before the week's send time); returns their ids."""
    codes = [code for code, _, _, _ in office(units).units]
    chats = [GROUP_BASE - n for n in range(groups)]
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executemany(
            "INSERT INTO group_bindings (chat_id, unit, purpose, bound_by, bound_at, lang)"
            " VALUES (?, ?, 'summary', 900000, ?, 'zh')",
            [(chat, codes[n % len(codes)], to_db(NOW - timedelta(days=3)))
             for n, chat in enumerate(chats)],
        )  # fmt: skip
    finally:
        conn.close()
    return chats


async def sample(bot: BotProcess, until: Any, timeout: float) -> tuple[float, float]:
    """Samples the bot's RSS until UNTIL() is true; returns (seconds waited, highest VmRSS)."""
    started = time.monotonic()
    highest = 0.0
    while time.monotonic() - started < timeout:
        if not bot.alive():
            raise RuntimeError(f"griddesk exited:\n{bot.tail()}")
        highest = max(highest, common.proc_status(bot.pid)["VmRSS"])
        if until():
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - started, highest


async def run_once(source: Path, units: int, groups: int, settle: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-rss-"))
    try:
        copied = database.working_copy(source, folder)
        chats = bind_groups(copied, groups, units)
        due = scalar(copied, "SELECT COUNT(*) FROM reports WHERE next_action_at <= ?",
                     (to_db(NOW),))  # fmt: skip
        config = write_config(folder, office(units), database=copied, sweep_interval=10)
        figures: dict[str, Any] = {"reports_stored": scalar(copied, "SELECT COUNT(*) FROM reports")}
        last_event = scalar(copied, "SELECT MAX(id) FROM report_events")
        async with fake_server() as fake:
            for chat in chats:
                fake.group(chat)
            people = [user_id for user_id, _, _, _ in office(units).staff]
            people += range(RESIDENT_BASE, RESIDENT_BASE + RESIDENTS)
            for user_id in people:  # everyone the bot writes to has pressed Start
                fake.user(user_id).chat.started = True
            idle = BotProcess(fake, config, folder / "idle.log")
            quiet = (NOW - timedelta(days=2) - datetime.now(UTC)).total_seconds()
            await idle.start(env={"GRIDDESK_CLOCK_OFFSET": f"{quiet:.0f}"})
            try:
                await idle.wait_polling()
                await asyncio.sleep(settle)
                status = common.proc_status(idle.pid)
                figures["idle_rss_mb"] = status["VmRSS"]
                figures["idle_peak_rss_mb"] = status["VmHWM"]
            finally:
                await idle.stop()

            offset = (NOW + timedelta(minutes=65) - datetime.now(UTC)).total_seconds()
            busy = BotProcess(fake, config, folder / "busy.log")
            await busy.start(env={"GRIDDESK_CLOCK_OFFSET": f"{offset:.0f}"})
            try:
                await busy.wait_polling()

                def finished() -> bool:
                    steps = scalar(copied, DEADLINE_STEPS, (last_event,))
                    sent = scalar(copied, "SELECT COUNT(*) FROM summaries_sent")
                    return bool(steps >= due and sent >= groups)

                waited, highest = await sample(busy, finished, timeout=900)
                status = common.proc_status(busy.pid)
                figures.update(
                    {
                        "deadline_steps": scalar(copied, DEADLINE_STEPS, (last_event,)),
                        "summaries_queued": scalar(copied, "SELECT COUNT(*) FROM summaries_sent"),
                        "seconds_until_swept_and_summarised": waited,
                        "after_sweep_and_summary_rss_mb": status["VmRSS"],
                        "highest_sampled_rss_mb": highest,
                        "peak_rss_mb": status["VmHWM"],
                    }
                )
            finally:
                await busy.stop()
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def populate_figures(source: Path, measure: bool, reports: int, units: int, due: int) -> dict:
    kept = database.sidecar(source)
    if kept.exists() and not measure:
        figures, when = json.loads(kept.read_text(encoding="utf-8")), "when the database was built"
    else:
        folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-populate-"))
        try:
            figures, when = database.build(folder / "p.sqlite3", reports, units, due), "now"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return {
        "populate_peak_rss_mb": figures["peak_rss_mb"],
        "populate_seconds": figures["seconds"],
        "populate_measured": when,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=database.DEFAULT)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=50, help="summary groups bound")
    parser.add_argument("--settle", type=float, default=25.0, help="idle seconds before reading")
    parser.add_argument("--measure-populate", action="store_true", help="build a second time")
    args = parser.parse_args()
    common.show("machine", common.machine())
    source = database.ensure(args.db, args.reports, args.units, args.due)
    figures = asyncio.run(run_once(source, args.units, args.groups, args.settle))
    figures.update(
        populate_figures(source, args.measure_populate, args.reports, args.units, args.due)
    )
    common.show("rss", figures)


if __name__ == "__main__":
    main()
