"""Wishes repository: one transaction = wish row + append-only event + outbox rows (+ points)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.domain.wishes import Wish, WishAction, WishEvent, WishStatus
from storage import outbox, trails
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing


class StaleWish(Exception):
    """The wish changed since it was read (another press won); nothing was written."""


_COLUMNS = (
    "id, posted_by, resident_id, unit, category, text, photo, contact_name, contact_phone,"
    " status, claimer_id, claimed_at, proof_photo, proof_note, done_at, thanks, approved_by,"
    " nag_at, nags, created_at, updated_at, version"
)


def _wish(row: aiosqlite.Row) -> Wish:
    created = from_db(row["created_at"])
    assert created is not None
    return Wish(
        id=row["id"],
        posted_by=row["posted_by"],
        resident_id=row["resident_id"],
        unit=row["unit"],
        category=row["category"],
        text=row["text"],
        photo=row["photo"],
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        status=WishStatus(row["status"]),
        claimer_id=row["claimer_id"],
        claimed_at=from_db(row["claimed_at"]),
        proof_photo=row["proof_photo"],
        proof_note=row["proof_note"],
        done_at=from_db(row["done_at"]),
        thanks=row["thanks"],
        approved_by=row["approved_by"],
        nag_at=from_db(row["nag_at"]),
        nags=row["nags"],
        created_at=created,
        updated_at=from_db(row["updated_at"]),
        version=row["version"],
    )


async def _insert_event(conn: aiosqlite.Connection, wish_id: int, event: WishEvent) -> None:
    await trails.append(conn, "wish_events", "wish_id", wish_id, event)


async def save_in(
    conn: aiosqlite.Connection,
    wish: Wish,
    event: WishEvent,
    messages: Sequence[Outgoing],
    *,
    expect_version: int,
) -> None:
    """Writes the changed wish, its event and MESSAGES inside CONN's commit; StaleWish if
    anybody changed it since EXPECT_VERSION (the caller's commit then rolls back)."""
    cursor = await conn.execute(
        "UPDATE wishes SET status = ?, claimer_id = ?, claimed_at = ?, proof_photo = ?,"
        " proof_note = ?, done_at = ?, thanks = ?, approved_by = ?, nag_at = ?,"
        " nags = ?, updated_at = ?, version = version + 1"
        " WHERE id = ? AND version = ?",
        (
            wish.status.value,
            wish.claimer_id,
            to_db(wish.claimed_at),
            wish.proof_photo,
            wish.proof_note,
            to_db(wish.done_at),
            wish.thanks,
            wish.approved_by,
            to_db(wish.nag_at),
            wish.nags,
            to_db(wish.updated_at or event.at),
            wish.id,
            expect_version,
        ),
    )
    if cursor.rowcount != 1:
        raise StaleWish(wish.id)
    assert wish.id is not None
    await _insert_event(conn, wish.id, event)
    await outbox.add(conn, list(messages), event.at)


class Wishes:
    def __init__(self, db: Database):
        self.db = db

    async def create(
        self,
        wish: Wish,
        events: Sequence[WishEvent],
        messages: Callable[[Wish], Awaitable[list[Outgoing]]],
        *,
        clear_draft_of: int | None = None,
    ) -> Wish:
        """Stores a new wish with its EVENTS and MESSAGES(stored wish) in one commit (joining a
        transaction already open, e.g. a visit that found the need)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO wishes (posted_by, resident_id, unit, category, text, photo,"
                " contact_name, contact_phone, status, approved_by, nag_at, nags, created_at,"
                " updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    wish.posted_by,
                    wish.resident_id,
                    wish.unit,
                    wish.category,
                    wish.text,
                    wish.photo,
                    wish.contact_name,
                    wish.contact_phone,
                    wish.status.value,
                    wish.approved_by,
                    to_db(wish.nag_at),
                    wish.nags,
                    to_db(wish.created_at),
                    to_db(wish.updated_at or wish.created_at),
                ),
            )
            wish_id = cursor.lastrowid
            assert wish_id is not None
            for event in events:
                await _insert_event(conn, wish_id, event)
            stored = replace(wish, id=wish_id, version=1)
            await outbox.add(conn, await messages(stored), wish.created_at)
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return stored

    async def save(
        self,
        wish: Wish,
        event: WishEvent,
        messages: Sequence[Outgoing],
        *,
        expect_version: int,
        clear_draft_of: int | None = None,
    ) -> Wish:
        """Writes the changed wish if nobody changed it since EXPECT_VERSION; else StaleWish.

        Joins a unit of work already open (storage/uow.py): a confirmed wish's points are
        awarded in the same commit by bot/usecases/wishes.py.
        """
        async with self.db.transaction() as conn:
            await save_in(conn, wish, event, messages, expect_version=expect_version)
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return replace(wish, version=expect_version + 1)

    async def claim(self, claimed: Wish, event: WishEvent, messages: Sequence[Outgoing]) -> bool:
        """Makes CLAIMED's claimer the one who has it, if it is still open; False if taken.

        The compare-and-set is on status = 'open': of two claims at the same moment exactly one
        updates the row, and only that one's messages (the contact details) are queued.
        """
        assert claimed.id is not None and claimed.status is WishStatus.CLAIMED
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE wishes SET status = 'claimed', claimer_id = ?, claimed_at = ?,"
                " nag_at = ?, nags = 0, updated_at = ?, version = version + 1"
                " WHERE id = ? AND status = 'open'",
                (
                    claimed.claimer_id,
                    to_db(claimed.claimed_at),
                    to_db(claimed.nag_at),
                    to_db(event.at),
                    claimed.id,
                ),
            )
            if cursor.rowcount != 1:
                return False
            await _insert_event(conn, claimed.id, event)
            await outbox.add(conn, list(messages), event.at)
        return True

    async def get(self, wish_id: int) -> Wish | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM wishes WHERE id = ?", (wish_id,))
        return _wish(row) if row else None

    async def claimed_by(self, user_id: int) -> list[Wish]:
        """Returns the wishes USER_ID has claimed and not yet finished, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM wishes WHERE claimer_id = ? AND status = 'claimed'"
            " ORDER BY id",
            (user_id,),
        )
        return [_wish(row) for row in rows]

    async def mine(self, user_id: int, limit: int = 20) -> list[Wish]:
        """Returns wishes USER_ID posted or claimed, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM wishes WHERE posted_by = ? OR resident_id = ?"
            " UNION"
            f" SELECT {_COLUMNS} FROM wishes WHERE claimer_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (user_id, user_id, user_id, limit),
        )
        return [_wish(row) for row in rows]

    async def in_units(
        self, units: Sequence[str], statuses: Sequence[WishStatus], limit: int = 20
    ) -> list[Wish]:
        """Returns wishes at UNITS in STATUSES, oldest first (what staff look after)."""
        unit_marks = ",".join("?" * len(units)) or "NULL"
        status_marks = ",".join("?" * len(statuses)) or "NULL"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM wishes WHERE unit IN ({unit_marks})"
            f" AND status IN ({status_marks}) ORDER BY id LIMIT ?",
            (*units, *(s.value for s in statuses), limit),
        )
        return [_wish(row) for row in rows]

    async def due_nags(self, now: datetime, limit: int = 100) -> list[Wish]:
        """Returns open or claimed wishes whose nag is due (through the partial index)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM wishes"
            " WHERE status IN ('open', 'claimed') AND nag_at IS NOT NULL AND nag_at <= ?"
            " ORDER BY nag_at LIMIT ?",
            (to_db(now), limit),
        )
        return [_wish(row) for row in rows]

    async def events(self, wish_id: int) -> list[WishEvent]:
        return [
            WishEvent(
                WishAction(row["action"]),
                WishStatus(row["old"]) if row["old"] else None,
                WishStatus(row["new"]),
                row["actor_id"],
                at,
                row["note"],
                wish_id,
            )
            for row, at in await trails.read(self.db, "wish_events", "wish_id", wish_id)
        ]
