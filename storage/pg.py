"""The PostgreSQL backend: the same Database interface as SQLite's, on psycopg 3 (async).

`[storage] url = "postgresql://…"` (or GRIDDESK_DB_URL) opens this instead of the SQLite file.
Repositories keep their SQL in SQLite's dialect; each statement is said again for PostgreSQL by
storage/dialect.py (cached), and what comes back looks like SQLite's: rows readable by index and
by name, integers as int (PostgreSQL's SUM and AVG give numeric), `cursor.lastrowid` for an
INSERT into a table with an identity `id` (the statement gets `RETURNING id`).

Connections: one writer (transactions, one at a time in this process, as SQLite's writer lock
makes it) and readers on their own autocommit connections, so a read is its own snapshot. Several
processes may share one database: what they must not both do is claimed in SQL (storage/inbox.py)
or led by one of them (storage/leader.py: getUpdates, the sender, the sweeps). A connection
found broken (a server restart, a cut network) is opened again on its next use (PgConn.alive);
the use that found it raised psycopg's OperationalError, a storage fault ("io") callers retry.
Migrations are the same numbered list as SQLite's
(storage/migrations): `NNNN_name.sql` translated by dialect.ddl_to_postgres, or
`NNNN_name.pg.sql` beside it where PostgreSQL needs its own text; the version is kept in
`griddesk_schema`, and a migration runs under an advisory lock so two starting processes never
apply one twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format

from storage import db as _db
from storage.dialect import ddl_to_postgres, to_postgres

log = logging.getLogger(__name__)

# Every process that migrates takes this advisory lock first (an arbitrary constant).
_MIGRATE_LOCK = 7_405_311_001


class PgRow(tuple):
    """A row readable as SQLite's: row[0], row["name"], keys(), dict(row)."""

    _names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return None
    names = {column.name: i for i, column in enumerate(description)}
    cls = type("Row", (PgRow,), {"_names": names, "__slots__": ()})
    return lambda values: cls(values)


class _NumberLoader(Loader):
    """numeric (SUM, AVG, ROUND of integers) back as int when whole, else float, as SQLite."""

    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        if "." not in text and "e" not in text.lower() and text not in ("NaN", "Infinity"):
            return int(text)
        return float(Decimal(text))


class _FlagDumper(Dumper):
    """Python bools go in as 0/1: the schema's flags are integers, as in SQLite."""

    oid = 20  # int8
    format = Format.TEXT

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class PgIntegrityError(_db.IntegrityError):
    """psycopg's IntegrityError as storage.db.IntegrityError, so repositories catch one type."""


class PgCursor:
    """What a statement gives back, shaped as aiosqlite's cursor."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None):
        self._rows = rows
        self._at = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Any:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchall(self) -> list[Any]:
        rows, self._at = self._rows[self._at :], len(self._rows)
        return rows

    async def fetchmany(self, size: int) -> list[Any]:
        rows = self._rows[self._at : self._at + size]
        self._at += len(rows)
        return rows

    async def close(self) -> None:
        return None


class _Statement:
    """`await conn.execute(…)` and `async with conn.execute(…) as cursor:`, as aiosqlite's."""

    def __init__(self, conn: PgConn, sql: str, params: Any):
        self._conn, self._sql, self._params = conn, sql, params

    def __await__(self) -> Any:
        return self._conn._run(self._sql, self._params).__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._conn._run(self._sql, self._params)

    async def __aexit__(self, *exc: object) -> None:
        return None


_INSERT_INTO = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


class PgConn:
    """One psycopg connection seen through aiosqlite's methods."""

    dialect = "postgresql"

    def __init__(self, raw: psycopg.AsyncConnection[Any], identity_tables: set[str], url: str = ""):
        self.raw = raw
        self._identity = identity_tables
        self._url = url
        self._reconnecting = asyncio.Lock()

    async def alive(self) -> PgConn:
        """Reconnects when the connection was lost (a server restart, a cut network).

        psycopg marks a connection closed once a statement found it broken: that statement
        raised OperationalError (a storage fault, "io": the caller backs off and retries), and
        the next use comes here. A failed reconnect raises OperationalError in turn.
        """
        if self.raw.closed and self._url:
            async with self._reconnecting:
                if self.raw.closed:
                    log.warning("the PostgreSQL connection was lost; reconnecting")
                    self.raw = await _raw_connect(self._url)
        return self

    def execute(self, sql: str, parameters: Any = ()) -> _Statement:
        return _Statement(self, sql, parameters)

    async def _run(self, sql: str, params: Any) -> PgCursor:
        text = to_postgres(sql)
        wants_id = False
        insert = _INSERT_INTO.match(sql)
        if insert and insert.group(1) in self._identity and not _RETURNING.search(text):
            text += " RETURNING id"
            wants_id = True
        async with self.raw.cursor() as cursor:
            try:
                await cursor.execute(text, _params(params), prepare=None)
            except psycopg.IntegrityError as exc:
                raise PgIntegrityError(str(exc)) from exc
            rows = await cursor.fetchall() if cursor.description is not None else []
            rowcount = cursor.rowcount
        lastrowid = rows[0][0] if wants_id and rows else None
        return PgCursor([] if wants_id else rows, rowcount, lastrowid)

    async def executemany(self, sql: str, seq: Iterable[Any]) -> PgCursor:
        batch = [_params(p) for p in seq]
        if not batch:
            return PgCursor([], 0, None)
        async with self.raw.cursor() as cursor:
            try:
                await cursor.executemany(to_postgres(sql), batch)
            except psycopg.IntegrityError as exc:
                raise PgIntegrityError(str(exc)) from exc
            return PgCursor([], cursor.rowcount, None)

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[Any]:
        return (await self._run(sql, parameters))._rows

    async def executescript(self, script: str) -> None:
        await self.raw.execute(script)

    async def close(self) -> None:
        await self.raw.close()


def _params(params: Any) -> Any:
    if isinstance(params, dict | tuple | list):
        return params
    return tuple(params)


async def _raw_connect(url: str) -> psycopg.AsyncConnection[Any]:
    raw = await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=_row_factory)
    raw.adapters.register_dumper(bool, _FlagDumper)
    raw.adapters.register_loader("numeric", _NumberLoader)
    return raw


async def connect(url: str, identity: set[str]) -> PgConn:
    """A connection that reconnects on its next use once it was lost (PgConn.alive)."""
    return PgConn(await _raw_connect(url), identity, url)


@functools.cache
def _migrations() -> list[tuple[int, str, str]]:
    """(number, name, PostgreSQL script) of every migration, in order: read and translated once
    per process (~0.15 s of CPU that every open paid, even with nothing to migrate)."""
    folder = resources.files("storage.migrations")
    names = {f.name for f in folder.iterdir()}
    out = []
    for name in sorted(n for n in names if n.endswith(".sql") and not n.endswith(".pg.sql")):
        own = name.removesuffix(".sql") + ".pg.sql"
        if own in names:
            script = folder.joinpath(own).read_text(encoding="utf-8")
        else:
            script = ddl_to_postgres(folder.joinpath(name).read_text(encoding="utf-8"))
        out.append((int(name.split("_", 1)[0]), name, script))
    return out


async def migrate(conn: PgConn) -> int:
    """Applies the migrations this database has not seen, under the migration lock."""
    raw = conn.raw
    await raw.execute("SELECT pg_advisory_lock(%s)", (_MIGRATE_LOCK,))
    try:
        await raw.execute("CREATE TABLE IF NOT EXISTS griddesk_schema (version BIGINT NOT NULL)")
        cursor = await raw.execute("SELECT version FROM griddesk_schema")
        row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        for number, name, script in _migrations():
            if number <= version:
                continue
            log.info("applying migration %s", name)
            async with raw.transaction():
                await raw.execute(script)
                await raw.execute("DELETE FROM griddesk_schema")
                await raw.execute("INSERT INTO griddesk_schema (version) VALUES (%s)", (number,))
            version = number
        return version
    finally:
        await raw.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATE_LOCK,))


async def identity_tables(conn: PgConn) -> set[str]:
    cursor = await conn.raw.execute(
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'"
    )
    return {row[0] for row in await cursor.fetchall()}


class PgDatabase(_db.Database):
    """Database (storage/db.py) on a PostgreSQL server at URL."""

    dialect = "postgresql"

    def __init__(self, url: str):
        self.path = url
        self.url = url
        self._writer_pg: PgConn | None = None
        self._reader_pg: PgConn | None = None
        self._apart_pg: PgConn | None = None
        self._opening = asyncio.Lock()
        self._lock = asyncio.Lock()
        self.on_commit = []
        self._identity: set[str] = set()

    async def open(self) -> PgDatabase:
        try:
            self._writer_pg = await connect(self.url, self._identity)
            await migrate(self._writer_pg)
            self._identity.update(await identity_tables(self._writer_pg))
            self._reader_pg = await connect(self.url, self._identity)
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        connections = [c for c in (self._apart_pg, self._reader_pg, self._writer_pg) if c]
        self._apart_pg = self._reader_pg = self._writer_pg = None
        for conn in connections:
            with contextlib.suppress(Exception):
                await conn.close()

    # The writer's transaction (Database.transaction and Database.batch use these).
    def _writer_conn(self) -> Any:
        assert self._writer_pg is not None, "database is not open"
        return self._writer_pg

    async def _begin(self, conn: Any) -> None:
        await conn.alive()  # the same PgConn, on a new connection if the old one was lost
        await conn.raw.execute("BEGIN")

    async def _commit(self, conn: Any) -> None:
        await conn.raw.execute("COMMIT")

    async def _rollback(self, conn: Any) -> None:
        with contextlib.suppress(Exception):
            await conn.raw.execute("ROLLBACK")

    def _batch_conn(self, conn: Any) -> Any:
        return conn  # psycopg's async calls do not hop threads

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[Any]:
        joined = _db._joined.get()
        if joined is not None and joined[0] is asyncio.current_task():
            return list(await joined[1].execute_fetchall(sql, params))
        assert self._reader_pg is not None, "database is not open"
        reader = self._reader_pg
        if _db._apart.get():
            if self._apart_pg is None:
                async with self._opening:
                    if self._apart_pg is None:
                        self._apart_pg = await connect(self.url, self._identity)
            reader = self._apart_pg
        return await (await reader.alive()).execute_fetchall(sql, params)


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


__all__ = ["PgConn", "PgCursor", "PgDatabase", "PgRow", "connect", "migrate"]
