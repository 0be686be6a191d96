"""回访 tasks (migration 0029): one row per closing of a case whose category asks for a call.

Rows are created by the closing transaction itself (the trigger report_events_revisit); every
later write is compare-and-set on the row's version, with the report's events (report_events)
and the outbox rows of the same step in the caller's transaction. `due` reads only the partial
index revisits_next, so the sweep's cost follows what is due, not what is stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.reports import ReportEvent
from bot.domain.revisit import Revisit, State
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing
from storage.reports import insert_event

_COLUMNS = (
    "id, report_id, closed_at, state, stage, due_at, next_at, satisfied, note, answered_by,"
    " answered_at, version"
)

# Tasks still to be called, of reports at :units (json list; NULL: anywhere), that :uid did
# not handle (accept or resolve): what /revisits lists, oldest closing first.
_WAITING = """
FROM revisits v JOIN reports r ON r.id = v.report_id
WHERE v.state <> 'answered'
  AND (CAST(:units AS TEXT) IS NULL OR r.unit IN (SELECT value FROM json_each(:units)))
  AND NOT EXISTS (SELECT 1 FROM report_events e WHERE e.report_id = v.report_id
                  AND e.action IN ('accept', 'resolve') AND e.actor_id = :uid)
"""


class StaleRevisit(Exception):
    """The task changed since it was read (answered or stepped by someone else)."""


def _revisit(row: Any) -> Revisit:
    closed = from_db(row["closed_at"])
    assert closed is not None
    satisfied = row["satisfied"]
    return Revisit(
        id=row["id"],
        report_id=row["report_id"],
        closed_at=closed,
        state=State(row["state"]),
        stage=row["stage"],
        due_at=from_db(row["due_at"]),
        next_at=from_db(row["next_at"]),
        satisfied=None if satisfied is None else satisfied != 0,
        note=row["note"],
        answered_by=row["answered_by"],
        answered_at=from_db(row["answered_at"]),
        version=row["version"],
    )


class Revisits:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, revisit_id: int) -> Revisit | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM revisits WHERE id = ?", (revisit_id,))
        return _revisit(row) if row is not None else None

    async def of_report(self, report_id: int) -> list[Revisit]:
        """Returns every task of REPORT_ID, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM revisits WHERE report_id = ? ORDER BY id", (report_id,)
        )
        return [_revisit(row) for row in rows]

    async def due(self, now: datetime, limit: int) -> list[Revisit]:
        """Returns up to LIMIT tasks whose next_at has come (new ones: their cards), oldest
        first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM revisits INDEXED BY revisits_next"
            " WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [_revisit(row) for row in rows]

    async def save(
        self,
        task: Revisit,
        *,
        expect_version: int,
        events: Sequence[ReportEvent] = (),
        messages: Sequence[Outgoing] = (),
        at: datetime,
    ) -> Revisit:
        """Writes TASK if nobody changed it since EXPECT_VERSION, with EVENTS (its report's)
        and MESSAGES in the same transaction (the caller's, if one is open); else StaleRevisit,
        writing nothing."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE revisits SET state = ?, stage = ?, due_at = ?, next_at = ?,"
                " satisfied = ?, note = ?, answered_by = ?, answered_at = ?,"
                " version = version + 1 WHERE id = ? AND version = ?",
                (
                    task.state.value,
                    task.stage,
                    to_db(task.due_at),
                    to_db(task.next_at),
                    None if task.satisfied is None else int(task.satisfied),
                    task.note,
                    task.answered_by,
                    to_db(task.answered_at),
                    task.id,
                    expect_version,
                ),
            )
            if cursor.rowcount != 1:
                raise StaleRevisit(task.id)
            for event in events:
                assert event.report_id is not None
                await insert_event(conn, event.report_id, event)
            await outbox.add(conn, list(messages), at)
        return replace(task, version=expect_version + 1)

    async def waiting(
        self, uid: int, units: Sequence[str] | None, *, offset: int, limit: int
    ) -> tuple[list[Revisit], int]:
        """Returns a page of the tasks UID may call (at UNITS, None: anywhere; never a case
        they handled), oldest closing first, and how many there are in all."""
        params = {"uid": uid, "units": None if units is None else json.dumps(list(units))}
        total = await self.db.fetchone(f"SELECT COUNT(*) AS n {_WAITING}", params)
        rows = await self.db.fetchall(
            f"SELECT {', '.join('v.' + c.strip() for c in _COLUMNS.split(','))} {_WAITING}"
            " ORDER BY v.closed_at, v.id LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
        return [_revisit(row) for row in rows], int(total["n"]) if total else 0

    async def counts(
        self, units: Sequence[str] | None, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        """Returns (satisfied, not satisfied, waiting) of the tasks of cases at UNITS (None:
        anywhere) closed in [START, END): answered as of now, or still to be called."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FILTER (WHERE v.satisfied = 1) AS yes,"
            " COUNT(*) FILTER (WHERE v.satisfied = 0) AS no,"
            " COUNT(*) FILTER (WHERE v.state <> 'answered') AS waiting"
            " FROM revisits v JOIN reports r ON r.id = v.report_id"
            " WHERE v.closed_at >= :start AND v.closed_at < :end"
            " AND (CAST(:units AS TEXT) IS NULL"
            " OR r.unit IN (SELECT value FROM json_each(:units)))",
            {
                "start": to_db(start),
                "end": to_db(end),
                "units": None if units is None else json.dumps(list(units)),
            },
        )
        if row is None:
            return 0, 0, 0
        return int(row["yes"]), int(row["no"]), int(row["waiting"])
