"""What the staff dashboard's case list reads (bot/usecases/dashboard.py): one page of the reports
in a viewer's scope, pushed into SQL; never every row. Paging is LIMIT/OFFSET with the offset
capped by the use case; the count is capped too (no COUNT(*) over the whole table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.reports import Report
from storage.db import Database, to_db
from storage.reports import _COLUMNS, Reports


@dataclass(frozen=True, slots=True)
class Query:
    """Which reports: placed or held at UNITS (None: anywhere) or assigned to ASSIGNEE, of
    CATEGORIES (None: any), in STATUSES (empty: any), at TIER, due before DUE_BEFORE; URGENT
    orders by deadline (open lists), else newest first."""

    units: Sequence[str] | None
    assignee: int | None
    categories: Sequence[str] | None
    statuses: Sequence[str]
    tier: str | None
    due_before: datetime | None
    urgent: bool


def _where(query: Query) -> tuple[str, list[object]]:
    where: list[str] = []
    params: list[object] = []
    if query.units is not None:
        marks = ",".join("?" * len(query.units)) or "NULL"
        scope = f"unit IN ({marks}) OR holder_unit IN ({marks})"
        params.extend([*query.units, *query.units])
        if query.assignee is not None:
            scope += " OR assignee_id = ?"
            params.append(query.assignee)
        where.append(f"({scope})")
    if query.categories is not None:
        where.append(f"category IN ({','.join('?' * len(query.categories)) or 'NULL'})")
        params.extend(query.categories)
    if query.statuses:
        where.append(f"status IN ({','.join('?' * len(query.statuses))})")
        params.extend(query.statuses)
    if query.tier is not None:
        where.append("tier = ?")
        params.append(query.tier)
    if query.due_before is not None:
        where.append("due_at < ?")
        params.append(to_db(query.due_before))
    return (" WHERE " + " AND ".join(where)) if where else "", params


class Dashboard:
    def __init__(self, db: Database, reports: Reports):
        self.db = db
        self.reports = reports

    async def page(self, query: Query, *, limit: int, offset: int) -> list[Report]:
        """Returns LIMIT reports of QUERY after OFFSET, most urgent or newest first."""
        where, params = _where(query)
        order = "due_at IS NULL, due_at, id" if query.urgent else "id DESC"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM reports{where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return await self.reports._with_photos(rows)

    async def count(self, query: Query, *, cap: int) -> int:
        """Returns how many reports QUERY finds, counting no further than CAP."""
        where, params = _where(query)
        row = await self.db.fetchone(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM reports{where} LIMIT ?)", (*params, cap)
        )
        return int(row[0]) if row else 0
