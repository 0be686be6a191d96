"""Fills a griddesk database with a synthetic office: units, staff, residents and N reports.

The office is bench.office's (1 district, streets, communities, grids, one worker per grid,
staff per community and street). Reports spread over the 9 weeks before NOW (2026-11-30 00:00
UTC, a Monday 08:00 in Shanghai), each with its photo, its events (submit, accept, resolve,
confirm / expire) and the deadline timer its status runs (migration 0002). DUE of the open,
accepted and resolved ones have their next deadline step due at NOW, a quarter of each kind:
a reminder before the deadline, a nag after it, an escalation past the breach, and a
resolved report the reporter did not verify in time (closed as unverified).

Writes with the standard sqlite3 module in large transactions (the bot's own write path is
what bench.pipeline measures). No ANALYZE: the bot never runs it, so the plans the benchmarks
show are the plans a real office gets (pass --analyze to compare).

    python -m bench.populate --db /tmp/griddesk-bench-1m.sqlite3    # 1,000,000: ~2.5 min
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import common
from bench.office import CATEGORIES, Office, office
from storage.db import Database

START = datetime(2026, 9, 28, tzinfo=UTC)  # a Monday: 8 weeks before the summary week
SPAN = timedelta(weeks=9)
NOW = START + SPAN  # the moment the sweep and summary benchmarks are run at
SUMMARY_WEEK = "2026-W48"  # 23–29 November 2026, the last complete week before NOW
RESIDENTS = 50_000
RESIDENT_BASE = 9_000_000
BATCH = 50_000
DUE_KINDS = ("remind", "nag", "escalate", "expire")


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="microseconds")


async def migrate(path: Path) -> None:
    db = await Database(path).open()
    await db.close()


def _due_timer(kind: str, rng: random.Random) -> tuple[str, tuple]:
    """Returns (status, timer columns) of a report whose KIND of step is due at NOW."""
    ago = timedelta(minutes=rng.randrange(1, 600))
    if kind == "remind":  # 75 % of the accept window gone, the deadline ahead
        started, due = NOW - timedelta(minutes=100) - ago, NOW + timedelta(minutes=20)
        return "open", ("accept", started, NOW - ago, due + timedelta(minutes=30), NOW - ago, due)
    if kind == "nag":  # the resolve deadline passed, the breach ahead
        due = NOW - ago
        started = due - timedelta(days=3)
        return "accepted", ("resolve", started, due - timedelta(hours=18),
                            NOW + timedelta(hours=18), due, due)  # fmt: skip
    if kind == "escalate":  # past the breach: to the community, on a new clock
        breach = NOW - ago
        due = breach - timedelta(minutes=30)
        started = due - timedelta(hours=2)
        return "open", ("accept", started, due - timedelta(minutes=30), breach, breach, due)
    due = NOW - ago  # expire: resolved, not verified within 72 h
    return "resolved", ("verify", due - timedelta(hours=72), None, None, due, due)


def _running_timer(status: str, rng: random.Random, resolved: datetime) -> tuple:
    """Returns the timer columns of a report whose next step is 1–72 hours after NOW."""
    ahead = NOW + timedelta(minutes=rng.randrange(60, 72 * 60))
    if status == "resolved":
        due = max(resolved + timedelta(hours=72), ahead)
        return ("verify", resolved, None, None, due, due)
    window = "accept" if status == "open" else "resolve"
    due = ahead + timedelta(minutes=30)
    return (window, due - timedelta(hours=8), ahead, due + timedelta(hours=1), ahead, due)


def populate(
    path: Path,
    reports: int,
    units: int,
    due: int = 0,
    seed: int = 7,
    analyze: bool = False,
) -> dict[str, float]:
    """Fills PATH (a new file) with the bench office and REPORTS reports, DUE of them due."""
    asyncio.run(migrate(path))
    the_office = office(units)
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    started = time.perf_counter()
    conn.execute("BEGIN")
    _office(conn, the_office, rng)
    grids = the_office.grids
    batch_reports: list[tuple] = []
    batch_events: list[tuple] = []
    batch_photos: list[tuple] = []
    counts = dict.fromkeys(DUE_KINDS, 0)
    per_kind = -(-due // len(DUE_KINDS))
    events = 0
    for report_id in range(1, reports + 1):
        grid = grids[rng.randrange(len(grids))]
        worker = the_office.worker_of(grid)
        reporter = RESIDENT_BASE + rng.randrange(RESIDENTS)
        created = START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        accepted = created + timedelta(minutes=rng.randrange(5, 600))
        resolved = accepted + timedelta(hours=rng.randrange(1, 96))
        closed = resolved + timedelta(hours=rng.randrange(1, 80))
        roll = rng.random()
        history: list[tuple] = [("submit", None, "open", reporter, created)]
        stars = None
        if roll < 0.75 and resolved < NOW:
            history += [("accept", "open", "accepted", worker, accepted),
                        ("resolve", "accepted", "resolved", worker, resolved)]  # fmt: skip
            if closed < NOW and roll < 0.65:
                stars = rng.randint(3, 5)
                history.append(("confirm", "resolved", "closed", reporter, closed))
            elif closed < NOW:
                history.append(("expire", "resolved", "closed_unverified", None, closed))
        elif roll < 0.85 and accepted < NOW:
            history.append(("accept", "open", "accepted", worker, accepted))
        status = history[-1][2]
        timer: tuple = (None,) * 6  # window, started, remind, breach, next action, due
        kind = DUE_KINDS[report_id % len(DUE_KINDS)]
        if status in ("open", "accepted", "resolved"):
            if counts[kind] < per_kind and sum(counts.values()) < due:
                counts[kind] += 1
                status, timer = _due_timer(kind, rng)
                history = _history_for(status, reporter, worker, timer[1])
                created = history[0][4]
            else:
                timer = _running_timer(status, rng, resolved)
        window, timer_started, remind, breach, next_action, due_at = timer
        batch_reports.append(
            (report_id, reporter, rng.choice(CATEGORIES)[0], grid, "楼道里堆满杂物，存在消防隐患",
             status, grid, "grid", worker, stars, iso(created), iso(history[-1][4]),
             iso(due_at or created + timedelta(days=3)), len(history), window,
             iso(timer_started), iso(remind), iso(breach), iso(next_action))
        )  # fmt: skip
        batch_photos.append((report_id, 0, f"AgACAgUAAxkBAAI{report_id:09d}"))
        for action, old, new, actor, at in history:
            data = json.dumps({"stars": stars}) if action == "confirm" else "{}"
            batch_events.append((report_id, action, old, new, actor, iso(at), data))
        events += len(history)
        if len(batch_reports) >= BATCH:
            _flush(conn, batch_reports, batch_events, batch_photos)
    _flush(conn, batch_reports, batch_events, batch_photos)
    conn.execute("COMMIT")
    if analyze:
        conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {
        "reports": reports,
        "events": events,
        "units": len(the_office.units),
        "staff": len(the_office.staff),
        "due": sum(counts.values()),
        **{f"due_{kind}": n for kind, n in counts.items()},
        "seconds": time.perf_counter() - started,
        "database_mb": path.stat().st_size / 2**20,
        "peak_rss_mb": common.peak_rss_mb(),
    }


def _history_for(status: str, reporter: int, worker: int, started: datetime) -> list[tuple]:
    """Returns the events that led to STATUS, the last one when the running window STARTED."""
    if status == "open":
        return [("submit", None, "open", reporter, started)]
    if status == "accepted":
        return [("submit", None, "open", reporter, started - timedelta(hours=1)),
                ("accept", "open", "accepted", worker, started)]  # fmt: skip
    return [("submit", None, "open", reporter, started - timedelta(hours=30)),
            ("accept", "open", "accepted", worker, started - timedelta(hours=28)),
            ("resolve", "accepted", "resolved", worker, started)]  # fmt: skip


def _office(conn: sqlite3.Connection, the_office: Office, rng: random.Random) -> None:
    now = iso(NOW)
    conn.executemany(
        "INSERT INTO units (code, name, level, parent) VALUES (?, ?, ?, ?)", the_office.units
    )
    conn.executemany(
        "INSERT INTO categories (code, name_zh, name_en, route_level, urgent, position)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(c, zh, en, level, int(urgent), i)
         for i, (c, zh, en, level, urgent) in enumerate(CATEGORIES)],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO staff (user_id, name, role, unit) VALUES (?, ?, ?, ?)", the_office.staff
    )
    grids = the_office.grids
    people = [(s[0], s[1], "zh", s[3], now, now) for s in the_office.staff]
    people += [
        (RESIDENT_BASE + n, f"居民{n}", "zh", grids[rng.randrange(len(grids))], now, now)
        for n in range(RESIDENTS)
    ]
    conn.executemany(
        "INSERT INTO people (user_id, name, lang, unit, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        people,
    )


def _flush(
    conn: sqlite3.Connection, reports: list[tuple], events: list[tuple], photos: list[tuple]
) -> None:
    conn.executemany(
        "INSERT INTO reports (id, reporter_id, category, unit, description, status, holder_unit,"
        " tier, assignee_id, stars, created_at, updated_at, due_at, version, timer_window,"
        " timer_started_at, remind_at, breach_at, next_action_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        reports,
    )
    conn.executemany(
        "INSERT INTO report_photos (report_id, position, file_id) VALUES (?, ?, ?)", photos
    )
    conn.executemany(
        "INSERT INTO report_events (report_id, action, old, new, actor_id, at, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        events,
    )
    reports.clear()
    events.clear()
    photos.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE (the bot never does)")
    args = parser.parse_args()
    if args.db.exists():
        raise SystemExit(f"{args.db} exists; remove it first")
    result = populate(args.db, args.reports, args.units, args.due, analyze=args.analyze)
    common.show("populate", result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
