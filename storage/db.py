"""The SQLite database: connection, PRAGMAs, forward-only migrations, one writer at a time."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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
# context variables: a task started inside a transaction must not write without the lock. The
# third item is the batch (Database.batch) when the transaction is one: a transaction() joining a
# batch is a SAVEPOINT of its own, so a handler's unit of work stays atomic (and recoverable after
# an error, which PostgreSQL requires) while the batch shares one commit.
_joined: contextvars.ContextVar[
    tuple[asyncio.Task[Any] | None, aiosqlite.Connection, Batch | None] | None
] = contextvars.ContextVar("joined", default=None)


class Batch:
    """Updates processed together in ONE write transaction (one fsync'd COMMIT): each update in a
    SAVEPOINT of its own (`update`), each transaction() of its handlers in a nested one.

    Network calls a handler would make inside it (a button press's answer) are queued with
    `after_commit` and made by the caller once the batch committed; a batch rolled back drops
    them (the updates are processed again). `generation` changes with every batch: caches
    (storage/units.py) validate themselves once per generation instead of once per read."""

    _generations = 0

    def __init__(self, conn: Any, at: str):
        self.conn = conn
        self.at = at  # done_at of the updates it completes
        self.done: set[int] = set()  # updates marked done in this batch
        self.deferred: list[Callable[[], Awaitable[None]]] = []
        self._savepoints = 0
        Batch._generations += 1
        self.generation = Batch._generations

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Runs the block in a SAVEPOINT: kept on success, rolled back alone on error."""
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        await self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                await self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                await self.conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        await self.conn.execute(f"RELEASE SAVEPOINT {name}")

    async def complete(self, update_id: int) -> None:
        """Marks UPDATE_ID done in the batch (once: a second mark would change nothing)."""
        if update_id in self.done:
            return
        await self.conn.execute(
            "UPDATE inbox SET state = 'done', done_at = ?, chat_id = NULL"
            " WHERE update_id = ? AND state = 'new'",
            (self.at, update_id),
        )
        self.done.add(update_id)


class LoopCursor:
    """A finished statement's rows, shaped as aiosqlite's cursor (LoopConn)."""

    def __init__(self, cursor: sqlite3.Cursor):
        self._cursor = cursor
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self.description = cursor.description

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchmany(self, size: int) -> list[Any]:
        return self._cursor.fetchmany(size)

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> LoopCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class _LoopStatement:
    def __init__(self, raw: sqlite3.Connection, sql: str, params: Any):
        self._raw, self._sql, self._params = raw, sql, params

    def __await__(self) -> Any:
        return self._run().__await__()

    async def _run(self) -> LoopCursor:
        return LoopCursor(self._raw.execute(self._sql, self._params))

    async def __aenter__(self) -> LoopCursor:
        return LoopCursor(self._raw.execute(self._sql, self._params))

    async def __aexit__(self, *exc: object) -> None:
        return None


class LoopConn:
    """The writer's sqlite3 connection used directly in the event loop, inside a batch: the
    hot path's statements take microseconds each, while a hop to aiosqlite's thread and back
    costs ~68 µs of CPU (bench/README.md). The writer lock is held, so aiosqlite's thread is
    idle meanwhile. aiosqlite's methods, as the repositories use them."""

    def __init__(self, raw: sqlite3.Connection):
        self.raw = raw

    def execute(self, sql: str, parameters: Any = ()) -> _LoopStatement:
        return _LoopStatement(self.raw, sql, parameters)

    async def executemany(self, sql: str, seq: Any) -> LoopCursor:
        return LoopCursor(self.raw.executemany(sql, seq))

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[Any]:
        return self.raw.execute(sql, parameters).fetchall()

    @property
    def total_changes(self) -> int:
        return self.raw.total_changes


def current_batch() -> Batch | None:
    """The batch open in this task, if any."""
    joined = _joined.get()
    if joined is not None and joined[0] is asyncio.current_task():
        return joined[2]
    return None


def batch_generation() -> int | None:
    """The generation of the batch open in this task (None outside a batch)."""
    batch = current_batch()
    return batch.generation if batch is not None else None


async def after_commit(call: Callable[[], Awaitable[None]]) -> None:
    """Makes the network call CALL now, or after the commit when a batch is open in this task
    (no network inside an open write transaction)."""
    batch = current_batch()
    if batch is None:
        await call()
    else:
        batch.deferred.append(call)


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
        conn = await aiosqlite.connect(self.path, isolation_level=None, check_same_thread=False)
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

    # What differs between the backends' writers (storage/pg.py overrides these four).
    def _writer_conn(self) -> Any:
        assert self._writer is not None, "database is not open"
        return self._writer

    async def _begin(self, conn: Any) -> None:
        await conn.execute("BEGIN IMMEDIATE")

    async def _commit(self, conn: Any) -> None:
        await conn.execute("COMMIT")

    async def _rollback(self, conn: Any) -> None:
        # A task cancelled while awaiting BEGIN or COMMIT (a shutdown) gets here while that
        # statement still runs in aiosqlite's thread: ROLLBACK queues behind it. After a COMMIT
        # there is nothing to roll back, and the cancellation, not that error, must propagate.
        with contextlib.suppress(sqlite3.OperationalError):
            await conn.execute("ROLLBACK")

    def _batch_conn(self, conn: Any) -> Any:
        """The connection a batch's statements go through: SQLite's run in the event loop
        (LoopConn), only BEGIN and COMMIT (the fsync) hop to the writer's thread."""
        return LoopConn(conn._conn)

    @asynccontextmanager
    async def transaction(self, *, completes_update: bool = True) -> AsyncIterator[Any]:
        """Yields the writer inside BEGIN IMMEDIATE; commits on success, rolls back on error.

        Unless COMPLETES_UPDATE is False (idempotent bookkeeping), the commit also marks the
        update being processed as done, so its effects are never applied twice.

        Inside a transaction already open in the same task, this joins it: no BEGIN, no COMMIT,
        the outer block commits or rolls back everything, decides about the update
        (COMPLETES_UPDATE of the inner block is ignored) and tells on_commit once. So a unit of
        work (storage/uow.py) can call repository methods that each open a transaction.

        Inside a batch (Database.batch) open in the same task, this is a SAVEPOINT: released
        (and the update marked done, as a commit would) on success, rolled back alone on error.
        """
        joined = _joined.get()
        if joined is not None and joined[0] is asyncio.current_task():
            batch = joined[2]
            if batch is None:
                yield joined[1]
                return
            token = _joined.set((joined[0], joined[1], None))
            try:
                async with batch.savepoint():
                    yield joined[1]
                    update_id = current_update.get() if completes_update else None
                    if update_id is not None:
                        await batch.complete(update_id)
            finally:
                _joined.reset(token)
            return
        async with self._lock:
            conn = self._writer_conn()
            token = _joined.set((asyncio.current_task(), conn, None))
            try:
                await self._begin(conn)
                yield conn
                update_id = current_update.get() if completes_update else None
                if update_id is not None:
                    await conn.execute(
                        "UPDATE inbox SET state = 'done', done_at = ?, chat_id = NULL"
                        " WHERE update_id = ? AND state = 'new'",
                        (to_db(datetime.now(UTC)), update_id),
                    )
                await self._commit(conn)
            except BaseException:
                await self._rollback(conn)
                raise
            finally:
                _joined.reset(token)
        for callback in self.on_commit:
            callback()

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        """One write transaction for several updates (group commit): yields the Batch.

        The caller processes each update inside `batch.update(update_id)`-like blocks of its
        own (Batch.savepoint + Batch.complete); everything commits together at the end, with one
        fsync. An error out of the block rolls back the whole batch. The calls deferred with
        `after_commit` are left in batch.deferred for the caller to make after the commit.
        """
        async with self._lock:
            conn = self._writer_conn()
            inner = self._batch_conn(conn)
            batch = Batch(inner, to_db(datetime.now(UTC)) or "")
            token = _joined.set((asyncio.current_task(), inner, batch))
            try:
                await self._begin(conn)
                yield batch
                await self._commit(conn)
            except BaseException:
                batch.deferred.clear()
                await self._rollback(conn)
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
        (
            f
            for f in resources.files("storage.migrations").iterdir()
            if f.name.endswith(".sql") and not f.name.endswith(".pg.sql")  # PostgreSQL's own
        ),
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
