"""Report figures for a unit's month: queries over reports and their append-only events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.db import Database, to_db

# A report counts as closed in the month its event moved it into one of these statuses.
_CLOSED = ("closed", "closed_unverified", "rejected", "merged")


class ReportFigures:
    def __init__(self, db: Database):
        self.db = db

    async def counts(self, units: Sequence[str], start: datetime, end: datetime) -> tuple[int, int]:
        """Returns (reports placed at UNITS in [START, END), those closed in [START, END))."""
        marks = ",".join("?" * len(units)) or "NULL"
        closed_marks = ",".join("?" * len(_CLOSED))
        new = await self.db.fetchone(
            f"SELECT COUNT(*) FROM reports WHERE created_at >= ? AND created_at < ?"
            f" AND unit IN ({marks})",
            (to_db(start), to_db(end), *units),
        )
        closed = await self.db.fetchone(
            "SELECT COUNT(*) FROM report_events e JOIN reports r ON r.id = e.report_id"
            f" WHERE e.at >= ? AND e.at < ? AND e.new IN ({closed_marks})"
            f" AND (e.old IS NULL OR e.old NOT IN ({closed_marks})) AND r.unit IN ({marks})",
            (to_db(start), to_db(end), *_CLOSED, *_CLOSED, *units),
        )
        return (int(new[0]) if new else 0, int(closed[0]) if closed else 0)
