"""The inbox: every update from Telegram, stored (unique on update_id) before it is confirmed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, to_db


@dataclass(frozen=True, slots=True)
class InboxRow:
    update_id: int
    payload: dict[str, Any]
    attempts: int


class Inbox:
    def __init__(self, db: Database):
        self.db = db

    async def store(self, updates: list[dict[str, Any]], at: datetime) -> int:
        """Stores UPDATES (duplicates ignored) in one commit; returns how many were new."""
        if not updates:
            return 0
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
                [(u["update_id"], json.dumps(u, ensure_ascii=False), to_db(at)) for u in updates],
            )
            return conn.total_changes - before

    async def last_update_id(self) -> int | None:
        row = await self.db.fetchone("SELECT MAX(update_id) FROM inbox")
        return row[0] if row and row[0] is not None else None

    async def pending(self, limit: int = 100) -> list[InboxRow]:
        rows = await self.db.fetchall(
            "SELECT update_id, payload, attempts FROM inbox WHERE state = 'new'"
            " ORDER BY update_id LIMIT ?",
            (limit,),
        )
        return [InboxRow(r["update_id"], json.loads(r["payload"]), r["attempts"]) for r in rows]

    async def mark_done(self, update_id: int, at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE inbox SET state = 'done', done_at = ?"
                " WHERE update_id = ? AND state = 'new'",
                (to_db(at), update_id),
            )

    async def mark_failed(self, update_id: int, error: str, max_attempts: int) -> bool:
        """Counts a failed attempt; returns True when the update is now parked."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE inbox SET attempts = attempts + 1, error = ?,"
                " state = CASE WHEN attempts + 1 >= ? THEN 'parked' ELSE state END"
                " WHERE update_id = ? AND state = 'new'",
                (error[:500], max_attempts, update_id),
            )
            async with conn.execute(
                "SELECT state FROM inbox WHERE update_id = ?", (update_id,)
            ) as cursor:
                row = await cursor.fetchone()
        return bool(row and row[0] == "parked")
