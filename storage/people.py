"""People (anyone who talked to the bot), staff roles, and single-use staff invites."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.domain.people import Person, Role, Staff
from bot.domain.units import UnitTree
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing


class InviteError(Exception):
    """The invite token is unknown, used or expired (the message key says which)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _staff(row: aiosqlite.Row) -> Staff:
    return Staff(
        row["user_id"],
        row["name"],
        Role(row["role"]),
        row["unit"],
        tuple(json.loads(row["categories"])),
    )


_STAFF_COLUMNS = "user_id, name, role, unit, categories"


async def upsert_staff(
    conn: aiosqlite.Connection,
    staff: Iterable[Staff],
    source: str,
    at: datetime | None = None,
) -> int:
    """Writes STAFF as active (re-activating anyone who had left), recording who came back.

    The config sync ('config') re-activates only staff the sync itself deactivated: someone an
    admin deactivated in chat stays out until they are invited again, whatever the file says.
    Active staff given another unit or role (the file edited, a new import or invite) are
    recorded as moved and left with a pending hand-over, as a move in chat is.
    """
    staff = list(staff)
    rows = [
        (s.user_id, s.name, s.role.value, s.unit, json.dumps(list(s.categories)), source)
        for s in staff
    ]
    moving = await _moving(conn, staff)
    returning = await _inactive_of(conn, [s.user_id for s in staff], source)
    await conn.executemany(
        "INSERT INTO staff (user_id, name, role, unit, categories, source)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, role = excluded.role,"
        " unit = excluded.unit, categories = excluded.categories, source = excluded.source,"
        " active = CASE WHEN excluded.source = 'config' AND staff.left_by IS NOT NULL"
        " THEN staff.active ELSE 1 END,"
        " left_at = CASE WHEN excluded.source = 'config' AND staff.left_by IS NOT NULL"
        " THEN staff.left_at ELSE NULL END,"
        " left_by = CASE WHEN excluded.source = 'config' THEN staff.left_by ELSE NULL END",
        rows,
    )
    for user_id in returning:
        await add_staff_event(conn, user_id, "reactivate", None, at, {"source": source})
    for user_id, data in moving:
        action = "move" if data["from_unit"] != data["to_unit"] else "role"
        event_id = await add_staff_event(conn, user_id, action, None, at, data | {"source": source})
        await _mark_handover(conn, user_id, event_id)
    return len(rows)


async def _moving(conn: aiosqlite.Connection, staff: list[Staff]) -> list[tuple[int, dict]]:
    """Returns which of STAFF are active with another unit or role now, with the change."""
    wanted = {s.user_id: s for s in staff}
    ids = list(wanted)
    found: list[tuple[int, dict]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            f"SELECT user_id, unit, role FROM staff WHERE active = 1 AND user_id IN ({marks})",
            tuple(chunk),
        ) as cursor:
            for row in await cursor.fetchall():
                after = wanted[row["user_id"]]
                if (row["unit"], row["role"]) != (after.unit, after.role.value):
                    data = {
                        "from_unit": row["unit"],
                        "to_unit": after.unit,
                        "from_role": row["role"],
                        "to_role": after.role.value,
                    }
                    found.append((row["user_id"], data))
    return found


async def _inactive_of(conn: aiosqlite.Connection, ids: list[int], source: str) -> list[int]:
    """Returns which of IDS are inactive staff that an upsert from SOURCE brings back."""
    found: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        condition = " AND left_by IS NULL" if source == "config" else ""
        async with conn.execute(
            f"SELECT user_id FROM staff WHERE active = 0 AND user_id IN ({marks}){condition}",
            tuple(chunk),
        ) as cursor:
            found.extend(row["user_id"] for row in await cursor.fetchall())
    return found


async def add_staff_event(
    conn: aiosqlite.Connection,
    user_id: int,
    action: str,
    actor_id: int | None,
    at: datetime | None,
    data: dict | None = None,
) -> int:
    """Appends one change of a staff member to staff_events (ids and codes only, no names);
    returns the event's id."""
    cursor = await conn.execute(
        "INSERT INTO staff_events (user_id, action, actor_id, at, data) VALUES (?, ?, ?, ?, ?)",
        (user_id, action, actor_id, to_db(at or datetime.now(UTC)), json.dumps(data or {})),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


# A move or role change leaves a hand-over pending until bot/usecases/staff.py has re-routed
# what the person no longer covers: a row in `meta` (key HANDOVER + user id, value the change's
# staff_events id), written in the change's own commit and cleared only for the change it was
# written for. The staff_departed sweep finds pending ones by the key's primary-key index, so a
# crash between the change and its hand-over is finished on the next pass, and a pass with
# nothing pending costs one index probe.
HANDOVER = "staff_handover:"
# meta key prefix: the fingerprint of the command menu last queued for a staff member's chat.
MENU = "staff_menu:"


@dataclass(frozen=True)
class MenuTarget:
    user_id: int
    lang: str
    active: bool  # active staff: the staff menu; else the residents' list
    sent: int | None  # fingerprint of the menu last queued, None if none was
    role: Role | None = None  # their role (the menu lists what it may use)


async def _mark_handover(conn: aiosqlite.Connection, user_id: int, event_id: int) -> None:
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (f"{HANDOVER}{user_id}", event_id),
    )


class People:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, user_id: int) -> Person | None:
        row = await self.db.fetchone(
            "SELECT user_id, name, lang, unit, phone FROM people WHERE user_id = ?", (user_id,)
        )
        staff = await self.staff(user_id)
        if row is None:
            # Staff who never wrote to the bot: no language yet, so person_of() records them
            # on first contact (and /lang can change it).
            return None if staff is None else Person(user_id, staff.name, "", staff=staff)
        return Person(row["user_id"], row["name"], row["lang"], row["unit"], row["phone"], staff)

    async def touch(self, user_id: int, name: str, lang: str, at: datetime) -> Person:
        """Returns the person, creating them on first contact with Telegram's language."""
        async with self.db.transaction(completes_update=False) as conn:
            await conn.execute(
                "INSERT INTO people (user_id, name, lang, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
                (user_id, name[:64], lang, to_db(at), to_db(at)),
            )
        person = await self.get(user_id)
        assert person is not None
        return person

    async def update(
        self,
        user_id: int,
        at: datetime,
        messages: Sequence[Outgoing] = (),
        *,
        clear_draft: bool = False,
        **fields: object,
    ) -> None:
        """Changes the person's FIELDS and queues MESSAGES (the confirmation) in one commit."""
        allowed = {"name", "lang", "unit", "phone"}
        assert set(fields) <= allowed, fields
        async with self.db.transaction() as conn:
            if fields:
                sets = ", ".join(f"{key} = ?" for key in fields)
                await conn.execute(
                    f"UPDATE people SET {sets}, updated_at = ? WHERE user_id = ?",
                    (*fields.values(), to_db(at), user_id),
                )
            if clear_draft:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (user_id,))
            await outbox.add(conn, list(messages), at)

    # Every read below sees only active staff: someone who left no longer routes, holds,
    # authorises or appears in a list, and their old buttons are refused on the next press.
    async def staff(self, user_id: int) -> Staff | None:
        row = await self.db.fetchone(
            f"SELECT {_STAFF_COLUMNS} FROM staff WHERE user_id = ? AND active = 1", (user_id,)
        )
        return _staff(row) if row else None

    async def all_staff(self) -> list[Staff]:
        rows = await self.db.fetchall(
            f"SELECT {_STAFF_COLUMNS} FROM staff WHERE active = 1 ORDER BY user_id"
        )
        return [_staff(row) for row in rows]

    async def staff_at(self, units: Iterable[str]) -> list[Staff]:
        units = list(units)
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            f"SELECT {_STAFF_COLUMNS} FROM staff"
            f" WHERE unit IN ({marks}) AND active = 1 ORDER BY user_id",
            tuple(units),
        )
        return [_staff(row) for row in rows]

    async def former(self, user_id: int) -> Staff | None:
        """Returns USER_ID's staff row if they were deactivated (for history and re-routing)."""
        row = await self.db.fetchone(
            f"SELECT {_STAFF_COLUMNS} FROM staff WHERE user_id = ? AND active = 0", (user_id,)
        )
        return _staff(row) if row else None

    async def source_of(self, user_id: int) -> str | None:
        """Returns where an active staff member came from: 'config', 'csv' or 'invite'."""
        row = await self.db.fetchone(
            "SELECT source FROM staff WHERE user_id = ? AND active = 1", (user_id,)
        )
        return row["source"] if row else None

    async def departed_holders(self, limit: int = 100) -> list[int]:
        """Returns deactivated staff who still hold open reports or visit active households."""
        rows = await self.db.fetchall(
            "SELECT s.user_id FROM staff s WHERE s.active = 0 AND ("
            " EXISTS (SELECT 1 FROM reports r WHERE r.assignee_id = s.user_id"
            " AND r.status IN ('open', 'accepted'))"
            " OR EXISTS (SELECT 1 FROM households h WHERE h.visitor_id = s.user_id"
            " AND h.visitor_kind = 'staff' AND h.active = 1))"
            " ORDER BY s.user_id LIMIT ?",
            (limit,),
        )
        return [row["user_id"] for row in rows]

    async def deactivate(
        self,
        user_id: int,
        by: int | None,
        at: datetime,
        messages: Sequence[Outgoing] = (),
        *,
        reason: str = "chat",
    ) -> bool:
        """Marks an active staff member as left (compare-and-set); False if they already were.

        The row stays (history, events, audit); MESSAGES are queued in the same commit.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE staff SET active = 0, left_at = ?, left_by = ?"
                " WHERE user_id = ? AND active = 1",
                (to_db(at), by, user_id),
            )
            if cursor.rowcount != 1:
                return False
            await add_staff_event(conn, user_id, "deactivate", by, at, {"reason": reason})
            await outbox.add(conn, list(messages), at)
        return True

    async def retire_config_staff(self, keep: Iterable[int], at: datetime) -> list[int]:
        """Deactivates active staff from the config file who are no longer listed in it."""
        listed = set(keep)
        rows = await self.db.fetchall(
            "SELECT user_id FROM staff WHERE source = 'config' AND active = 1"
        )
        gone = [row["user_id"] for row in rows if row["user_id"] not in listed]
        for user_id in gone:
            await self.deactivate(user_id, None, at, reason="config")
        return gone

    async def kept_out(self, listed: Iterable[int]) -> list[int]:
        """Returns which of LISTED (the config file's staff) an admin deactivated in chat."""
        ids = set(listed)
        rows = await self.db.fetchall(
            "SELECT user_id FROM staff WHERE active = 0 AND left_by IS NOT NULL ORDER BY user_id"
        )
        return [row["user_id"] for row in rows if row["user_id"] in ids]

    async def change(
        self,
        before: Staff,
        after: Staff,
        by: int,
        at: datetime,
        messages: Sequence[Outgoing] = (),
    ) -> bool:
        """Moves an active staff member to AFTER's unit and role if still as BEFORE; else False."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE staff SET unit = ?, role = ?"
                " WHERE user_id = ? AND active = 1 AND unit = ? AND role = ?",
                (after.unit, after.role.value, before.user_id, before.unit, before.role.value),
            )
            if cursor.rowcount != 1:
                return False
            data = {
                "from_unit": before.unit,
                "to_unit": after.unit,
                "from_role": before.role.value,
                "to_role": after.role.value,
            }
            action = "move" if before.unit != after.unit else "role"
            event_id = await add_staff_event(conn, before.user_id, action, by, at, data)
            await _mark_handover(conn, before.user_id, event_id)
            await outbox.add(conn, list(messages), at)
        return True

    async def pending_handovers(self, limit: int = 100) -> list[tuple[int, int]]:
        """Returns (user id, marker) of staff whose move or role change is not yet handed over."""
        rows = await self.db.fetchall(
            "SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key LIMIT ?",
            (HANDOVER, HANDOVER[:-1] + chr(ord(HANDOVER[-1]) + 1), limit),
        )
        return [(int(row["key"][len(HANDOVER) :]), row["value"]) for row in rows]

    async def pending_handover(self, user_id: int) -> int | None:
        """Returns the marker of USER_ID's pending hand-over, None if nothing is pending."""
        row = await self.db.fetchone(
            "SELECT value FROM meta WHERE key = ?", (f"{HANDOVER}{user_id}",)
        )
        return row["value"] if row else None

    async def handover_done(self, user_id: int, marker: int) -> bool:
        """Clears USER_ID's pending hand-over if it is still MARKER (a later change keeps its own
        marker); False if it was not."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "DELETE FROM meta WHERE key = ? AND value = ?", (f"{HANDOVER}{user_id}", marker)
            )
            return cursor.rowcount == 1

    async def staff_events(self, user_id: int) -> list[tuple[str, int | None, dict]]:
        """Returns USER_ID's staff history: (action, actor, data), oldest first."""
        rows = await self.db.fetchall(
            "SELECT action, actor_id, data FROM staff_events WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [(row["action"], row["actor_id"], json.loads(row["data"])) for row in rows]

    async def along(self, tree: UnitTree, unit: str) -> list[Staff]:
        """Returns the staff of UNIT and of every unit above it: all that routing looks at."""
        return await self.staff_at(u.code for u in tree.chain(unit))

    async def languages(self, user_ids: Iterable[int]) -> dict[int, str]:
        ids = list(set(user_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT user_id, lang FROM people WHERE user_id IN ({marks})", tuple(ids)
        )
        return {row["user_id"]: row["lang"] for row in rows}

    async def menu_targets(self, user_id: int | None = None) -> list[MenuTarget]:
        """Returns everyone who is or was staff and has talked to the bot (so has a language and
        a private chat), with the fingerprint of the command menu last queued for them."""
        where = "" if user_id is None else " AND s.user_id = ?"
        rows = await self.db.fetchall(
            "SELECT s.user_id, p.lang, s.active, s.role, m.value AS sent FROM staff s"
            " JOIN people p ON p.user_id = s.user_id"
            " LEFT JOIN meta m ON m.key = ? || s.user_id"
            f" WHERE p.lang != ''{where} ORDER BY s.user_id",
            (MENU, user_id) if user_id is not None else (MENU,),
        )
        return [
            MenuTarget(
                row["user_id"], row["lang"], bool(row["active"]), row["sent"], Role(row["role"])
            )
            for row in rows
        ]

    async def queue_menu(
        self, target: MenuTarget, fingerprint: int, menu: Outgoing, at: datetime
    ) -> bool:
        """Queues MENU for TARGET and records FINGERPRINT if the menu last queued is still
        TARGET.sent (compare-and-set: two refreshes at once queue it once); False if not."""
        async with self.db.transaction(completes_update=False) as conn:
            if target.sent is None:
                cursor = await conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (f"{MENU}{target.user_id}", fingerprint),
                )
            else:
                cursor = await conn.execute(
                    "UPDATE meta SET value = ? WHERE key = ? AND value = ?",
                    (fingerprint, f"{MENU}{target.user_id}", target.sent),
                )
            if cursor.rowcount != 1:
                return False
            await outbox.add(conn, [menu], at)
        return True

    async def sync_staff(
        self, staff: Iterable[Staff], source: str, at: datetime | None = None
    ) -> int:
        async with self.db.transaction() as conn:
            return await upsert_staff(conn, staff, source, at)

    async def create_invite(
        self, role: Role, unit: str, name: str, at: datetime, ttl: timedelta
    ) -> str:
        """Returns a new single-use token (URL-safe, fits Telegram's 64-character start payload)."""
        token = secrets.token_urlsafe(24)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO invites (token, role, unit, name, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token, role.value, unit, name, to_db(at), to_db(at + ttl)),
            )
        return token

    async def redeem_invite(
        self,
        token: str,
        user_id: int,
        name: str,
        at: datetime,
        compose: Callable[[Staff], Sequence[Outgoing]] | None = None,
    ) -> Staff:
        """Binds USER_ID as staff from TOKEN, once; raises InviteError for used/expired/unknown.

        COMPOSE returns the messages (the greeting) queued in the same commit as the binding.
        """
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT role, unit, name, expires_at, used_by FROM invites WHERE token = ?",
                (token,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise InviteError("invite.unknown")
            if row["used_by"] is not None:
                raise InviteError("invite.used")
            expires = from_db(row["expires_at"])
            assert expires is not None
            if expires <= at:
                raise InviteError("invite.expired")
            # The read above may be older than another instance's redeeming of the same token
            # (PostgreSQL, READ COMMITTED): the write re-checks and only one of them binds.
            cursor = await conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ? AND used_by IS NULL",
                (user_id, to_db(at), token),
            )
            if cursor.rowcount != 1:
                raise InviteError("invite.used")
            staff = Staff(user_id, row["name"] or name, Role(row["role"]), row["unit"])
            await upsert_staff(conn, [staff], "invite", at)
            if compose is not None:
                await outbox.add(conn, list(compose(staff)), at)
        return staff
