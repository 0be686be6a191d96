"""The real `griddesk run` as a subprocess against the fake Bot API server (tests/fakebotapi.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from tests.fakebotapi import FakeBotApi

REPO = Path(__file__).resolve().parents[1]


class BotProcess:
    """Starts and stops one `python -m bot run` on CONFIG; its log goes to LOG."""

    def __init__(self, fake: FakeBotApi, config: Path, log: Path):
        self.fake = fake
        self.config = config
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0

    async def start(self, *, env: dict[str, str] | None = None) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GRIDDESK_")}
        environment.update(PYTHONUNBUFFERED="1", **(env or {}))
        with self.log.open("ab") as log:
            self.started_at = time.monotonic()  # the clock the fake stamps its calls with
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--config",
                str(self.config),
                "--api-url",
                self.fake.api_url,
                "--log-level",
                "WARNING",
                cwd=REPO,
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def wait_polling(self, timeout: float = 120.0) -> float:
        """Waits for the first getUpdates; returns the seconds since start."""
        deadline = time.monotonic() + timeout
        while not self.fake.calls_of("getUpdates"):
            if not self.alive():
                raise RuntimeError(f"griddesk exited:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"griddesk did not poll within {timeout} s\n{self.tail()}")
            await asyncio.sleep(0.05)
        return self.fake.calls_of("getUpdates")[0].at - self.started_at

    async def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def scalar(database: Path, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """Reads one value from DATABASE as an operator would (a short read, WAL lets it pass)."""
    conn = sqlite3.connect(database, timeout=30)
    try:
        row = conn.execute(sql, params).fetchone()
        return row[0] if row else None
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    finally:
        conn.close()


@contextlib.asynccontextmanager
async def fake_server(**options: Any) -> Any:
    async with FakeBotApi(**options) as fake:
        yield fake


class Reader:
    """Reads one value at a time from the bench's database as an operator would: the SQLite
    file (`scalar` above) or a PostgreSQL URL (the statement, written in SQLite's dialect, said
    again by storage/dialect.py as the bot's own are)."""

    def __init__(self, location: Path | str):
        self.location = location
        self._conn: Any = None

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        if isinstance(self.location, Path):
            return scalar(self.location, sql, params)
        import psycopg

        from storage.dialect import to_postgres

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.location, autocommit=True)
        try:
            row = self._conn.execute(to_postgres(sql), params).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        return row[0] if row else None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if isinstance(self.location, Path):
            conn = sqlite3.connect(self.location, timeout=30)
            try:
                return conn.execute(sql).fetchall()
            finally:
                conn.close()
        import psycopg

        from storage.dialect import to_postgres

        with psycopg.connect(self.location, autocommit=True) as conn:
            return [tuple(row) for row in conn.execute(to_postgres(sql)).fetchall()]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
