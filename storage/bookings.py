"""Bookings repository (预约办理 / 找场馆): bookings, the places held per slot, reminders.

A place is taken with a compare-and-set on booking_slots (`taken < capacity`) in the same
transaction as the booking's row, so two residents pressing for the last place at once never
both get it, on SQLite or on PostgreSQL with several processes. Every write that cannot happen
raises InvalidBooking (its key says why) out of the caller's transaction, which then rolls back
whole: nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.bookings import (
    HOLDING,
    Attendance,
    Booking,
    BookingStatus,
    InvalidBooking,
    Reminder,
)
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing

_COLUMNS = (
    "id, resource, unit, user_id, starts_at, ends_at, purpose, status, attendance, reason,"
    " decided_by, created_at, remind_day_at, remind_hour_at, version"
)
_LIVE = "status IN (" + ", ".join(f"'{s}'" for s in HOLDING) + ")"


def _booking(row: Any) -> Booking:
    starts, ends, created = (
        from_db(row["starts_at"]),
        from_db(row["ends_at"]),
        from_db(row["created_at"]),
    )
    assert starts is not None and ends is not None and created is not None
    return Booking(
        id=row["id"],
        resource=row["resource"],
        unit=row["unit"],
        user_id=row["user_id"],
        starts_at=starts,
        ends_at=ends,
        purpose=row["purpose"],
        status=BookingStatus(row["status"]),
        attendance=Attendance(row["attendance"]) if row["attendance"] else None,
        reason=row["reason"],
        decided_by=row["decided_by"],
        created_at=created,
        remind_day_at=from_db(row["remind_day_at"]),
        remind_hour_at=from_db(row["remind_hour_at"]),
        version=row["version"],
    )


async def _take(conn: Any, resource: str, starts_at: datetime, capacity: int) -> None:
    """Takes one place of the slot, or raises InvalidBooking("booking.full")."""
    await conn.execute(
        "INSERT INTO booking_slots (resource, starts_at, taken) VALUES (?, ?, 0)"
        " ON CONFLICT (resource, starts_at) DO NOTHING",
        (resource, to_db(starts_at)),
    )
    cursor = await conn.execute(
        "UPDATE booking_slots SET taken = taken + 1"
        " WHERE resource = ? AND starts_at = ? AND taken < ?",
        (resource, to_db(starts_at), capacity),
    )
    if cursor.rowcount != 1:
        raise InvalidBooking("booking.full")


async def _release(conn: Any, resource: str, starts_at: datetime) -> None:
    await conn.execute(
        "UPDATE booking_slots SET taken = taken - 1"
        " WHERE resource = ? AND starts_at = ? AND taken > 0",
        (resource, to_db(starts_at)),
    )


class Bookings:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, booking_id: int) -> Booking | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM bookings WHERE id = ?", (booking_id,))
        return _booking(row) if row else None

    async def taken(self, resource: str, start: datetime, end: datetime) -> dict[datetime, int]:
        """Returns the places held per slot start of RESOURCE in [START, END)."""
        rows = await self.db.fetchall(
            "SELECT starts_at, taken FROM booking_slots"
            " WHERE resource = ? AND starts_at >= ? AND starts_at < ? AND taken > 0",
            (resource, to_db(start), to_db(end)),
        )
        out: dict[datetime, int] = {}
        for row in rows:
            at = from_db(row["starts_at"])
            assert at is not None
            out[at] = int(row["taken"])
        return out

    async def mine(self, user_id: int, now: datetime, limit: int = 20) -> list[Booking]:
        """Returns USER_ID's live bookings that have not ended, soonest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM bookings WHERE user_id = ? AND ends_at > ? AND {_LIVE}"
            " ORDER BY starts_at, id LIMIT ?",
            (user_id, to_db(now), limit),
        )
        return [_booking(row) for row in rows]

    async def of_day(
        self, resources: Sequence[str], start: datetime, end: datetime, offset: int, limit: int
    ) -> tuple[list[Booking], int]:
        """Returns a page of the live bookings of RESOURCES starting in [START, END), in order
        of time, and how many there are in all."""
        marks = ",".join("?" * len(resources)) or "NULL"
        where = f"resource IN ({marks}) AND starts_at >= ? AND starts_at < ? AND {_LIVE}"
        params = (*resources, to_db(start), to_db(end))
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM bookings WHERE {where} ORDER BY starts_at, id"
            " LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        count = await self.db.fetchone(f"SELECT COUNT(*) FROM bookings WHERE {where}", params)
        return [_booking(row) for row in rows], int(count[0]) if count else 0

    async def no_shows(self, user_id: int, since: datetime) -> int:
        """Returns how many no-shows USER_ID has had since SINCE."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM bookings WHERE user_id = ? AND starts_at >= ?"
            " AND attendance = 'no_show'",
            (user_id, to_db(since)),
        )
        return int(row[0]) if row else 0

    async def create(
        self, booking: Booking, capacity: int, messages: Sequence[Outgoing] = ()
    ) -> Booking:
        """Stores BOOKING holding one place of its slot and queues MESSAGES, in one commit.

        Raises InvalidBooking "booking.already" (the person holds this slot already) or
        "booking.full". The slot's row is locked first (a write that leaves it as it is), so a
        second press of the same person, or of anyone for the last place, waits and sees the
        first one's booking.
        """
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO booking_slots (resource, starts_at, taken) VALUES (?, ?, 0)"
                " ON CONFLICT (resource, starts_at) DO UPDATE SET taken = booking_slots.taken",
                (booking.resource, to_db(booking.starts_at)),
            )
            async with conn.execute(
                f"SELECT id FROM bookings WHERE resource = ? AND starts_at = ? AND user_id = ?"
                f" AND {_LIVE}",
                (booking.resource, to_db(booking.starts_at), booking.user_id),
            ) as cursor:
                if await cursor.fetchone() is not None:
                    raise InvalidBooking("booking.already")
            await _take(conn, booking.resource, booking.starts_at, capacity)
            cursor = await conn.execute(
                "INSERT INTO bookings (resource, unit, user_id, starts_at, ends_at, purpose,"
                " status, decided_by, created_at, updated_at, remind_day_at, remind_hour_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    booking.resource,
                    booking.unit,
                    booking.user_id,
                    to_db(booking.starts_at),
                    to_db(booking.ends_at),
                    booking.purpose,
                    booking.status.value,
                    booking.decided_by,
                    to_db(booking.created_at),
                    to_db(booking.created_at),
                    to_db(booking.remind_day_at),
                    to_db(booking.remind_hour_at),
                ),
            )
            assert cursor.lastrowid is not None
            stored = replace(booking, id=cursor.lastrowid)
            await outbox.add(conn, list(messages), booking.created_at)
        return stored

    async def save(
        self,
        old: Booking,
        new: Booking,
        at: datetime,
        capacity: int,
        messages: Sequence[Outgoing] = (),
    ) -> Booking:
        """Writes NEW over OLD with compare-and-set on its version and queues MESSAGES, in one
        commit: a place of NEW's slot is taken (up to CAPACITY) and OLD's released as the move
        needs. Raises InvalidBooking "booking.full" or "booking.stale" (changed meanwhile)."""
        assert old.id is not None
        moved = (old.resource, old.starts_at) != (new.resource, new.starts_at)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE bookings SET starts_at = ?, ends_at = ?, status = ?, attendance = ?,"
                " reason = ?, decided_by = ?, remind_day_at = ?, remind_hour_at = ?,"
                " updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
                (
                    to_db(new.starts_at),
                    to_db(new.ends_at),
                    new.status.value,
                    new.attendance.value if new.attendance else None,
                    new.reason,
                    new.decided_by,
                    to_db(new.remind_day_at),
                    to_db(new.remind_hour_at),
                    to_db(at),
                    old.id,
                    old.version,
                ),
            )
            if cursor.rowcount != 1:
                raise InvalidBooking("booking.stale")
            holds, held = new.status.holds_place, old.status.holds_place
            if holds and (moved or not held):
                await _take(conn, new.resource, new.starts_at, capacity)
            if held and (moved or not holds):
                await _release(conn, old.resource, old.starts_at)
            await outbox.add(conn, list(messages), at)
        return replace(new, version=old.version + 1)

    async def due_reminders(self, now: datetime, limit: int = 100) -> list[Booking]:
        """Returns bookings with a reminder due (each through its partial index)."""
        stamp = to_db(now)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM bookings WHERE id IN ("
            " SELECT id FROM bookings WHERE remind_day_at IS NOT NULL AND remind_day_at <= ?"
            " UNION"
            " SELECT id FROM bookings WHERE remind_hour_at IS NOT NULL AND remind_hour_at <= ?"
            ") ORDER BY starts_at, id LIMIT ?",
            (stamp, stamp, limit),
        )
        return [_booking(row) for row in rows]

    async def mark_reminded(
        self,
        booking: Booking,
        reminder: Reminder | None,
        at: datetime,
        messages: Sequence[Outgoing],
    ) -> bool:
        """Clears the due reminder(s) with compare-and-set and queues MESSAGES; False if done.

        REMINDER None (started, or no longer confirmed) clears both without sending anything;
        the hour reminder clears the day one too, so after downtime only one goes out."""
        if reminder is Reminder.DAY:
            sql = (
                "UPDATE bookings SET remind_day_at = NULL"
                " WHERE id = ? AND remind_day_at IS NOT NULL"
            )
        else:
            sql = (
                "UPDATE bookings SET remind_day_at = NULL, remind_hour_at = NULL"
                " WHERE id = ? AND (remind_day_at IS NOT NULL OR remind_hour_at IS NOT NULL)"
            )
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(sql, (booking.id,))
            if cursor.rowcount != 1:
                return False
            if reminder is not None:
                await outbox.add(conn, list(messages), at)
        return True

    async def wipe_purposes(self, before: datetime, limit: int) -> int:
        """Empties the purpose of bookings whose slot ended before BEFORE (retention)."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "UPDATE bookings SET purpose = '' WHERE id IN (SELECT id FROM bookings"
                " WHERE purpose <> '' AND ends_at < ? ORDER BY ends_at LIMIT ?)",
                (to_db(before), limit),
            )
            return int(cursor.rowcount)
