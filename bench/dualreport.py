"""Benchmark: the monthly 双报告 sweep — 10,000 party members in 50 work units, 1,000,000 points
ledger rows over five months (200,000 in the month reported).

Measured: one pass of bot/jobs/dualreport.monthly_reports (every work unit's members and their
month from the ledger, the texts, one commit per work unit with its messages), and a second
pass with everything decided (what every later sweep pass costs); plus /dualreport's preview
for an admin (page 1 over all 10,000 members).

    python -m bench.dualreport                  # ~30 s
    python -m bench.dualreport --members 2000 --ledger 200000
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import common

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 on the 1st in Shanghai
MONTH_START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # November in Shanghai


async def run(members: int, ledger: int, units: int) -> dict[str, float]:
    from bot.app import open_services
    from bot.jobs.dualreport import monthly_reports
    from bot.settings import WorkUnitConfig, load
    from bot.usecases.dualreport import preview
    from storage.db import to_db

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-dual-"))
    settings = load(REPO / "config.example.toml")
    settings.storage.path = str(folder / "bench.sqlite3")
    settings.source = ""
    settings.work_units = [
        WorkUnitConfig(code=f"w{i}", name=f"单位{i}", contact_user=900_000 + i)
        for i in range(units)
    ]
    services = await open_services(settings, lambda: NOW)
    building = next(u.code for u in settings.units if u.level == "building")
    admin = next(s.telegram_id for s in settings.staff if s.role == "admin")
    db = services.store.db
    at = to_db(NOW)
    started = time.perf_counter()
    async with db.transaction(completes_update=False) as conn:
        await conn.executemany(
            "INSERT INTO volunteers (user_id, name, unit, party_member, work_unit,"
            " work_unit_code, status, created_at, updated_at)"
            " VALUES (?, ?, ?, 1, ?, ?, 'approved', ?, ?)",
            (
                (10_000 + i, f"党员{i}", building, f"单位{i % units}", f"w{i % units}", at, at)
                for i in range(members)
            ),
        )
        span = (NOW - MONTH_START) * 5
        await conn.executemany(
            "INSERT INTO points_ledger (volunteer_id, kind, ref, points, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                (
                    10_000 + i % members,
                    ("wish", "checkin", "visit")[i % 3],
                    str(i),
                    5,
                    to_db(NOW - span + span * (i / ledger)),
                )
                for i in range(ledger)
            ),
        )
    built = time.perf_counter() - started
    started = time.perf_counter()
    sent = await monthly_reports(services, NOW)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = await monthly_reports(services, NOW + timedelta(minutes=1))
    second = time.perf_counter() - started
    started = time.perf_counter()
    page = await preview(services, "2026-11", by=admin, at=NOW)
    previewed = time.perf_counter() - started
    row = await db.fetchone("SELECT COUNT(*) FROM outbox")
    await services.store.close()
    assert sent == units and again == 0 and not hasattr(page, "key")
    return {
        "members": members,
        "ledger_rows": ledger,
        "work_units": units,
        "build_s": round(built, 2),
        "sweep_first_pass_s": round(first, 3),
        "sweep_decided_pass_ms": round(second * 1000, 2),
        "preview_admin_page_s": round(previewed, 3),
        "messages_queued": int(row[0]) if row else 0,
        "peak_rss_mb": common.peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=50)
    args = parser.parse_args()
    figures = asyncio.run(run(args.members, args.ledger, args.units))
    common.show("双报告 monthly sweep", figures)


if __name__ == "__main__":
    main()
