"""Contacts repository (公示): what the office publishes about each staff member on /grid."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.contacts import FIELDS, Contact
from storage.db import Database, to_db

_COLUMNS = "user_id, public, public_name, title, office_hours, public_phone, source"


def _contact(row: aiosqlite.Row) -> Contact:
    return Contact(
        user_id=row["user_id"],
        public=bool(row["public"]),
        public_name=row["public_name"],
        title=row["title"],
        office_hours=row["office_hours"],
        public_phone=row["public_phone"],
        source=row["source"],
    )


class Contacts:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, user_id: int) -> Contact:
        """Returns what is published about USER_ID (nothing public if never set)."""
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM staff_contacts WHERE user_id = ?", (user_id,)
        )
        return _contact(row) if row else Contact(user_id)

    async def public_at(self, units: Iterable[str]) -> dict[int, Contact]:
        """Returns the public contacts of ACTIVE staff at UNITS (a member who left never shows)."""
        units = list(units)
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            f"SELECT {', '.join('c.' + c.strip() for c in _COLUMNS.split(','))}"
            " FROM staff_contacts c JOIN staff s ON s.user_id = c.user_id"
            f" WHERE c.public = 1 AND s.active = 1 AND s.unit IN ({marks})",
            tuple(units),
        )
        return {row["user_id"]: _contact(row) for row in rows}

    async def sync_config(self, contacts: Iterable[Contact], at: datetime) -> None:
        """Writes the config file's contacts (source 'config') as they are listed, replacing
        what was there; a config contact no longer listed stops being public."""
        listed = list(contacts)
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE staff_contacts SET public = 0 WHERE source = 'config'"
                " AND user_id NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
                (_ids(listed),),
            )
            for contact in listed:
                await _upsert(conn, contact, "config", None, at)

    async def update(self, user_id: int, *, by: int, at: datetime, **changes: Any) -> Contact:
        """Changes CHANGES (public, or fields of FIELDS; None clears a field), set in chat by BY."""
        current = await self.get(user_id)
        values = {
            "public": current.public,
            **{f: getattr(current, f) for f in FIELDS},
            **changes,
        }
        contact = Contact(user_id, source="chat", **values)
        async with self.db.transaction() as conn:
            await _upsert(conn, contact, "chat", by, at)
        return contact


def _ids(contacts: list[Contact]) -> str:
    return json.dumps([c.user_id for c in contacts])


async def _upsert(
    conn: aiosqlite.Connection, contact: Contact, source: str, by: int | None, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO staff_contacts (user_id, public, public_name, title, office_hours,"
        " public_phone, source, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET public = excluded.public,"
        " public_name = excluded.public_name, title = excluded.title,"
        " office_hours = excluded.office_hours, public_phone = excluded.public_phone,"
        " source = excluded.source, updated_by = excluded.updated_by,"
        " updated_at = excluded.updated_at",
        (
            contact.user_id,
            int(contact.public),
            contact.public_name,
            contact.title,
            contact.office_hours,
            contact.public_phone,
            source,
            by,
            to_db(at),
        ),
    )
