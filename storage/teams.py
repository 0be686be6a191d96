"""Teams repository (1+1+1+N): buildings' party members and the helpers' monthly reports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.domain.people import Role, Staff
from bot.domain.teams import Candidate, Link, MonthlyReport
from storage.db import Database, from_db, to_db

_HELPERS = tuple(role.value for role in Role if role.is_helper)


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _codes(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _report(row: Any) -> MonthlyReport:
    return MonthlyReport(
        user_id=row["user_id"],
        month=row["month"],
        unit=row["unit"],
        grid=row["grid"],
        role=Role(row["role"]),
        answers=json.loads(row["answers"]),
        sent_at=from_db(row["sent_at"]),  # type: ignore[arg-type]
    )


# The name shown for a linked person: their staff name, else their volunteer name, else the
# name Telegram gave them.
_LINK = """
SELECT b.building, b.user_id, b.set_by, b.set_at,
       COALESCE(s.name, v.name, p.name, '') AS name
FROM building_contacts b
LEFT JOIN staff s ON s.user_id = b.user_id AND s.active = 1
LEFT JOIN volunteers v ON v.user_id = b.user_id
LEFT JOIN people p ON p.user_id = b.user_id
"""


def _link(row: Any) -> Link:
    return Link(
        building=row["building"],
        user_id=row["user_id"],
        name=row["name"],
        set_by=row["set_by"],
        set_at=from_db(row["set_at"]),  # type: ignore[arg-type]
    )


class Teams:
    def __init__(self, db: Database):
        self.db = db

    # 一名党员一幢楼 ----------------------------------------------------------------------------

    async def link_of(self, building: str) -> Link | None:
        row = await self.db.fetchone(_LINK + " WHERE b.building = ?", (building,))
        return _link(row) if row else None

    async def link(self, building: str, user_id: int, *, by: int, at: datetime) -> None:
        """Makes USER_ID BUILDING's party member, replacing whoever was linked."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO building_contacts (building, user_id, set_by, set_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (building) DO UPDATE SET"
                " user_id = excluded.user_id, set_by = excluded.set_by, set_at = excluded.set_at",
                (building, user_id, by, to_db(at)),
            )

    async def unlink(self, building: str, *, expected: int) -> bool:
        """Removes BUILDING's party member if it still is EXPECTED; False if it was not."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM building_contacts WHERE building = ? AND user_id = ?",
                (building, expected),
            )
            return cursor.rowcount == 1

    async def candidates(self, units: Sequence[str]) -> list[Candidate]:
        """Returns who may be linked to a building among UNITS: approved party-member volunteers
        living there and active staff working there (not partners, admins or the helpers)."""
        rows = await self.db.fetchall(
            "SELECT user_id, name, 0 AS staff FROM volunteers"
            f" WHERE status = 'approved' AND party_member = 1 AND unit IN ({_marks(units)})"
            " UNION SELECT user_id, name, 1 AS staff FROM staff"
            f" WHERE active = 1 AND unit IN ({_marks(units)})"
            f" AND role NOT IN ('partner', 'admin', {_marks(_HELPERS)})"
            " ORDER BY staff DESC, name, user_id",
            (*units, *units, *_HELPERS),
        )
        found: dict[int, Candidate] = {}
        for row in rows:
            found.setdefault(
                row["user_id"], Candidate(row["user_id"], row["name"], row["staff"] == 1)
            )
        return list(found.values())

    # 工作月汇报 --------------------------------------------------------------------------------

    async def helpers(self, units: Iterable[str] | None = None) -> list[Staff]:
        """Returns the active helpers (兼职网格员, 楼栋长, 单元长), at UNITS if given."""
        where, params = "", list(_HELPERS)
        if units is not None:
            units = list(units)
            where = f" AND unit IN ({_marks(units)})"
            params += units
        rows = await self.db.fetchall(
            "SELECT user_id, name, role, unit, categories FROM staff"
            f" WHERE active = 1 AND role IN ({_marks(_HELPERS)}){where} ORDER BY user_id",
            tuple(params),
        )
        return [
            Staff(
                r["user_id"],
                r["name"],
                Role(r["role"]),
                r["unit"],
                tuple(json.loads(r["categories"])),
            )
            for r in rows
        ]

    async def report(self, user_id: int, month: str) -> MonthlyReport | None:
        """Returns USER_ID's sent report for MONTH, or None."""
        row = await self.db.fetchone(
            "SELECT user_id, month, unit, grid, role, answers, sent_at FROM team_reports"
            " WHERE user_id = ? AND month = ? AND sent_at IS NOT NULL",
            (user_id, month),
        )
        return _report(row) if row else None

    async def save(self, report: MonthlyReport) -> bool:
        """Stores REPORT unless one was sent for its month already (compare-and-set)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO team_reports (user_id, month, unit, grid, role, answers, sent_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, month) DO UPDATE SET"
                " unit = excluded.unit, grid = excluded.grid, role = excluded.role,"
                " answers = excluded.answers, sent_at = excluded.sent_at"
                " WHERE team_reports.sent_at IS NULL",
                (
                    report.user_id,
                    report.month,
                    report.unit,
                    report.grid,
                    report.role.value,
                    json.dumps(report.answers, ensure_ascii=False),
                    to_db(report.sent_at),
                ),
            )
            return cursor.rowcount == 1

    async def sent(self, month: str, units: Sequence[str] | None = None) -> list[MonthlyReport]:
        """Returns MONTH's sent reports (of helpers at UNITS if given), by unit and person."""
        where, params = "", [month]
        if units is not None:
            where = f" AND unit IN ({_marks(units)})"
            params += list(units)
        rows = await self.db.fetchall(
            "SELECT user_id, month, unit, grid, role, answers, sent_at FROM team_reports"
            f" WHERE month = ? AND sent_at IS NOT NULL{where} ORDER BY unit, user_id",
            tuple(params),
        )
        return [_report(row) for row in rows]

    async def touched(self, month: str) -> set[int]:
        """Returns who was reminded of or sent MONTH's report."""
        rows = await self.db.fetchall("SELECT user_id FROM team_reports WHERE month = ?", (month,))
        return {row["user_id"] for row in rows}

    async def claim_reminder(
        self, helper: Staff, grid: str | None, month: str, at: datetime
    ) -> bool:
        """Records HELPER's reminder for MONTH; False if they were reminded or reported already.
        The caller queues the reminder in the same transaction."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO team_reports (user_id, month, unit, grid, role, reminded_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, month) DO NOTHING",
                (helper.user_id, month, helper.unit, grid, helper.role.value, to_db(at)),
            )
            return cursor.rowcount == 1

    async def digested(self, month: str) -> set[str]:
        rows = await self.db.fetchall("SELECT grid FROM team_digests WHERE month = ?", (month,))
        return {row["grid"] for row in rows}

    async def claim_digest(self, grid: str, month: str, at: datetime) -> bool:
        """Records that GRID's missing list for MONTH is queued; False if it was before."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO team_digests (grid, month, queued_at) VALUES (?, ?, ?)"
                " ON CONFLICT (grid, month) DO NOTHING",
                (grid, month, to_db(at)),
            )
            return cursor.rowcount == 1
