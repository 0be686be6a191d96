"""The SQLite database: connection, PRAGMAs, forward-only migrations, one writer at a time."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.backup import DatabaseLock

log = logging.getLogger(__name__)

# The inbox update being processed. A write transaction marks it done in the same commit, so an
# update whose effects were committed is never processed again after a crash.
current_update: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_update", default=None
)

# True while a web request runs (handlers/web/guard.py): its reads go to a reader connection of
# their own, so a long page query never holds the bot's reads up on the one reader thread (WAL
# lets readers run beside each other and the writer; sqlite3 releases the GIL while SQLite works).
_apart: contextvars.ContextVar[bool] = contextvars.ContextVar("apart", default=False)


@contextmanager
def reads_apart() -> Iterator[None]:
    """Sends this context's reads outside a write transaction to the second reader."""
    token = _apart.set(True)
    try:
        yield
    finally:
        _apart.reset(token)


# The write transaction open in this task, if any: a transaction() inside it joins it instead of
# waiting for the lock its own task holds. The task is kept because asyncio.create_task copies
# context variables: a task started inside a transaction must not write without the lock.
_joined: contextvars.ContextVar[tuple[asyncio.Task[Any] | None, aiosqlite.Connection] | None] = (
    contextvars.ContextVar("joined", default=None)
)


def to_db(at: datetime | None) -> str | None:
    """Returns AT as the ISO text stored in the database (always UTC)."""
    if at is None:
        return None
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# A constraint refused a write, on either backend: `except IntegrityError:` (storage/pg.py raises
# a subclass for psycopg's). On PostgreSQL the transaction is then aborted: let it end (raise),
# or write with ON CONFLICT instead.
IntegrityError = sqlite3.IntegrityError


class DatabaseBusy(Exception):
    """The database is being restored (`griddesk restore` holds its lock)."""


def is_postgres(location: object) -> bool:
    """True for a PostgreSQL URL (`[storage] url`), False for an SQLite file's path."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


class Database:
    """One writer connection behind a lock (BEGIN IMMEDIATE), one reader connection, and a second
    reader for the web app's requests (reads_apart).

    `Database(location)` with a PostgreSQL URL gives storage/pg.py's PgDatabase: the same
    methods, the same SQL (said again by storage/dialect.py)."""

    dialect = "sqlite"

    def __new__(cls, location: str | Path) -> Database:
        if cls is Database and is_postgres(location):
            from storage.pg import PgDatabase

            return super().__new__(PgDatabase)
        return super().__new__(cls)

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._apart: aiosqlite.Connection | None = None  # opened at its first read
        self._opening = asyncio.Lock()
        self._lock = asyncio.Lock()
        self.on_commit: list[Any] = []  # callables told after each commit (e.g. wake the sender)
        self._lock_file = DatabaseLock(self.path)

    async def open(self) -> Database:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Held (shared) while open, so `griddesk restore` can tell that a process uses the file.
        if not self._lock_file.acquire(exclusive=False):
            raise DatabaseBusy(f"{self.path}: a restore is replacing this database; try again")
        try:
            self._writer = await self._connect()
            await migrate(self._writer)
            self._reader = await self._connect()
        except BaseException:
            await self.close()
            raise
        return self

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=FULL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=10000")
        except BaseException:
            # e.g. no room for the WAL index on a full disk: an unclosed connection's thread
            # would keep the process alive after it is told to stop.
            await conn.close()
            raise
        return conn

    async def close(self) -> None:
        """Closes every connection and releases the lock, even if cancelled meanwhile.

        A SIGTERM during a start-up held back by a fault cancels the attempt while it closes
        what it opened: the other connection's thread would keep the process alive and the held
        lock would refuse a restore. Whatever interrupted the close is raised once it is done.
        """
        connections = [c for c in (self._apart, self._reader, self._writer) if c is not None]
        self._apart = self._reader = self._writer = None
        interrupted: BaseException | None = None
        try:
            for conn in connections:
                try:
                    await conn.close()  # aiosqlite stops its thread even when this is cancelled
                except BaseException as exc:
                    interrupted = interrupted or exc
        finally:
            self._lock_file.release()
        if interrupted is not None:
            raise interrupted

    @asynccontextmanager
    async def transaction(
        self, *, completes_update: bool = True
    ) -> AsyncIterator[aiosqlite.Connection]:
        """Yields the writer inside BEGIN IMMEDIATE; commits on success, rolls back on error.

        Unless COMPLETES_UPDATE is False (idempotent bookkeeping), the commit also marks the
        update being processed as done, so its effects are never applied twice.

        Inside a transaction already open in the same task, this joins it: no BEGIN, no COMMIT,
        the outer block commits or rolls back everything, decides about the update
        (COMPLETES_UPDATE of the inner block is ignored) and tells on_commit once. So a unit of
        work (storage/uow.py) can call repository methods that each open a transaction.
        """
        assert self._writer is not None, "database is not open"
        joined = _joined.get()
        if joined is not None and joined[0] is asyncio.current_task():
            yield joined[1]
            return
        async with self._lock:
            conn = self._writer
            token = _joined.set((asyncio.current_task(), conn))
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
                update_id = current_update.get() if completes_update else None
                if update_id is not None:
                    await conn.execute(
                        "UPDATE inbox SET state = 'done', done_at = ? WHERE update_id = ?",
                        (to_db(datetime.now(UTC)), update_id),
                    )
                await conn.execute("COMMIT")
            except BaseException:
                # A task cancelled while awaiting BEGIN or COMMIT (a shutdown) gets here while
                # that statement still runs in aiosqlite's thread: ROLLBACK queues behind it.
                # After a COMMIT there is nothing to roll back, and the cancellation, not that
                # error, must propagate.
                with contextlib.suppress(sqlite3.OperationalError):
                    await conn.execute("ROLLBACK")
                raise
            finally:
                _joined.reset(token)
        for callback in self.on_commit:
            callback()

    def in_transaction(self) -> bool:
        """True inside a write transaction of this task (reads then see its own writes)."""
        joined = _joined.get()
        return joined is not None and joined[0] is asyncio.current_task()

    # Reads run and finish in one call on the reader's thread: a statement left open between
    # awaits keeps its read transaction (and snapshot) open, and every other coroutine's read on
    # the shared reader would see that old snapshot — the sender then sent a row already sent.
    # Inside a write transaction of this task a read goes through the writer, so it sees the
    # transaction's own writes.
    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[aiosqlite.Row]:
        joined = _joined.get()
        if joined is not None and joined[0] is asyncio.current_task():
            return list(await joined[1].execute_fetchall(sql, params))
        assert self._reader is not None, "database is not open"
        reader = await self._apart_reader() if _apart.get() else self._reader
        return list(await reader.execute_fetchall(sql, params))

    async def _apart_reader(self) -> aiosqlite.Connection:
        """The web's reader, opened by its first read (most commands never serve the web)."""
        if self._apart is None:
            async with self._opening:
                if self._apart is None:
                    self._apart = await self._connect()
        return self._apart

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


async def migrate(conn: aiosqlite.Connection) -> int:
    """Applies the numbered migrations the database has not seen; returns the new version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    files = sorted(
        (f for f in resources.files("storage.migrations").iterdir() if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    for file in files:
        number = int(file.name.split("_", 1)[0])
        if number <= version:
            continue
        log.info("applying migration %s", file.name)
        script = file.read_text(encoding="utf-8")
        await conn.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
        version = number
    return version


async def open_database(path: str | Path) -> Database:
    return await Database(path).open()
