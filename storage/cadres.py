"""Cadres repository (下沉干部): who is sent down to which grid, the patrols that count toward
their duties, and the weekly sweep's claims (one reminder per cadre and week, one list per grid
and week)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.domain.cadres import Attachment
from storage.db import Database, from_db, to_db

_COLUMNS = "id, user_id, unit, duties, source, since, until, attached_by"


def _attachment(row: Any) -> Attachment:
    since = from_db(row["since"])
    assert since is not None
    return Attachment(
        id=row["id"],
        user_id=row["user_id"],
        unit=row["unit"],
        duties=tuple(json.loads(row["duties"])),
        source=row["source"],
        since=since,
        until=from_db(row["until"]),
        attached_by=row["attached_by"],
    )


def _marks(items: Sequence[object]) -> str:
    return ",".join("?" * len(items)) or "NULL"


class Cadres:
    def __init__(self, db: Database):
        self.db = db

    async def attach(self, attachment: Attachment) -> Attachment | None:
        """Stores ATTACHMENT (joins the open unit of work); None if the same person is already
        attached to that grid (nothing written)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO cadres (user_id, unit, duties, source, since, attached_by)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    attachment.user_id,
                    attachment.unit,
                    json.dumps(list(attachment.duties)),
                    attachment.source,
                    to_db(attachment.since),
                    attachment.attached_by,
                ),
            )
            if cursor.rowcount != 1:
                return None
            row = await (
                await conn.execute(
                    f"SELECT {_COLUMNS} FROM cadres WHERE user_id = ? AND unit = ?"
                    " AND until IS NULL",
                    (attachment.user_id, attachment.unit),
                )
            ).fetchone()
        return _attachment(row)

    async def detach(self, attachment_id: int, *, by: int | None, at: datetime) -> bool:
        """Ends the attachment if it is still active (compare-and-set); False if it was not."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE cadres SET until = ?, detached_by = ? WHERE id = ? AND until IS NULL",
                (to_db(at), by, attachment_id),
            )
            return cursor.rowcount == 1

    async def get(self, attachment_id: int) -> Attachment | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM cadres WHERE id = ?", (attachment_id,)
        )
        return _attachment(row) if row else None

    async def active_at(self, units: Iterable[str]) -> list[Attachment]:
        """Returns the active attachments to UNITS, oldest first."""
        units = list(units)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM cadres WHERE until IS NULL AND unit IN ({_marks(units)})"
            " ORDER BY unit, since, id",
            tuple(units),
        )
        return [_attachment(row) for row in rows]

    async def active_of(self, user_id: int) -> list[Attachment]:
        """Returns USER_ID's active attachments, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM cadres WHERE until IS NULL AND user_id = ? ORDER BY since, id",
            (user_id,),
        )
        return [_attachment(row) for row in rows]

    async def served(
        self, units: Iterable[str], start: datetime, end: datetime
    ) -> list[Attachment]:
        """Returns the attachments to UNITS that were active at some time in [START, END)."""
        units = list(units)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM cadres WHERE unit IN ({_marks(units)})"
            " AND since < ? AND (until IS NULL OR until > ?) ORDER BY unit, since, id",
            (*units, to_db(end), to_db(start)),
        )
        return [_attachment(row) for row in rows]

    async def patrol_counts(
        self, user_ids: Iterable[int], start: datetime, end: datetime
    ) -> list[tuple[int, str, str, int]]:
        """Returns (worker id, unit, kind, patrols) the people USER_IDS logged in [START, END):
        what counts toward their duties (patrols_worker index: worker, then time)."""
        ids = sorted(set(user_ids))
        rows = await self.db.fetchall(
            "SELECT worker_id, unit, kind, COUNT(*) AS n FROM patrols"
            f" WHERE worker_id IN ({_marks(ids)}) AND at >= ? AND at < ?"
            " GROUP BY worker_id, unit, kind ORDER BY worker_id, unit, kind",
            (*ids, to_db(start), to_db(end)),
        )
        return [(row["worker_id"], row["unit"], row["kind"], int(row["n"])) for row in rows]

    async def sync_config(self, listed: Sequence[Attachment], at: datetime) -> None:
        """Makes the config file's attachments (source 'config') the ones LISTED: those no
        longer listed end at AT, new ones start at AT, changed duties are rewritten. A chat
        attachment of the same person and grid becomes the config's."""
        wanted = {(a.user_id, a.unit): a for a in listed}
        async with self.db.transaction() as conn:
            rows = await (
                await conn.execute(f"SELECT {_COLUMNS} FROM cadres WHERE until IS NULL")
            ).fetchall()
            for row in rows:
                current = _attachment(row)
                entry = wanted.pop((current.user_id, current.unit), None)
                if entry is None:
                    if current.source == "config":
                        await conn.execute(
                            "UPDATE cadres SET until = ? WHERE id = ?", (to_db(at), current.id)
                        )
                    continue
                if entry.duties != current.duties or current.source != "config":
                    await conn.execute(
                        "UPDATE cadres SET duties = ?, source = 'config' WHERE id = ?",
                        (json.dumps(list(entry.duties)), current.id),
                    )
            if not wanted:
                return
            await conn.executemany(
                "INSERT INTO cadres (user_id, unit, duties, source, since)"
                " VALUES (?, ?, ?, 'config', ?)",
                [
                    (a.user_id, a.unit, json.dumps(list(a.duties)), to_db(at))
                    for a in wanted.values()
                ],
            )

    # The weekly sweep ------------------------------------------------------------------------

    async def unreminded(self, period: str, limit: int = 200) -> list[int]:
        """Returns cadres with an active attachment not yet reminded for PERIOD."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT c.user_id FROM cadres c WHERE c.until IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM cadre_reminders r WHERE r.user_id = c.user_id AND r.period = ?)"
            " ORDER BY c.user_id LIMIT ?",
            (period, limit),
        )
        return [row["user_id"] for row in rows]

    async def unlisted(self, period: str, limit: int = 200) -> list[str]:
        """Returns grids with active cadres whose head has not had PERIOD's list."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT c.unit FROM cadres c WHERE c.until IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM cadre_grid_lists g WHERE g.unit = c.unit AND g.period = ?)"
            " ORDER BY c.unit LIMIT ?",
            (period, limit),
        )
        return [row["unit"] for row in rows]

    async def claim_reminder(self, user_id: int, period: str, at: datetime) -> bool:
        """Claims USER_ID's reminder for PERIOD (joins the unit of work); False if taken."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO cadre_reminders (user_id, period, at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (user_id, period, to_db(at)),
            )
            return cursor.rowcount == 1

    async def claim_list(self, unit: str, period: str, at: datetime) -> bool:
        """Claims the grid UNIT's list for PERIOD (joins the unit of work); False if taken."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO cadre_grid_lists (unit, period, at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (unit, period, to_db(at)),
            )
            return cursor.rowcount == 1
