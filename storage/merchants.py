"""码上安全 merchants: registrations, staff decisions, the sweep's compare-and-set steps, and
the checks submitted (once per shop and period) with the reports their failed items became."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.domain.merchants import Answer, Merchant, MerchantStatus, Stage
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing


class StaleMerchant(Exception):
    """The shop changed since it was read (another press, the sweep); nothing was written."""


class AlreadyRegistered(Exception):
    """The Telegram user already has a shop that is not pending or declined."""


_COLUMNS = (
    "id, owner_id, name, kind, unit, phone, status, decided_by, decided_at, period, stage,"
    " opened_at, reminders, next_at, last_check_at, last_failed, version, created_at"
)


def _merchant(row: aiosqlite.Row) -> Merchant:
    return Merchant(
        id=row["id"],
        owner_id=row["owner_id"],
        name=row["name"],
        kind=row["kind"],
        unit=row["unit"],
        phone=row["phone"],
        status=MerchantStatus(row["status"]),
        decided_by=row["decided_by"],
        decided_at=from_db(row["decided_at"]),
        period=row["period"],
        stage=Stage(row["stage"]) if row["stage"] else None,
        opened_at=from_db(row["opened_at"]),
        reminders=row["reminders"],
        next_at=from_db(row["next_at"]),
        last_check_at=from_db(row["last_check_at"]),
        last_failed=row["last_failed"],
        version=row["version"],
        created_at=from_db(row["created_at"]),
    )


async def _update(conn: aiosqlite.Connection, after: Merchant, expect: int, at: datetime) -> None:
    """Writes AFTER if the row is still at version EXPECT, else raises StaleMerchant."""
    cursor = await conn.execute(
        "UPDATE merchants SET status = ?, decided_by = ?, decided_at = ?, period = ?, stage = ?,"
        " opened_at = ?, reminders = ?, next_at = ?, last_check_at = ?, last_failed = ?,"
        " updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
        (
            after.status.value,
            after.decided_by,
            to_db(after.decided_at),
            after.period,
            after.stage.value if after.stage else None,
            to_db(after.opened_at),
            after.reminders,
            to_db(after.next_at),
            to_db(after.last_check_at),
            after.last_failed,
            to_db(at),
            after.id,
            expect,
        ),
    )
    if cursor.rowcount != 1:
        raise StaleMerchant(after.id)


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values)) or "NULL"


class Merchants:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, merchant_id: int) -> Merchant | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM merchants WHERE id = ?", (merchant_id,)
        )
        return _merchant(row) if row else None

    async def of_owner(self, owner_id: int) -> Merchant | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM merchants WHERE owner_id = ?", (owner_id,)
        )
        return _merchant(row) if row else None

    async def register(
        self, merchant: Merchant, at: datetime, messages: Sequence[Outgoing], *, clear_draft_of: int
    ) -> Merchant:
        """Stores the shop as pending (replacing the owner's pending or declined one), queues
        MESSAGES and ends the draft, in one commit; raises AlreadyRegistered if the owner's shop
        is approved or deactivated (staff must decide on that one)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO merchants (owner_id, name, kind, unit, phone, status, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)"
                " ON CONFLICT (owner_id) DO UPDATE SET name = excluded.name,"
                " kind = excluded.kind, unit = excluded.unit, phone = excluded.phone,"
                " status = 'pending', decided_by = NULL, decided_at = NULL,"
                " updated_at = excluded.updated_at, version = merchants.version + 1"
                " WHERE merchants.status IN ('pending', 'declined')",
                (
                    merchant.owner_id,
                    merchant.name,
                    merchant.kind,
                    merchant.unit,
                    merchant.phone,
                    to_db(at),
                    to_db(at),
                ),
            )
            if cursor.rowcount != 1:
                raise AlreadyRegistered(merchant.owner_id)
            row = await (
                await conn.execute(
                    f"SELECT {_COLUMNS} FROM merchants WHERE owner_id = ?", (merchant.owner_id,)
                )
            ).fetchone()
            assert row is not None
            stored = _merchant(row)
            await outbox.add(conn, list(messages), at)
            await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return stored

    async def save(
        self,
        before: Merchant,
        after: Merchant,
        at: datetime,
        messages: Sequence[Outgoing] = (),
    ) -> Merchant:
        """Writes AFTER with compare-and-set on BEFORE's version and queues MESSAGES, in one
        commit; raises StaleMerchant if the shop changed meanwhile."""
        async with self.db.transaction() as conn:
            await _update(conn, after, before.version, at)
            await outbox.add(conn, list(messages), at)
        return _next_version(after, before)

    async def save_many(
        self,
        moves: Sequence[tuple[Merchant, Merchant]],
        at: datetime,
        messages: Sequence[Sequence[Outgoing]] = (),
    ) -> list[Merchant]:
        """Writes each sweep step (before, after: its stage, reminders and next look) with
        compare-and-set, and the MESSAGES of each step written (same order as MOVES), in one
        commit (or the caller's); returns the shops written (one someone else changed
        meanwhile is left out, with its messages)."""
        written = []
        async with self.db.transaction() as conn:
            for i, (before, after) in enumerate(moves):
                cursor = await conn.execute(
                    "UPDATE merchants SET period = ?, stage = ?, opened_at = ?, next_at = ?,"
                    " reminders = ?, updated_at = ?, version = version + 1"
                    " WHERE id = ? AND version = ?",
                    (
                        after.period,
                        after.stage.value if after.stage else None,
                        to_db(after.opened_at),
                        to_db(after.next_at),
                        after.reminders,
                        to_db(at),
                        after.id,
                        before.version,
                    ),
                )
                if cursor.rowcount == 1:
                    written.append(_next_version(after, before))
                    if i < len(messages):
                        await outbox.add(conn, list(messages[i]), at)
        return written

    async def record_check(
        self,
        before: Merchant,
        after: Merchant,
        *,
        by: int,
        at: datetime,
        answers: Sequence[Answer],
    ) -> int:
        """Stores the check of BEFORE's period with its ANSWERS (report ids set) and the shop's
        new state, inside the caller's transaction; raises StaleMerchant if the shop changed or
        this period's check is stored already."""
        assert before.period is not None
        async with self.db.transaction() as conn:
            await _update(conn, after, before.version, at)
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO merchant_checks (merchant_id, period, by_id, at, failed)"
                " VALUES (?, ?, ?, ?, ?)",
                (before.id, before.period, by, to_db(at), sum(1 for a in answers if not a.ok)),
            )
            if cursor.rowcount != 1 or cursor.lastrowid is None:
                raise StaleMerchant(before.id)
            check_id = cursor.lastrowid
            await conn.executemany(
                "INSERT INTO merchant_check_items (check_id, position, code, ok, note, photo,"
                " report_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (check_id, i, a.code, int(a.ok), a.note, a.photo, a.report_id)
                    for i, a in enumerate(answers)
                ],
            )
        return check_id

    async def check_items(self, merchant_id: int, period: str) -> list[Answer]:
        """Returns the answers of MERCHANT_ID's check of PERIOD, in order ([] if none)."""
        rows = await self.db.fetchall(
            "SELECT i.code, i.ok, i.note, i.photo, i.report_id FROM merchant_check_items i"
            " JOIN merchant_checks c ON c.id = i.check_id"
            " WHERE c.merchant_id = ? AND c.period = ? ORDER BY i.position",
            (merchant_id, period),
        )
        return [
            Answer(r["code"], r["ok"] != 0, r["note"], r["photo"], r["report_id"]) for r in rows
        ]

    async def due(self, now: datetime, limit: int = 500) -> list[Merchant]:
        """Returns approved shops the sweep should look at now, oldest first (indexed)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM merchants WHERE next_at IS NOT NULL AND next_at <= ?"
            " AND status = 'approved' ORDER BY next_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [_merchant(row) for row in rows]

    async def within(
        self, units: Sequence[str], *, offset: int = 0, limit: int = 8
    ) -> tuple[list[Merchant], int]:
        """Returns one page of the shops at UNITS (pending first, then by name) and the total
        (declined ones are left out)."""
        where = f"unit IN ({_marks(units)}) AND status <> 'declined'"
        total = await self.db.fetchone(
            f"SELECT COUNT(*) FROM merchants WHERE {where}", tuple(units)
        )
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM merchants WHERE {where}"
            " ORDER BY CASE status WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 ELSE 2 END,"
            " name, id LIMIT ? OFFSET ?",
            (*units, limit, offset),
        )
        return [_merchant(row) for row in rows], int(total[0]) if total else 0


def _next_version(after: Merchant, before: Merchant) -> Merchant:
    return replace(after, version=before.version + 1)
