"""Weekly summary aggregates (one indexed pass per figure, grouped by unit) and their sending.

Every query reads a period's slice through an index (summary_reports_created and
summary_reports_overdue in 0003; the kept facts' report_facts_window in 0025, or
report_facts_unit and figures_reports_unit_created for a subtree) and groups by unit, so its
cost depends on the period's activity, not on how many reports are stored. Counts are rolled up
to each unit's subtree in bot.domain.summary; the accept / resolve medians, which need every
value, are taken per subtree in SQL (_MEDIANS), so no row per report reaches Python.
"""

from __future__ import annotations

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

# The first accept / resolve / confirm / expire / reject of each report in [start, end), from the
# kept facts (migration 0025): a fact whose previous event of its action lies before the period
# (or that has none) is its report's first of that action in the period.
_FIRST = "(f.prev_at IS NULL OR f.prev_at < :start)"

# Per unit: reports resolved, expired and rejected in [start, end) (each once per kind).
_COUNTS = f"""
SELECT f.unit AS unit, f.action AS action, COUNT(*) AS n
FROM {{facts}}
WHERE f.at >= :start AND f.at < :end AND f.action IN ('resolve', 'expire', 'reject')
  AND {_FIRST} {{reach}}
GROUP BY f.unit, f.action
"""

# Per unit: reports confirmed in [start, end), by the stars the report holds.
_CONFIRMED = f"""
SELECT f.unit AS unit, r.stars AS stars, COUNT(*) AS n
FROM {{facts}} JOIN reports r ON r.id = f.report_id
WHERE f.at >= :start AND f.at < :end AND f.action = 'confirm' AND {_FIRST} {{reach}}
GROUP BY f.unit, r.stars
"""

# The median hours from submission to the first accept / resolve in [start, end), for each unit's
# whole subtree, in SQL. Each report's first in the period (its hours clamped at 0) goes into a
# histogram per (unit, action) whose buckets are the figures jobs/summaries._duration shows
# (BUCKET: whole minutes under an hour, 0.1 h under 48 h, 0.1 day beyond), with each bucket's
# count, sum, min and max; each unit's histogram is added to its ancestors' (`up`: the unit
# tree from the units table, within the scope), and a running count per (unit, action) finds
# the bucket(s) holding the middle value(s). Only those reach Python (`_medians`): a few rows
# per (unit, action). A unit with reports of its own and units below has two rows per bucket
# (its own, its descendants'): the running count is taken per bucket (RANGE) and Python adds
# the two.
_MEDIANS = f"""
WITH RECURSIVE up(unit, anc) AS (
    SELECT code, parent FROM units u WHERE parent IS NOT NULL {{unit_scope}} {{parent_scope}}
    UNION ALL
    SELECT up.unit, u.parent FROM up JOIN units u ON u.code = up.anc
    WHERE u.parent IS NOT NULL {{parent_scope}}
),
firsts AS (
    SELECT f.unit AS unit, f.action AS action, MAX(0.0, {{hours}}) AS hours
    FROM {{facts}}
    WHERE f.at >= :start AND f.at < :end AND f.action IN ('accept', 'resolve')
      AND {_FIRST} {{reach}}
),
buckets AS MATERIALIZED (
    SELECT unit, action, {{bucket}} AS bucket, COUNT(*) AS n, SUM(hours) AS total,
           MIN(hours) AS low, MAX(hours) AS high
    FROM firsts GROUP BY unit, action, {{bucket}}
),
merged AS (
    SELECT unit, action, bucket, n, total, low, high FROM buckets
    UNION ALL
    SELECT up.anc AS unit, b.action AS action, b.bucket AS bucket, CAST(SUM(b.n) AS INTEGER) AS n,
           SUM(b.total) AS total, MIN(b.low) AS low, MAX(b.high) AS high
    FROM buckets b JOIN up ON up.unit = b.unit
    GROUP BY up.anc, b.action, b.bucket
),
ranked AS (
    SELECT unit, action, bucket, n, total, low, high,
           CAST(SUM(n) OVER (PARTITION BY unit, action ORDER BY bucket
                             RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS INTEGER) AS upto,
           CAST(SUM(n) OVER (PARTITION BY unit, action, bucket) AS INTEGER) AS here,
           CAST(SUM(n) OVER (PARTITION BY unit, action) AS INTEGER) AS count
    FROM merged
)
SELECT unit, action, bucket, count, upto - here AS before, n, total, low, high FROM ranked
WHERE upto - here < count / 2 + 1 AND upto >= (count + 1) / 2
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
SELECT f.unit AS unit, COUNT(*) AS n
FROM {facts}
WHERE f.at >= :start AND f.at < :end AND f.action IN ('confirm', 'expire') {reach}
GROUP BY f.unit
"""


# Hours from a report's submission to a kept fact (its first event of a kind in the period): the
# times are ISO text, and each backend has its own arithmetic on them.
HOURS = {
    "sqlite": "(julianday(f.at) - julianday(f.created_at)) * 24.0",
    "postgresql": "CAST(EXTRACT(EPOCH FROM CAST(f.at AS timestamptz)"
    " - CAST(f.created_at AS timestamptz)) AS DOUBLE PRECISION) / 3600.0",
}
# The figure a (non-negative) number of hours is shown as (jobs/summaries._duration), as one
# increasing integer: the whole minute under an hour (rounded as shown: 59.5 minutes is "1 h"),
# then tenths of an hour under 48 h, then tenths of a day. Rounding down on both backends.
BUCKET = {
    "sqlite": "CASE WHEN hours * 60 < 59.5 THEN CAST(hours * 60 + 0.5 AS INTEGER)"
    " WHEN hours < 48 THEN 100 + CAST(hours * 10 + 0.5 AS INTEGER)"
    " ELSE 1000 + CAST(hours / 2.4 + 0.5 AS INTEGER) END",
    "postgresql": "CASE WHEN hours * 60 < 59.5 THEN CAST(FLOOR(hours * 60 + 0.5) AS INTEGER)"
    " WHEN hours < 48 THEN 100 + CAST(FLOOR(hours * 10 + 0.5) AS INTEGER)"
    " ELSE 1000 + CAST(FLOOR(hours / 2.4 + 0.5) AS INTEGER) END",
}


def _value(k: int, before: int, n: int, total: float, low: float, high: float) -> float:
    """The K-th smallest value (1-based) of a histogram, from the bucket holding it (BEFORE values
    lie in lower buckets; N in this one, summing to TOTAL, from LOW to HIGH): exact at either end
    of the bucket and for the middle of three; otherwise a value within the bucket, which is
    shown as the same figure."""
    if k == before + 1:
        return low
    if k == before + n:
        return high
    if n == 3:
        return total - low - high
    return min(high, max(low, (total - low - high) / (n - 2)))


def _medians(rows: Sequence[Any]) -> dict[tuple[str, str], float]:
    """(unit, action) → median, from _MEDIANS' rows: the bucket(s) holding each middle value."""
    found: dict[tuple[str, str], dict[int, list[Any]]] = {}
    for unit, action, bucket, count, before, n, total, low, high in rows:
        buckets = found.setdefault((unit, action), {})
        kept = buckets.get(bucket)
        if kept is None:  # count, before, n, total, low, high
            buckets[bucket] = [
                int(count),
                int(before),
                int(n),
                float(total),
                float(low),
                float(high),
            ]
        else:  # the unit's own reports' row and its descendants': one bucket
            kept[2] += int(n)
            kept[3] += float(total)
            kept[4], kept[5] = min(kept[4], float(low)), max(kept[5], float(high))
    medians = {}
    for key, buckets in found.items():
        count = next(iter(buckets.values()))[0]
        picked = []
        for k in sorted({(count + 1) // 2, count // 2 + 1}):
            for _count, before, n, total, low, high in buckets.values():
                if before < k <= before + n:
                    picked.append(_value(k, before, n, total, low, high))
                    break
        medians[key] = sum(picked) / len(picked)
    return medians


def scoped(units: Sequence[str] | None) -> tuple[dict[str, str], dict[str, str]]:
    """Returns the SQL fragments ({created}: the reports' index, {units}: the filter on r.unit;
    {facts} and {reach}: where a period's kept facts come from and their filter;
    {unit_scope} and {parent_scope}: the unit tree's filter) and their parameters for the
    reports at UNITS (None: the whole office, through summary_reports_created and
    report_facts_window). A scope is read through figures_reports_unit_created (0022) and
    report_facts_unit (0025), one range per unit, so its cost follows its own reports, not the
    office's."""
    if units is None:
        return {
            "created": "INDEXED BY summary_reports_created",
            "units": "",
            "facts": "report_facts f INDEXED BY report_facts_window",
            "reach": "",
            "unit_scope": "",
            "parent_scope": "",
        }, {}
    names = {f"u{i}": code for i, code in enumerate(units)}
    listed = ", ".join(":" + name for name in names) or "NULL"
    fragments = {
        "created": "INDEXED BY figures_reports_unit_created",
        "units": f"AND r.unit IN ({listed})",
        "facts": "report_facts f INDEXED BY report_facts_unit",
        "reach": f"AND f.unit IN ({listed}) AND f.created_at < :end",
        "unit_scope": f"AND u.code IN ({listed})",
        "parent_scope": f"AND u.parent IN ({listed})",
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
        (at UNITS only, if given: the same tallies those units have in the whole office's).

        The medians are the exception: each unit's are its whole subtree's (within UNITS),
        taken in SQL from the kept facts; `bot.domain.summary.roll_up` keeps them as they are."""
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
        for row in await self.db.fetchall(_COUNTS.format(**scope), window):
            tally = tallies.setdefault(row["unit"], Tally())
            if row["action"] == "resolve":
                tally.resolved += row["n"]
            elif row["action"] == "expire":
                tally.closed_unverified += row["n"]
            elif row["action"] == "reject":
                tally.rejected += row["n"]
        for row in await self.db.fetchall(_CONFIRMED.format(**scope), window):
            tally = tallies.setdefault(row["unit"], Tally())
            tally.closed += row["n"]
            if row["stars"] is not None:
                tally.stars.extend([int(row["stars"])] * row["n"])
        medians = _MEDIANS.format(
            hours=HOURS[self.db.dialect], bucket=BUCKET[self.db.dialect], **scope
        )
        for (unit, action), hours in _medians(await self.db.fetchall(medians, window)).items():
            tally = tallies.setdefault(unit, Tally())
            if action == "accept":
                tally.median_accept_hours = hours
            else:
                tally.median_resolve_hours = hours
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
