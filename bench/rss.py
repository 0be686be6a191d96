"""Benchmark 6: peak RSS of `griddesk run` with 1,000,000 reports stored, and of bench.populate.

On a copy of the bench database (GROUPS summary groups bound to units; October's monthly 通报
and 红黄榜 recorded as sent, as an office running on 1 November has them), the real bot process
runs against the fake Bot API server (once first, until start-up's one-off messages, the staff's
command menus, are sent), then twice:
1. with its clock two days before bench.populate.NOW (nothing due: the sweeps run every 10 s
   and find nothing): RSS once it has been idle for SETTLE seconds, split into anonymous memory
   (the heap: Python's objects, SQLite's page caches) and file-backed pages (code, libraries);
2. with its clock moved to 09:05 on Monday 30 November 2026 (GRIDDESK_CLOCK_OFFSET): its first
   sweep pass takes the 10,000 due deadline steps and queues week 2026-W48's summary (a chart
   each) for every bound group; RSS once all of that is committed, and the peak (VmHWM).
--appraisal adds a third run, idle clock but October's posts not recorded: the first pass judges
October's ~480,000 reports and queues its 通报 (benchmark 9's work) — its peak.
--rounds N repeats the runs on fresh copies and prints the medians (and every round's figures).
Populate's peak RSS comes from when the database was built (kept next to it), or from a
fresh build in a temporary file with --measure-populate.

    python -m bench.rss                 # ~3 minutes per round once the database exists
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
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
UNSENT = "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')"
DEADLINE_STEPS = (
    "SELECT COUNT(*) FROM report_events"
    " WHERE id > ? AND action IN ('remind', 'nag', 'escalate', 'expire')"
)


def settle_appraisal(path: Path, units: int, month: str = "2026-10") -> None:
    """Records MONTH's 通报 and 红黄榜 as sent for every unit, as an office running on 1 November
    would have: with no claims, the first sweep pass would judge October's ~480,000 reports
    (benchmark 9's work, see --appraisal) and neither phase would measure what it says."""
    rows = [
        (code, month, kind, to_db(NOW - timedelta(days=29)))
        for code, _, _, _ in office(units).units
        for kind in ("report", "league")
    ]
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executemany(
            "INSERT OR IGNORE INTO appraisal_sent (unit, month, kind, queued_at)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )
    finally:
        conn.close()


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


def children_rss(pid: int) -> float:
    """Returns the summed VmRSS in MiB of PID's child processes (the chart process, bot/
    chart_process.py, while it runs), 0 without any."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").glob("*/children"):  # a worker thread starts it
        try:
            for child in task.read_text(encoding="ascii").split():
                total += common.proc_status(int(child)).get("VmRSS", 0.0)
        except (OSError, ValueError, KeyError):  # gone between the listing and the read
            continue
    return total


async def sample(bot: BotProcess, until: Any, timeout: float) -> tuple[float, float, float]:
    """Samples the bot's RSS until UNTIL() is true; returns (seconds waited, highest VmRSS,
    highest VmRSS of its child processes: the chart process, which draws outside the bot)."""
    started = time.monotonic()
    highest = children = 0.0
    while time.monotonic() - started < timeout:
        if not bot.alive():
            raise RuntimeError(f"griddesk exited:\n{bot.tail()}")
        highest = max(highest, common.proc_status(bot.pid)["VmRSS"])
        children = max(children, children_rss(bot.pid))
        if until():
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - started, highest, children


def smaps(pid: int) -> dict[str, float]:
    """Returns PID's resident memory by kind in MiB (/proc/PID/smaps_rollup): anonymous (heap,
    stacks: Python's objects, SQLite's caches) and file-backed (code, shared libraries)."""
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            key, _, value = line.partition(":")
            if key in ("Rss", "Anonymous"):
                found[key] = int(value.split()[0]) / 1024
    return {"anonymous_mb": found["Anonymous"], "file_mb": found["Rss"] - found["Anonymous"]}


async def idle_figures(bot: BotProcess, settle: float) -> dict[str, float]:
    """Waits SETTLE seconds once BOT polls; returns its RSS, peak and RSS by kind."""
    await bot.wait_polling()
    await asyncio.sleep(settle)
    status = common.proc_status(bot.pid)
    kinds = smaps(bot.pid)
    return {
        "rss_mb": status["VmRSS"],
        "peak_rss_mb": status["VmHWM"],
        "anonymous_mb": kinds["anonymous_mb"],
        "file_backed_mb": kinds["file_mb"],
    }


async def run_once(
    source: Path, units: int, groups: int, settle: float, appraisal: bool
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-rss-"))
    try:
        copied = database.working_copy(source, folder)
        chats = bind_groups(copied, groups, units)
        if appraisal:  # a copy without October's claims, for the third run
            owed = folder / "owed.sqlite3"
            shutil.copyfile(copied, owed)
        settle_appraisal(copied, units)
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
            quiet = (NOW - timedelta(days=2) - datetime.now(UTC)).total_seconds()
            # A first start queues every staff member's command menu (1,001 setMyCommands, ~35 s
            # at Telegram's pace): done once here, so the idle run is a restart of an office
            # whose menus are set, as every start after the first is.
            first = BotProcess(fake, config, folder / "first.log")
            await first.start(env={"GRIDDESK_CLOCK_OFFSET": f"{quiet:.0f}"})
            try:
                await first.wait_polling()

                def sent() -> bool:
                    queued = scalar(copied, "SELECT COUNT(*) FROM outbox")
                    return bool(queued) and not scalar(copied, UNSENT)

                waited, _, _ = await sample(first, sent, timeout=600)
                figures["first_start_seconds_until_outbox_sent"] = waited
            finally:
                await first.stop()
            idle = BotProcess(fake, config, folder / "idle.log")
            await idle.start(env={"GRIDDESK_CLOCK_OFFSET": f"{quiet:.0f}"})
            try:
                idled = await idle_figures(idle, settle)
            finally:
                await idle.stop()
            figures.update({f"idle_{key}": value for key, value in idled.items()})

            offset = (NOW + timedelta(minutes=65) - datetime.now(UTC)).total_seconds()
            busy = BotProcess(fake, config, folder / "busy.log")
            await busy.start(env={"GRIDDESK_CLOCK_OFFSET": f"{offset:.0f}"})
            try:
                await busy.wait_polling()

                def finished() -> bool:
                    steps = scalar(copied, DEADLINE_STEPS, (last_event,))
                    sent = scalar(copied, "SELECT COUNT(*) FROM summaries_sent")
                    return bool(steps >= due and sent >= groups)

                waited, highest, drawing = await sample(busy, finished, timeout=900)
                status = common.proc_status(busy.pid)
                figures.update(
                    {
                        "deadline_steps": scalar(copied, DEADLINE_STEPS, (last_event,)),
                        "summaries_queued": scalar(copied, "SELECT COUNT(*) FROM summaries_sent"),
                        "seconds_until_swept_and_summarised": waited,
                        "after_sweep_and_summary_rss_mb": status["VmRSS"],
                        "highest_sampled_rss_mb": highest,
                        "peak_rss_mb": status["VmHWM"],
                        "chart_process_highest_sampled_rss_mb": drawing,
                    }
                )
            finally:
                await busy.stop()

            if appraisal:
                owed_config = write_config(folder, office(units), database=owed, sweep_interval=10)
                judge = BotProcess(fake, owed_config, folder / "appraisal.log")
                await judge.start(env={"GRIDDESK_CLOCK_OFFSET": f"{quiet:.0f}"})
                try:
                    await judge.wait_polling()

                    def posted() -> bool:
                        return bool(scalar(owed, "SELECT COUNT(*) FROM appraisal_sent"))

                    waited, _, drawing = await sample(judge, posted, timeout=900)
                    await asyncio.sleep(settle)
                    status = common.proc_status(judge.pid)
                    figures.update(
                        {
                            "appraisal_seconds_until_posted": waited,
                            "appraisal_rss_after_mb": status["VmRSS"],
                            "appraisal_peak_rss_mb": status["VmHWM"],
                            "appraisal_chart_process_highest_sampled_rss_mb": drawing,
                        }
                    )
                finally:
                    await judge.stop()
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
    parser.add_argument("--rounds", type=int, default=1, help="fresh copies; medians printed")
    parser.add_argument(
        "--appraisal", action="store_true", help="also the October 通报 catch-up's peak"
    )
    args = parser.parse_args()
    common.show("machine", common.machine())
    source = database.ensure(args.db, args.reports, args.units, args.due)
    rounds = []
    for number in range(args.rounds):
        rounds.append(
            asyncio.run(run_once(source, args.units, args.groups, args.settle, args.appraisal))
        )
        if args.rounds > 1:
            common.show(f"rss round {number + 1}", rounds[-1])
    figures = {
        key: statistics.median(r[key] for r in rounds) if isinstance(value, float) else value
        for key, value in rounds[0].items()
    }
    figures["rounds"] = args.rounds
    figures.update(
        populate_figures(source, args.measure_populate, args.reports, args.units, args.due)
    )
    common.show("rss", figures)


if __name__ == "__main__":
    main()
