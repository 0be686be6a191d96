"""Patrols and their findings; a finding is linked to the report opened from it, once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.domain.patrols import Finding, Patrol, PatrolKind
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing


class FindingTaken(Exception):
    """A report was already opened from this finding; nothing was written."""


async def _link_report(conn: aiosqlite.Connection, finding_id: int, report_id: int) -> None:
    """Links FINDING_ID to REPORT_ID inside the caller's transaction, or raises FindingTaken."""
    cursor = await conn.execute(
        "UPDATE patrol_findings SET report_id = ? WHERE id = ? AND report_id IS NULL",
        (report_id, finding_id),
    )
    if cursor.rowcount != 1:
        raise FindingTaken(finding_id)


class Patrols:
    def __init__(self, db: Database):
        self.db = db

    async def link_report(self, finding_id: int, report_id: int) -> None:
        """Links FINDING_ID to REPORT_ID once, or raises FindingTaken; joins the unit of work
        already open, so the report and its link share one commit."""
        async with self.db.transaction() as conn:
            await _link_report(conn, finding_id, report_id)

    async def create(
        self,
        patrol: Patrol,
        messages: Callable[[Patrol], Sequence[Outgoing]],
        *,
        clear_draft_of: int,
    ) -> Patrol:
        """Stores PATROL with photos and findings, MESSAGES(stored patrol) and ends the draft."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO patrols (worker_id, kind, unit, note, at) VALUES (?, ?, ?, ?, ?)",
                (patrol.worker_id, patrol.kind.value, patrol.unit, patrol.note, to_db(patrol.at)),
            )
            patrol_id = cursor.lastrowid
            assert patrol_id is not None
            await conn.executemany(
                "INSERT INTO patrol_photos (patrol_id, position, file_id) VALUES (?, ?, ?)",
                [(patrol_id, i, file_id) for i, file_id in enumerate(patrol.photos)],
            )
            findings = []
            for finding in patrol.findings:
                cursor = await conn.execute(
                    "INSERT INTO patrol_findings (patrol_id, position, text) VALUES (?, ?, ?)",
                    (patrol_id, finding.position, finding.text),
                )
                findings.append(replace(finding, id=cursor.lastrowid, patrol_id=patrol_id))
            stored = replace(patrol, id=patrol_id, findings=tuple(findings))
            await outbox.add(conn, list(messages(stored)), patrol.at)
            await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
        return stored

    async def get(self, patrol_id: int) -> Patrol | None:
        row = await self.db.fetchone(
            "SELECT id, worker_id, kind, unit, note, at FROM patrols WHERE id = ?", (patrol_id,)
        )
        if row is None:
            return None
        photos = await self.db.fetchall(
            "SELECT file_id FROM patrol_photos WHERE patrol_id = ? ORDER BY position",
            (patrol_id,),
        )
        findings = await self.db.fetchall(
            "SELECT id, position, text, report_id FROM patrol_findings WHERE patrol_id = ?"
            " ORDER BY position",
            (patrol_id,),
        )
        at = from_db(row["at"])
        assert at is not None
        return Patrol(
            id=row["id"],
            worker_id=row["worker_id"],
            kind=PatrolKind(row["kind"]),
            unit=row["unit"],
            note=row["note"],
            at=at,
            photos=tuple(p["file_id"] for p in photos),
            findings=tuple(
                Finding(f["text"], f["position"], f["report_id"], patrol_id, f["id"])
                for f in findings
            ),
        )

    async def patrol_of_finding(self, finding_id: int) -> Patrol | None:
        row = await self.db.fetchone(
            "SELECT patrol_id FROM patrol_findings WHERE id = ?", (finding_id,)
        )
        return await self.get(row["patrol_id"]) if row else None

    async def counts(
        self, units: Sequence[str], start: datetime, end: datetime
    ) -> list[tuple[int, str, int]]:
        """Returns (worker id, kind, patrols) logged in [START, END) at UNITS."""
        marks = ",".join("?" * len(units)) or "NULL"
        rows = await self.db.fetchall(
            "SELECT worker_id, kind, COUNT(*) AS n FROM patrols"
            f" WHERE at >= ? AND at < ? AND unit IN ({marks})"
            " GROUP BY worker_id, kind ORDER BY worker_id, kind",
            (to_db(start), to_db(end), *units),
        )
        return [(row["worker_id"], row["kind"], row["n"]) for row in rows]
