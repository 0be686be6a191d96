"""Households (五必访) and their visits: one transaction = row change + event + outbox rows.

Every write that follows a read is a compare-and-set on the household's version, so a second
press, a slow sweep pass or a second instance changes nothing and is told so (StaleHousehold).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import aiosqlite

from bot.domain.care import (
    Cadence,
    CareAction,
    Decision,
    Household,
    Outcome,
    Stage,
    Visit,
    VisitorKind,
)
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing


class StaleHousehold(Exception):
    """The household (or visit) changed since it was read; nothing was written."""


_COLUMNS = (
    "id, kind, unit, label, cadence, visitor_id, visitor_kind, notes, due_on, stage, nags,"
    " next_at, active, last_visit_on, created_by, created_at, version"
)
_VISIT_COLUMNS = (
    "id, household_id, visitor_id, visitor_kind, at, outcome, due_on, wellbeing, note, needs,"
    " report_id, wish_id, confirmed_by, confirmed_at"
)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _household(row: aiosqlite.Row) -> Household:
    created = from_db(row["created_at"])
    due_on = _day(row["due_on"])
    assert created is not None and due_on is not None
    return Household(
        id=row["id"],
        kind=row["kind"],
        unit=row["unit"],
        label=row["label"],
        cadence=Cadence(row["cadence"]),
        visitor_id=row["visitor_id"],
        visitor_kind=VisitorKind(row["visitor_kind"]),
        notes=row["notes"],
        due_on=due_on,
        stage=Stage(row["stage"]),
        nags=row["nags"],
        next_at=from_db(row["next_at"]),
        active=bool(row["active"]),
        last_visit_on=_day(row["last_visit_on"]),
        created_by=row["created_by"],
        created_at=created,
        version=row["version"],
    )


def _visit(row: aiosqlite.Row) -> Visit:
    at = from_db(row["at"])
    due_on = _day(row["due_on"])
    assert at is not None and due_on is not None
    return Visit(
        id=row["id"],
        household_id=row["household_id"],
        visitor_id=row["visitor_id"],
        visitor_kind=VisitorKind(row["visitor_kind"]),
        at=at,
        outcome=Outcome(row["outcome"]),
        due_on=due_on,
        wellbeing=row["wellbeing"],
        note=row["note"],
        needs=bool(row["needs"]),
        report_id=row["report_id"],
        wish_id=row["wish_id"],
        confirmed_by=row["confirmed_by"],
        confirmed_at=from_db(row["confirmed_at"]),
    )


async def add_event(
    conn: aiosqlite.Connection,
    household: Household,
    action: str,
    actor_id: int | None,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Appends one event to the household's history (never its notes or label)."""
    await conn.execute(
        "INSERT INTO household_events (household_id, action, actor_id, at, due_on, data)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            household.id,
            action,
            actor_id,
            to_db(at),
            household.due_on.isoformat(),
            json.dumps(data or {}, ensure_ascii=False),
        ),
    )


async def _update(
    conn: aiosqlite.Connection, household: Household, expect_version: int, at: datetime
) -> Household:
    cursor = await conn.execute(
        "UPDATE households SET cadence = ?, visitor_id = ?, visitor_kind = ?, notes = ?,"
        " due_on = ?, stage = ?, nags = ?, next_at = ?, active = ?, last_visit_on = ?,"
        " updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
        (
            household.cadence.value,
            household.visitor_id,
            household.visitor_kind.value,
            household.notes,
            household.due_on.isoformat(),
            household.stage.value,
            household.nags,
            to_db(household.next_at),
            int(household.active),
            household.last_visit_on.isoformat() if household.last_visit_on else None,
            to_db(at),
            household.id,
            expect_version,
        ),
    )
    if cursor.rowcount != 1:
        raise StaleHousehold(household.id)
    return replace(household, version=expect_version + 1)


def _private_only(messages: Sequence[Outgoing]) -> list[Outgoing]:
    # Care never reaches a group chat: group ids are negative in Telegram.
    if any(m.chat_id <= 0 for m in messages):
        raise ValueError("care messages go to private chats only")
    return list(messages)


async def _record_visit(
    conn: aiosqlite.Connection,
    before: Household,
    after: Household,
    visit: Visit,
    messages: Callable[[Visit], Sequence[Outgoing]],
) -> tuple[Household, Visit]:
    """Stores VISIT, the household's next due date and MESSAGES(stored visit) in the caller's
    transaction. Raises StaleHousehold if the household changed since BEFORE was read.
    """
    stored = await _update(conn, after, before.version, visit.at)
    cursor = await conn.execute(
        "INSERT INTO visits (household_id, visitor_id, visitor_kind, at, outcome, due_on,"
        " wellbeing, note, needs, report_id, wish_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            visit.household_id,
            visit.visitor_id,
            visit.visitor_kind.value,
            to_db(visit.at),
            visit.outcome.value,
            visit.due_on.isoformat(),
            visit.wellbeing,
            visit.note,
            int(visit.needs),
            visit.report_id,
            visit.wish_id,
        ),
    )
    visit = replace(visit, id=cursor.lastrowid)
    await add_event(
        conn,
        before,
        "visit",
        visit.visitor_id,
        visit.at,
        {"visit": visit.id, "outcome": visit.outcome.value, "next_due": after.due_on.isoformat()},
    )
    await outbox.add(conn, _private_only(messages(visit)), visit.at)
    return stored, visit


class Households:
    def __init__(self, db: Database):
        self.db = db

    async def create(
        self, household: Household, messages: Sequence[Outgoing], *, clear_draft_of: int
    ) -> Household:
        """Stores a new household with its first event and MESSAGES; ends the draft."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO households (kind, unit, label, cadence, visitor_id, visitor_kind,"
                " notes, due_on, stage, nags, next_at, active, created_by, created_at,"
                " updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 1)",
                (
                    household.kind,
                    household.unit,
                    household.label,
                    household.cadence.value,
                    household.visitor_id,
                    household.visitor_kind.value,
                    household.notes,
                    household.due_on.isoformat(),
                    household.stage.value,
                    household.nags,
                    to_db(household.next_at),
                    household.created_by,
                    to_db(household.created_at),
                    to_db(household.created_at),
                ),
            )
            stored = replace(household, id=cursor.lastrowid, version=1)
            await add_event(conn, stored, "register", household.created_by, household.created_at)
            await outbox.add(conn, _private_only(messages), household.created_at)
            await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return stored

    async def save(
        self,
        before: Household,
        after: Household,
        *,
        action: str,
        actor_id: int | None,
        at: datetime,
        messages: Sequence[Outgoing] = (),
        data: dict[str, Any] | None = None,
        clear_draft_of: int | None = None,
    ) -> Household:
        """Writes AFTER if the household is still at BEFORE's version; else StaleHousehold."""
        async with self.db.transaction() as conn:
            stored = await _update(conn, after, before.version, at)
            await add_event(conn, after, action, actor_id, at, data)
            await outbox.add(conn, _private_only(messages), at)
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return stored

    async def record_visit(
        self,
        before: Household,
        after: Household,
        visit: Visit,
        messages: Callable[[Visit], Sequence[Outgoing]],
        *,
        clear_draft_of: int | None = None,
    ) -> tuple[Household, Visit]:
        """Stores VISIT, the household's next due date and MESSAGES(stored visit); joins the unit
        of work already open (storage/uow.py), so a report or wish the visit opens shares its
        commit. Raises StaleHousehold if the household changed since BEFORE was read."""
        async with self.db.transaction() as conn:
            result = await _record_visit(conn, before, after, visit, messages)
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return result

    async def link_visit(
        self, visit_id: int, *, report_id: int | None = None, wish_id: int | None = None
    ) -> None:
        """Notes the report or wish a stored visit opened; joins the unit of work already open
        (the visit, its notices and what it opened share one commit, in that order)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE visits SET report_id = ?, wish_id = ? WHERE id = ?",
                (report_id, wish_id, visit_id),
            )

    async def log_visit(
        self,
        before: Household,
        after: Household,
        visit: Visit,
        messages: Callable[[Visit], Sequence[Outgoing]],
        *,
        clear_draft_of: int,
    ) -> tuple[Household, Visit]:
        """Stores a visit that opens nothing else, in one commit with its notices."""
        async with self.db.transaction() as conn:
            result = await _record_visit(conn, before, after, visit, messages)
            await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return result

    async def advance(
        self,
        before: Household,
        decision: Decision,
        at: datetime,
        messages: Sequence[Outgoing],
    ) -> bool:
        """Applies the sweep's DECISION with compare-and-set; returns False if someone else did."""
        after = replace(before, stage=decision.stage, nags=decision.nags, next_at=decision.next_at)
        try:
            async with self.db.transaction() as conn:
                await _update(conn, after, before.version, at)
                if decision.action not in (None, CareAction.DEFER):
                    assert decision.action is not None
                    await add_event(
                        conn, before, decision.action.value, None, at, {"nags": decision.nags}
                    )
                await outbox.add(conn, _private_only(messages), at)
        except StaleHousehold:
            return False
        return True

    async def get(self, household_id: int) -> Household | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM households WHERE id = ?", (household_id,)
        )
        return _household(row) if row else None

    async def due(self, now: datetime, limit: int = 200) -> list[Household]:
        """Returns active households the sweep should look at now, oldest first (indexed)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM households"
            " WHERE active = 1 AND next_at IS NOT NULL AND next_at <= ?"
            " ORDER BY next_at LIMIT ?",
            (to_db(now), limit),
        )
        return [_household(row) for row in rows]

    async def within(self, units: Sequence[str], limit: int = 50) -> list[Household]:
        """Returns active households at UNITS, soonest due first."""
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM households WHERE active = 1 AND unit IN ({marks})"
            " ORDER BY due_on, id LIMIT ?",
            (*units, limit),
        )
        return [_household(row) for row in rows]

    async def for_visitor(self, visitor_id: int, limit: int = 50) -> list[Household]:
        """Returns the active households VISITOR_ID visits, soonest due first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM households WHERE active = 1 AND visitor_id = ?"
            " ORDER BY due_on, id LIMIT ?",
            (visitor_id, limit),
        )
        return [_household(row) for row in rows]

    async def events(self, household_id: int) -> list[tuple[str, date | None]]:
        """Returns (action, due date) of every event of the household, oldest first."""
        rows = await self.db.fetchall(
            "SELECT action, due_on FROM household_events WHERE household_id = ? ORDER BY id",
            (household_id,),
        )
        return [(row["action"], _day(row["due_on"])) for row in rows]

    # Visits -----------------------------------------------------------------------------

    async def visit(self, visit_id: int) -> Visit | None:
        row = await self.db.fetchone(
            f"SELECT {_VISIT_COLUMNS} FROM visits WHERE id = ?", (visit_id,)
        )
        return _visit(row) if row else None

    async def visits_of(self, household_id: int, limit: int = 10) -> list[Visit]:
        rows = await self.db.fetchall(
            f"SELECT {_VISIT_COLUMNS} FROM visits WHERE household_id = ? ORDER BY id DESC LIMIT ?",
            (household_id, limit),
        )
        return [_visit(row) for row in rows]

    async def confirm_visit(
        self,
        visit: Visit,
        by: int,
        at: datetime,
        messages: Sequence[Outgoing],
    ) -> Visit:
        """Marks VISIT confirmed by BY once (compare-and-set) with MESSAGES; joins the unit of
        work already open, so the points it earns share its commit. Raises StaleHousehold if it
        was confirmed already."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE visits SET confirmed_by = ?, confirmed_at = ?"
                " WHERE id = ? AND confirmed_at IS NULL",
                (by, to_db(at), visit.id),
            )
            if cursor.rowcount != 1:
                raise StaleHousehold(visit.household_id)
            await outbox.add(conn, _private_only(messages), at)
        return replace(visit, confirmed_by=by, confirmed_at=at)

    # Figures ----------------------------------------------------------------------------

    async def visit_counts(
        self, units: Sequence[str], start: datetime, end: datetime
    ) -> dict[tuple[str, str], int]:
        """Returns {(kind, outcome): visits} logged in [START, END) at UNITS."""
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            "SELECT h.kind, v.outcome, COUNT(*) AS n FROM visits v"
            " JOIN households h ON h.id = v.household_id"
            f" WHERE v.at >= ? AND v.at < ? AND h.unit IN ({marks})"
            " GROUP BY h.kind, v.outcome",
            (to_db(start), to_db(end), *units),
        )
        return {(row["kind"], row["outcome"]): row["n"] for row in rows}

    async def miss_counts(
        self, units: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, int]:
        """Returns {kind: visits that counted as missed in [START, END)} at UNITS."""
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            "SELECT h.kind, COUNT(*) AS n FROM household_events e"
            " JOIN households h ON h.id = e.household_id"
            " WHERE e.action = 'miss' AND e.at >= ? AND e.at < ?"
            f" AND h.unit IN ({marks}) GROUP BY h.kind",
            (to_db(start), to_db(end), *units),
        )
        return {row["kind"]: row["n"] for row in rows}
