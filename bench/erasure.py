"""Benchmark 7: /delete_my_data for a resident with 1,000 reports, and the retention sweep.

A fresh database (migrations applied as `griddesk run` applies them) holds an office's worth of
other people's data and one resident with 1,000 reports, written as the handlers write them:
per report a photo, four events (submit and confirm with stars by the resident, accept and
resolve by the grid worker), five raw updates in the inbox (photo, description, three presses,
each carrying the resident's id and text), five messages to the resident and a worker card
(name, phone, description) to the grid worker in the outbox; plus a volunteer record and 50
wishes. Around it, --others reports by 5,000 other residents, and a week of raw traffic
(--raw inbox updates and as many outbox bodies) — erasure must look through those.

Measured: storage.privacy.Privacy.erase (the one commit /delete_my_data's confirm runs,
synchronous=FULL), then what is left of the resident (must be 0 rows); and the retention
sweep: a pass with nothing due, and a pass with --raw eight-day-old rows due (one batch).

    python -m bench.erasure                 # ~30 s: 1,000 reports amid 100,000 others
    python -m bench.erasure --others 1000000 --raw 300000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import common

RESIDENT = 5_000_001
WORKER = 101
NAME = "王秀英"
PHONE = "13812345678"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def update(update_id: int, user_id: int, name: str = NAME, **fields: Any) -> str:
    message = {
        "message_id": update_id,
        "date": 1764000000,
        "chat": {"id": user_id, "type": "private", "first_name": name},
        "from": {"id": user_id, "is_bot": False, "first_name": name, "language_code": "zh"},
        **fields,
    }
    return json.dumps({"update_id": update_id, "message": message}, ensure_ascii=False)


async def build(path: Path, reports: int, others: int, raw: int) -> None:
    from storage.db import Database

    db = await Database(path).open()
    at = iso(NOW - timedelta(days=1))
    old = iso(NOW - timedelta(days=8))
    async with db.transaction(completes_update=False) as conn:
        await conn.execute("INSERT INTO units (code, name, level) VALUES ('G1', '一网格', 'grid')")
        await conn.execute(
            "INSERT INTO people (user_id, name, lang, unit, phone, created_at, updated_at)"
            " VALUES (?, ?, 'zh', 'G1', ?, ?, ?)",
            (RESIDENT, NAME, PHONE, at, at),
        )
        await conn.execute(
            "INSERT INTO volunteers (user_id, name, phone, unit, status, created_at, updated_at)"
            " VALUES (?, ?, ?, 'G1', 'approved', ?, ?)",
            (RESIDENT, NAME, PHONE, at, at),
        )
        # Other residents' reports (the office around the resident).
        await conn.executemany(
            "INSERT INTO reports (reporter_id, category, unit, description, status, holder_unit,"
            " tier, stars, created_at, updated_at) VALUES (?, 'litter', 'G1', ?, 'closed', 'G1',"
            " 'grid', 4, ?, ?)",
            ((1_000_000 + i % 5_000, f"别人的问题 {i}", at, at) for i in range(others)),
        )
        first = others + 1
        await conn.executemany(
            "INSERT INTO reports (reporter_id, category, unit, description, contact, lat, lon,"
            " status, holder_unit, tier, stars, comment, created_at, updated_at)"
            " VALUES (?, 'road', 'G1', ?, ?, 30.6, 114.3, 'closed', 'G1', 'grid', 5, ?, ?, ?)",
            (
                (RESIDENT, f"楼下井盖松动第{i}次", PHONE, f"谢谢师傅{i}", at, at)
                for i in range(reports)
            ),
        )
        ids = range(first, first + reports)
        await conn.executemany(
            "INSERT INTO report_photos (report_id, position, file_id) VALUES (?, 0, ?)",
            ((rid, f"AgACAgUAAxkBAAIB{rid:08d}") for rid in ids),
        )
        events = []
        for rid in ids:
            events += [
                (rid, "submit", None, "open", RESIDENT, at, None, "{}"),
                (rid, "accept", "open", "accepted", WORKER, at, None, "{}"),
                (rid, "resolve", "accepted", "resolved", WORKER, at, "已处理", "{}"),
                (rid, "confirm", "resolved", "closed", RESIDENT, at, None, '{"stars": 5}'),
            ]
        await conn.executemany(
            "INSERT INTO report_events (report_id, action, old, new, actor_id, at, note, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            events,
        )
        await conn.executemany(
            "INSERT INTO wishes (posted_by, resident_id, unit, category, text, contact_name,"
            " contact_phone, status, created_at, updated_at)"
            " VALUES (?, ?, 'G1', 'repair', ?, ?, ?, 'done', ?, ?)",
            ((RESIDENT, RESIDENT, f"想请人帮忙修灯{i}", NAME, PHONE, at, at) for i in range(50)),
        )
        # The resident's raw traffic (recent) and everybody else's week (some of it due).
        inbox, outbox = [], []
        for n, rid in enumerate(ids):
            base = 10_000_000 + n * 5
            inbox.append((base, update(base, RESIDENT, photo=[{"file_id": f"p{rid}"}]), at))
            inbox.append((base + 1, update(base + 1, RESIDENT, text=f"楼下井盖松动第{n}次"), at))
            for k in range(2, 5):
                inbox.append((base + k, update(base + k, RESIDENT, text="按钮"), at))
            body = json.dumps(
                {"text": f"案件 R{rid:06d}：楼下井盖松动第{n}次 {NAME} {PHONE}"}, ensure_ascii=False
            )
            outbox += [(WORKER, body, "sent", at)]
            outbox += [(RESIDENT, '{"text": "提示"}', "sent", at)] * 5
        for i in range(raw):
            user = 1_000_000 + i % 5_000
            inbox.append(
                (20_000_000 + i, update(20_000_000 + i, user, "邻居", text=f"别人的消息{i}"), old)
            )
            body = json.dumps({"text": f"通知 {i}"}, ensure_ascii=False)
            outbox.append((user, body, "sent", old))
        await conn.executemany(
            "INSERT INTO inbox (update_id, payload, state, received_at, done_at)"
            " VALUES (?, ?, 'done', ?, NULL)",
            inbox,
        )
        await conn.executemany(
            "INSERT INTO outbox (chat_id, method, payload, state, created_at)"
            " VALUES (?, 'sendMessage', ?, ?, ?)",
            outbox,
        )
    await db.close()


async def leftovers(db: Any) -> int:
    """Counts rows of every table that still hold the resident's id, name or phone."""
    count = 0
    tables = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    pattern = re.compile(rf"(?<!\d){RESIDENT}(?!\d)|{NAME}|{PHONE}")
    for (table,) in tables:
        for row in await db.fetchall(f'SELECT * FROM "{table}"'):
            text = "|".join("" if isinstance(v, bytes) else str(v) for v in tuple(row))
            count += bool(pattern.search(text))
    return count


async def measure(reports: int, others: int, raw: int) -> dict[str, Any]:
    from bot.domain.privacy import cutoffs
    from bot.jobs.privacy import policy
    from bot.settings import PrivacySettings
    from storage.db import Database
    from storage.privacy import Privacy

    with tempfile.TemporaryDirectory(prefix="griddesk-bench-erasure-") as folder:
        path = Path(folder) / "erasure.sqlite3"
        started = time.perf_counter()
        await build(path, reports, others, raw)
        built = time.perf_counter() - started
        db = await Database(path).open()
        try:
            privacy = Privacy(db)
            before = await leftovers(db)
            started = time.perf_counter()
            erased = await privacy.erase(RESIDENT, NOW, "（已删除）")
            erase_s = time.perf_counter() - started
            after = await leftovers(db)
            rules = cutoffs(policy(PrivacySettings()), NOW)  # at most 500 rows of each kind
            started = time.perf_counter()
            first = await privacy.prune(NOW, rules)
            prune_s = time.perf_counter() - started
            passes, pruned = 1, sum(first.values())
            started = time.perf_counter()
            while done := sum((await privacy.prune(NOW, rules)).values()):
                passes, pruned = passes + 1, pruned + done
            drain_s = prune_s + time.perf_counter() - started
            started = time.perf_counter()
            idle = await privacy.prune(NOW, rules)
            idle_s = time.perf_counter() - started
        finally:
            await db.close()
    return {
        "resident_reports": reports,
        "other_reports": others,
        "inbox_rows": raw + reports * 5,
        "outbox_rows": raw + reports * 6,
        "build_s": round(built, 1),
        "rows_holding_the_resident_before": before,
        "erasure_s": round(erase_s, 3),
        "rows_erased_or_deidentified": erased.total,
        "rows_holding_the_resident_after": after,
        "retention_pass_with_due_rows_ms": round(prune_s * 1000, 1),
        "retention_rows_pruned_by_that_pass": sum(first.values()),
        "retention_passes_to_drain_the_week": passes,
        "retention_rows_pruned_in_all": pruned,
        "retention_drain_s": round(drain_s, 2),
        "retention_pass_nothing_due_ms": round(idle_s * 1000, 2),
        "retention_rows_pruned_when_nothing_due": sum(idle.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000)
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--raw", type=int, default=100_000)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.reports, args.others, args.raw))
    common.show("8. erasure of a resident with 1,000 reports, and retention", figures)


if __name__ == "__main__":
    main()
