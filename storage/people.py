"""People (anyone who talked to the bot), staff roles, and single-use staff invites."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

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


async def upsert_staff(conn: aiosqlite.Connection, staff: Iterable[Staff], source: str) -> int:
    rows = [
        (s.user_id, s.name, s.role.value, s.unit, json.dumps(list(s.categories)), source)
        for s in staff
    ]
    await conn.executemany(
        "INSERT INTO staff (user_id, name, role, unit, categories, source)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, role = excluded.role,"
        " unit = excluded.unit, categories = excluded.categories, source = excluded.source",
        rows,
    )
    return len(rows)


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

    async def staff(self, user_id: int) -> Staff | None:
        row = await self.db.fetchone(
            "SELECT user_id, name, role, unit, categories FROM staff WHERE user_id = ?", (user_id,)
        )
        return _staff(row) if row else None

    async def all_staff(self) -> list[Staff]:
        rows = await self.db.fetchall(
            "SELECT user_id, name, role, unit, categories FROM staff ORDER BY user_id"
        )
        return [_staff(row) for row in rows]

    async def staff_at(self, units: Iterable[str]) -> list[Staff]:
        units = list(units)
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            "SELECT user_id, name, role, unit, categories FROM staff"
            f" WHERE unit IN ({marks}) ORDER BY user_id",
            tuple(units),
        )
        return [_staff(row) for row in rows]

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

    async def sync_staff(self, staff: Iterable[Staff], source: str) -> int:
        async with self.db.transaction() as conn:
            return await upsert_staff(conn, staff, source)

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
            await conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ? AND used_by IS NULL",
                (user_id, to_db(at), token),
            )
            staff = Staff(user_id, row["name"] or name, Role(row["role"]), row["unit"])
            await upsert_staff(conn, [staff], "invite")
            if compose is not None:
                await outbox.add(conn, list(compose(staff)), at)
        return staff
