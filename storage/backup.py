"""Backup and restore of the SQLite database, and the lock that tells whether a bot has it open.

A backup is SQLite's online backup API copying one read snapshot of the live database (in WAL
mode a reader never blocks the bot's writer), written to a temporary file with mode 0600,
verified (integrity_check, schema version) and only then renamed over the target. A restore
refuses while any griddesk process has the database open, verifies the file first, and keeps
the database it replaces (with its -wal and -shm) aside under a new name.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

# Tables every griddesk database has; a file without them is not a griddesk backup.
_REQUIRED_TABLES = ("reports", "inbox", "outbox")
_SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int  # bytes
    version: int  # PRAGMA user_version: the last migration in the copy
    reports: int
    seconds: float


@dataclass(frozen=True, slots=True)
class RestoreResult:
    path: Path
    version: int
    reports: int
    kept_aside: Path | None  # the database that was replaced, or None if there was none
    # Erasures the replaced database recorded that the backup lacks: (kind, when), oldest first.
    # The restore brings back what they erased; `erasures` says when, never whom. None: the
    # replaced database could not be read (a damaged one is a reason to restore).
    undone: tuple[tuple[str, str], ...] | None = ()


def code_version() -> int:
    """Returns the number of the newest migration this code knows."""
    return max(
        int(f.name.split("_", 1)[0])
        for f in resources.files("storage.migrations").iterdir()
        if f.name.endswith(".sql")
    )


def lock_path(db_path: str | Path) -> Path:
    return Path(f"{db_path}.lock")


class DatabaseLock:
    """An flock on `<db>.lock`: shared while a process uses the database, exclusive to restore.

    The kernel drops the lock when its process dies (even by kill -9), so a lock file left by a
    dead process never blocks anything: only a live holder does.
    """

    def __init__(self, db_path: str | Path):
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self, *, exclusive: bool) -> bool:
        """Takes the lock without waiting; returns False if another holder prevents it."""
        assert self._fd is None, "lock already held"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def backup(db_path: str | Path, target: str | Path) -> BackupResult:
    """Copies the database at DB_PATH (live or not) to TARGET, verified; returns what it wrote.

    Raises BackupError if there is no database, the copy fails its checks or cannot be written.
    """
    started = time.monotonic()
    source_path, target = Path(db_path), Path(target)
    if not source_path.is_file():
        raise BackupError(f"{source_path}: no database there")
    if target.resolve() == source_path.resolve():
        raise BackupError(f"{target}: that is the database itself")
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _create_private(temporary)
        # mode=rw: never create an empty database where the real one was expected.
        source = sqlite3.connect(f"file:{source_path}?mode=rw", uri=True, timeout=30)
        try:
            copy = sqlite3.connect(temporary)
            try:
                # One step (pages=-1) copies one read snapshot. A backup in several steps
                # restarts from the first page whenever another connection (the bot) commits
                # between them, so during a burst it might never finish; in WAL mode a single
                # long read does not block the bot's writer.
                source.backup(copy)
                # A copy of a WAL database would need its own -wal file; make it one file.
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
        finally:
            source.close()
        version, reports = verify(temporary)
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync_folder(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"{source_path}: backup failed: {exc}") from None
    except OSError as exc:
        raise BackupError(f"{target}: cannot write the backup: {exc.strerror or exc}") from None
    finally:
        _remove_with_side_files(temporary)
    return BackupResult(target, target.stat().st_size, version, reports, time.monotonic() - started)


def verify(path: str | Path) -> tuple[int, int]:
    """Returns (schema version, number of reports) of the griddesk database at PATH.

    Raises BackupError if it is not one, fails PRAGMA integrity_check, or is newer than this
    code's migrations.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise BackupError(f"{path}: integrity check failed: {'; '.join(problems)}")
            tables = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            missing = [name for name in _REQUIRED_TABLES if name not in tables]
            if missing:
                raise BackupError(f"{path}: not a griddesk database (no {', '.join(missing)})")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            reports = int(conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: not a usable SQLite database ({exc})") from None
    newest = code_version()
    if version > newest:
        raise BackupError(
            f"{path}: made by a newer griddesk (schema {version}, this one knows up to {newest});"
            " upgrade griddesk first"
        )
    return version, reports


def restore(db_path: str | Path, source: str | Path, at: datetime) -> RestoreResult:
    """Replaces the database at DB_PATH with the verified backup SOURCE.

    Refuses (BackupError) while any process holds the database's lock (a running bot, an
    import), or if SOURCE fails verify(). The replaced database and its -wal/-shm are renamed to
    `<db>.before-restore-<AT>` (+ -wal/-shm), never deleted and never applied to the restored one.
    """
    db_path, source = Path(db_path), Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    if db_path.resolve() == source.resolve():
        raise BackupError(f"{source}: that is the database itself")
    lock = DatabaseLock(db_path)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        locked = lock.acquire(exclusive=True)
    except OSError as exc:
        raise BackupError(f"{db_path}: cannot restore here: {exc.strerror or exc}") from None
    if not locked:
        raise BackupError(
            f"{db_path}: a griddesk process (the bot, an import …) has this database open;"
            " stop it first"
        )
    try:
        # Left by a restore that crashed: nobody else can be restoring while we hold the lock.
        for stale in db_path.parent.glob(f".{db_path.name}.restore-*"):
            _remove_with_side_files(stale)
        temporary = db_path.with_name(f".{db_path.name}.restore-{os.getpid()}")
        _create_private(temporary)
        try:
            _copy_file(source, temporary)
            try:
                _single_file(temporary)
                version, reports = verify(temporary)
            except BackupError as exc:  # name the file the operator gave, not our copy of it
                raise BackupError(str(exc).replace(str(temporary), str(source))) from None
            undone = erasures_missing(db_path, temporary)
            kept = _set_aside(db_path, at)
            os.replace(temporary, db_path)
            _fsync_folder(db_path.parent)
        except OSError as exc:
            raise BackupError(f"{db_path}: restore failed: {exc.strerror or exc}") from None
        finally:
            _remove_with_side_files(temporary)
    finally:
        lock.release()
    return RestoreResult(db_path, version, reports, kept, undone)


def erasures_missing(current: Path, copy: Path) -> tuple[tuple[str, str], ...] | None:
    """Returns the erasures (kind, when) recorded in CURRENT but not in COPY, oldest first: a
    restore of COPY over CURRENT brings back what they erased. None if CURRENT is unreadable.

    Compared by (kind, time, household) rather than by number: a database restored before
    numbers its next erasures again from the backup's last one."""
    if not current.is_file():
        return ()
    try:
        found = _erasures(current)
    except sqlite3.Error:
        return None
    known = set(_erasures(copy))
    return tuple((kind, at) for kind, at, ref in found if (kind, at, ref) not in known)


def _erasures(path: Path) -> list[tuple[str, str, int | None]]:
    """Returns every erasure PATH records (none before migration 0008 made the table)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'erasures'"
        ).fetchone()
        if tables is None:
            return []
        return [
            (kind, at, ref)
            for kind, at, ref in conn.execute("SELECT kind, at, ref FROM erasures ORDER BY at, id")
        ]
    finally:
        conn.close()


def remove_leftovers(folder: Path, pattern: str) -> None:
    """Deletes temporary files of backups matching PATTERN that a crashed process left in FOLDER.

    Call it only while holding FOLDER's claim(), so that no backup there is in progress.
    """
    for stale in folder.glob(f".{pattern}.tmp-*"):
        _remove_with_side_files(stale)


def rotate(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Deletes the oldest files in FOLDER matching PATTERN beyond the newest KEEP; returns them.

    Names must sort by age (they hold the date), so the oldest come first.
    """
    files = sorted(p for p in folder.glob(pattern) if p.is_file())
    old = files[: max(0, len(files) - keep)]
    for path in old:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return old


@contextlib.contextmanager
def claim(folder: Path) -> Iterator[bool]:
    """Yields True to the one process that holds FOLDER's backup lock now (False: another has it).

    A crashed holder's lock is released by the kernel, so it never blocks the next day.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".griddesk-backup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _set_aside(db_path: Path, at: datetime) -> Path | None:
    """Renames the database and its side files to `<db>.before-restore-<AT>…`; returns the name."""
    if not db_path.exists():
        for suffix in _SIDE_FILES:  # stale side files of no database: never apply them
            with contextlib.suppress(FileNotFoundError):
                Path(f"{db_path}{suffix}").unlink()
        return None
    stamp = at.strftime("%Y%m%dT%H%M%S")
    kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}-{n}")
    # The side files first: if we stopped half-way, the database would still have its WAL.
    for suffix in _SIDE_FILES:
        side = Path(f"{db_path}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{kept}{suffix}"))
    os.replace(db_path, kept)
    return kept


def _single_file(path: Path) -> None:
    """Turns the database at PATH into one file (a plain copy of a live WAL database is not)."""
    try:
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: not a usable SQLite database ({exc})") from None


def _create_private(path: Path) -> None:
    """Creates PATH empty with mode 0600 (it will hold personal data); replaces a leftover."""
    _remove_with_side_files(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def _copy_file(source: Path, target: Path) -> None:
    with source.open("rb") as reading, target.open("r+b") as writing:
        while chunk := reading.read(1 << 20):
            writing.write(chunk)
        writing.truncate()
        writing.flush()
        os.fsync(writing.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be fsynced
        _fsync(folder)


def _remove_with_side_files(path: Path) -> None:
    for suffix in ("", *_SIDE_FILES):
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            Path(f"{path}{suffix}").unlink()
