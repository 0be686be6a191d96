"""What the deadline sweep reads and writes: due reports through an index, steps by compare-and-set.

`due` reads only the partial index reports_next_action (migration 0002), so its cost follows
the number of reports due, not the number stored. `apply` writes many steps in one transaction;
each one only if the report is still at the version and next_action_at the sweep read, so a
second instance, a slow pass or a restart in between never takes a step twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.reports import Report, ReportEvent
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing
from storage.reports import insert_event, update_report

# Index-only: the partial index holds next_action_at and the rowid (the report id).
DUE_SQL = (
    "SELECT id, next_action_at FROM reports WHERE next_action_at <= ?"
    " ORDER BY next_action_at LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class Due:
    report_id: int
    next_at: datetime  # as stored: the compare-and-set expects it unchanged


@dataclass(frozen=True, slots=True)
class Step:
    """One report's change by the sweep: with an EVENT (and MESSAGES) or bookkeeping only."""

    due: Due
    version: int  # the version the sweep read
    after: Report
    event: ReportEvent | None = None
    messages: list[Outgoing] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Applied:
    written: int  # rows changed (steps and bookkeeping)
    acted: int  # steps taken (events recorded)


def _when(text: str) -> datetime:
    at = from_db(text)
    assert at is not None
    return at


class Deadlines:
    def __init__(self, db: Database):
        self.db = db

    async def due(self, now: datetime, limit: int) -> list[Due]:
        """Returns up to LIMIT reports with a deadline step due at NOW, most overdue first."""
        rows = await self.db.fetchall(DUE_SQL, (to_db(now), limit))
        return [Due(row["id"], _when(row["next_action_at"])) for row in rows]

    async def query_plan(self, now: datetime, limit: int = 500) -> list[str]:
        """Returns SQLite's plan for the due query (tests and the benchmark show it)."""
        rows = await self.db.fetchall(f"EXPLAIN QUERY PLAN {DUE_SQL}", (to_db(now), limit))
        return [row["detail"] for row in rows]

    async def apply(self, steps: Sequence[Step], at: datetime) -> Applied:
        """Writes each step whose report nobody changed since it was read; skips the others."""
        written = acted = 0
        if not steps:
            return Applied(0, 0)
        async with self.db.transaction(completes_update=False) as conn:
            for step in steps:
                changed = await update_report(
                    conn,
                    step.after,
                    expect_version=step.version,
                    expect_next_at=step.due.next_at,
                    bump=step.event is not None,
                )
                if not changed:
                    continue
                written += 1
                if step.event is not None:
                    await insert_event(conn, step.due.report_id, step.event)
                    await outbox.add(conn, step.messages, at)
                    acted += 1
        return Applied(written, acted)
