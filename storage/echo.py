"""回音壁 repository: the reporter's photo consent per report, and which cases wait to be posted."""

from __future__ import annotations

from datetime import datetime

from storage import outbox
from storage.db import Database, to_db
from storage.outbox import Outgoing


class Echo:
    def __init__(self, db: Database):
        self.db = db

    async def set_photos(self, report_id: int, allowed: bool, at: datetime) -> None:
        """Records the reporter's answer: may the before/after photos be shown (default no)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO echo_posts (report_id, photos, asked_at) VALUES (?, ?, ?)"
                " ON CONFLICT (report_id) DO UPDATE SET photos = excluded.photos,"
                " asked_at = excluded.asked_at",
                (report_id, int(allowed), to_db(at)),
            )

    async def photos_allowed(self, report_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT photos FROM echo_posts WHERE report_id = ?", (report_id,)
        )
        return bool(row and row["photos"])

    async def schedule(self, report_id: int, at: datetime) -> None:
        """Marks the report to be posted from AT (inside the verify commit); once posted, never
        again."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO echo_posts (report_id, due_at) VALUES (?, ?)"
                " ON CONFLICT (report_id) DO UPDATE SET due_at = excluded.due_at"
                " WHERE echo_posts.posted_at IS NULL",
                (report_id, to_db(at)),
            )

    async def due(self, now: datetime, limit: int) -> list[int]:
        """Returns reports waiting to be posted, oldest first (through the partial index)."""
        rows = await self.db.fetchall(
            "SELECT report_id FROM echo_posts WHERE due_at IS NOT NULL AND posted_at IS NULL"
            " AND due_at <= ? ORDER BY due_at LIMIT ?",
            (to_db(now), limit),
        )
        return [row["report_id"] for row in rows]

    async def post(self, report_id: int, messages: list[Outgoing], at: datetime) -> bool:
        """Marks the report posted and queues MESSAGES, if nobody posted it yet (compare-and-set);
        False if it was posted already."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE echo_posts SET posted_at = ?, due_at = NULL"
                " WHERE report_id = ? AND posted_at IS NULL AND due_at IS NOT NULL",
                (to_db(at), report_id),
            )
            if cursor.rowcount != 1:
                return False
            await outbox.add(conn, messages, at)
        return True
