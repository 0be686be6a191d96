"""Benchmark 3: one deadline sweep pass over 1,000,000 stored reports of which 10,000 are due.

On a copy of the bench database (bench.populate: a quarter of the due reports each need a
reminder, a nag, an escalation to the community, or closing as unverified), griddesk's services
are opened as `griddesk run` opens them, the clock at bench.populate.NOW, and the registered
sweep (bot.jobs.reports.report_deadlines) runs once: the time of that pass, what it did (events,
messages queued), the time of the next pass (nothing due: what every 30 s costs), and the due
query's EXPLAIN QUERY PLAN, which must read the partial index reports_next_action.

    python -m bench.sweep                  # builds /tmp/griddesk-bench-1m.sqlite3 first if
                                           # missing (~2.5 min); then ~40 s per round
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common, database
from bench.populate import NOW


async def one_pass(source: Path, units: int) -> dict[str, Any]:
    from bot.jobs.reports import report_deadlines
    from storage.deadlines import DUE_SQL, Deadlines

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-sweep-"))
    try:
        copied = database.working_copy(source, folder)
        services: Any = await database.open_services(copied, folder, units)
        try:
            db = services.store.db
            repo = Deadlines(db)
            plan = await repo.query_plan(NOW)
            due_rows = await db.fetchone(
                "SELECT COUNT(*) FROM reports WHERE next_action_at <= ?", (NOW.isoformat(),)
            )
            started = time.perf_counter()
            first_batch = await repo.due(NOW, 200)
            due_query = time.perf_counter() - started
            events_before = (await db.fetchone("SELECT MAX(id) FROM report_events"))[0]
            outbox_before = (await db.fetchone("SELECT COUNT(*) FROM outbox"))[0]
            cpu = time.process_time()
            started = time.perf_counter()
            acted = await report_deadlines(services, NOW)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            started = time.perf_counter()
            acted_again = await report_deadlines(services, NOW)
            idle = time.perf_counter() - started
            actions = await db.fetchall(
                "SELECT action, COUNT(*) AS n FROM report_events WHERE id > ? GROUP BY action",
                (events_before,),
            )
            queued = (await db.fetchone("SELECT COUNT(*) FROM outbox"))[0] - outbox_before
            stored = (await db.fetchone("SELECT COUNT(*) FROM reports"))[0]
        finally:
            await services.store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "reports_stored": stored,
        "due": due_rows[0],
        "due_query_ms_first_200": 1000 * due_query,
        "due_query_rows": len(first_batch),
        "pass_seconds": seconds,
        "pass_cpu_seconds_main_thread_and_sqlite": cpu,
        "steps_taken": acted,
        "ms_per_step": 1000 * seconds / max(1, acted),
        "events": ", ".join(f"{row['action']}={row['n']}" for row in actions),
        "messages_queued": queued,
        "next_pass_steps": acted_again,
        "next_pass_ms": 1000 * idle,
        "due_query": DUE_SQL,
        "due_query_plan": " | ".join(plan),
        "uses_partial_index": any("reports_next_action" in line for line in plan),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=database.DEFAULT)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    common.show("machine", common.machine())
    source = database.ensure(args.db, args.reports, args.units, args.due)
    results = []
    for number in range(args.rounds):
        results.append(asyncio.run(one_pass(source, args.units)))
        common.show(f"sweep round {number + 1}", results[-1])
    numeric = [k for k, v in results[0].items() if isinstance(v, int | float)]
    summary = {k: common.median([r[k] for r in results]) for k in numeric}
    summary["due_query_plan"] = results[0]["due_query_plan"]
    common.show("sweep (medians)", summary)


if __name__ == "__main__":
    main()
