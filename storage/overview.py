"""The dashboard's home: a member's open reports counted by tier and read as pins, filtered by
their scope (bot/domain/overview.py Scope) in SQL.

Open reports are read through reports_status_tier (status, tier); the scope's units and
categories go in as JSON arrays (json_each), so a street's thousands of buildings need no
thousands of parameters.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.overview import OPEN, Counts, OpenReport, Scope
from bot.domain.reports import Status
from bot.domain.units import Tier
from storage.db import Database, from_db, to_db

_OPEN = ", ".join(f"'{status.value}'" for status in OPEN)

_SCOPE = """
    (assignee_id = :assignee OR (
        (:all_units <> 0 OR unit IN (SELECT value FROM json_each(:units))
                         OR holder_unit IN (SELECT value FROM json_each(:units)))
        AND (:all_categories <> 0
             OR category IN (SELECT value FROM json_each(:categories)))))
"""

_COUNTS = f"""
SELECT tier, COUNT(*) AS n, COUNT(*) FILTER (WHERE due_at IS NOT NULL AND due_at < :now) AS overdue
FROM reports INDEXED BY reports_status_tier
WHERE status IN ({_OPEN}) AND {_SCOPE}
GROUP BY tier
"""

_PINS = f"""
SELECT id, category, unit, tier, status, lat, lon, due_at
FROM reports INDEXED BY reports_status_tier
WHERE status IN ({_OPEN}) AND {_SCOPE}
ORDER BY CASE WHEN due_at IS NOT NULL AND due_at < :now THEN 1 ELSE 0 END DESC,
         CASE tier WHEN 'district' THEN 3 WHEN 'street' THEN 2 WHEN 'community' THEN 1 ELSE 0 END
             DESC,
         CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, id
LIMIT :limit
"""


def _params(scope: Scope, now: datetime) -> dict[str, Any]:
    return {
        "assignee": scope.assignee,
        "all_units": scope.units is None,
        "units": json.dumps(sorted(scope.units or ())),
        "all_categories": scope.categories is None,
        "categories": json.dumps(sorted(scope.categories or ())),
        "now": to_db(now),
    }


class Overview:
    def __init__(self, db: Database):
        self.db = db

    async def counts(self, scope: Scope, now: datetime) -> Counts:
        """Returns SCOPE's open reports per tier and how many are past their deadline at NOW."""
        rows = await self.db.fetchall(_COUNTS, _params(scope, now))
        by_tier = {tier: 0 for tier in Tier}
        overdue = 0
        for row in rows:
            by_tier[Tier(row["tier"])] += int(row["n"])
            overdue += int(row["overdue"])
        return Counts(by_tier, overdue)

    async def open_reports(self, scope: Scope, now: datetime, limit: int) -> list[OpenReport]:
        """Returns up to LIMIT of SCOPE's open reports, most urgent first (overview.urgency)."""
        rows = await self.db.fetchall(_PINS, _params(scope, now) | {"limit": limit})
        return [
            OpenReport(
                id=int(row["id"]),
                category=row["category"],
                unit=row["unit"],
                tier=Tier(row["tier"]),
                status=Status(row["status"]),
                lat=row["lat"],
                lon=row["lon"],
                due_at=from_db(row["due_at"]),
            )
            for row in rows
        ]
