"""Group bindings: which group chat receives what (summaries, volunteer announcements) for a unit.

For other features (issue C's volunteer group):
- `Groups.groups_for(unit, purpose)` returns the bindings of UNIT and of its ancestors, nearest
  unit first. A wish at building B1 then reaches B1's group if there is one, else G1's, else
  C1's …; take `nearest(bindings)` for "the unit's group", or all of them to announce widely.
- `Groups.bindings(chat_id)` returns what a chat is bound to (at most one binding per purpose).
- A group that migrates to a supergroup keeps its bindings (hook registered below).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.domain.groups import Binding, Purpose
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing

BINDING_COLUMNS = "chat_id, unit, purpose, bound_by, bound_at, lang"


def binding_from_row(row: aiosqlite.Row) -> Binding:
    bound_at = from_db(row["bound_at"])
    assert bound_at is not None
    return Binding(
        row["chat_id"], row["unit"], Purpose(row["purpose"]), row["bound_by"], bound_at, row["lang"]
    )


def nearest(bindings: Sequence[Binding]) -> list[Binding]:
    """Returns the bindings of the first (nearest) unit in BINDINGS, as `groups_for` orders them."""
    if not bindings:
        return []
    unit = bindings[0].unit
    return [b for b in bindings if b.unit == unit]


async def follow_migration(conn: aiosqlite.Connection, old: int, new: int) -> None:
    """Moves OLD's bindings, sent summaries and queued files to NEW (group → supergroup).

    Called by the sender inside its migration transaction. A binding NEW already has for the
    same purpose wins (someone bound the supergroup meanwhile).
    """
    # A row whose key NEW already holds stays behind and is deleted (or kept, for a week's
    # claim), as UPDATE OR IGNORE would: said with NOT EXISTS, the same on both backends.
    await conn.execute(
        "UPDATE group_bindings SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM group_bindings AS taken"
        "  WHERE taken.chat_id = ? AND taken.purpose = group_bindings.purpose)",
        (new, old, new),
    )
    await conn.execute("DELETE FROM group_bindings WHERE chat_id = ?", (old,))
    await conn.execute(
        "UPDATE summaries_sent SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM summaries_sent AS taken"
        "  WHERE taken.chat_id = ? AND taken.iso_week = summaries_sent.iso_week)",
        (new, old, new),
    )
    await conn.execute("UPDATE outbox_files SET chat_id = ? WHERE chat_id = ?", (new, old))


class Groups:
    def __init__(self, db: Database):
        self.db = db

    async def bindings(self, chat_id: int) -> list[Binding]:
        """Returns what CHAT_ID is bound to, by purpose."""
        rows = await self.db.fetchall(
            f"SELECT {BINDING_COLUMNS} FROM group_bindings WHERE chat_id = ? ORDER BY purpose",
            (chat_id,),
        )
        return [binding_from_row(row) for row in rows]

    async def binding(self, chat_id: int, purpose: Purpose) -> Binding | None:
        row = await self.db.fetchone(
            f"SELECT {BINDING_COLUMNS} FROM group_bindings WHERE chat_id = ? AND purpose = ?",
            (chat_id, purpose.value),
        )
        return binding_from_row(row) if row else None

    async def groups_for(self, unit: str, purpose: Purpose) -> list[Binding]:
        """Returns the groups bound to UNIT and to its ancestors for PURPOSE, nearest unit first.
        The chain starts from the units row (a binding's unit is one): a bare parameter there
        would have another collation than units.code on PostgreSQL, which refuses the mix."""
        rows = await self.db.fetchall(
            f"""
            WITH RECURSIVE chain (code, depth) AS (
                SELECT code, 0 FROM units WHERE code = ?
                UNION ALL
                SELECT units.parent, chain.depth + 1
                FROM units JOIN chain ON units.code = chain.code
                WHERE units.parent IS NOT NULL
            )
            SELECT {", ".join("b." + c.strip() for c in BINDING_COLUMNS.split(","))}
            FROM chain JOIN group_bindings b ON b.unit = chain.code AND b.purpose = ?
            ORDER BY chain.depth, b.chat_id
            """,
            (unit, purpose.value),
        )
        return [binding_from_row(row) for row in rows]

    async def bound_to(self, unit: str, purpose: Purpose) -> list[Binding]:
        """Returns the groups bound to exactly UNIT for PURPOSE."""
        rows = await self.db.fetchall(
            f"SELECT {BINDING_COLUMNS} FROM group_bindings WHERE unit = ? AND purpose = ?"
            " ORDER BY chat_id",
            (unit, purpose.value),
        )
        return [binding_from_row(row) for row in rows]

    async def bind(self, binding: Binding, messages: Sequence[Outgoing]) -> Binding | None:
        """Binds or rebinds the chat and queues MESSAGES in one commit; returns the old binding."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                f"SELECT {BINDING_COLUMNS} FROM group_bindings WHERE chat_id = ? AND purpose = ?",
                (binding.chat_id, binding.purpose.value),
            ) as cursor:
                row = await cursor.fetchone()
            await conn.execute(
                f"INSERT INTO group_bindings ({BINDING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_id, purpose) DO UPDATE SET unit = excluded.unit,"
                " bound_by = excluded.bound_by, bound_at = excluded.bound_at,"
                " lang = excluded.lang",
                (
                    binding.chat_id,
                    binding.unit,
                    binding.purpose.value,
                    binding.bound_by,
                    to_db(binding.bound_at),
                    binding.lang,
                ),
            )
            await outbox.add(conn, list(messages), binding.bound_at)
        return binding_from_row(row) if row else None

    async def unbind(
        self, chat_id: int, purpose: Purpose, at: datetime, messages: Sequence[Outgoing]
    ) -> bool:
        """Removes the chat's binding for PURPOSE and queues MESSAGES; tells whether one existed."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM group_bindings WHERE chat_id = ? AND purpose = ?",
                (chat_id, purpose.value),
            )
            await outbox.add(conn, list(messages), at)
        return cursor.rowcount > 0

    async def migrate(self, old: int, new: int) -> None:
        """Moves OLD's bindings to NEW when Telegram tells us the group became a supergroup."""
        async with self.db.transaction() as conn:
            await follow_migration(conn, old, new)
