"""Storage faults made for tests, below the storage layer: SQLite's own errors, really raised."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storage.db import Database


def sqlite_error(message: str, code: int, name: str) -> sqlite3.OperationalError:
    """Returns the error sqlite3 raises for CODE (as it sets sqlite_errorcode itself)."""
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    error.sqlite_errorname = name  # type: ignore[attr-defined]
    return error


class FullDisk:
    """Makes every write transaction of DB fail with SQLITE_FULL while `full` is set.

    It sits at the driver call (aiosqlite's execute of BEGIN IMMEDIATE), below every repository,
    which is what a full disk looks like to storage/: the write fails, nothing is committed.
    """

    def __init__(self, db: Database):
        conn = db._writer
        assert conn is not None, "open the database first"
        self.full = False
        self.refused = 0
        original = conn.execute

        def execute(sql: str, *args: Any, **kwargs: Any) -> Any:
            if self.full and sql.strip().upper().startswith("BEGIN"):
                self.refused += 1
                raise sqlite_error("database or disk is full", 13, "SQLITE_FULL")
            return original(sql, *args, **kwargs)

        conn.execute = execute  # type: ignore[method-assign]


@contextmanager
def locked(path: str | Path) -> Iterator[sqlite3.Connection]:
    """Holds BEGIN EXCLUSIVE on the database at PATH from another connection meanwhile."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        yield conn
        conn.execute("ROLLBACK")
    finally:
        conn.close()


async def short_busy_timeout(db: Database, milliseconds: int = 100) -> None:
    """Makes DB's writer give up on a lock after MILLISECONDS (10 s in production)."""
    assert db._writer is not None
    await db._writer.execute(f"PRAGMA busy_timeout={milliseconds}")


class FullDiskFromOpen:
    """Makes every write transaction of each database opened meanwhile fail with SQLITE_FULL
    while `full` is set, migrations included (their script starts with BEGIN IMMEDIATE).

    For faults present at start-up: it patches Database._connect with MONKEYPATCH, so it is in
    place before the database exists, at the same driver calls as FullDisk.
    """

    def __init__(self, monkeypatch: Any):
        self.full = True
        self.refused = 0
        self.opened = 0
        original = Database._connect

        def refuse(sql: str) -> None:
            if self.full and sql.strip().upper().startswith("BEGIN"):
                self.refused += 1
                raise sqlite_error("database or disk is full", 13, "SQLITE_FULL")

        async def connect(db: Database) -> Any:
            conn = await original(db)
            self.opened += 1
            execute, executescript = conn.execute, conn.executescript

            def checked_execute(sql: str, *args: Any, **kwargs: Any) -> Any:
                refuse(sql)
                return execute(sql, *args, **kwargs)

            async def checked_executescript(script: str) -> Any:
                refuse(script)
                return await executescript(script)

            conn.execute = checked_execute  # type: ignore[method-assign]
            conn.executescript = checked_executescript  # type: ignore[method-assign]
            return conn

        monkeypatch.setattr(Database, "_connect", connect)


def short_busy_timeouts(monkeypatch: Any, milliseconds: int = 100) -> None:
    """Makes every database opened meanwhile give up on a lock after MILLISECONDS."""
    original = Database._connect

    async def connect(db: Database) -> Any:
        conn = await original(db)
        await conn.execute(f"PRAGMA busy_timeout={milliseconds}")
        return conn

    monkeypatch.setattr(Database, "_connect", connect)
