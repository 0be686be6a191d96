"""Backup and restore of the 1,000,000-report database: time, size, and the bot's writer meanwhile.

Works on a copy of the bench database in a temporary folder (the shared one is never written).
While `storage.backup.backup` copies it in a worker thread — as the daily sweep does — a writer
on the same database commits one small row every 20 ms through the bot's own `Database`, and
the longest commit is reported: in WAL mode the backup's snapshot read must not block it.
Then `storage.backup.restore` puts the copy back in place of a database (with its verification).

    python -m bench.backup [--db /tmp/griddesk-bench-1m.sqlite3]    # ~2 min (+2.5 min to build)
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

from bench import common
from bench.populate import populate
from storage import backup
from storage.db import Database, to_db

DEFAULT_DB = Path("/tmp/griddesk-bench-1m.sqlite3")


async def backup_while_writing(db_path: Path, target: Path) -> tuple[backup.BackupResult, dict]:
    """Backs DB_PATH up in a thread while a writer commits; returns the result and its figures."""
    db = await Database(db_path).open()
    latencies: list[float] = []
    done = asyncio.Event()

    async def write() -> None:
        n = 0
        while not done.is_set():
            n += 1
            started = time.perf_counter()
            async with db.transaction(completes_update=False) as conn:
                await conn.execute(
                    "INSERT INTO inbox (update_id, payload, state, received_at)"
                    " VALUES (?, '{}', 'done', ?)",
                    (-n, to_db(datetime.now(UTC))),
                )
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)

    writer = asyncio.create_task(write())
    try:
        result = await asyncio.to_thread(backup.backup, db_path, target)
    finally:
        done.set()
        await writer
        await db.close()
    figures = {
        "writer_commits_during_backup": len(latencies),
        "writer_commit_median_ms": common.median(latencies) * 1000,
        "writer_commit_max_ms": max(latencies) * 1000,
    }
    return result, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="built by bench.populate")
    parser.add_argument("--reports", type=int, default=1_000_000, help="if it must be built")
    args = parser.parse_args()
    if not args.db.exists():
        populate(args.db, args.reports, 1_000, 10_000)

    with tempfile.TemporaryDirectory(prefix="griddesk-bench-backup-") as folder:
        work = Path(folder)
        live = work / "live.sqlite3"
        shutil.copyfile(args.db, live)
        target = work / "backups" / "griddesk-2026-11-30.sqlite3"
        result, writer = asyncio.run(backup_while_writing(live, target))

        started = time.perf_counter()
        backup.verify(target)
        verify_seconds = time.perf_counter() - started

        restored = work / "restored.sqlite3"
        shutil.copyfile(args.db, restored)  # a database to be replaced
        started = time.perf_counter()
        outcome = backup.restore(restored, target, datetime.now(UTC))
        restore_seconds = time.perf_counter() - started

        figures = {
            "reports": result.reports,
            "database_mb": live.stat().st_size / 2**20,
            "backup_mb": result.size / 2**20,
            "backup_seconds": result.seconds,
            "verify_alone_seconds": verify_seconds,
            **writer,
            "restore_seconds": restore_seconds,
            "restored_reports": outcome.reports,
            **common.machine(),
        }
    common.show("backup", figures)
    print(json.dumps(figures, default=str))


if __name__ == "__main__":
    main()
