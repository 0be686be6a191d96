"""Weekly summary aggregates (one indexed pass per figure, grouped by unit) and their sending.

Every query reads a week's slice through an index (summary_reports_created,
summary_events_at, summary_reports_overdue in 0003) and groups by unit, so its cost depends on
the week's activity, not on how many reports are stored or how many units ask; the roll-up to
each unit's subtree happens in bot.domain.summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.domain.groups import Binding, Purpose
from bot.domain.summary import IsoWeek, Tally
from storage import outbox
from storage.db import Database, to_db
from storage.groups import BINDING_COLUMNS, binding_from_row
from storage.outbox import Outgoing
from storage.outbox_files import add_file

CONCLUDED = ("resolved", "closed", "closed_unverified")

# Reports created in [start, end), with the status each had at as_of (from its history).
_COHORT = """
WITH cohort AS MATERIALIZED (
    SELECT r.unit AS unit, r.category AS category,
           (SELECT e.new FROM report_events e
            WHERE e.report_id = r.id AND e.at <= :as_of ORDER BY e.id DESC LIMIT 1) AS state
    FROM reports r {created}
    WHERE r.created_at >= :start AND r.created_at < :end {units}
)
SELECT unit, category, state, COUNT(*) AS n FROM cohort GROUP BY unit, category, state
"""

# The first accept and resolve per report in [start, end), with hours since submission (their
# medians need every value: a row per report and kind).
_EVENTS = """
SELECT r.unit AS unit, e.action AS action, r.stars AS stars, {hours} AS hours
{events}
WHERE e.at >= :start AND e.at < :end AND e.action IN ('accept', 'resolve') {reach}
GROUP BY r.id, e.action
"""

# The reports confirmed (with their stars), expired or rejected in [start, end), counted in SQL
# per unit: what a row per report would add up to.
_OUTCOMES = """
SELECT r.unit AS unit, e.action AS action, r.stars AS stars, COUNT(DISTINCT r.id) AS n
{events}
WHERE e.at >= :start AND e.at < :end AND e.action IN ('confirm', 'expire', 'reject') {reach}
GROUP BY r.unit, e.action, r.stars
"""

# Reports open and past their deadline at :as_of, judged from their history as of then (the
# deadline in force after each event is kept with it, migration 0015): a report the deadline
# sweep escalated, or a worker resolved, after :as_of still counts. Candidates: the reports
# open and past due now (through the partial index) and those with events after :as_of (the
# only ones whose state at :as_of can differ from their state now). An event stored before
# 0015 has no recorded deadline (NULL): the report's current one stands in, as before.
_OVERDUE = """
WITH candidates AS (
    SELECT id FROM reports INDEXED BY summary_reports_overdue
    WHERE status IN ('open', 'accepted') AND due_at < :as_of
    UNION
    SELECT report_id FROM report_events INDEXED BY summary_events_at WHERE at > :as_of
),
latest AS (
    SELECT c.id AS id,
           (SELECT e.id FROM report_events e
            WHERE e.report_id = c.id AND e.at <= :as_of ORDER BY e.id DESC LIMIT 1) AS event
    FROM candidates c
)
SELECT r.unit AS unit, COUNT(*) AS n
FROM latest l JOIN report_events e ON e.id = l.event JOIN reports r ON r.id = l.id
WHERE e.new IN ('open', 'accepted')
  AND (CASE WHEN e.due_at IS NULL THEN r.due_at ELSE NULLIF(e.due_at, '') END) < :as_of {units}
GROUP BY r.unit
"""

_NEW_BY_UNIT = """
SELECT r.unit AS unit, COUNT(*) AS n FROM reports r {created}
WHERE r.created_at >= :start AND r.created_at < :end {units} GROUP BY r.unit
"""

_CLOSED_BY_UNIT = """
SELECT r.unit AS unit, COUNT(*) AS n
{events}
WHERE e.at >= :start AND e.at < :end AND e.action IN ('confirm', 'expire') {reach}
GROUP BY r.unit
"""


# The events of a period: the whole office's through their time (summary_events_at); a unit
# subtree's through its reports created before the period's end (0022) and each one's events
# (report_events_report), instead of every event of the office's period.
_WINDOW_EVENTS = (
    "FROM report_events e INDEXED BY summary_events_at JOIN reports r ON r.id = e.report_id"
)
_SCOPE_EVENTS = (
    "FROM reports r INDEXED BY figures_reports_unit_created"
    " JOIN report_events e INDEXED BY report_events_report ON e.report_id = r.id"
)

# Hours from a report's submission to its first event of a kind: the times are ISO text, and each
# backend has its own arithmetic on them.
HOURS = {
    "sqlite": "(julianday(MIN(e.at)) - julianday(r.created_at)) * 24.0",
    "postgresql": "EXTRACT(EPOCH FROM CAST(MIN(e.at) AS timestamptz)"
    " - CAST(r.created_at AS timestamptz)) / 3600.0",
}


def _add_events(tallies: dict[str, Tally], rows: Sequence[Any]) -> None:
    """Adds _EVENTS' ROWS (unit, action, stars, hours) to TALLIES."""
    for unit, action, _stars, hours in rows:
        tally = tallies.get(unit)
        if tally is None:
            tally = tallies[unit] = Tally()
        if action == "accept":
            tally.accept_hours.append(max(0.0, hours))
        elif action == "resolve":
            tally.resolved += 1
            tally.resolve_hours.append(max(0.0, hours))


def _add_outcomes(tallies: dict[str, Tally], rows: Sequence[Any]) -> None:
    """Adds _OUTCOMES' ROWS (unit, action, stars, reports) to TALLIES."""
    for unit, action, stars, n in rows:
        tally = tallies.setdefault(unit, Tally())
        if action == "confirm":
            tally.closed += n
            if stars is not None:
                tally.stars.extend([int(stars)] * n)
        elif action == "expire":
            tally.closed_unverified += n
        elif action == "reject":
            tally.rejected += n


def scoped(units: Sequence[str] | None) -> tuple[dict[str, str], dict[str, str]]:
    """Returns the SQL fragments ({created}: the reports' index, {units}: the filter on r.unit;
    {events} and {reach}: where a period's events come from and their reports' filter) and
    their parameters for the reports at UNITS (None: the whole office, through
    summary_reports_created and summary_events_at). A scope is read through
    figures_reports_unit_created (0022), one range per unit, so its cost follows its own
    reports, not the office's."""
    if units is None:
        return {
            "created": "INDEXED BY summary_reports_created",
            "units": "",
            "events": _WINDOW_EVENTS,
            "reach": "",
        }, {}
    names = {f"u{i}": code for i, code in enumerate(units)}
    listed = ", ".join(":" + name for name in names) or "NULL"
    fragments = {
        "created": "INDEXED BY figures_reports_unit_created",
        "units": f"AND r.unit IN ({listed})",
        "events": _SCOPE_EVENTS,
        "reach": f"AND r.unit IN ({listed}) AND r.created_at < :end",
    }
    return fragments, names


class Summaries:
    def __init__(self, db: Database):
        self.db = db

    async def week_tallies(
        self,
        start: datetime,
        end: datetime,
        as_of: datetime,
        units: Sequence[str] | None = None,
    ) -> dict[str, Tally]:
        """Returns the raw (not rolled-up) tally of each unit for [START, END), judged at AS_OF
        (at UNITS only, if given: the same tallies those units have in the whole office's)."""
        tallies: dict[str, Tally] = {}
        scope, names = scoped(units)
        window = {"start": to_db(start), "end": to_db(end), "as_of": to_db(as_of), **names}
        for row in await self.db.fetchall(_COHORT.format(**scope), window):
            tally = tallies.setdefault(row["unit"], Tally())
            n = row["n"]
            tally.new += n
            tally.categories[row["category"]] += n
            if row["state"] not in ("rejected", "merged"):  # 退回 and 并单 are no new work
                tally.received += n
                if row["state"] in CONCLUDED:
                    tally.concluded += n
        events = await self.db.fetchall(
            _EVENTS.format(hours=HOURS[self.db.dialect], **scope), window
        )
        # A row per report and kind: the whole office's 90 days are millions at 1,000,000
        # reports, added up in a worker thread so the bot's event loop keeps running.
        await asyncio.to_thread(_add_events, tallies, events)
        _add_outcomes(tallies, await self.db.fetchall(_OUTCOMES.format(**scope), window))
        overdue = {"as_of": to_db(as_of), **names}
        for row in await self.db.fetchall(_OVERDUE.format(**scope), overdue):
            tallies.setdefault(row["unit"], Tally()).overdue += row["n"]
        return tallies

    async def week_counts(
        self, start: datetime, end: datetime, units: Sequence[str] | None = None
    ) -> dict[str, tuple[int, int]]:
        """Returns (created, closed verified or not) per unit in [START, END), raw (at UNITS
        only, if given)."""
        scope, names = scoped(units)
        window = {"start": to_db(start), "end": to_db(end), **names}
        counts: dict[str, list[int]] = {}
        for row in await self.db.fetchall(_NEW_BY_UNIT.format(**scope), window):
            counts.setdefault(row["unit"], [0, 0])[0] += row["n"]
        for row in await self.db.fetchall(_CLOSED_BY_UNIT.format(**scope), window):
            counts.setdefault(row["unit"], [0, 0])[1] += row["n"]
        return {unit: (pair[0], pair[1]) for unit, pair in counts.items()}

    async def due_groups(self, week: IsoWeek, send_at: datetime, limit: int) -> list[Binding]:
        """Returns summary groups still owed WEEK's summary, bound before its send time.

        A group bound after SEND_AT waits for the next week's. A group whose chat was found
        unreachable (bot removed) after it was bound is skipped until someone binds it again.
        """
        columns = ", ".join("b." + c.strip() for c in BINDING_COLUMNS.split(","))
        rows = await self.db.fetchall(
            f"""
            SELECT {columns} FROM group_bindings b
            LEFT JOIN chats c ON c.chat_id = b.chat_id
            WHERE b.purpose = ? AND b.bound_at < ?
              AND NOT EXISTS (SELECT 1 FROM summaries_sent s
                              WHERE s.chat_id = b.chat_id AND s.iso_week = ?)
              AND NOT (c.unreachable IS NOT NULL AND c.updated_at > b.bound_at)
            ORDER BY b.chat_id LIMIT ?
            """,
            (Purpose.SUMMARY.value, to_db(send_at), str(week), limit),
        )
        return [binding_from_row(row) for row in rows]

    async def queue(
        self,
        binding: Binding,
        week: IsoWeek,
        at: datetime,
        messages: Callable[[dict[str, int] | None], Sequence[Outgoing]],
        chart: bytes | None,
    ) -> bool:
        """Claims (group, WEEK) and queues its MESSAGES(chart reference) in one commit.

        Returns False, writing nothing, if the week's summary was already queued for the group
        (by an earlier pass, before a restart, or by another instance).
        """
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "INSERT INTO summaries_sent (chat_id, iso_week, unit, queued_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, iso_week) DO NOTHING",
                (binding.chat_id, str(week), binding.unit, to_db(at)),
            )
            if cursor.rowcount != 1:
                return False
            reference = None
            if chart is not None:
                reference = await add_file(conn, binding.chat_id, f"summary-{week}.png", chart, at)
            await outbox.add(conn, list(messages(reference)), at)
        return True

    async def sent_weeks(self, chat_id: int) -> list[str]:
        """Returns the ISO weeks whose summary was queued for CHAT_ID, oldest first."""
        rows = await self.db.fetchall(
            "SELECT iso_week FROM summaries_sent WHERE chat_id = ? ORDER BY iso_week", (chat_id,)
        )
        return [row["iso_week"] for row in rows]
