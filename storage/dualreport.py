"""双报告: each party member's verified service in a month (from the points ledger), and the
(work unit, month) rows that make the monthly report go out once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.dualreport import Service
from storage import outbox
from storage.db import Database, to_db
from storage.outbox import Outgoing


class DualReports:
    def __init__(self, db: Database):
        self.db = db

    async def service(
        self,
        work_unit: str,
        name: str,
        start: datetime,
        end: datetime,
        units: Sequence[str] | None = None,
    ) -> list[Service]:
        """Returns every approved party member registered with WORK_UNIT — picked by its code,
        or typed as exactly its NAME (members who registered before it was configured) — living
        in UNITS if given, with their verified service in [START, END): the ledger's wishes,
        check-ins, confirmed visits and points (members with none are returned too, with
        zeros)."""
        where, params = "", []
        if units is not None:
            where = f" AND v.unit IN ({','.join('?' * len(units)) or 'NULL'})"
            params = list(units)
        rows = await self.db.fetchall(
            "SELECT v.user_id, v.name,"
            " COUNT(*) FILTER (WHERE p.kind = 'wish') AS wishes,"
            " COUNT(*) FILTER (WHERE p.kind = 'checkin') AS checkins,"
            " COUNT(*) FILTER (WHERE p.kind = 'visit') AS visits,"
            " COALESCE(SUM(p.points), 0) AS points"
            " FROM volunteers v LEFT JOIN points_ledger p"
            " ON p.volunteer_id = v.user_id AND p.at >= ? AND p.at < ?"
            " WHERE (v.work_unit_code = ? OR (v.work_unit_code IS NULL AND v.work_unit = ?))"
            f" AND v.party_member = 1 AND v.status = 'approved'{where}"
            " GROUP BY v.user_id, v.name",
            (to_db(start), to_db(end), work_unit, name, *params),
        )
        return [
            Service(
                row["user_id"],
                row["name"],
                int(row["wishes"]),
                int(row["checkins"]),
                int(row["visits"]),
                int(row["points"]),
            )
            for row in rows
        ]

    async def sent(self, month: str) -> set[str]:
        """Returns the work units whose report for MONTH went out already."""
        rows = await self.db.fetchall(
            "SELECT work_unit FROM dual_reports WHERE month = ?", (month,)
        )
        return {row["work_unit"] for row in rows}

    async def send(
        self, work_unit: str, month: str, members: int, at: datetime, messages: Sequence[Outgoing]
    ) -> bool:
        """Queues MESSAGES once per (WORK_UNIT, MONTH): the primary key decides; False if it was
        sent before (by this instance or another)."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "INSERT INTO dual_reports (work_unit, month, sent_at, members)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (work_unit, month) DO NOTHING",
                (work_unit, month, to_db(at), members),
            )
            if cursor.rowcount != 1:
                return False
            await outbox.add(conn, list(messages), at)
        return True
