"""PgDatabase survives a dropped connection and a server restart: the use that meets the lost
connection is a storage fault ("io": callers back off and retry), the next one reconnects."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from storage.db import Database
from storage.faults import fault_kind
from storage.outbox import Outbox, Outgoing
from tests import pgserver


async def count(db: Database) -> int:
    rows = await db.fetchall("SELECT COUNT(*) FROM outbox")
    return int(rows[0][0])


async def queue(db: Database, text: str) -> None:
    await Outbox(db).send([Outgoing(5001, "sendMessage", {"text": text})], datetime.now(UTC))


async def fails_once_then_works(db: Database, action) -> None:  # type: ignore[no-untyped-def]
    """The first use after the loss may fail as an "io" fault (never anything else); the next
    one succeeds on a new connection."""
    try:
        await action()
    except Exception as exc:
        assert fault_kind(exc) == "io", repr(exc)
        await action()


async def test_a_terminated_session_is_a_fault_then_the_next_use_reconnects(pg_url):
    db = await Database(pg_url).open()
    try:
        await queue(db, "一")
        assert await count(db) == 1
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        await fails_once_then_works(db, lambda: queue(db, "二"))
        await fails_once_then_works(db, lambda: count(db))
        assert await count(db) == 2
    finally:
        await db.close()


@pytest.fixture
def own_server() -> Iterator[tuple[str, Path]]:
    """A PostgreSQL cluster of this test's own (the run's shared one must not be stopped), in
    a folder of /tmp the `postgres` user can reach (pytest's tmp_path is root's alone)."""
    if os.environ.get("GRIDDESK_TEST_PG_URL"):
        pytest.skip("GRIDDESK_TEST_PG_URL names a server this test cannot stop and start")
    folder = Path(tempfile.mkdtemp(prefix="griddesk-pg-restart-"))
    admin = pgserver.ensure(folder)
    try:
        yield admin, folder
    finally:
        pgserver.stop(folder)


def pg_ctl(folder: Path, *args: str) -> None:
    bindir = Path((folder / "started").read_text())
    command = [str(bindir / "pg_ctl"), "-D", str(folder / "data"), *args]
    subprocess.run(pgserver._as_owner(command), check=True, capture_output=True)


async def test_a_server_stopped_and_started_again_is_reconnected_to(own_server):
    admin, folder = own_server
    url = pgserver.create_database(admin)
    db = await Database(url).open()
    try:
        await queue(db, "before")
        pg_ctl(folder, "-m", "fast", "-w", "stop")
        with pytest.raises(Exception) as stopped:  # psycopg's own class varies
            await queue(db, "while stopped")
        assert fault_kind(stopped.value) == "io"
        with pytest.raises(Exception) as reading:
            await count(db)
        assert fault_kind(reading.value) == "io"
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{folder / 'socket'}'"
            " -c port=5432 -c fsync=off"
        )
        pg_ctl(folder, "-l", str(folder / "log"), "-o", options, "-w", "start")
        await fails_once_then_works(db, lambda: queue(db, "after"))
        rows = await db.fetchall("SELECT payload FROM outbox ORDER BY id")
        assert ["before" in r[0] or "after" in r[0] for r in rows] == [True, True]
        assert await count(db) == 2
    finally:
        await db.close()
