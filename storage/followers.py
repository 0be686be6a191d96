"""Followers (并单): residents who follow another's report, and the open reports a new one may
duplicate. Every method joins the caller's transaction (a unit of work) or runs in its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.reports import Report
from storage.db import Database, to_db
from storage.reports import Reports


@dataclass(frozen=True, slots=True)
class Follower:
    report_id: int
    user_id: int
    via: str  # "me_too" or "merge"
    stars: int | None = None


class Followers:
    def __init__(self, db: Database):
        self.db = db

    async def of(self, report_id: int) -> list[Follower]:
        """Returns REPORT_ID's followers, in the order they came."""
        rows = await self.db.fetchall(
            "SELECT report_id, user_id, via, stars FROM report_followers WHERE report_id = ?"
            " ORDER BY since, user_id",
            (report_id,),
        )
        return [Follower(r["report_id"], r["user_id"], r["via"], r["stars"]) for r in rows]

    async def add(
        self,
        report_id: int,
        user_ids: Sequence[int],
        *,
        via: str,
        at: datetime,
        from_report: int | None = None,
    ) -> int:
        """Makes USER_IDS follow REPORT_ID (those already following stay as they were); returns
        how many were added."""
        added = 0
        async with self.db.transaction() as conn:
            for user_id in user_ids:
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO report_followers (report_id, user_id, via, from_report,"
                    " since) VALUES (?, ?, ?, ?, ?)",
                    (report_id, user_id, via, from_report, to_db(at)),
                )
                added += cursor.rowcount
        return added

    async def rate(self, report_id: int, user_id: int, stars: int, at: datetime) -> bool:
        """Records USER_ID's own rating of REPORT_ID once; False if they are no follower or
        answered already."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE report_followers SET stars = ?, answered_at = ?"
                " WHERE report_id = ? AND user_id = ? AND stars IS NULL",
                (stars, to_db(at), report_id, user_id),
            )
        return cursor.rowcount == 1

    async def open_alike(
        self,
        category: str,
        unit: str,
        bounds: tuple[float, float, float, float] | None,
        *,
        excluding: int,
        limit: int = 50,
    ) -> list[Report]:
        """Returns open reports of CATEGORY in UNIT or placed within BOUNDS (min lat, max lat,
        min lon, max lon; a report without a location counts at its unit's coordinates): the
        newest LIMIT, in id order, leaving out those EXCLUDING reported or follows."""
        where = "r.unit = :unit"
        params: dict[str, object] = {
            "category": category,
            "unit": unit,
            "me": excluding,
            "limit": limit,
        }
        if bounds is not None:
            where += (
                " OR (COALESCE(r.lat, u.lat) BETWEEN :lat0 AND :lat1"
                " AND COALESCE(r.lon, u.lon) BETWEEN :lon0 AND :lon1)"
            )
            params.update(zip(("lat0", "lat1", "lon0", "lon1"), bounds, strict=True))
        rows = await self.db.fetchall(
            "SELECT r.id FROM reports r JOIN units u ON u.code = r.unit"
            " WHERE r.status IN ('open', 'accepted') AND r.category = :category"
            f" AND ({where})"
            " AND r.reporter_id IS NOT :me AND r.entered_by IS NOT :me"
            " AND NOT EXISTS (SELECT 1 FROM report_followers f"
            "   WHERE f.report_id = r.id AND f.user_id = :me)"
            " ORDER BY r.id DESC LIMIT :limit",
            params,
        )
        return await Reports(self.db).get_many([row["id"] for row in rows])
