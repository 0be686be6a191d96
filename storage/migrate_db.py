"""`griddesk migrate-db`: an office's SQLite database copied into an empty PostgreSQL database.

The target is migrated first (opened as the bot opens it) and must hold nothing but what the
migrations themselves insert (SEEDED). The source is read in one snapshot while its lock is held
exclusively (storage/backup.py: no bot, import or restore has it open), and both must be at the
schema this code knows. Every table is copied in foreign-key order (parents first; a table that
refers to itself, as units' parent, row by row parents first), with PostgreSQL's COPY, in ONE
transaction: the target's own triggers (e.g. units_version's counter) are off for it, as the
copied rows already hold their effects; each identity sequence is moved past the highest id the
source ever gave (its sqlite_sequence too, so a deleted report's number is never given again);
the row counts are checked table by table before the commit. Any failure rolls everything back:
the target stays as empty as it was.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.backup import DatabaseLock, code_version
from storage.db import Database, is_postgres

# Tables the migrations fill themselves (replaced by the source's rows).
SEEDED = frozenset({"meta"})
# SQLite's own tables, never copied.
_INTERNAL = ("sqlite_",)


class MigrateRefused(Exception):
    """migrate-db refused or failed; nothing was written. The message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Copied:
    counts: dict[str, int]  # table → rows, in the order copied (checked equal on both sides)
    version: int
    seconds: float


async def migrate_db(source: str | Path, target: str) -> Copied:
    """Copies the SQLite database at SOURCE into the empty PostgreSQL database at TARGET."""
    started = time.monotonic()
    path = Path(source)
    if not is_postgres(target):
        raise MigrateRefused(f"{target}: not a postgresql:// URL")
    if not path.is_file():
        raise MigrateRefused(f"{path}: no such SQLite database")
    lock = DatabaseLock(path)
    if not lock.acquire(exclusive=True):
        raise MigrateRefused(
            f"{path}: a griddesk process (the bot, an import …) has this database open; stop it"
            " first, so nothing is written after the copy"
        )
    try:
        await _open(target)  # migrates it, as `griddesk run` would
        version, counts = await asyncio.to_thread(_copy_file, path, target)
    finally:
        lock.release()
    return Copied(counts, version, time.monotonic() - started)


def _copy_file(path: Path, target: str) -> tuple[int, dict[str, int]]:
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        reader.execute("BEGIN")  # one snapshot for every table
        version = _sqlite_version(reader, path)
        return version, _copy(reader, target, version)
    finally:
        reader.close()


def _sqlite_version(reader: sqlite3.Connection, path: Path) -> int:
    try:
        version = int(reader.execute("PRAGMA user_version").fetchone()[0])
        reader.execute("SELECT COUNT(*) FROM reports").fetchone()
    except sqlite3.DatabaseError as exc:
        raise MigrateRefused(f"{path}: not a griddesk database ({exc})") from None
    known = code_version()
    if version < known:
        raise MigrateRefused(
            f"{path}: schema {version} is older than this griddesk's ({known}): start this"
            " version of griddesk on it once (it migrates the file), stop it, then migrate-db"
        )
    if version > known:
        raise MigrateRefused(
            f"{path}: schema {version} is newer than this griddesk's ({known}): use the"
            " griddesk version that wrote it"
        )
    return version


async def _open(target: str) -> None:
    try:
        db = await Database(target).open()
    except Exception as exc:
        raise MigrateRefused(f"cannot open the target database: {_one_line(exc)}") from None
    await db.close()


def _copy(reader: sqlite3.Connection, target: str, version: int) -> dict[str, int]:
    import psycopg

    tables = _tables_in_order(reader)
    try:
        conn = psycopg.connect(target)
    except psycopg.Error as exc:
        raise MigrateRefused(f"cannot connect to the target: {_one_line(exc)}") from None
    try:
        with conn.transaction():
            _check_target(conn, tables, version)
            counts: dict[str, int] = {}
            for table in tables:
                columns = _columns(reader, table)
                _check_columns(conn, table, columns)
                conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
                if table in SEEDED:
                    conn.execute(f'DELETE FROM "{table}"')
                names = ", ".join(f'"{c}"' for c in columns)
                with conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in _rows(reader, table, columns):
                        copy.write_row(row)
                conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
                counts[table] = _count_sqlite(reader, table)
            _move_sequences(reader, conn, tables)
            for table, expected in counts.items():
                got = _count_pg(conn, table)
                if got != expected:
                    raise MigrateRefused(
                        f"{table}: {got} rows in the target, {expected} in the source;"
                        " nothing was written"
                    )
    except psycopg.Error as exc:
        raise MigrateRefused(f"the copy failed, nothing was written: {_one_line(exc)}") from None
    finally:
        conn.close()
    return counts


def _tables_in_order(reader: sqlite3.Connection) -> list[str]:
    """Every table, each after the tables its foreign keys refer to."""
    names = [
        row[0]
        for row in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not row[0].startswith(_INTERNAL)
    ]
    parents = {
        table: {
            fk[2] for fk in reader.execute(f"PRAGMA foreign_key_list('{table}')") if fk[2] != table
        }
        for table in names
    }
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(names):
        ready = sorted(t for t in names if t not in placed and parents[t] <= placed)
        if not ready:
            cycle = sorted(t for t in names if t not in placed)
            raise MigrateRefused(f"foreign keys form a cycle between {', '.join(cycle)}")
        ordered += ready
        placed.update(ready)
    return ordered


def _columns(reader: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in reader.execute(f"PRAGMA table_info('{table}')")]


def _rows(reader: sqlite3.Connection, table: str, columns: list[str]) -> Iterable[tuple[Any, ...]]:
    names = ", ".join(f'"{c}"' for c in columns)
    order = ' ORDER BY "id"' if "id" in columns else ""
    self_refs = [
        (fk[3], fk[4]) for fk in reader.execute(f"PRAGMA foreign_key_list('{table}')")
        if fk[2] == table
    ]  # fmt: skip
    cursor = reader.execute(f'SELECT {names} FROM "{table}"{order}')
    if not self_refs:
        return cursor
    return _parents_first(list(cursor), columns, self_refs)


def _parents_first(
    rows: list[tuple[Any, ...]], columns: list[str], refs: list[tuple[str, str]]
) -> Iterator[tuple[Any, ...]]:
    """ROWS ordered so that a row referring to another row of its table comes after it."""
    at = {name: i for i, name in enumerate(columns)}
    keys = {(to, row[at[to]]) for row in rows for _, to in refs}
    emitted: set[tuple[str, Any]] = set()
    waiting = rows
    while waiting:
        later = []
        for row in waiting:
            needs = [
                (to, row[at[col]])
                for col, to in refs
                if row[at[col]] is not None and (to, row[at[col]]) in keys
            ]
            if all(need in emitted for need in needs):
                emitted.update((to, row[at[to]]) for _, to in refs)
                yield row
            else:
                later.append(row)
        if len(later) == len(waiting):
            raise MigrateRefused("rows of one table refer to each other in a cycle")
        waiting = later


def _count_sqlite(reader: sqlite3.Connection, table: str) -> int:
    return int(reader.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def _count_pg(conn: Any, table: str) -> int:
    return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def _check_target(conn: Any, tables: list[str], version: int) -> None:
    row = conn.execute("SELECT version FROM griddesk_schema").fetchone()
    target_version = int(row[0]) if row else 0
    if target_version != version:
        raise MigrateRefused(
            f"the target's schema is {target_version}, the source's {version}: both must be"
            " this griddesk's"
        )
    present = {
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    }
    missing = [t for t in tables if t not in present]
    if missing:
        raise MigrateRefused(f"the target has no table {', '.join(missing)}")
    filled = [
        table
        for table in sorted(present)
        if table not in SEEDED
        and table != "griddesk_schema"
        and conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]
    ]
    if filled:
        shown = ", ".join(filled[:5]) + (" …" if len(filled) > 5 else "")
        raise MigrateRefused(
            f"the target database is not empty ({shown} hold rows): migrate-db copies into a"
            " new, empty database only"
        )


def _check_columns(conn: Any, table: str, columns: list[str]) -> None:
    theirs = {
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
    }
    if set(columns) != theirs:
        raise MigrateRefused(
            f"{table}: the columns differ between the source and the target"
            f" ({sorted(set(columns) ^ theirs)}); nothing was written"
        )


def _move_sequences(reader: sqlite3.Connection, conn: Any, tables: list[str]) -> None:
    """Moves each identity sequence past the highest id the source ever gave."""
    given = dict(reader.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    identity = {
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND column_name = 'id' AND is_identity = 'YES'"
        )
    }
    for table in (t for t in tables if t in identity):
        sequence = conn.execute(
            "SELECT pg_get_serial_sequence(%s, 'id')", (f'"{table}"',)
        ).fetchone()[0]
        if sequence is None:
            continue
        highest = conn.execute(f'SELECT MAX("id") FROM "{table}"').fetchone()[0]
        last = max(int(highest or 0), int(given.get(table) or 0))
        if last > 0:
            conn.execute("SELECT setval(%s, %s)", (sequence, last))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


__all__ = ["SEEDED", "Copied", "MigrateRefused", "migrate_db"]
