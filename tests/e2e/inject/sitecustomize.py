"""Loaded by the e2e bot process (PYTHONPATH) when no file system can be mounted for a real full
disk: while the file named by GRIDDESK_TEST_DISK_FULL exists, every write transaction fails in
the sqlite3 driver, below griddesk's storage layer, as SQLite fails on a full disk."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

_FLAG = os.environ.get("GRIDDESK_TEST_DISK_FULL")
_connect = sqlite3.connect


class _FullDiskConnection(sqlite3.Connection):
    def execute(self, sql: str, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        if _FLAG and sql.lstrip().upper().startswith("BEGIN") and os.path.exists(_FLAG):
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = 13  # type: ignore[attr-defined]
            error.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]
            raise error
        return super().execute(sql, *args, **kwargs)


def _connect_full_disk(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    kwargs.setdefault("factory", _FullDiskConnection)
    return _connect(*args, **kwargs)


if _FLAG:
    sqlite3.connect = _connect_full_disk
