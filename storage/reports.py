"""Reports repository: one transaction = report row + append-only event + outbox rows."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import aiosqlite

from bot.domain.reports import (
    AFTER_PHOTOS_OPEN,
    Action,
    Report,
    ReportEvent,
    Status,
    Timer,
    Window,
)
from bot.domain.units import Tier
from storage import outbox, trails
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing

# Work joined to a new report's commit: (conn, the stored report). Care's visits and patrols.


class StaleReport(Exception):
    """The report changed since it was read (another press won); nothing was written."""


_COLUMNS = (
    "id, reporter_id, entered_by, category, unit, description, lat, lon, contact, status,"
    " holder_unit, tier, assignee_id, resolution_note, resolution_photo, more_after_photos,"
    " reject_reason, stars, comment, created_at, updated_at, due_at, version, extra,"
    " timer_window, timer_started_at, remind_at, breach_at, next_action_at, nag_day, nags"
)

# A report's timer (migration 0002): how the deadline sweep gets to due_at.
_TIMER_SET = (
    "timer_window = ?, timer_started_at = ?, remind_at = ?, breach_at = ?, next_action_at = ?,"
    " nag_day = ?, nags = ?"
)


def _timer(row: aiosqlite.Row) -> Timer | None:
    if row["timer_window"] is None:
        return None
    started = from_db(row["timer_started_at"])
    assert started is not None
    return Timer(
        window=Window(row["timer_window"]),
        started_at=started,
        remind_at=from_db(row["remind_at"]),
        breach_at=from_db(row["breach_at"]),
        next_at=from_db(row["next_action_at"]),
        nag_day=date.fromisoformat(row["nag_day"]) if row["nag_day"] else None,
        nags=row["nags"],
    )


def _timer_values(report: Report) -> tuple[Any, ...]:
    """Returns the values for _TIMER_SET; a closed report leaves the sweep's index."""
    timer = report.timer
    if timer is None or report.status.is_closed:
        return (None, None, None, None, None, None, 0)
    return (
        timer.window.value,
        to_db(timer.started_at),
        to_db(timer.remind_at),
        to_db(timer.breach_at),
        to_db(timer.next_at),
        timer.nag_day.isoformat() if timer.nag_day else None,
        timer.nags,
    )


def row_values(report: Report) -> tuple[Any, ...]:
    """REPORT's values for the columns update_report sets, in its order (status … extra, the
    timer); storage/deadlines.py writes a batch's reports with the same."""
    return (
        report.status.value,
        report.holder_unit,
        report.tier.value,
        report.assignee_id,
        report.resolution_note,
        report.resolution_photo,
        json.dumps(report.more_after_photos),
        report.reject_reason,
        report.stars,
        report.comment,
        to_db(report.updated_at),
        to_db(report.due_at),
        json.dumps(report.extra, ensure_ascii=False),
        *_timer_values(report),
    )


def _report(row: aiosqlite.Row, photos: Sequence[str]) -> Report:
    created = from_db(row["created_at"])
    assert created is not None
    return Report(
        id=row["id"],
        reporter_id=row["reporter_id"],
        entered_by=row["entered_by"],
        category=row["category"],
        unit=row["unit"],
        description=row["description"],
        lat=row["lat"],
        lon=row["lon"],
        contact=row["contact"],
        status=Status(row["status"]),
        holder_unit=row["holder_unit"],
        tier=Tier(row["tier"]),
        assignee_id=row["assignee_id"],
        resolution_note=row["resolution_note"],
        resolution_photo=row["resolution_photo"],
        more_after_photos=tuple(json.loads(row["more_after_photos"])),
        reject_reason=row["reject_reason"],
        stars=row["stars"],
        comment=row["comment"],
        created_at=created,
        updated_at=from_db(row["updated_at"]),
        due_at=from_db(row["due_at"]),
        version=row["version"],
        extra=json.loads(row["extra"]),
        photos=tuple(photos),
        timer=_timer(row),
    )


async def insert_event(conn: aiosqlite.Connection, report_id: int, event: ReportEvent) -> None:
    """Appends EVENT to the report's history inside the caller's transaction."""
    data = json.dumps(event.data, ensure_ascii=False)
    await trails.append(conn, "report_events", "report_id", report_id, event, data=data)


_ANY: Any = object()


async def update_report(
    conn: aiosqlite.Connection,
    report: Report,
    *,
    expect_version: int,
    expect_next_at: datetime | None = _ANY,
    bump: bool = True,
) -> bool:
    """Writes REPORT's row if it is still at EXPECT_VERSION (and timer EXPECT_NEXT_AT, if given).

    Returns False, writing nothing, if someone changed it meanwhile (compare-and-set). BUMP=False
    is for bookkeeping nobody sees (a deferred nag), so it does not make open cards stale.
    """
    check_next = expect_next_at is not _ANY
    cursor = await conn.execute(
        "UPDATE reports SET status = ?, holder_unit = ?, tier = ?, assignee_id = ?,"
        " resolution_note = ?, resolution_photo = ?, more_after_photos = ?, reject_reason = ?,"
        " stars = ?,"
        f" comment = ?, updated_at = ?, due_at = ?, extra = ?, {_TIMER_SET},"
        " version = version + ?"
        " WHERE id = ? AND version = ?" + (" AND next_action_at IS ?" if check_next else ""),
        (
            *row_values(report),
            1 if bump else 0,
            report.id,
            expect_version,
            *((to_db(expect_next_at),) if check_next else ()),
        ),
    )
    return cursor.rowcount == 1


class Reports:
    def __init__(self, db: Database):
        self.db = db

    async def insert(self, report: Report, event: ReportEvent) -> Report:
        """Stores a new REPORT, its photos and its first EVENT; returns it with its id (the case
        number). Joins the caller's transaction (a unit of work) or runs in one of its own."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO reports (reporter_id, entered_by, category, unit, description, lat,"
                " lon, contact, status, holder_unit, tier, assignee_id, created_at, updated_at,"
                " due_at, version, extra, timer_window, timer_started_at, remind_at, breach_at,"
                " next_action_at, nag_day, nags)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.reporter_id,
                    report.entered_by,
                    report.category,
                    report.unit,
                    report.description,
                    report.lat,
                    report.lon,
                    report.contact,
                    report.status.value,
                    report.holder_unit,
                    report.tier.value,
                    report.assignee_id,
                    to_db(report.created_at),
                    to_db(report.created_at),
                    to_db(report.due_at),
                    json.dumps(report.extra, ensure_ascii=False),
                    *_timer_values(report),
                ),
            )
            report_id = cursor.lastrowid
            assert report_id is not None
            await conn.executemany(
                "INSERT INTO report_photos (report_id, position, file_id) VALUES (?, ?, ?)",
                [(report_id, i, file_id) for i, file_id in enumerate(report.photos)],
            )
            await insert_event(conn, report_id, event)
        return replace(report, id=report_id, version=1)

    async def create(
        self,
        report: Report,
        event: ReportEvent,
        messages: Callable[[Report], Awaitable[list[Outgoing]]],
        *,
        clear_draft_of: int | None = None,
    ) -> Report:
        """Stores a new report, its photos, its first event and MESSAGES(report) in one commit.

        MESSAGES is called inside the transaction, once the report has its id (the case number).
        """
        async with self.db.transaction() as conn:
            stored = await self.insert(report, event)
            await outbox.add(conn, await messages(stored), event.at)
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return stored

    async def save(
        self,
        report: Report,
        event: ReportEvent,
        messages: list[Outgoing],
        *,
        expect_version: int,
        clear_draft_of: int | None = None,
    ) -> Report:
        """Writes the changed report if nobody changed it since EXPECT_VERSION; else StaleReport."""
        async with self.db.transaction() as conn:
            if not await update_report(conn, report, expect_version=expect_version):
                raise StaleReport(report.id)
            assert report.id is not None
            await insert_event(conn, report.id, event)
            await outbox.add(conn, messages, event.at)
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return replace(report, version=expect_version + 1)

    async def add_after_photos(self, report: Report) -> bool:
        """Writes REPORT's further after-photos (the rest of its resolver's album) if it still
        waits for the reporter with the same holder; tells whether it did. No version bump: no
        card shows the photos, so none must go stale."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE reports SET more_after_photos = ?"
                " WHERE id = ? AND status IN (?, ?) AND assignee_id = ?",
                (
                    json.dumps(report.more_after_photos),
                    report.id,
                    *(status.value for status in AFTER_PHOTOS_OPEN),
                    report.assignee_id,
                ),
            )
        return cursor.rowcount == 1

    async def get(self, report_id: int) -> Report | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM reports WHERE id = ?", (report_id,))
        if row is None:
            return None
        return (await self._with_photos([row]))[0]

    async def get_many(self, ids: Sequence[int]) -> list[Report]:
        """Returns the reports with these IDS (missing ones left out), in id order."""
        found: list[Report] = []
        for start in range(0, len(ids), 500):  # keeps each IN (...) list well within SQLite limits
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.db.fetchall(
                f"SELECT {_COLUMNS} FROM reports WHERE id IN ({marks}) ORDER BY id", tuple(chunk)
            )
            found.extend(await self._with_photos(rows))
        return found

    async def requested(
        self,
        *,
        since: datetime,
        until: datetime,
        categories: Sequence[str] = (),
        statuses: Sequence[Status] = (),
        limit: int,
        offset: int = 0,
    ) -> list[Report]:
        """Returns one page of the reports made in [SINCE, UNTIL], of CATEGORIES and STATUSES
        (empty: any), newest first (the Open311 requests list; reports_created orders it)."""
        where, params = ["created_at >= ?", "created_at <= ?"], [to_db(since), to_db(until)]
        if categories:
            where.append(f"category IN ({','.join('?' * len(categories))})")
            params.extend(categories)
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(status.value for status in statuses)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM reports WHERE {' AND '.join(where)}"
            " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return await self._with_photos(rows)

    async def _with_photos(self, rows: Sequence[aiosqlite.Row]) -> list[Report]:
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        photo_rows = await self.db.fetchall(
            f"SELECT report_id, file_id FROM report_photos WHERE report_id IN ({marks})"
            " ORDER BY report_id, position",
            tuple(ids),
        )
        photos: dict[int, list[str]] = {}
        for photo in photo_rows:
            photos.setdefault(photo["report_id"], []).append(photo["file_id"])
        return [_report(row, photos.get(row["id"], [])) for row in rows]

    async def by_reporter(self, user_id: int, limit: int = 20) -> list[Report]:
        """Returns the user's reports and those they entered for others (代报), newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM reports WHERE reporter_id = ?"
            f" UNION ALL SELECT {_COLUMNS} FROM reports"
            " WHERE reporter_id IS NULL AND entered_by = ?"
            " ORDER BY id DESC LIMIT ?",
            (user_id, user_id, limit),
        )
        return await self._with_photos(rows)

    async def count_by_reporter_since(self, user_id: int, since: datetime) -> int:
        """Returns how many reports USER_ID has made (for themselves) since SINCE."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM reports WHERE reporter_id = ? AND created_at > ?",
            (user_id, to_db(since)),
        )
        return int(row[0]) if row else 0

    async def times_by_reporter_since(self, user_id: int, since: datetime) -> list[datetime]:
        """Returns when USER_ID made reports (for themselves) after SINCE, oldest first."""
        rows = await self.db.fetchall(
            "SELECT created_at FROM reports WHERE reporter_id = ? AND created_at > ?"
            " ORDER BY created_at",
            (user_id, to_db(since)),
        )
        return [at for row in rows if (at := from_db(row[0])) is not None]

    async def open_for(self, user_id: int, units: Sequence[str], limit: int = 50) -> list[Report]:
        """Returns open reports assigned to USER_ID or unassigned at UNITS, oldest first."""
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM reports WHERE status IN ('open', 'accepted') AND"
            f" (assignee_id = ? OR (assignee_id IS NULL AND holder_unit IN ({marks})))"
            " ORDER BY id LIMIT ?",
            (user_id, *units, limit),
        )
        return await self._with_photos(rows)

    async def gated_at(self, units: Sequence[str], limit: int = 200) -> list[Report]:
        """Returns the reports waiting for 核实 or 复查 held at UNITS, oldest first."""
        if not units:
            return []
        marks = ",".join("?" * len(units))
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM reports WHERE status IN ('checking', 'reviewing')"
            f" AND holder_unit IN ({marks}) ORDER BY id LIMIT ?",
            (*units, limit),
        )
        return await self._with_photos(rows)

    async def held_by(self, user_id: int, after: int = 0, limit: int = 50) -> list[Report]:
        """Returns open reports assigned to USER_ID with ids over AFTER, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM reports WHERE assignee_id = ?"
            " AND status IN ('open', 'accepted') AND id > ? ORDER BY id LIMIT ?",
            (user_id, after, limit),
        )
        return await self._with_photos(rows)

    async def events(self, report_id: int) -> list[ReportEvent]:
        return [
            ReportEvent(
                Action(row["action"]),
                Status(row["old"]) if row["old"] else None,
                Status(row["new"]),
                row["actor_id"],
                at,
                row["note"],
                json.loads(row["data"]),
                report_id,
            )
            for row, at in await trails.read(
                self.db, "report_events", "report_id", report_id, ("data",)
            )
        ]
