"""Benchmark: the SQL of the dashboard's case list (storage/dashboard.py) on a big database.

For each kind of viewer (admin, grid, community, partner, street, district) and list (open, all,
closed, overdue) it prints the page read (51 rows) and the capped count (1,001), the median of 5
runs, with SQLite's query plan. It reads a COPY of the database, with migration 0020's indexes
added if they are missing (the copy is changed, never the source):

    python -m bench.dashboard_plan --db /tmp/griddesk-bench-1m.sqlite3
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from storage.dashboard import Query, _pinned, _where
from storage.reports import _COLUMNS

MIGRATION = Path(__file__).parent.parent / "storage" / "migrations" / "0020_dashboard.sql"
OPEN = ["open", "accepted"]
CLOSED = ["closed", "closed_unverified", "rejected", "merged"]


def subtree(conn: sqlite3.Connection, level: str) -> list[str]:
    top = conn.execute("SELECT code FROM units WHERE level = ? LIMIT 1", (level,)).fetchone()
    return [
        r[0]
        for r in conn.execute(
            "WITH RECURSIVE s(code) AS (VALUES(?) UNION"
            " SELECT u.code FROM units u JOIN s ON u.parent = s.code) SELECT code FROM s",
            top,
        )
    ]


def timed(conn: sqlite3.Connection, sql: str, params: list[object]) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        conn.execute(sql, params).fetchall()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.sqlite3"
        shutil.copyfile(args.db, copy)
        conn = sqlite3.connect(copy)
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        if "dashboard_open_due" not in indexes:
            conn.executescript(MIGRATION.read_text(encoding="utf-8"))
        grid = [conn.execute("SELECT unit FROM reports LIMIT 1").fetchone()[0]]
        community, street = subtree(conn, "community"), subtree(conn, "street")
        district = subtree(conn, "district")
        now = datetime.now(UTC)
        cases = {
            "admin open": Query(None, None, None, None, OPEN, None, None, True),
            "admin overdue": Query(None, None, None, None, OPEN, None, now, True),
            "admin closed": Query(None, None, None, None, CLOSED, None, None, False),
            "grid open": Query(grid, 1, None, None, OPEN, None, None, True),
            "grid all": Query(grid, 1, None, None, [], None, None, False),
            "community open": Query(community, 1, None, None, OPEN, None, None, True),
            "community all": Query(community, 1, None, None, [], None, None, False),
            "partner open": Query(community, 1, ["property"], None, OPEN, None, None, True),
            "street open": Query(street, 1, None, None, OPEN, None, None, True),
            "street accepted": Query(street, 1, None, None, ["accepted"], None, None, True),
            "district open": Query(district, 1, None, None, OPEN, None, None, True),
            "district all": Query(district, 1, None, None, [], None, None, False),
        }
        for name, query in cases.items():
            where, params = _where(query, "sqlite")
            order = "due_at, id" if query.urgent else "id DESC"
            pinned = _pinned(query)
            page = f"SELECT {_COLUMNS} FROM reports{pinned}{where} ORDER BY {order} LIMIT 51"
            count = f"SELECT COUNT(*) FROM (SELECT 1 FROM reports{pinned}{where} LIMIT 1001)"
            plan = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + page, params))
            print(
                f"{name:16} page {timed(conn, page, params):7.1f} ms"
                f"  count {timed(conn, count, params):7.1f} ms  {plan[:90]}"
            )
        conn.close()


if __name__ == "__main__":
    main()
