"""Volunteers repository: registrations, staff decisions, searches, invitations to help."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.volunteers import Volunteer, VolunteerStatus
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing

_COLUMNS = (
    "user_id, name, phone, skills, skills_note, team, availability, unit, party_member,"
    " work_unit, status, decided_by, decided_at, created_at, work_unit_code"
)


def _volunteer(row: aiosqlite.Row) -> Volunteer:
    return Volunteer(
        user_id=row["user_id"],
        name=row["name"],
        unit=row["unit"],
        skills=tuple(json.loads(row["skills"])),
        skills_note=row["skills_note"],
        team=row["team"],
        availability=tuple(json.loads(row["availability"])),
        phone=row["phone"],
        party_member=bool(row["party_member"]),
        work_unit=row["work_unit"],
        work_unit_code=row["work_unit_code"],
        status=VolunteerStatus(row["status"]),
        decided_by=row["decided_by"],
        decided_at=from_db(row["decided_at"]),
        created_at=from_db(row["created_at"]),
    )


@dataclass(frozen=True, slots=True)
class Invite:
    """A worker's invitation to a volunteer to help with a report."""

    id: int
    report_id: int
    volunteer_id: int
    invited_by: int
    status: str  # invited, accepted, declined


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values)) or "NULL"


class Volunteers:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, user_id: int) -> Volunteer | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM volunteers WHERE user_id = ?", (user_id,)
        )
        return _volunteer(row) if row else None

    async def many(self, user_ids: Iterable[int]) -> dict[int, Volunteer]:
        ids = list(set(user_ids))
        if not ids:
            return {}
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM volunteers WHERE user_id IN ({_marks(ids)})", tuple(ids)
        )
        return {row["user_id"]: _volunteer(row) for row in rows}

    async def register(
        self,
        volunteer: Volunteer,
        at: datetime,
        messages: Sequence[Outgoing],
        *,
        clear_draft_of: int | None = None,
    ) -> None:
        """Stores (or replaces) the registration as pending and queues MESSAGES, in one commit."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO volunteers (user_id, name, phone, skills, skills_note, team,"
                " availability, unit, party_member, work_unit, work_unit_code, status, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name,"
                " phone = excluded.phone, skills = excluded.skills,"
                " skills_note = excluded.skills_note, team = excluded.team,"
                " availability = excluded.availability, unit = excluded.unit,"
                " party_member = excluded.party_member, work_unit = excluded.work_unit,"
                " work_unit_code = excluded.work_unit_code,"
                " status = 'pending', decided_by = NULL, decided_at = NULL,"
                " updated_at = excluded.updated_at",
                (
                    volunteer.user_id,
                    volunteer.name,
                    volunteer.phone,
                    json.dumps(list(volunteer.skills)),
                    volunteer.skills_note,
                    volunteer.team,
                    json.dumps(list(volunteer.availability)),
                    volunteer.unit,
                    int(volunteer.party_member),
                    volunteer.work_unit,
                    volunteer.work_unit_code,
                    to_db(at),
                    to_db(at),
                ),
            )
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
            await outbox.add(conn, list(messages), at)

    async def decide(self, after: Volunteer, at: datetime, messages: Sequence[Outgoing]) -> bool:
        """Records the decision if the registration is still pending; False if it was not."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE volunteers SET status = ?, decided_by = ?, decided_at = ?, updated_at = ?"
                " WHERE user_id = ? AND status = 'pending'",
                (after.status.value, after.decided_by, to_db(at), to_db(at), after.user_id),
            )
            if cursor.rowcount != 1:
                return False
            await outbox.add(conn, list(messages), at)
        return True

    async def search(
        self,
        units: Sequence[str],
        *,
        skill: str | None = None,
        team: str | None = None,
        status: VolunteerStatus | None = VolunteerStatus.APPROVED,
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Volunteer], int]:
        """Returns one page of volunteers living in UNITS (filtered) and the total count."""
        where = [f"unit IN ({_marks(units)})"]
        params: list[object] = list(units)
        if status is not None:
            where.append("status = ?")
            params.append(status.value)
        if team is not None:
            where.append("team = ?")
            params.append(team)
        if skill is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(volunteers.skills) WHERE value = ?)")
            params.append(skill)
        clause = " AND ".join(where)
        total_row = await self.db.fetchone(
            f"SELECT COUNT(*) FROM volunteers WHERE {clause}", tuple(params)
        )
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM volunteers WHERE {clause}"
            " ORDER BY status DESC, name, user_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_volunteer(row) for row in rows], int(total_row[0]) if total_row else 0

    async def approved_in(self, units: Sequence[str]) -> list[Volunteer]:
        """Returns every approved volunteer living in UNITS (the candidates for a match)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM volunteers WHERE status = 'approved'"
            f" AND unit IN ({_marks(units)})",
            tuple(units),
        )
        return [_volunteer(row) for row in rows]

    async def pending_in(self, units: Sequence[str]) -> list[Volunteer]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM volunteers WHERE status = 'pending'"
            f" AND unit IN ({_marks(units)}) ORDER BY created_at",
            tuple(units),
        )
        return [_volunteer(row) for row in rows]

    # Invitations to help with a report -----------------------------------------------------

    async def invite(
        self,
        report_id: int,
        volunteer_id: int,
        invited_by: int,
        at: datetime,
        build: Callable[[Invite], Sequence[Outgoing]],
    ) -> Invite | None:
        """Records the invitation and queues BUILD(invite) in one commit; None if already asked."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO volunteer_invites (report_id, volunteer_id, invited_by,"
                " created_at) VALUES (?, ?, ?, ?)",
                (report_id, volunteer_id, invited_by, to_db(at)),
            )
            if cursor.rowcount != 1 or cursor.lastrowid is None:
                return None
            invite = Invite(cursor.lastrowid, report_id, volunteer_id, invited_by, "invited")
            await outbox.add(conn, list(build(invite)), at)
        return invite

    async def get_invite(self, invite_id: int) -> Invite | None:
        row = await self.db.fetchone(
            "SELECT id, report_id, volunteer_id, invited_by, status FROM volunteer_invites"
            " WHERE id = ?",
            (invite_id,),
        )
        if row is None:
            return None
        return Invite(
            row["id"], row["report_id"], row["volunteer_id"], row["invited_by"], row["status"]
        )

    async def invited_to(self, report_id: int) -> dict[int, str]:
        """Returns volunteer id → invitation status for REPORT_ID."""
        rows = await self.db.fetchall(
            "SELECT volunteer_id, status FROM volunteer_invites WHERE report_id = ?",
            (report_id,),
        )
        return {row["volunteer_id"]: row["status"] for row in rows}

    async def answer_invite(
        self, invite_id: int, accept: bool, at: datetime, messages: Sequence[Outgoing]
    ) -> bool:
        """Records the volunteer's answer once; False if it was already answered."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE volunteer_invites SET status = ?, answered_at = ?"
                " WHERE id = ? AND status = 'invited'",
                ("accepted" if accept else "declined", to_db(at), invite_id),
            )
            if cursor.rowcount != 1:
                return False
            await outbox.add(conn, list(messages), at)
        return True
