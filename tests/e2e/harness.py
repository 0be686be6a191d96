"""The real `griddesk run` as a subprocess against the fake Bot API, and a reader of its database.

Every wait is bounded (FakeBotApi.wait_for, Griddesk.wait_db); the bot's log goes to one file
that the fixture prints at teardown (pytest shows it when a test fails).

The database is the SQLite file e2e.sqlite3 in the test's folder, or, with
GRIDDESK_TEST_BACKEND=postgresql (or an explicit `url`), a fresh PostgreSQL database of the
run's cluster (tests/pgserver.py) written to the config as `[storage] url`. `rows` reads either
(the harness's SQL is SQLite's, said again by storage/dialect.py); `location` is what
`Database(...)` opens. A test about SQLite's file itself is marked `sqlite_only`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from storage.db import Database
from storage.dialect import to_postgres
from storage.outbox import Outbox, Outgoing
from storage.pg import _row_factory
from tests import pgserver
from tests.fakebotapi import FakeBotApi

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
ADMIN_CHAT = 901


def backend() -> str:
    """Where the e2e processes keep their data: "sqlite" or "postgresql" (GRIDDESK_TEST_BACKEND)."""
    return os.environ.get("GRIDDESK_TEST_BACKEND", "sqlite")


def pg_admin() -> str:
    """The admin URL of the run's PostgreSQL cluster (started once; tests/conftest.py names it)."""
    return pgserver.ensure(Path(os.environ["GRIDDESK_TEST_PG_DIR"]))


CREATED: list[str] = []  # the PostgreSQL databases Griddesk made in this process


def drop_created() -> None:
    """Drops the databases Griddesk made (tests read them after stopping the bot)."""
    while CREATED:
        pgserver.drop_database(pg_admin(), CREATED.pop())


def write_config(
    folder: Path, *, poll_timeout: int = 2, sweep_interval: int = 30, url: str = ""
) -> Path:
    """Writes the test office's config with its database in FOLDER (or at the PostgreSQL URL);
    returns its path."""
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    text = text.replace(
        'token = "123456:TEST-TOKEN"',
        f'token = "123456:TEST-TOKEN"\nadmin_chat_id = {ADMIN_CHAT}\npoll_timeout = {poll_timeout}',
    )
    storage = 'path = "e2e.sqlite3"' + (f'\nurl = "{url}"' if url else "")
    text = text.replace('path = "griddesk.sqlite3"', storage)
    if "sweep_interval" not in text:
        text = f"sweep_interval = {sweep_interval}\n" + text
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Griddesk:
    """Starts, stops and kills `python -m bot run` processes on one database."""

    def __init__(self, fake: FakeBotApi, folder: Path, *, url: str | None = None, **config: Any):
        self.fake = fake
        self.folder = folder
        if url is None and backend() == "postgresql":
            url = pgserver.create_database(pg_admin())
            CREATED.append(url)  # read after close too; dropped at the session's end
        self.url = url or ""
        self.config = write_config(folder, url=self.url, **config)
        self.db_path = folder / "e2e.sqlite3"
        self._reader: psycopg.Connection[Any] | None = None
        self.log_path = folder / "griddesk.log"
        self.process: asyncio.subprocess.Process | None = None
        self.env_extra: dict[str, str] = {}
        self.extra_args: list[str] = []  # e.g. ["--log-level", "DEBUG"]
        self.starts = 0

    async def start(self, *, wait: bool = True, **env: str) -> None:
        """Starts the bot; with WAIT, returns once it polls (its first getUpdates)."""
        assert self.process is None or self.process.returncode is not None, "already running"
        self.starts += 1
        polls_before = len(self.fake.calls_of("getUpdates"))
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GRIDDESK_")}
        environment.update(PYTHONUNBUFFERED="1", **self.env_extra, **env)
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"\n===== start {self.starts} {env or ''} =====\n")
        log_file = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--config",
                str(self.config),
                "--api-url",
                self.fake.api_url,
                *self.extra_args,
                cwd=REPO,
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log_file.close()
        if wait:
            await self.fake.wait_for(
                lambda: len(self.fake.calls_of("getUpdates")) > polls_before or self.exited(),
                timeout=30,
                what="the bot to start polling",
            )
            assert not self.exited(), f"griddesk exited: {self.log_tail()}"

    def exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    async def stop(self) -> int | None:
        """Stops the bot as an operator would (SIGTERM); kills it if it hangs."""
        if self.process is None or self.process.returncode is not None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=15)
        except TimeoutError:
            await self.kill()
            raise AssertionError("griddesk did not stop within 15 s of SIGTERM") from None

    async def kill(self) -> None:
        """kill -9: no cleanup, no last commit."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def log_tail(self, lines: int = 80) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # The database, read as an operator would -----------------------------------------------

    @property
    def location(self) -> str | Path:
        """The database as `Database(...)` opens it: the PostgreSQL URL, else the file."""
        return self.url or self.db_path

    def rows(self, sql: str, params: tuple = ()) -> list[Any]:
        if self.url:
            return self._pg_rows(sql, params)
        if not self.db_path.exists():
            return []
        conn = sqlite3.connect(self.db_path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()

    def _pg_rows(self, sql: str, params: tuple) -> list[Any]:
        if self._reader is None or self._reader.closed:  # one connection for the many reads
            self._reader = psycopg.connect(self.url, autocommit=True, row_factory=_row_factory)
        try:
            return self._reader.execute(to_postgres(sql), params).fetchall()
        except psycopg.errors.UndefinedTable:
            return []

    def tables(self) -> list[str]:
        """The names of the database's tables (on either backend)."""
        if self.url:
            sql = (
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        return [str(row[0]) for row in self.rows(sql)]

    def scalar(self, sql: str, params: tuple = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    async def wait_db(
        self, predicate: Callable[[Griddesk], Any], *, timeout: float = 60.0, what: str = ""
    ) -> Any:
        """Polls PREDICATE(self) until truthy; fails (with the bot's log) after TIMEOUT.

        The timeout is generous because CI machines are small and shared; a passing wait returns
        as soon as the predicate holds.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"gave up after {timeout} s waiting for {what}\n{self.log_tail()}"
                )
            await asyncio.sleep(0.05)

    async def queue(self, messages: list[Outgoing]) -> None:
        """Queues MESSAGES in the bot's outbox from outside the process (as a sweep would)."""
        from datetime import UTC, datetime

        db = await Database(self.location).open()
        try:
            await Outbox(db).send(messages, datetime.now(UTC))
        finally:
            await db.close()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.stop()
        await self.kill()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
