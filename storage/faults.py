"""Storage faults: the database cannot be written for now (locked, disk full, I/O error).

A fault is not a bug in the update or row being worked on: the same work succeeds once the
fault clears, so callers wait and retry it rather than counting it as a failed attempt.
"""

from __future__ import annotations

import sqlite3
import sys

# SQLite's primary result codes (https://sqlite.org/rescode.html) and the kind of fault each is.
_KINDS = {
    5: "locked",  # SQLITE_BUSY: another connection or process holds the write lock
    6: "locked",  # SQLITE_LOCKED
    8: "io",  # SQLITE_READONLY: the file system went read-only
    10: "io",  # SQLITE_IOERR
    13: "full",  # SQLITE_FULL: disk (or quota) full
    14: "io",  # SQLITE_CANTOPEN: e.g. no room for the journal or WAL index
}
_MESSAGES = {
    "database is locked": "locked",
    "database is busy": "locked",
    "database or disk is full": "full",
    "disk i/o error": "io",
}
KINDS = ("locked", "full", "io")


class StorageFault(Exception):
    """Work that could not be stored because of a fault of KIND; retry it later."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def fault_kind(exc: BaseException | None) -> str | None:
    """Returns "locked", "full" or "io" when EXC (or its cause) is a storage fault, else None."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, StorageFault):
            return exc.kind
        if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
            code = getattr(exc, "sqlite_errorcode", None)
            if isinstance(code, int) and (code & 0xFF) in _KINDS:
                return _KINDS[code & 0xFF]
            text = str(exc).lower()
            for message, kind in _MESSAGES.items():
                if message in text:
                    return kind
        if (pg_kind := _postgres_kind(exc)) is not None:
            return pg_kind
        exc = exc.__cause__  # not __context__: a bug raised while handling a fault is a bug
        seen += 1
    return None


def _postgres_kind(exc: BaseException) -> str | None:
    """The fault kind of a psycopg error (only looked at once psycopg is loaded)."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.Error):
        return None
    errors = psycopg.errors
    if isinstance(exc, errors.DiskFull | errors.OutOfMemory):
        return "full"
    if isinstance(exc, errors.LockNotAvailable | errors.DeadlockDetected | errors.QueryCanceled):
        return "locked"
    if isinstance(exc, psycopg.OperationalError | errors.AdminShutdown | errors.CannotConnectNow):
        return "io"  # the server went away or cannot be reached: retry once it is back
    return None
