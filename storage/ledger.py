"""台账 export: the ledger's rows, read a page at a time, and the export requests.

Every reader takes a period [start, end) and the units it may show (None: every unit) and
yields pages of at most PAGE domain records, keyed on (time, id), so memory stays bounded
whatever the period's size. Nothing personal is read: no reporter, no text a resident wrote,
no household label or note; a volunteer's name only masked.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from bot.domain.appraisal import History
from bot.domain.ledger import (
    ActivityRecord,
    BookingRecord,
    CallInRecord,
    CaseRecord,
    PatrolRecord,
    PointsRecord,
    VisitRecord,
    WishRecord,
)
from bot.domain.volunteers import mask_name
from storage import outbox
from storage.appraisal import _step
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing
from storage.outbox_files import add_file

PAGE = 1000
T = TypeVar("T")

# The units filter every reader shares: :units is NULL (every unit) or a JSON list of codes.
# (Cast: PostgreSQL cannot tell a parameter's type from `IS NULL` alone.)
_IN_UNITS = "(CAST(:units AS TEXT) IS NULL OR {col} IN (SELECT value FROM json_each(:units)))"

_CASES = f"""
SELECT r.id, r.unit, r.category, r.created_at, r.status, r.tier, r.holder_unit, r.stars,
       s.role AS holder_role
FROM reports r INDEXED BY summary_reports_created
LEFT JOIN staff s ON s.user_id = r.assignee_id
WHERE r.created_at >= :start AND r.created_at < :end
  AND r.created_at >= :k AND (r.created_at, r.id) > (:k, :i)
  AND {_IN_UNITS.format(col="r.unit")}
ORDER BY r.created_at, r.id LIMIT :page
"""

_CASE_EVENTS = """
SELECT e.report_id AS id, e.action AS action, e.new AS new, e.actor_id AS actor_id, e.at AS at,
       e.due_at AS due_at,
       CASE e.action WHEN 'confirm' THEN json_extract(e.data, '$.stars') END AS stars,
       CASE e.action WHEN 'transfer' THEN json_extract(e.data, '$.to') END AS target,
       CASE e.action WHEN 'revisit_answer' THEN json_extract(e.data, '$.satisfied') END AS answer
FROM report_events e
WHERE e.report_id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids)) AND e.at <= :as_of
ORDER BY e.report_id, e.id
"""

_VISITS = f"""
SELECT v.id, v.at AS k, h.unit, h.kind, v.visitor_kind, v.outcome, v.wellbeing, v.needs,
       v.report_id, v.wish_id, v.confirmed_at IS NOT NULL AS confirmed
FROM visits v INDEXED BY visits_at JOIN households h ON h.id = v.household_id
WHERE v.at >= :start AND v.at < :end AND v.at >= :k AND (v.at, v.id) > (:k, :i)
  AND {_IN_UNITS.format(col="h.unit")}
ORDER BY v.at, v.id LIMIT :page
"""

_PATROLS = f"""
SELECT p.id, p.at AS k, p.unit, p.kind, COALESCE(s.name, '') AS worker, s.role AS role,
       (SELECT COUNT(*) FROM patrol_findings f WHERE f.patrol_id = p.id) AS findings
FROM patrols p INDEXED BY patrols_at LEFT JOIN staff s ON s.user_id = p.worker_id
WHERE p.at >= :start AND p.at < :end AND p.at >= :k AND (p.at, p.id) > (:k, :i)
  AND {_IN_UNITS.format(col="p.unit")}
ORDER BY p.at, p.id LIMIT :page
"""

_POINTS = f"""
SELECT p.id, p.at AS k, v.unit, v.name, p.kind, p.ref, p.points
FROM points_ledger p INDEXED BY points_at LEFT JOIN volunteers v ON v.user_id = p.volunteer_id
WHERE p.at >= :start AND p.at < :end AND p.at >= :k AND (p.at, p.id) > (:k, :i)
  AND {_IN_UNITS.format(col="v.unit")}
ORDER BY p.at, p.id LIMIT :page
"""

_WISHES = f"""
SELECT w.id, w.created_at AS k, w.unit, w.category, w.status, w.claimed_at, w.done_at
FROM wishes w
WHERE w.created_at >= :start AND w.created_at < :end
  AND w.created_at >= :k AND (w.created_at, w.id) > (:k, :i)
  AND {_IN_UNITS.format(col="w.unit")}
ORDER BY w.created_at, w.id LIMIT :page
"""

_ACTIVITIES = f"""
SELECT a.id, a.starts_at AS k, a.unit, a.title, a.place, a.capacity,
       (SELECT COUNT(*) FROM signups s WHERE s.activity_id = a.id
         AND s.status IN ('going', 'attended')) AS going,
       (SELECT COUNT(*) FROM signups s WHERE s.activity_id = a.id
         AND s.status = 'attended') AS attended
FROM activities a INDEXED BY activities_starts
WHERE a.starts_at >= :start AND a.starts_at < :end
  AND a.starts_at >= :k AND (a.starts_at, a.id) > (:k, :i)
  AND {_IN_UNITS.format(col="a.unit")}
ORDER BY a.starts_at, a.id LIMIT :page
"""

_BOOKINGS = f"""
SELECT b.id, b.starts_at AS k, b.unit, b.resource, b.status, b.attendance, b.created_at
FROM bookings b INDEXED BY bookings_starts
WHERE b.starts_at >= :start AND b.starts_at < :end
  AND b.starts_at >= :k AND (b.starts_at, b.id) > (:k, :i)
  AND {_IN_UNITS.format(col="b.unit")}
ORDER BY b.starts_at, b.id LIMIT :page
"""


# Call-ins have no index on called_at: each page scans them (there are far fewer than reports).
_CALLINS = f"""
SELECT c.id, c.called_at AS k, c.report_id, r.unit, c.party, c.state, c.acked_at, c.done_at,
       c.withdrawn_at, c.stage
FROM callins c JOIN reports r ON r.id = c.report_id
WHERE c.called_at >= :start AND c.called_at < :end
  AND c.called_at >= :k AND (c.called_at, c.id) > (:k, :i)
  AND {_IN_UNITS.format(col="r.unit")}
ORDER BY c.called_at, c.id LIMIT :page
"""


# Only to tell whether a period has any poll (storage/polls.py rows_for reads them).
_POLLS = f"""
SELECT p.id FROM polls p
WHERE p.created_at >= :start AND p.created_at < :end AND {_IN_UNITS.format(col="p.unit")}
LIMIT :page
"""


def _at(text: str | None) -> datetime:
    value = from_db(text)
    assert value is not None
    return value


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """An export asked for in chat, done by the ledger sweep (bot/jobs/ledger.py)."""

    id: int
    user_id: int
    unit: str
    first: date
    last: date
    lang: str
    attempts: int
    due_at: datetime


class Ledgers:
    def __init__(self, db: Database):
        self.db = db

    async def _pages(
        self,
        sql: str,
        start: datetime,
        end: datetime,
        units: Sequence[str] | None,
        make: Callable[[Any], T],
        key: str = "k",
        page: int | None = None,
    ) -> AsyncIterator[list[T]]:
        page = page or PAGE
        params: dict[str, Any] = {
            "start": to_db(start),
            "end": to_db(end),
            "units": None if units is None else json.dumps(list(units)),
            "k": "",
            "i": 0,
            "page": page,
        }
        while True:
            rows = await self.db.fetchall(sql, params)
            if not rows:
                return
            yield [make(row) for row in rows]
            if len(rows) < page:
                return
            params["k"], params["i"] = rows[-1][key], rows[-1]["id"]

    async def cases(
        self,
        start: datetime,
        end: datetime,
        units: Sequence[str] | None,
        as_of: datetime,
        page: int | None = None,
    ) -> AsyncIterator[list[CaseRecord]]:
        """Yields pages of the cases created in [START, END) at UNITS, each with its events up
        to AS_OF, in order of creation."""
        async for rows in self._pages(
            _CASES, start, end, units, lambda row: row, key="created_at", page=page
        ):
            ids = [row["id"] for row in rows]
            events = await self.db.fetchall(
                _CASE_EVENTS, {"ids": json.dumps(ids), "as_of": to_db(as_of)}
            )
            steps: dict[int, list[Any]] = {}
            for event in events:
                steps.setdefault(event["id"], []).append(_step(event))
            yield [
                CaseRecord(
                    history=History(
                        report_id=row["id"],
                        unit=row["unit"],
                        category=row["category"],
                        created_at=_at(row["created_at"]),
                        steps=tuple(steps.get(row["id"], ())),
                    ),
                    status=row["status"],
                    tier=row["tier"],
                    holder_unit=row["holder_unit"],
                    holder_role=row["holder_role"],
                    stars=row["stars"],
                )
                for row in rows
            ]

    def visits(
        self, start: datetime, end: datetime, units: Sequence[str] | None
    ) -> AsyncIterator[list[VisitRecord]]:
        """Yields pages of the 五必访 visits made in [START, END) to households at UNITS."""

        def make(row: Any) -> VisitRecord:
            return VisitRecord(
                id=row["id"],
                at=_at(row["k"]),
                unit=row["unit"],
                household_kind=row["kind"],
                visitor_kind=row["visitor_kind"],
                outcome=row["outcome"],
                wellbeing=row["wellbeing"],
                needs=bool(row["needs"]),
                report_id=row["report_id"],
                wish_id=row["wish_id"],
                confirmed=bool(row["confirmed"]),
            )

        return self._pages(_VISITS, start, end, units, make)

    def patrols(
        self, start: datetime, end: datetime, units: Sequence[str] | None
    ) -> AsyncIterator[list[PatrolRecord]]:
        """Yields pages of the patrols logged in [START, END) at UNITS."""

        def make(row: Any) -> PatrolRecord:
            return PatrolRecord(
                row["id"], _at(row["k"]), row["unit"], row["kind"], row["worker"], row["role"],
                row["findings"],
            )  # fmt: skip

        return self._pages(_PATROLS, start, end, units, make)

    def points(
        self, start: datetime, end: datetime, units: Sequence[str] | None
    ) -> AsyncIterator[list[PointsRecord]]:
        """Yields pages of the volunteers' points awarded in [START, END) to volunteers of
        UNITS (an erased volunteer's points only in the whole office's export)."""

        def make(row: Any) -> PointsRecord:
            name = mask_name(row["name"]) if row["name"] is not None else ""
            return PointsRecord(
                _at(row["k"]), row["unit"], name, row["kind"], row["ref"], row["points"]
            )

        return self._pages(_POINTS, start, end, units, make)

    def wishes(
        self, start: datetime, end: datetime, units: Sequence[str] | None
    ) -> AsyncIterator[list[WishRecord]]:
        """Yields pages of the wishes (微心愿) posted in [START, END) at UNITS."""

        def make(row: Any) -> WishRecord:
            return WishRecord(
                row["id"], _at(row["k"]), row["unit"], row["category"], row["status"],
                from_db(row["claimed_at"]), from_db(row["done_at"]),
            )  # fmt: skip

        return self._pages(_WISHES, start, end, units, make)

    def activities(
        self, start: datetime, end: datetime, units: Sequence[str] | None
    ) -> AsyncIterator[list[ActivityRecord]]:
        """Yields pages of the activities starting in [START, END) at UNITS."""

        def make(row: Any) -> ActivityRecord:
            return ActivityRecord(
                row["id"], _at(row["k"]), row["unit"], row["title"], row["place"],
                row["capacity"], row["going"], row["attended"],
            )  # fmt: skip

        return self._pages(_ACTIVITIES, start, end, units, make)

    def bookings(
        self, start: datetime, end: datetime, units: Sequence[str] | None
    ) -> AsyncIterator[list[BookingRecord]]:
        """Yields pages of the bookings whose slot starts in [START, END) at UNITS."""

        def make(row: Any) -> BookingRecord:
            return BookingRecord(
                row["id"], _at(row["k"]), row["unit"], row["resource"], row["status"],
                row["attendance"], _at(row["created_at"]),
            )  # fmt: skip

        return self._pages(_BOOKINGS, start, end, units, make)

    async def any_rows(self, start: datetime, end: datetime, units: Sequence[str] | None) -> bool:
        """Tells whether any sheet has a row in [START, END) at UNITS."""
        params = {
            "start": to_db(start),
            "end": to_db(end),
            "units": None if units is None else json.dumps(list(units)),
            "k": "",
            "i": 0,
            "page": 1,
        }
        for sql in (
            _CASES,
            _CALLINS,
            _VISITS,
            _PATROLS,
            _POINTS,
            _WISHES,
            _ACTIVITIES,
            _POLLS,
            _BOOKINGS,
        ):
            if await self.db.fetchall(sql, params):
                return True
        return False

    def callins(
        self, start: datetime, end: datetime, units: Sequence[str] | None
    ) -> AsyncIterator[list[CallInRecord]]:
        """Yields pages of the 吹哨 call-ins made in [START, END) on cases at UNITS."""

        def make(row: Any) -> CallInRecord:
            return CallInRecord(
                row["id"], _at(row["k"]), row["report_id"], row["unit"], row["party"],
                row["state"], from_db(row["acked_at"]), from_db(row["done_at"]),
                from_db(row["withdrawn_at"]), row["stage"],
            )  # fmt: skip

        return self._pages(_CALLINS, start, end, units, make)

    # Export requests ---------------------------------------------------------------------------

    async def request(
        self,
        user_id: int,
        unit: str,
        first: date,
        last: date,
        lang: str,
        at: datetime,
        messages: Sequence[Outgoing],
    ) -> int | None:
        """Records an export for the ledger sweep and queues MESSAGES (the "preparing…" line)
        in one commit; None, writing nothing, if USER_ID has one waiting already."""
        async with self.db.transaction() as conn:
            # One waiting export per person is a unique index (migration 0024), not a look
            # first: two instances asking at once would both have found none.
            cursor = await conn.execute(
                "INSERT INTO ledger_exports (user_id, unit, first_day, last_day, lang,"
                " requested_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) WHERE due_at IS NOT NULL DO NOTHING",
                (user_id, unit, first.isoformat(), last.isoformat(), lang, to_db(at), to_db(at)),
            )
            if cursor.rowcount != 1:
                return None
            await conn.execute("DELETE FROM drafts WHERE user_id = ?", (user_id,))
            await outbox.add(conn, list(messages), at)
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def due(self, now: datetime, limit: int = 5) -> list[ExportRequest]:
        """Returns the exports due at NOW, oldest first."""
        rows = await self.db.fetchall(
            "SELECT id, user_id, unit, first_day, last_day, lang, attempts, due_at"
            " FROM ledger_exports INDEXED BY ledger_exports_due"
            " WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [
            ExportRequest(
                row["id"],
                row["user_id"],
                row["unit"],
                date.fromisoformat(row["first_day"]),
                date.fromisoformat(row["last_day"]),
                row["lang"],
                row["attempts"],
                _at(row["due_at"]),
            )
            for row in rows
        ]

    async def claim(self, request: ExportRequest, now: datetime, lease: timedelta) -> bool:
        """Takes REQUEST for LEASE (compare-and-set on its due time; a crash gives it back
        when the lease ends); False if another pass took it."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "UPDATE ledger_exports SET due_at = ?, attempts = attempts + 1"
                " WHERE id = ? AND due_at = ?",
                (to_db(now + lease), request.id, to_db(request.due_at)),
            )
        return cursor.rowcount == 1

    async def finish(
        self,
        request_id: int,
        at: datetime,
        messages: Callable[[dict[str, int] | None], Sequence[Outgoing]],
        file: tuple[int, str, bytes] | None = None,
        state: str = "done",
    ) -> bool:
        """Ends the export: stores FILE (chat, name, bytes) if any and queues MESSAGES(its
        reference) in one commit; False, writing nothing, if it was finished already."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "UPDATE ledger_exports SET due_at = NULL, state = ?, done_at = ?"
                " WHERE id = ? AND due_at IS NOT NULL",
                (state, to_db(at), request_id),
            )
            if cursor.rowcount != 1:
                return False
            ref = None
            if file is not None:
                ref = await add_file(conn, file[0], file[1], file[2], at)
            await outbox.add(conn, list(messages(ref)), at)
        return True
