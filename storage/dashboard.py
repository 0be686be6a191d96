"""What the staff dashboard's case list reads (bot/usecases/dashboard.py): one page of the reports
in a viewer's scope, pushed into SQL; never every row. Paging is LIMIT/OFFSET with the offset
capped by the use case; the count is capped too (no COUNT(*) over the whole table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.reports import Report, Status
from storage.db import Database, to_db
from storage.reports import _COLUMNS, Reports


@dataclass(frozen=True, slots=True)
class Query:
    """Which reports: those assigned to ASSIGNEE, or placed or held at UNITS (None: anywhere)
    and of CATEGORIES (None: any) — the viewer's scope (bot/domain/dashboard.py sees) —; then
    of CATEGORY, in STATUSES (empty: any), at TIER, due before DUE_BEFORE. URGENT orders by
    deadline (open lists), else newest first."""

    units: Sequence[str] | None
    assignee: int | None
    categories: Sequence[str] | None
    category: str | None
    statuses: Sequence[str]
    tier: str | None
    due_before: datetime | None
    urgent: bool


# Beyond this many units, a scope is read in the list's order and filtered (`+unit` keeps the
# planner off the unit indexes): a street's or district's area holds most reports, and gathering
# them all through the unit indexes to sort them cost 0.5 s at 100,000 reports (a copy of the
# bench database), read in order 1.4 ms.
WIDE = 30


def _where(query: Query, dialect: str) -> tuple[str, list[object]]:
    """The WHERE of QUERY and its parameters. `+column` (SQLite's way to keep the planner off a
    column's indexes) is written for SQLite only: PostgreSQL has no unary plus on text."""
    hint = "+" if dialect == "sqlite" else ""
    where: list[str] = []
    params: list[object] = []
    area: list[str] = []
    area_params: list[object] = []
    plus = ""
    if query.units is not None:
        marks = ",".join("?" * len(query.units)) or "NULL"
        plus = hint if len(query.units) > WIDE else ""
        area.append(f"{plus}unit IN ({marks}) OR {plus}holder_unit IN ({marks})")
        area_params.extend([*query.units, *query.units])
    if query.categories is not None:
        area.append(f"category IN ({','.join('?' * len(query.categories)) or 'NULL'})")
        area_params.extend(query.categories)
    if area:
        scope = " AND ".join(f"({term})" for term in area)
        if query.assignee is not None:
            scope = f"{plus}assignee_id = ? OR {scope if len(area) == 1 else f'({scope})'}"
            params.append(query.assignee)
        where.append(f"({scope})")
        params.extend(area_params)
    if query.category is not None:
        where.append("category = ?")
        params.append(query.category)
    if query.statuses:
        # Written out, not bound: SQLite uses the partial index dashboard_open_due only for a
        # WHERE that names its own literals. The values are Status members, checked here.
        # Elsewhere `+status` keeps the planner off reports_status_tier, which it prefers with
        # statistics and which then sorts every open (or closed) report (0.3-1.2 s at 1,000,000).
        known = {s.value for s in Status}
        assert all(s in known for s in query.statuses), query.statuses
        chosen = f"IN ({', '.join(repr(str(s)) for s in query.statuses)})"
        if _open_and_wide(query):
            where.append(f"status IN ({', '.join(repr(s) for s in OPEN)})")  # the index's own
            if list(query.statuses) != OPEN:
                where.append(f"{hint}status {chosen}")
        else:
            where.append(f"{hint}status {chosen}")
    if query.tier is not None:
        where.append("tier = ?")
        params.append(query.tier)
    if query.due_before is not None:
        where.append("due_at < ?")
        params.append(to_db(query.due_before))
    return (" WHERE " + " AND ".join(where)) if where else "", params


OPEN = [s.value for s in Status if s.is_open]  # in the order dashboard_open_due's WHERE names them


def _open_and_wide(query: Query) -> bool:
    """Tells whether QUERY reads open reports over many units (or all)."""
    wide = query.units is None or len(query.units) > WIDE
    return wide and bool(query.statuses) and all(s in OPEN for s in query.statuses)


def _pinned(query: Query) -> str:
    """A wide area's open reports are read in deadline order on the covering partial index; the
    planner, with statistics, would take reports_status_tier (or summary_reports_overdue for
    a count) and read and sort every open report."""
    return " INDEXED BY dashboard_open_due" if _open_and_wide(query) else ""


class Dashboard:
    def __init__(self, db: Database, reports: Reports):
        self.db = db
        self.reports = reports

    async def page(self, query: Query, *, limit: int, offset: int) -> list[Report]:
        """Returns LIMIT reports of QUERY after OFFSET, most urgent or newest first."""
        where, params = _where(query, self.db.dialect)
        # Reports without a deadline (none at the top tier) come first: the index's order on
        # SQLite, where NULLs come first ascending; PostgreSQL must be told.
        nulls = " NULLS FIRST" if self.db.dialect == "postgresql" else ""
        order = f"due_at{nulls}, id" if query.urgent else "id DESC"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM reports{_pinned(query)}{where} ORDER BY {order}"
            " LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return await self.reports._with_photos(rows)

    async def count(self, query: Query, *, cap: int) -> int:
        """Returns how many reports QUERY finds, counting no further than CAP."""
        where, params = _where(query, self.db.dialect)
        row = await self.db.fetchone(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM reports{_pinned(query)}{where} LIMIT ?) AS found",
            (*params, cap),
        )
        return int(row[0]) if row else 0
