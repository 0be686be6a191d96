"""Drafts: where a user stands in a multi-step conversation, kept across restarts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing


@dataclass(slots=True)
class Draft:
    user_id: int
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


async def upsert(conn: aiosqlite.Connection, draft: Draft, at: datetime) -> None:
    """Stores DRAFT inside CONN's transaction (for repositories that move a draft on)."""
    await conn.execute(
        "INSERT INTO drafts (user_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET flow = excluded.flow, step = excluded.step,"
        " data = excluded.data, updated_at = excluded.updated_at",
        (
            draft.user_id,
            draft.flow,
            draft.step,
            json.dumps(draft.data, ensure_ascii=False),
            to_db(at),
        ),
    )


class Drafts:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, user_id: int) -> Draft | None:
        row = await self.db.fetchone(
            "SELECT flow, step, data, updated_at FROM drafts WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return None
        return Draft(
            user_id, row["flow"], row["step"], json.loads(row["data"]), from_db(row["updated_at"])
        )

    async def put(self, draft: Draft, at: datetime, messages: Sequence[Outgoing] = ()) -> None:
        """Stores the draft and queues MESSAGES (the next prompt) in one commit."""
        async with self.db.transaction() as conn:
            await upsert(conn, draft, at)
            await outbox.add(conn, list(messages), at)

    async def clear(self, user_id: int, at: datetime, messages: Sequence[Outgoing] = ()) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM drafts WHERE user_id = ?", (user_id,))
            await outbox.add(conn, list(messages), at)
