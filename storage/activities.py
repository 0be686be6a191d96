"""Activities repository: activities, sign-ups with a waitlist, reminders, check-ins."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.domain.activities import Activity, Reminder, Signup, SignupStatus, seat
from bot.domain.points import PointKind
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing
from storage.points import award

_COLUMNS = (
    "id, title, starts_at, place, capacity, skills, unit, organiser_id, created_at,"
    " remind_day_at, remind_hour_at"
)


def _activity(row: aiosqlite.Row) -> Activity:
    starts = from_db(row["starts_at"])
    assert starts is not None
    return Activity(
        id=row["id"],
        title=row["title"],
        starts_at=starts,
        place=row["place"],
        capacity=row["capacity"],
        skills=tuple(json.loads(row["skills"])),
        unit=row["unit"],
        organiser_id=row["organiser_id"],
        created_at=from_db(row["created_at"]),
        remind_day_at=from_db(row["remind_day_at"]),
        remind_hour_at=from_db(row["remind_hour_at"]),
    )


async def _hold_activity(conn: aiosqlite.Connection, activity_id: int) -> None:
    """Makes the caller's transaction the only one changing ACTIVITY_ID's places until it ends.

    SQLite's writer lock already lets one transaction write at a time; PostgreSQL's writers of
    several processes run side by side, so the activity's row is locked (a write that leaves it
    as it is) before its places are counted: two sign-ups for the last place, or two leavers
    handing on places, then go one after the other and the second sees what the first did."""
    await conn.execute("UPDATE activities SET capacity = capacity WHERE id = ?", (activity_id,))


async def _holding(conn: aiosqlite.Connection, activity_id: int) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM signups WHERE activity_id = ? AND status IN ('going', 'attended')",
        (activity_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def cancel_in(
    conn: aiosqlite.Connection,
    activity: Activity,
    volunteer_id: int,
    at: datetime,
    messages: Sequence[Outgoing],
    promoted: Callable[[int], Awaitable[list[Outgoing]]],
) -> tuple[bool, int | None]:
    """Activities.cancel inside CONN's commit (an erasure cancels a volunteer's sign-ups)."""
    assert activity.id is not None
    await _hold_activity(conn, activity.id)
    async with conn.execute(
        "SELECT status FROM signups WHERE activity_id = ? AND volunteer_id = ?",
        (activity.id, volunteer_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row["status"] not in ("going", "waitlist"):
        return False, None
    await conn.execute(
        "UPDATE signups SET status = 'cancelled', updated_at = ?"
        " WHERE activity_id = ? AND volunteer_id = ?",
        (to_db(at), activity.id, volunteer_id),
    )
    await outbox.add(conn, list(messages), at)
    moved_up = None
    if await _holding(conn, activity.id) < activity.capacity:
        async with conn.execute(
            "SELECT volunteer_id FROM signups WHERE activity_id = ? AND status = 'waitlist'"
            " ORDER BY position LIMIT 1",
            (activity.id,),
        ) as cursor:
            first = await cursor.fetchone()
        if first is not None:
            moved_up = int(first["volunteer_id"])
            await conn.execute(
                "UPDATE signups SET status = 'going', updated_at = ?"
                " WHERE activity_id = ? AND volunteer_id = ? AND status = 'waitlist'",
                (to_db(at), activity.id, moved_up),
            )
            await outbox.add(conn, await promoted(moved_up), at)
    return True, moved_up


class Activities:
    def __init__(self, db: Database):
        self.db = db

    async def create(
        self,
        activity: Activity,
        messages: Callable[[Activity], Awaitable[list[Outgoing]]],
        *,
        clear_draft_of: int | None = None,
    ) -> Activity:
        """Stores ACTIVITY and queues MESSAGES(stored activity) in one commit."""
        assert activity.created_at is not None
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO activities (title, starts_at, place, capacity, skills, unit,"
                " organiser_id, created_at, remind_day_at, remind_hour_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    activity.title,
                    to_db(activity.starts_at),
                    activity.place,
                    activity.capacity,
                    json.dumps(list(activity.skills)),
                    activity.unit,
                    activity.organiser_id,
                    to_db(activity.created_at),
                    to_db(activity.remind_day_at),
                    to_db(activity.remind_hour_at),
                ),
            )
            assert cursor.lastrowid is not None
            stored = replace(activity, id=cursor.lastrowid)
            await outbox.add(conn, await messages(stored), activity.created_at)
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return stored

    async def get(self, activity_id: int) -> Activity | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM activities WHERE id = ?", (activity_id,)
        )
        return _activity(row) if row else None

    async def upcoming(
        self, now: datetime, units: Sequence[str] | None = None, limit: int = 10
    ) -> list[Activity]:
        """Returns activities starting after NOW (at UNITS, if given), soonest first."""
        params: list[object] = [to_db(now)]
        where = "starts_at > ?"
        if units is not None:
            where += f" AND unit IN ({','.join('?' * len(units)) or 'NULL'})"
            params.extend(units)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM activities WHERE {where} ORDER BY starts_at, id LIMIT ?",
            (*params, limit),
        )
        return [_activity(row) for row in rows]

    async def signed_up(self, volunteer_id: int, now: datetime) -> list[Activity]:
        """Returns the activities starting after NOW that VOLUNTEER_ID holds a place or a
        waitlist place in, soonest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM activities WHERE starts_at > ? AND id IN"
            " (SELECT activity_id FROM signups WHERE volunteer_id = ?"
            " AND status IN ('going', 'waitlist')) ORDER BY starts_at, id",
            (to_db(now), volunteer_id),
        )
        return [_activity(row) for row in rows]

    async def signups(self, activity_id: int) -> list[Signup]:
        """Returns every sign-up in sign-up order, with the volunteer's name."""
        rows = await self.db.fetchall(
            "SELECT s.activity_id, s.volunteer_id, s.status, s.position,"
            " COALESCE(v.name, '') AS name FROM signups s"
            " LEFT JOIN volunteers v ON v.user_id = s.volunteer_id"
            " WHERE s.activity_id = ? ORDER BY s.position",
            (activity_id,),
        )
        return [
            Signup(
                row["activity_id"],
                row["volunteer_id"],
                SignupStatus(row["status"]),
                row["position"],
                row["name"],
            )
            for row in rows
        ]

    async def signup_of(self, activity_id: int, volunteer_id: int) -> Signup | None:
        return next(
            (s for s in await self.signups(activity_id) if s.volunteer_id == volunteer_id), None
        )

    async def sign_up(
        self,
        activity: Activity,
        volunteer_id: int,
        at: datetime,
        messages: Mapping[SignupStatus, Sequence[Outgoing]],
    ) -> SignupStatus | None:
        """Takes a place if one is free, else a waitlist place; None if already signed up.

        Counting and inserting happen in one write transaction holding the activity
        (_hold_activity), so two sign-ups for the last place never both get it, from one
        process or several.
        """
        assert activity.id is not None
        async with self.db.transaction() as conn:
            await _hold_activity(conn, activity.id)
            async with conn.execute(
                "SELECT status FROM signups WHERE activity_id = ? AND volunteer_id = ?",
                (activity.id, volunteer_id),
            ) as cursor:
                existing = await cursor.fetchone()
            if existing is not None and existing["status"] != SignupStatus.CANCELLED.value:
                return None
            status = seat(await _holding(conn, activity.id), activity.capacity)
            async with conn.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM signups WHERE activity_id = ?",
                (activity.id,),
            ) as cursor:
                row = await cursor.fetchone()
            position = int(row[0]) if row else 1
            await conn.execute(
                "INSERT INTO signups (activity_id, volunteer_id, status, position, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (activity_id, volunteer_id) DO UPDATE SET status = excluded.status,"
                " position = excluded.position, updated_at = excluded.updated_at",
                (activity.id, volunteer_id, status.value, position, to_db(at), to_db(at)),
            )
            await outbox.add(conn, list(messages[status]), at)
        return status

    async def cancel(
        self,
        activity: Activity,
        volunteer_id: int,
        at: datetime,
        messages: Sequence[Outgoing],
        promoted: Callable[[int], Awaitable[list[Outgoing]]],
    ) -> tuple[bool, int | None]:
        """Cancels the sign-up; a freed place goes to the earliest on the waitlist, atomically.

        Returns (cancelled, the promoted volunteer or None). PROMOTED(volunteer) gives the
        messages telling them, queued in the same commit.
        """
        async with self.db.transaction() as conn:
            return await cancel_in(conn, activity, volunteer_id, at, messages, promoted)

    async def check_in(
        self,
        activity: Activity,
        volunteer_id: int,
        at: datetime,
        points: int,
        messages: Sequence[Outgoing],
    ) -> bool:
        """Marks VOLUNTEER_ID attended and awards the points, once; False if not going."""
        assert activity.id is not None
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE signups SET status = 'attended', updated_at = ?"
                " WHERE activity_id = ? AND volunteer_id = ? AND status = 'going'",
                (to_db(at), activity.id, volunteer_id),
            )
            if cursor.rowcount != 1:
                return False
            await award(conn, volunteer_id, PointKind.CHECKIN, activity.id, points, at)
            await outbox.add(conn, list(messages), at)
        return True

    async def due_reminders(self, now: datetime, limit: int = 100) -> list[Activity]:
        """Returns activities with a reminder due (each through its partial index)."""
        stamp = to_db(now)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM activities WHERE id IN ("
            " SELECT id FROM activities WHERE remind_day_at IS NOT NULL AND remind_day_at <= ?"
            " UNION"
            " SELECT id FROM activities WHERE remind_hour_at IS NOT NULL AND remind_hour_at <= ?"
            ") ORDER BY starts_at LIMIT ?",
            (stamp, stamp, limit),
        )
        return [_activity(row) for row in rows]

    async def mark_reminded(
        self,
        activity: Activity,
        reminder: Reminder | None,
        at: datetime,
        messages: Callable[[], Awaitable[list[Outgoing]]],
    ) -> bool:
        """Clears the due reminder(s) with compare-and-set and queues MESSAGES(); False if done.

        REMINDER None (the activity already started) clears both without sending anything.
        The hour reminder clears the day one too: after downtime only one reminder goes out.
        """
        assert activity.id is not None
        if reminder is Reminder.DAY:
            sql = (
                "UPDATE activities SET remind_day_at = NULL"
                " WHERE id = ? AND remind_day_at IS NOT NULL"
            )
        else:
            sql = (
                "UPDATE activities SET remind_day_at = NULL, remind_hour_at = NULL"
                " WHERE id = ? AND (remind_day_at IS NOT NULL OR remind_hour_at IS NOT NULL)"
            )
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(sql, (activity.id,))
            if cursor.rowcount != 1:
                return False
            if reminder is not None:
                await outbox.add(conn, await messages(), at)
        return True
