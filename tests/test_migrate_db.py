"""`griddesk migrate-db`: an office's SQLite file, filled by the real use cases, copied into a
real PostgreSQL database: every row equal, ids continue past the copied ones, refusals leave the
target as it was."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bot import cli
from bot.services import Services
from bot.settings import Settings
from bot.texts import Texts
from bot.usecases.reports import accept, submit
from bot.usecases.results import Done
from storage.migrate_db import MigrateRefused, migrate_db
from storage.uow import open_store
from tests.conftest import RESIDENT, RESIDENT_2, WORKER_G1
from tests.usecases.support import approved_volunteer


@pytest.fixture
def backend() -> str:
    """The source is always the SQLite file (whatever GRIDDESK_TEST_BACKEND says)."""
    return "sqlite"


async def fill(services: Services) -> list[int]:
    """Reports, events, photos, notices, a volunteer: what an office's file holds."""
    ids = []
    for reporter, text in ((RESIDENT, "楼道里堆满了杂物"), (RESIDENT_2, "路灯坏了 'quoted' \\ ok")):
        await services.people.touch(reporter, f"居民{reporter}", "zh", services.clock())
        report = await submit(
            services,
            reporter_id=reporter,
            entered_by=None,
            category="litter",
            unit="B1",
            description=text,
            photos=["before-1", "before-2"],
        )
        ids.append(report.id)
    assert isinstance(await accept(services, ids[0], by=WORKER_G1, at=services.clock()), Done)
    await approved_volunteer(services, 7001, "王师傅")
    # The newest notice is deleted: its id must not be given again after the copy.
    async with services.store.db.transaction() as conn:
        await conn.execute("DELETE FROM outbox WHERE id = (SELECT MAX(id) FROM outbox)")
    return ids


def sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            t: sorted(map(tuple, conn.execute(f'SELECT * FROM "{t}"')), key=repr) for t in tables
        }
    finally:
        conn.close()


def pg_rows(url: str, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        out = {}
        for t in tables:
            rows = conn.execute(f'SELECT * FROM "{t}"').fetchall()
            out[t] = sorted(
                (tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows),
                key=repr,
            )
        return out


async def test_the_copy_holds_every_row_and_new_ids_continue_past_the_copied_ones(
    services: Services, settings: Settings, config_path: Path, pg_url: str, capsys, clock
):
    ids = await fill(services)
    path = settings.database_path()
    given = await services.store.db.fetchall(
        "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"
    )
    highest_outbox = given[0][0]
    assert highest_outbox > (await services.store.db.fetchall("SELECT MAX(id) FROM outbox"))[0][0]
    # While a process has the file open the copy is refused (its writes would be lost).
    with pytest.raises(MigrateRefused, match="has this database open"):
        await migrate_db(path, pg_url)
    await services.store.close()

    command = ["migrate-db", "--config", str(config_path), "--to", pg_url]
    assert await asyncio.to_thread(cli.main, command) == 0
    printed = capsys.readouterr().out
    assert "reports" in printed and "row counts equal on both sides" in printed
    assert any(line.split() == ["reports", "2", "rows"] for line in printed.splitlines())

    source = sqlite_rows(path)
    copied = pg_rows(pg_url, list(source))
    for table, rows in source.items():
        assert copied[table] == rows, table
    assert len(source["reports"]) == 2 and len(source["report_photos"]) == 4
    assert source["volunteers"] and source["outbox"] and source["report_events"]

    # The copied tree, staff and categories as they are (open_services would sync the config
    # again, which s11pga/b/c are making portable).
    moved = Services(
        settings=settings,
        store=await open_store(pg_url),
        texts=Texts(settings.default_language),
        clock=clock,
        tz=ZoneInfo(settings.timezone),
    )
    try:
        report = await submit(
            moved,
            reporter_id=RESIDENT,
            entered_by=None,
            category="litter",
            unit="B1",
            description="新的一件",
            photos=[],
        )
        assert report.id == max(ids) + 1
        newest = await moved.store.db.fetchall("SELECT MAX(id) FROM outbox")
        assert newest[0][0] > highest_outbox  # past the deleted row's id, never reused
    finally:
        await moved.store.close()


async def test_a_target_with_data_is_refused_and_left_as_it_was(
    services: Services, settings: Settings, pg_url: str
):
    await fill(services)
    await services.store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO people (user_id, name, created_at, updated_at)"
            " VALUES (42, 'x', '2026-01-01', '2026-01-01')"
        )
    with pytest.raises(MigrateRefused, match=r"not empty .*people"):
        await migrate_db(settings.database_path(), pg_url)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM people").fetchone()[0] == 1


async def test_a_source_of_another_schema_is_refused(
    services: Services, settings: Settings, pg_url: str
):
    await services.store.close()
    path = settings.database_path()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 9999")
    conn.close()
    with pytest.raises(MigrateRefused, match="newer than this griddesk"):
        await migrate_db(path, pg_url)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    with pytest.raises(MigrateRefused, match="older than this griddesk"):
        await migrate_db(path, pg_url)


async def test_a_failure_half_way_writes_nothing(
    services: Services, settings: Settings, pg_url: str
):
    await fill(services)
    await services.store.close()
    path = settings.database_path()
    # A value PostgreSQL's column cannot take (SQLite's typing lets it in): the copy of a late
    # table fails after earlier tables were copied in the same transaction.
    conn = sqlite3.connect(path)
    conn.execute(
        "UPDATE report_photos SET report_id = 'x'"
        " WHERE rowid = (SELECT MAX(rowid) FROM report_photos)"
    )
    conn.commit()
    conn.close()
    with pytest.raises(MigrateRefused, match="nothing was written"):
        await migrate_db(path, pg_url)
    with psycopg.connect(pg_url) as conn:
        for table in ("reports", "people", "units", "report_events"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table


async def test_a_missing_source_or_a_wrong_url_is_refused(tmp_path: Path):
    with pytest.raises(MigrateRefused, match="not a postgresql:// URL"):
        await migrate_db(tmp_path / "x.sqlite3", "sqlite:///x")
    with pytest.raises(MigrateRefused, match="no such SQLite database"):
        await migrate_db(tmp_path / "x.sqlite3", "postgresql://nobody@/x")
