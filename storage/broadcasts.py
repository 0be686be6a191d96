"""Broadcasts: the broadcast rows, who muted them, the audience of a unit, and delivery counts.

A broadcast's deliveries are ordinary outbox rows tagged `batch = 'broadcast:<id>'` (priority
-1, so case notices go first); its progress is counted from their states.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import aiosqlite

from bot.domain.broadcasts import Audience, Broadcast, Content, Kind, Progress
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing

_COLUMNS = (
    "id, created_by, unit, kind, body, file_id, audience, residents, groups, lang, state,"
    " created_at"
)


def batch_of(broadcast_id: int) -> str:
    """Returns the outbox batch tag of a broadcast's deliveries."""
    return f"broadcast:{broadcast_id}"


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    created = from_db(row["created_at"])
    assert created is not None
    return Broadcast(
        created_by=row["created_by"],
        unit=row["unit"],
        content=Content(Kind(row["kind"]), row["body"], row["file_id"]),
        audience=Audience(row["audience"]),
        residents=row["residents"],
        groups=row["groups"],
        created_at=created,
        lang=row["lang"],
        done=row["state"] == "done",
        id=row["id"],
    )


@dataclass(frozen=True, slots=True)
class Recipient:
    chat_id: int
    lang: str


class Broadcasts:
    def __init__(self, db: Database):
        self.db = db

    # Muting ---------------------------------------------------------------------------------

    async def is_muted(self, user_id: int) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM broadcast_mutes WHERE user_id = ?", (user_id,))
        return row is not None

    async def mute(self, user_id: int, at: datetime, messages: Sequence[Outgoing]) -> bool:
        """Mutes broadcasts for USER_ID and queues MESSAGES; tells whether it was not muted."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO broadcast_mutes (user_id, muted_at) VALUES (?, ?)",
                (user_id, to_db(at)),
            )
            await outbox.add(conn, list(messages), at)
        return cursor.rowcount > 0

    async def unmute(self, user_id: int, at: datetime, messages: Sequence[Outgoing]) -> bool:
        """Lets broadcasts reach USER_ID again; tells whether they were muted."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM broadcast_mutes WHERE user_id = ?", (user_id,))
            await outbox.add(conn, list(messages), at)
        return cursor.rowcount > 0

    # The audience -----------------------------------------------------------------------------

    async def residents_in(
        self, units: Iterable[str], *, skip_muted: bool = True
    ) -> list[Recipient]:
        """Returns the residents registered at UNITS who can be written to: not unreachable
        (blocked the bot), and with SKIP_MUTED not muted. Erased people have no row."""
        muted = "AND p.user_id NOT IN (SELECT user_id FROM broadcast_mutes)" if skip_muted else ""
        rows = await self.db.fetchall(
            "SELECT p.user_id, p.lang FROM people p"
            " WHERE p.unit IN (SELECT value FROM json_each(?)) AND p.user_id > 0"
            " AND p.user_id NOT IN (SELECT chat_id FROM chats WHERE unreachable IS NOT NULL)"
            f" {muted} ORDER BY p.user_id",
            (json.dumps(sorted(set(units))),),
        )
        return [Recipient(row["user_id"], row["lang"] or "zh") for row in rows]

    async def groups_in(self, units: Iterable[str]) -> list[Recipient]:
        """Returns the groups bound (for summaries: the unit's own group) to UNITS, once each,
        leaving out groups that removed the bot."""
        rows = await self.db.fetchall(
            "SELECT chat_id, MIN(lang) AS lang FROM group_bindings"
            " WHERE purpose = 'summary' AND unit IN (SELECT value FROM json_each(?))"
            " AND chat_id NOT IN (SELECT chat_id FROM chats WHERE unreachable IS NOT NULL)"
            " GROUP BY chat_id ORDER BY chat_id",
            (json.dumps(sorted(set(units))),),
        )
        return [Recipient(row["chat_id"], row["lang"] or "zh") for row in rows]

    # Broadcasts -------------------------------------------------------------------------------

    async def add(self, broadcast: Broadcast, progress_due: datetime) -> Broadcast:
        """Stores BROADCAST (inside the caller's unit of work); returns it with its id."""
        async with self.db.transaction() as conn:
            content = broadcast.content
            cursor = await conn.execute(
                "INSERT INTO broadcasts (created_by, unit, kind, body, file_id, audience,"
                " residents, groups, lang, created_at, progress_due)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    broadcast.created_by,
                    broadcast.unit,
                    content.kind.value,
                    content.text,
                    content.file_id,
                    broadcast.audience.value,
                    broadcast.residents,
                    broadcast.groups,
                    broadcast.lang,
                    to_db(broadcast.created_at),
                    to_db(progress_due),
                ),
            )
        assert cursor.lastrowid is not None
        return replace(broadcast, id=cursor.lastrowid)

    async def due(self, now: datetime, limit: int = 50) -> list[tuple[Broadcast, datetime]]:
        """Returns the broadcasts whose progress line is due, with the due time (for the
        compare-and-set)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS}, progress_due FROM broadcasts"
            " WHERE progress_due IS NOT NULL AND progress_due <= ? ORDER BY progress_due LIMIT ?",
            (to_db(now), limit),
        )
        out = []
        for row in rows:
            due = from_db(row["progress_due"])
            assert due is not None
            out.append((_broadcast(row), due))
        return out

    async def progress(self, broadcast_id: int) -> Progress:
        """Counts the broadcast's deliveries by outcome (403s apart from other failures)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS total,"
            " COUNT(*) FILTER (WHERE state = 'sent') AS delivered,"
            " COUNT(*) FILTER (WHERE state = 'failed' AND (lower(error) LIKE 'forbidden%'"
            "   OR error = 'chat unreachable')) AS blocked,"
            " COUNT(*) FILTER (WHERE state = 'failed' AND NOT (lower(error) LIKE 'forbidden%'"
            "   OR error = 'chat unreachable')) AS failed"
            " FROM outbox WHERE batch = ?",
            (batch_of(broadcast_id),),
        )
        assert row is not None
        return Progress(row["total"], row["delivered"], row["blocked"], row["failed"])

    async def step(
        self,
        broadcast_id: int,
        expect_due: datetime,
        next_due: datetime | None,
        progress: Progress,
        messages: Sequence[Outgoing],
        at: datetime,
    ) -> bool:
        """Moves the progress line on (NEXT_DUE None: the broadcast is done, with PROGRESS as
        its end report) and queues MESSAGES, if nobody did since EXPECT_DUE (compare-and-set)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE broadcasts SET progress_due = ?, delivered = ?, blocked = ?, failed = ?,"
                " state = COALESCE(?, state), done_at = COALESCE(?, done_at)"
                " WHERE id = ? AND progress_due = ?",
                (
                    to_db(next_due),
                    progress.delivered,
                    progress.blocked,
                    progress.failed,
                    "done" if next_due is None else None,
                    to_db(at) if next_due is None else None,
                    broadcast_id,
                    to_db(expect_due),
                ),
            )
            if cursor.rowcount == 0:
                return False
            await outbox.add(conn, list(messages), at)
        return True
