"""What the web app reads of the database: readiness figures, metric gauges and its own secrets.

Every figure is one indexed read; nothing here holds personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain.readiness import Backlog
from storage.db import Database, from_db, to_db

# web_state's key for the end of the last full sweep pass (ISO UTC).
SWEEPS_PASS = "sweeps_pass"


class WebState:
    def __init__(self, db: Database):
        self.db = db

    async def inbox_backlog(self) -> Backlog:
        """Updates stored but not yet processed (state 'new')."""
        row = await self.db.fetchone(
            "SELECT COUNT(*), MIN(received_at) FROM inbox WHERE state = 'new'"
        )
        return Backlog(int(row[0]) if row else 0, from_db(row[1]) if row else None)

    async def outbox_backlog(self) -> Backlog:
        """Messages queued but not yet sent (pending or sending)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state IN ('pending', 'sending')"
        )
        return Backlog(int(row[0]) if row else 0, from_db(row[1]) if row else None)

    async def reports_by_state_tier(self) -> dict[tuple[str, str], int]:
        rows = await self.db.fetchall(
            "SELECT status, tier, COUNT(*) FROM reports GROUP BY status, tier"
        )
        return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}

    async def overdue(self, now: datetime) -> int:
        """Open or accepted reports past their deadline."""
        row = await self.db.fetchone(
            # pinned: the planner otherwise prefers reports_status_tier and reads every open one
            "SELECT COUNT(*) FROM reports INDEXED BY summary_reports_overdue"
            " WHERE due_at < ? AND status IN ('open', 'accepted')",
            (to_db(now),),
        )
        return int(row[0]) if row else 0

    async def sweeps_passed(self, at: datetime) -> None:
        """Records AT as the end of the last full sweep pass (the "sweeps" leader's, for the
        /readyz of every instance on the database)."""
        await self.put(SWEEPS_PASS, to_db(at))

    async def last_sweeps_pass(self) -> datetime | None:
        """When the last full sweep pass recorded ended, by whichever instance; None if never."""
        return from_db(await self.get(SWEEPS_PASS))

    async def get(self, key: str) -> str | None:
        row = await self.db.fetchone("SELECT value FROM web_state WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def secret(self, key: str, make: Callable[[], str]) -> str:
        """Returns the value kept under KEY, storing MAKE() first if there is none."""
        async with self.db.transaction(completes_update=False) as conn:
            await conn.execute(
                "INSERT INTO web_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, make()),
            )
        value = await self.get(key)
        assert value is not None
        return value

    async def put(self, key: str, value: str | None) -> None:
        """Keeps VALUE under KEY (None deletes it)."""
        async with self.db.transaction(completes_update=False) as conn:
            if value is None:
                await conn.execute("DELETE FROM web_state WHERE key = ?", (key,))
            else:
                await conn.execute(
                    "INSERT INTO web_state (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
