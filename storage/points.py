"""Points ledger: append-only rows, at most one per (kind, ref, volunteer); monthly posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.domain.groups import Binding
from bot.domain.points import Entry, PointKind
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.groups import BINDING_COLUMNS, binding_from_row
from storage.outbox import Outgoing


async def award(
    conn: aiosqlite.Connection,
    volunteer_id: int,
    kind: PointKind | str,
    ref: object,
    points: int,
    at: datetime,
) -> bool:
    """Adds POINTS for verified work inside the caller's transaction; False if already awarded.

    Call it from the transaction that records the verification (a confirmed wish, a check-in,
    a confirmed visit), so the points exist exactly when the verification does.
    """
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO points_ledger (volunteer_id, kind, ref, points, at)"
        " VALUES (?, ?, ?, ?, ?)",
        (volunteer_id, PointKind(kind).value, str(ref), int(points), to_db(at)),
    )
    return cursor.rowcount == 1


async def follow_migration(conn: aiosqlite.Connection, old: int, new: int) -> None:
    """Keeps a group's posted leaderboards when it becomes a supergroup (no second post)."""
    await conn.execute(
        "UPDATE leaderboard_posts SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM leaderboard_posts AS taken"
        "  WHERE taken.chat_id = ? AND taken.month = leaderboard_posts.month)",
        (new, old, new),
    )


class Points:
    def __init__(self, db: Database):
        self.db = db

    async def award(
        self, volunteer_id: int, kind: PointKind | str, ref: object, points: int, at: datetime
    ) -> bool:
        """Adds POINTS for verified work; False if already awarded. Call it inside the unit of
        work that records the verification (storage/uow.py): it joins that transaction."""
        async with self.db.transaction() as conn:
            return await award(conn, volunteer_id, kind, ref, points, at)

    async def balance(self, volunteer_id: int) -> int:
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE volunteer_id = ?",
            (volunteer_id,),
        )
        return int(row[0]) if row else 0

    async def earned(self, volunteer_id: int, start: datetime, end: datetime) -> int:
        """Returns the points VOLUNTEER_ID earned in [START, END)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(points), 0) FROM points_ledger"
            " WHERE volunteer_id = ? AND at >= ? AND at < ?",
            (volunteer_id, to_db(start), to_db(end)),
        )
        return int(row[0]) if row else 0

    async def history(self, volunteer_id: int, limit: int = 10) -> list[Entry]:
        rows = await self.db.fetchall(
            "SELECT volunteer_id, kind, ref, points, at FROM points_ledger"
            " WHERE volunteer_id = ? ORDER BY id DESC LIMIT ?",
            (volunteer_id, limit),
        )
        out = []
        for row in rows:
            at = from_db(row["at"])
            assert at is not None
            out.append(
                Entry(row["volunteer_id"], PointKind(row["kind"]), row["ref"], row["points"], at)
            )
        return out

    async def totals(
        self, start: datetime, end: datetime, units: Sequence[str]
    ) -> list[tuple[int, str, int]]:
        """Returns (volunteer, name, points) earned in [START, END) by those living in UNITS."""
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            "SELECT p.volunteer_id, v.name, SUM(p.points) AS total"
            " FROM points_ledger p JOIN volunteers v ON v.user_id = p.volunteer_id"
            f" WHERE p.at >= ? AND p.at < ? AND v.unit IN ({marks})"
            " GROUP BY p.volunteer_id, v.name",
            (to_db(start), to_db(end), *units),
        )
        return [(row["volunteer_id"], row["name"], int(row["total"])) for row in rows]

    async def members(self, units: Sequence[str], team: str | None) -> list[int]:
        """Returns the approved volunteers of TEAM living in UNITS (none without a TEAM)."""
        if team is None or not units:
            return []
        marks = ",".join("?" * len(units))
        rows = await self.db.fetchall(
            "SELECT user_id FROM volunteers WHERE team = ? AND status = 'approved'"
            f" AND unit IN ({marks})",
            (team, *units),
        )
        return [row["user_id"] for row in rows]

    async def leaderboard_due(self, month: str) -> list[Binding]:
        """Returns the volunteer groups that have not had MONTH's leaderboard yet."""
        rows = await self.db.fetchall(
            f"SELECT {', '.join('b.' + c.strip() for c in BINDING_COLUMNS.split(','))}"
            " FROM group_bindings b LEFT JOIN leaderboard_posts p"
            " ON p.chat_id = b.chat_id AND p.month = ?"
            " WHERE b.purpose = 'volunteers' AND p.chat_id IS NULL ORDER BY b.chat_id",
            (month,),
        )
        return [binding_from_row(row) for row in rows]

    async def post_leaderboard(
        self, chat_id: int, unit: str, month: str, at: datetime, messages: Sequence[Outgoing]
    ) -> bool:
        """Queues MESSAGES once per (chat, month): the UNIQUE row decides; False if done before."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO leaderboard_posts (chat_id, month, unit, sent_at)"
                " VALUES (?, ?, ?, ?)",
                (chat_id, month, unit, to_db(at)),
            )
            if cursor.rowcount != 1:
                return False
            await outbox.add(conn, list(messages), at)
        return True
