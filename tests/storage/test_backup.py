"""Backup and restore on real SQLite files: verified copies, the lock, refusals, kept files."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.units import Unit
from storage import backup
from storage.backup import BackupError, DatabaseLock
from storage.db import Database, DatabaseBusy, to_db
from storage.units import Units

# Backups are SQLite files (`griddesk backup` and `restore` refuse a PostgreSQL database: its
# server's own tools back it up).
pytestmark = pytest.mark.sqlite_only

AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


async def add_reports(db: Database, texts: list[str]) -> None:
    await Units(db).replace_from_config([Unit("G1", "第一网格", "grid")], [])
    async with db.transaction() as conn:
        for text in texts:
            await conn.execute(
                "INSERT INTO reports (reporter_id, category, unit, description, status,"
                " holder_unit, tier, created_at, updated_at)"
                " VALUES (5001, 'litter', 'G1', ?, 'open', 'G1', 'grid', ?, ?)",
                (text, to_db(AT), to_db(AT)),
            )


def descriptions(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT description FROM reports ORDER BY id")]
    finally:
        conn.close()


def set_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


@pytest.fixture
async def live(tmp_path: Path):
    """A database a 'bot' has open (the Database holds its lock), with two reports."""
    database = await Database(tmp_path / "live.sqlite3").open()
    await add_reports(database, ["楼道堆物", "路灯不亮"])
    yield database
    await database.close()


async def test_a_backup_of_a_running_database_is_one_private_verified_file(
    live: Database, tmp_path: Path
):
    target = tmp_path / "copies" / "b.sqlite3"
    result = backup.backup(live.path, target)
    # A write after the backup is not in it: the copy is one snapshot.
    await add_reports(live, ["井盖缺失"])

    assert result.path == target and result.reports == 2
    assert result.version == backup.code_version() and result.size == target.stat().st_size
    assert descriptions(target) == ["楼道堆物", "路灯不亮"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.sqlite3"]
    conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_a_backup_without_a_database_is_refused_and_writes_nothing(tmp_path: Path):
    with pytest.raises(BackupError, match="no database there"):
        backup.backup(tmp_path / "missing.sqlite3", tmp_path / "b.sqlite3")
    assert list(tmp_path.iterdir()) == []


async def test_a_restore_is_refused_while_a_process_has_the_database_open(
    live: Database, tmp_path: Path
):
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    await add_reports(live, ["井盖缺失"])
    with pytest.raises(BackupError, match="has this database open"):
        backup.restore(live.path, copy, AT)
    assert len(descriptions(Path(live.path))) == 3


async def test_a_restore_replaces_the_database_and_keeps_the_old_one_with_its_wal(
    live: Database, tmp_path: Path
):
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    await add_reports(live, ["井盖缺失"])
    path = Path(live.path)
    # A bot killed -9: its WAL (with the third report) stays beside the file.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            (crashed / f"live.sqlite3{suffix}").write_bytes(source.read_bytes())
    await live.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
        source = crashed / f"live.sqlite3{suffix}"
        if source.exists():
            Path(f"{path}{suffix}").write_bytes(source.read_bytes())
    assert Path(f"{path}-wal").exists()

    result = backup.restore(path, copy, AT)

    assert result.reports == 2 and result.kept_aside is not None
    assert result.kept_aside.name == "live.sqlite3.before-restore-20261206T030000"
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    assert descriptions(path) == ["楼道堆物", "路灯不亮"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The replaced database, opened with its own WAL, still has all three.
    assert len(descriptions(result.kept_aside)) == 3
    reopened = await Database(path).open()  # the bot starts on the restored file
    try:
        row = await reopened.fetchone("SELECT COUNT(*) FROM reports")
        assert row is not None and row[0] == 2
    finally:
        await reopened.close()
    await live.open()  # for the fixture's close


def test_a_lock_file_left_by_a_killed_process_does_not_block_a_restore(tmp_path: Path):
    db_path = tmp_path / "db.sqlite3"
    script = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(db_path) + '.lock'!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_SH)\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert not DatabaseLock(db_path).acquire(exclusive=True)  # alive: it blocks
    finally:
        holder.kill()
        holder.wait()
    assert backup.lock_path(db_path).exists()
    lock = DatabaseLock(db_path)
    assert lock.acquire(exclusive=True)  # dead: the kernel released its lock
    lock.release()


async def test_a_bot_cannot_open_the_database_while_a_restore_holds_it(tmp_path: Path):
    lock = DatabaseLock(tmp_path / "db.sqlite3")
    assert lock.acquire(exclusive=True)
    try:
        with pytest.raises(DatabaseBusy):
            await Database(tmp_path / "db.sqlite3").open()
    finally:
        lock.release()


async def test_a_backup_from_newer_code_is_refused(live: Database, tmp_path: Path):
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    set_version(copy, backup.code_version() + 1)
    await live.close()
    with pytest.raises(BackupError, match="newer griddesk"):
        backup.restore(live.path, copy, AT)
    assert len(descriptions(Path(live.path))) == 2
    assert not list(tmp_path.glob("*before-restore*"))
    await live.open()


async def test_a_backup_from_older_code_is_accepted(live: Database, tmp_path: Path):
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    set_version(copy, 1)
    assert backup.verify(copy) == (1, 2)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.write_bytes(b"not a database at all" * 100), "not a usable SQLite"),
        (lambda p: _overwrite_page(p, 3), "integrity check failed|not a usable SQLite"),
        (lambda p: _plain_sqlite(p), "not a griddesk database"),
    ],
    ids=["garbage", "corrupt page", "other sqlite"],
)
async def test_a_damaged_or_foreign_file_is_refused_and_the_database_kept(
    live: Database, tmp_path: Path, damage, message
):
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    damage(copy)
    await live.close()
    with pytest.raises(BackupError, match=message) as refused:
        backup.restore(live.path, copy, AT)
    assert str(refused.value).startswith(f"{copy}: ")
    assert descriptions(Path(live.path)) == ["楼道堆物", "路灯不亮"]
    assert sorted(p.name for p in tmp_path.iterdir() if "restore" in p.name) == []
    await live.open()


def _overwrite_page(path: Path, page: int) -> None:
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as file:
        file.seek(size * (page - 1))
        file.write(b"\xff" * size)


def _plain_sqlite(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()


def test_rotation_deletes_the_oldest_beyond_keep_and_nothing_else(tmp_path: Path):
    names = [f"griddesk-2026-12-0{day}.sqlite3" for day in range(1, 6)]
    for name in [*names, "notes.txt", "griddesk-manual.sqlite3"]:
        (tmp_path / name).write_text("x")
    removed = backup.rotate(tmp_path, "griddesk-????-??-??.sqlite3", keep=2)
    assert [p.name for p in removed] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*names[3:], "notes.txt", "griddesk-manual.sqlite3"]
    )


def test_only_one_process_holds_the_backup_folder_claim(tmp_path: Path):
    with backup.claim(tmp_path) as first, backup.claim(tmp_path) as second:
        assert first and not second
    with backup.claim(tmp_path) as again:
        assert again


async def test_a_backup_over_the_database_itself_is_refused(live: Database):
    with pytest.raises(BackupError, match="the database itself"):
        backup.backup(live.path, live.path)
    assert len(descriptions(Path(live.path))) == 2


async def test_a_restore_onto_a_new_machine_needs_no_database_there(live: Database, tmp_path: Path):
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    fresh = tmp_path / "new-server" / "griddesk.sqlite3"
    result = backup.restore(fresh, copy, AT)
    assert result.kept_aside is None and result.reports == 2
    assert descriptions(fresh) == ["楼道堆物", "路灯不亮"]


async def test_a_plain_copy_of_a_stopped_wal_database_restores_as_one_file(
    live: Database, tmp_path: Path
):
    await live.close()  # stopped: the WAL is checkpointed, the file still says WAL mode
    raw = tmp_path / "raw-copy.sqlite3"
    raw.write_bytes(Path(live.path).read_bytes())
    target = tmp_path / "other" / "griddesk.sqlite3"
    assert backup.restore(target, raw, AT).reports == 2
    assert descriptions(target) == ["楼道堆物", "路灯不亮"]
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "griddesk.sqlite3",
        "griddesk.sqlite3.lock",
    ]
    await live.open()


def test_a_crashed_restore_s_temporary_file_is_removed_by_the_next(tmp_path: Path):
    db_path = tmp_path / "db.sqlite3"
    leftover = tmp_path / ".db.sqlite3.restore-99999"
    leftover.write_bytes(b"half a copy")
    with pytest.raises(BackupError):
        backup.restore(db_path, tmp_path / "missing.sqlite3", AT)
    assert leftover.exists()  # a refused restore never got the lock's protection to clean up
    source = tmp_path / "b.sqlite3"
    _plain_sqlite_griddesk(source)
    backup.restore(db_path, source, AT)
    assert not leftover.exists()


def _plain_sqlite_griddesk(path: Path) -> None:
    conn = sqlite3.connect(path)
    for table in ("reports", "inbox", "outbox"):
        conn.execute(f"CREATE TABLE {table} (id INTEGER)")
    conn.commit()
    conn.close()


async def erase(db: Database, at: datetime, kind: str = "person", ref: int | None = None) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO erasures (kind, ref, at) VALUES (?, ?, ?)", (kind, ref, to_db(at))
        )


def crash(db_path: Path, folder: Path) -> None:
    """Keeps a copy of the database files as a bot killed -9 would leave them (WAL beside)."""
    folder.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{db_path}{suffix}")
        if source.exists():
            (folder / f"{db_path.name}{suffix}").write_bytes(source.read_bytes())


def put_back(db_path: Path, folder: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        source = folder / f"{db_path.name}{suffix}"
        if source.exists():
            Path(f"{db_path}{suffix}").write_bytes(source.read_bytes())


@pytest.mark.parametrize("killed", [False, True], ids=["stopped", "killed"])
async def test_a_restore_names_the_erasures_made_after_the_backup_that_it_undoes(
    live: Database, tmp_path: Path, killed: bool
):
    before, after = datetime(2026, 12, 1, 2, tzinfo=UTC), datetime(2026, 12, 5, 9, tzinfo=UTC)
    await erase(live, before)
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    await erase(live, after)
    await erase(live, datetime(2026, 12, 5, 10, tzinfo=UTC), "household", 7)
    path = Path(live.path)
    if killed:
        crash(path, tmp_path / "crashed")
    await live.close()
    if killed:
        put_back(path, tmp_path / "crashed")
        assert Path(f"{path}-wal").exists()

    result = backup.restore(path, copy, AT)

    assert result.undone == (
        ("person", to_db(after)),
        ("household", to_db(datetime(2026, 12, 5, 10, tzinfo=UTC))),
    )
    await live.open()  # for the fixture's close


async def test_a_restore_of_a_backup_with_every_erasure_undoes_none(live: Database, tmp_path: Path):
    await erase(live, datetime(2026, 12, 1, 2, tzinfo=UTC))
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    await live.close()
    assert backup.restore(live.path, copy, AT).undone == ()
    await live.open()


async def test_a_backup_older_than_the_erasure_log_undoes_every_erasure(
    live: Database, tmp_path: Path
):
    copy = backup.backup(live.path, tmp_path / "b.sqlite3").path
    conn = sqlite3.connect(copy)
    conn.execute("DROP TABLE erasures")  # as made before migration 0008
    conn.commit()
    conn.close()
    await erase(live, datetime(2026, 12, 1, 2, tzinfo=UTC))
    await live.close()
    assert backup.restore(live.path, copy, AT).undone == (
        ("person", to_db(datetime(2026, 12, 1, 2, tzinfo=UTC))),
    )
    await live.open()


def test_an_unreadable_database_replaced_by_a_restore_gives_unknown(tmp_path: Path):
    damaged = tmp_path / "live.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    assert backup.erasures_missing(damaged, damaged) is None
