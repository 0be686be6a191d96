"""Call-ins (吹哨报到) repository: one transaction = call-in row + its event + outbox rows.

Writes are compare-and-set on the row's version; `due` reads only the partial index
callins_next (migration 0011), so the sweep's cost follows what is due, not what is stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.domain.callins import CallIn, CallInEvent, Event, State
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing

_COLUMNS = (
    "id, report_id, party, state, called_by, called_at, acked_by, acked_at, done_by, done_at,"
    " note, photo, withdrawn_by, withdrawn_at, reason, due_at, stage, next_at, version"
)

DUE_SQL = "SELECT id FROM callins WHERE next_at <= ? ORDER BY next_at LIMIT ?"


class AlreadyIn(Exception):
    """The party is already called into the report (the unique index said so)."""


class StaleCallIn(Exception):
    """The call-in changed since it was read; nothing was written."""


def _callin(row: aiosqlite.Row) -> CallIn:
    called = from_db(row["called_at"])
    assert called is not None
    return CallIn(
        id=row["id"],
        report_id=row["report_id"],
        party=row["party"],
        state=State(row["state"]),
        called_by=row["called_by"],
        called_at=called,
        acked_by=row["acked_by"],
        acked_at=from_db(row["acked_at"]),
        done_by=row["done_by"],
        done_at=from_db(row["done_at"]),
        note=row["note"],
        photo=row["photo"],
        withdrawn_by=row["withdrawn_by"],
        withdrawn_at=from_db(row["withdrawn_at"]),
        reason=row["reason"],
        due_at=from_db(row["due_at"]),
        stage=row["stage"],
        next_at=from_db(row["next_at"]),
        version=row["version"],
    )


def _values(c: CallIn) -> tuple:
    return (
        c.state.value,
        c.acked_by,
        to_db(c.acked_at),
        c.done_by,
        to_db(c.done_at),
        c.note,
        c.photo,
        c.withdrawn_by,
        to_db(c.withdrawn_at),
        c.reason,
        to_db(c.due_at),
        c.stage,
        to_db(c.next_at),
    )


async def _insert_event(
    conn: aiosqlite.Connection, callin_id: int, report_id: int, event: CallInEvent
) -> None:
    await conn.execute(
        "INSERT INTO callin_events (callin_id, report_id, kind, actor_id, at, note, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            callin_id,
            report_id,
            event.kind.value,
            event.actor_id,
            to_db(event.at),
            event.note,
            json.dumps(event.data, ensure_ascii=False),
        ),
    )


class CallIns:
    def __init__(self, db: Database):
        self.db = db

    async def insert(self, callin: CallIn, event: CallInEvent) -> CallIn:
        """Stores a new call-in with its first event; raises AlreadyIn (nothing written by it)
        if its party is already in. Inside a unit of work it joins it: the unique index's
        conflict writes nothing rather than failing the statement, so the transaction stays
        usable on PostgreSQL too."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO callins (report_id, party, state, called_by, called_at,"
                " due_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    callin.report_id,
                    callin.party,
                    callin.state.value,
                    callin.called_by,
                    to_db(callin.called_at),
                    to_db(callin.due_at),
                    to_db(callin.next_at),
                ),
            )
            if cursor.rowcount != 1:
                raise AlreadyIn(callin.party)
            assert cursor.lastrowid is not None
            await _insert_event(conn, cursor.lastrowid, callin.report_id, event)
        return replace(callin, id=cursor.lastrowid)

    async def claim_report(self, report_id: int, version: int) -> bool:
        """Bumps the version of REPORT_ID if it is still open at VERSION (compare-and-set), so a
        move read before this call-in (a resolve) is stale; False if it changed or closed."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE reports SET version = version + 1 WHERE id = ? AND version = ?"
                " AND status IN ('open', 'accepted')",
                (report_id, version),
            )
        return cursor.rowcount == 1

    async def save(self, callin: CallIn, event: CallInEvent) -> CallIn:
        """Writes CALLIN with EVENT if nobody changed it since it was read (its version);
        raises StaleCallIn (nothing written). Inside a unit of work it joins it."""
        assert callin.id is not None
        async with self.db.transaction() as conn:
            # The report's row first, so two parties answering at once go one after the other
            # and the second counts the first's answer ("all done" goes out once) when several
            # instances write side by side (PostgreSQL). A write that leaves the row as it is:
            # one text for both backends (SQLite's writer lock already orders them).
            await conn.execute(
                "UPDATE reports SET version = version WHERE id = ?", (callin.report_id,)
            )
            if not await self._update(conn, callin):
                raise StaleCallIn(callin.id)
            await _insert_event(conn, callin.id, callin.report_id, event)
        return replace(callin, version=callin.version + 1)

    async def apply(
        self, steps: Sequence[tuple[CallIn, CallInEvent | None, list[Outgoing]]], at: datetime
    ) -> int:
        """Writes the sweep's steps (compare-and-set each); returns how many events were taken."""
        acted = 0
        async with self.db.transaction(completes_update=False) as conn:
            for callin, event, messages in steps:
                if not await self._update(conn, callin):
                    continue
                if event is not None and callin.id is not None:
                    await _insert_event(conn, callin.id, callin.report_id, event)
                    await outbox.add(conn, messages, at)
                    if event.kind is not Event.STOPPED:
                        acted += 1
        return acted

    async def _update(self, conn: aiosqlite.Connection, callin: CallIn) -> bool:
        cursor = await conn.execute(
            "UPDATE callins SET state = ?, acked_by = ?, acked_at = ?, done_by = ?, done_at = ?,"
            " note = ?, photo = ?, withdrawn_by = ?, withdrawn_at = ?, reason = ?, due_at = ?,"
            " stage = ?, next_at = ?, version = version + 1 WHERE id = ? AND version = ?",
            (*_values(callin), callin.id, callin.version),
        )
        return cursor.rowcount == 1

    async def get(self, callin_id: int) -> CallIn | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM callins WHERE id = ?", (callin_id,))
        return _callin(row) if row else None

    async def get_many(self, ids: Sequence[int]) -> list[CallIn]:
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM callins WHERE id IN ({marks})", tuple(ids)
        )
        return [_callin(row) for row in rows]

    async def of_report(self, report_id: int) -> list[CallIn]:
        """Returns every call-in of REPORT_ID, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM callins WHERE report_id = ? ORDER BY id", (report_id,)
        )
        return [_callin(row) for row in rows]

    async def live_of(self, parties: Sequence[str], limit: int = 20) -> list[CallIn]:
        """Returns the live call-ins of PARTIES, oldest first (a member's cards, again)."""
        if not parties:
            return []
        marks = ", ".join("?" for _ in parties)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM callins WHERE party IN ({marks})"
            " AND state IN ('called', 'acked') ORDER BY id LIMIT ?",
            (*parties, limit),
        )
        return [_callin(row) for row in rows]

    async def live_count(self, report_id: int) -> int:
        """Returns how many call-ins of REPORT_ID are still called or acknowledged."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM callins WHERE report_id = ? AND state IN ('called', 'acked')",
            (report_id,),
        )
        return int(row[0]) if row else 0

    async def due(self, now: datetime, limit: int) -> list[int]:
        """Returns up to LIMIT call-ins whose clock needs the sweep at NOW, most overdue first."""
        rows = await self.db.fetchall(DUE_SQL, (to_db(now), limit))
        return [row["id"] for row in rows]

    async def query_plan(self, now: datetime) -> list[str]:
        rows = await self.db.fetchall(f"EXPLAIN QUERY PLAN {DUE_SQL}", (to_db(now), 100))
        return [row["detail"] for row in rows]

    async def events(self, callin_id: int) -> list[CallInEvent]:
        rows = await self.db.fetchall(
            "SELECT kind, actor_id, at, note, data FROM callin_events WHERE callin_id = ?"
            " ORDER BY id",
            (callin_id,),
        )
        out = []
        for row in rows:
            at = from_db(row["at"])
            assert at is not None
            out.append(
                CallInEvent(
                    Event(row["kind"]), row["actor_id"], at, row["note"], json.loads(row["data"])
                )
            )
        return out
