"""Leadership by role: which of several processes on one database fetches, sends and sweeps.

Several `griddesk run` processes may share one PostgreSQL database. Each of them processes the
inbox (claimed row by row, storage/inbox.py), but three things must be done by one process at a
time:

- "poller": getUpdates (Telegram ends a second concurrent getUpdates with 409 Conflict);
- "sender": the outbox (Telegram's per-bot limits hold only if one pacer sends);
- "sweeps": the periodic sweeps (they are compare-and-set already; one runner saves the work).

On PostgreSQL a role is a session advisory lock (`pg_try_advisory_lock`) held on a connection of
its own (LOCK_CONNECTION), never the one transactions run on: the lock lasts exactly as long as
that session. A process that dies (SIGKILL, a crash, a cut network) loses its session, the server
releases its locks, and another process, which tries again every RETRY seconds, takes the role.
The holder checks its connection every RETRY seconds too (and libpq's TCP keepalives cut a
silent network); when it is lost, every role it held is lost at once, and the caller stops that
work before another process can have started it for long.

On SQLite one process owns the file: it leads every role from the start and never loses one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from storage.db import is_postgres

log = logging.getLogger(__name__)

ROLES = ("poller", "sender", "sweeps")
# Advisory lock keys (arbitrary constants; storage/pg.py's migration lock is 7_405_311_001).
KEYS = {"poller": 7_405_311_101, "sender": 7_405_311_102, "sweeps": 7_405_311_103}
RETRY = 2.0  # seconds between two tries for a role another process holds, and between checks
CHECK_TIMEOUT = 5.0  # seconds a check of the lock connection may take before it counts as lost
# libpq's TCP keepalives on the lock connection: a peer that vanished without closing the
# connection is noticed within about 10 s (ignored on a Unix socket, where a close is seen).
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 4,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "connect_timeout": 5,
}


class Leadership:
    """The roles this process leads; `run()` keeps trying for them and watching the lock."""

    def __init__(self, location: str | Path, *, retry: float = RETRY):
        self.location = location
        self.shared = is_postgres(location)
        self.retry = retry
        self._held: dict[str, asyncio.Event] = {role: asyncio.Event() for role in ROLES}
        self._lost: dict[str, asyncio.Event] = {role: asyncio.Event() for role in ROLES}
        self._conn: Any = None
        if not self.shared:  # one process per SQLite file: it leads everything
            for event in self._held.values():
                event.set()

    def leads(self, role: str) -> bool:
        return self._held[role].is_set()

    async def acquire(self, role: str) -> None:
        """Returns once this process leads ROLE (at once on SQLite)."""
        await self._held[role].wait()

    async def lost(self, role: str) -> None:
        """Returns when this process no longer leads ROLE (never on SQLite)."""
        await self._lost[role].wait()

    async def run(self) -> None:
        """Tries for every role not held and checks the lock connection, every RETRY seconds,
        until cancelled. Never raises for a database fault: it retries."""
        if not self.shared:
            await asyncio.Event().wait()
        try:
            while True:
                try:
                    # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a
                    # cancellation that arrives as the check ends, and run() then never stops
                    async with asyncio.timeout(CHECK_TIMEOUT):
                        await self.check()
                except Exception as exc:  # the server went away, a timeout, a refused login
                    if any(self.leads(role) for role in ROLES):
                        log.warning("lost the lock connection (%s): stepping down", exc)
                    else:
                        log.debug("cannot take a role now: %s", exc)
                    await self._drop()
                await asyncio.sleep(self.retry)
        finally:
            await self._drop()

    async def check(self) -> None:
        """One round: (re)connects, checks the connection, tries for the roles not held."""
        import psycopg

        if self._conn is None or self._conn.closed:
            await self._drop()
            self._conn = await psycopg.AsyncConnection.connect(
                str(self.location), autocommit=True, **KEEPALIVES
            )
            await self._conn.execute("SET application_name = 'griddesk leader'")
        await self._conn.execute("SELECT 1")
        for role in ROLES:
            if self.leads(role):
                continue
            cursor = await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (KEYS[role],))
            row = await cursor.fetchone()
            if row is not None and row[0]:
                log.info("leading %s", role)
                self._lost[role].clear()
                self._held[role].set()

    async def _drop(self) -> None:
        """Every role held is lost (the locks go with the session); closes the connection."""
        for role in ROLES:
            if self._held[role].is_set():
                self._held[role].clear()
                self._lost[role].set()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def close(self) -> None:
        """Gives every role up (closing the session releases the locks at once)."""
        if self.shared:
            await self._drop()


__all__ = ["KEYS", "ROLES", "Leadership"]
