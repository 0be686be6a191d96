"""A status history (report_events, wish_events): one row a move — what was done (action), the
status before (old, none for the first) and after (new), who (actor_id), when (at) and a note,
keyed by the object's id column, plus columns of the table's own. Written in the caller's
transaction, read oldest first."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

import aiosqlite

from storage.db import Database, from_db, to_db

_MOVE = ("action", "old", "new", "actor_id", "at", "note")


class Move(Protocol):
    """A move's event as the domain has it (ReportEvent, WishEvent)."""

    @property
    def action(self) -> StrEnum: ...
    @property
    def old(self) -> StrEnum | None: ...
    @property
    def new(self) -> StrEnum: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def note(self) -> str | None: ...


async def append(
    conn: aiosqlite.Connection, table: str, key: str, owner: int, event: Move, **more: object
) -> None:
    """Appends EVENT to TABLE's history of OWNER (its KEY column), with MORE columns' values."""
    columns = (key, *_MOVE, *more)
    await conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        (
            owner,
            event.action.value,
            event.old.value if event.old else None,
            event.new.value,
            event.actor_id,
            to_db(event.at),
            event.note,
            *more.values(),
        ),
    )


async def read(
    db: Database, table: str, key: str, owner: int, more: tuple[str, ...] = ()
) -> list[tuple[aiosqlite.Row, datetime]]:
    """Returns OWNER's history in TABLE oldest first: each row (the move's columns and MORE)
    with its time."""
    rows = await db.fetchall(
        f"SELECT {', '.join((*_MOVE, *more))} FROM {table} WHERE {key} = ? ORDER BY id", (owner,)
    )
    out = []
    for row in rows:
        at = from_db(row["at"])
        assert at is not None
        out.append((row, at))
    return out
