"""Files an outbox row uploads (a chart): the outbox holds JSON, so the bytes live beside it.

A row's params refer to a file as {"$file": id}; the sender loads it and uploads it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from storage.db import Database, to_db

FILE_KEY = "$file"


class MissingFile(LookupError):
    """An outbox row refers to a file that is no longer stored."""


async def add_file(
    conn: aiosqlite.Connection, chat_id: int, filename: str, data: bytes, at: datetime
) -> dict[str, int]:
    """Stores DATA inside the caller's transaction; returns the reference to put in params."""
    cursor = await conn.execute(
        "INSERT INTO outbox_files (chat_id, filename, data, created_at) VALUES (?, ?, ?, ?)",
        (chat_id, filename, data, to_db(at)),
    )
    assert cursor.lastrowid is not None
    return {FILE_KEY: cursor.lastrowid}


def file_id(value: Any) -> int | None:
    """Returns the file id if VALUE is a file reference, else None."""
    if isinstance(value, dict) and set(value) == {FILE_KEY} and isinstance(value[FILE_KEY], int):
        return int(value[FILE_KEY])
    return None


async def load_file(db: Database, file: int) -> tuple[str, bytes]:
    """Returns (filename, bytes) of FILE; raises MissingFile."""
    row = await db.fetchone("SELECT filename, data FROM outbox_files WHERE id = ?", (file,))
    if row is None:
        raise MissingFile(file)
    return row["filename"], bytes(row["data"])


async def forget_old_files(db: Database, now: datetime, keep: timedelta) -> int:
    """Deletes files older than KEEP whose chat has nothing left to send; returns how many."""
    async with db.transaction(completes_update=False) as conn:
        cursor = await conn.execute(
            "DELETE FROM outbox_files WHERE created_at < ? AND NOT EXISTS ("
            " SELECT 1 FROM outbox o WHERE o.chat_id = outbox_files.chat_id"
            " AND o.state IN ('pending', 'sending'))",
            (to_db(now - keep),),
        )
    return cursor.rowcount
