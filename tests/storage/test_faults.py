"""Which errors are storage faults (wait and retry) and which are bugs, on SQLite's own errors
and on a real PostgreSQL server's."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from storage.db import Database
from storage.faults import StorageFault, fault_kind
from tests import pgserver
from tests.storage_faults import locked


def real_error(tmp_path: Path, case: str) -> BaseException:
    """Returns the exception SQLite itself raises in CASE."""
    path = tmp_path / "f.sqlite3"
    one = sqlite3.connect(path, isolation_level=None, timeout=0)
    two = sqlite3.connect(path, isolation_level=None, timeout=0)
    one.execute("PRAGMA journal_mode=WAL")
    one.execute("CREATE TABLE t (x UNIQUE)")
    one.execute("INSERT INTO t VALUES (1)")
    try:
        if case == "locked":
            one.execute("BEGIN EXCLUSIVE")
            two.execute("BEGIN IMMEDIATE")
        elif case == "full":
            pages = one.execute("PRAGMA page_count").fetchone()[0]
            one.execute(f"PRAGMA max_page_count = {pages}")
            one.execute("INSERT INTO t VALUES (randomblob(100000))")
        elif case == "constraint":
            one.execute("INSERT INTO t VALUES (1)")
        elif case == "syntax":
            one.execute("SELEC 1")
        elif case == "no table":
            one.execute("SELECT * FROM nowhere")
    except sqlite3.Error as exc:
        return exc
    finally:
        one.close()
        two.close()
    raise AssertionError(f"{case} raised nothing")


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("locked", "locked"),
        ("full", "full"),
        ("constraint", None),
        ("syntax", None),
        ("no table", None),
    ],
)
def test_sqlite_errors_are_classified_as_faults_or_bugs(tmp_path, case, kind):
    assert fault_kind(real_error(tmp_path, case)) == kind


def chained(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (sqlite3.OperationalError("disk I/O error"), "io"),  # no code: its message
        (sqlite3.OperationalError("database or disk is full"), "full"),
        (StorageFault("locked"), "locked"),
        (
            chained(RuntimeError("wrapped"), sqlite3.OperationalError("database is locked")),
            "locked",
        ),
        (RuntimeError("database is locked"), None),  # not from SQLite
        (OSError("No space left on device"), None),  # files outside the database
        (KeyError("x"), None),
        (None, None),
    ],
)
def test_a_fault_is_recognised_through_its_cause_only(error, kind):
    assert fault_kind(error) == kind


def test_a_bug_raised_while_handling_a_fault_stays_a_bug():
    try:
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError:
            raise KeyError("bug") from None
    except KeyError as exc:
        assert exc.__context__ is not None
        assert fault_kind(exc) is None


def connection_threads() -> set[threading.Thread]:
    """Returns aiosqlite's connection threads alive now (other threads, such as an executor's
    left by an earlier test, come and go on their own and are not counted)."""
    return {
        t
        for t in threading.enumerate()
        if getattr(getattr(t, "_target", None), "__name__", "") == "_connection_worker_thread"
    }


@pytest.mark.sqlite_only
async def test_an_open_refused_by_a_lock_leaves_no_connection_behind(tmp_path):
    path = tmp_path / "locked.sqlite3"
    before = connection_threads()
    # A new file in rollback mode: even PRAGMA journal_mode=WAL is refused.
    with locked(path), pytest.raises(sqlite3.OperationalError) as error:
        await Database(path).open()
    assert fault_kind(error.value) == "locked"
    # aiosqlite runs each connection in its own non-daemon thread: one left open would keep
    # `griddesk run` alive after SIGTERM. Closing ends it: aiosqlite's close() stops the thread
    # without joining it, so it may take a moment to go (a thread of an earlier test that ends
    # meanwhile may leave the set: only one this open added and that stays would be a leak).
    deadline = time.monotonic() + 10
    while connection_threads() - before and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert connection_threads() - before == set()
    db = await Database(path).open()  # the fault is gone: it opens
    await db.close()


async def test_a_postgresql_server_gone_mid_use_is_an_io_fault(pg_admin: str, pg_url: str):
    # The server ends the bot's sessions as a shutdown does (pg_terminate_backend sends the same
    # "terminating connection due to administrator command"): the statement in flight and the
    # next one on the dead connection are both I/O faults, to wait out, not bugs.
    db = await Database(pg_url).open()
    try:
        name = pg_url.partition("?")[0].rsplit("/", 1)[1]
        with psycopg.connect(pg_admin, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        with pytest.raises(psycopg.Error) as in_flight:
            async with db.transaction(completes_update=False) as conn:
                await conn.execute("INSERT INTO web_state (key, value) VALUES ('k', 'v')")
        assert fault_kind(in_flight.value) == "io"
        with pytest.raises(psycopg.Error) as after:
            await db.fetchall("SELECT 1")
        assert fault_kind(after.value) == "io"
        assert fault_kind(chained(RuntimeError("wrapped"), after.value)) == "io"
    finally:
        await db.close()


async def test_a_postgresql_server_stopped_mid_use_is_an_io_fault():
    # A server of this test's own (the run's is shared), stopped at once under an open
    # Database as a crash or `pg_ctl stop -m immediate` does: reads and writes fail as I/O
    # faults until it is back.
    if os.environ.get("GRIDDESK_TEST_PG_URL"):
        pytest.skip("GRIDDESK_TEST_PG_URL names a shared server: this test must stop its own")
    folder = Path(tempfile.mkdtemp(prefix="griddesk-pg-stop-"))
    try:
        url = pgserver.create_database(pgserver.ensure(folder))
        db = await Database(url).open()
        try:
            assert await db.fetchall("SELECT 1") == [(1,)]
            pgserver.stop(folder)
            with pytest.raises(psycopg.Error) as read:
                await db.fetchall("SELECT 1")
            assert fault_kind(read.value) == "io"
            with pytest.raises(psycopg.Error) as write:
                async with db.transaction(completes_update=False) as conn:
                    await conn.execute("INSERT INTO web_state (key, value) VALUES ('k', 'v')")
            assert fault_kind(write.value) == "io"
            with pytest.raises(psycopg.Error) as reopen:
                await Database(url).open()
            assert fault_kind(reopen.value) == "io"
        finally:
            await db.close()
    finally:
        pgserver.stop(folder)
