"""Refusals repository: every press or command a rule refused (who, what, which rule, when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, from_db, to_db


@dataclass(frozen=True, slots=True)
class Refusal:
    user_id: int
    action: str  # the press ("wish:claim") or the command ("/audit")
    rule: str  # the rule that said no (bot.domain.access.Rule)
    target: str | None  # ids only ("wish:12"), never text or names
    at: datetime
    id: int | None = None


class Refusals:
    def __init__(self, db: Database):
        self.db = db

    async def record(self, refusal: Refusal) -> None:
        """Stores the refusal in its own commit.

        The refusal is the whole effect of the update that caused it, so that commit also marks
        the update done: a replay after a crash neither records it twice nor answers twice.
        """
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO refusals (user_id, action, rule, target, at) VALUES (?, ?, ?, ?, ?)",
                (refusal.user_id, refusal.action, refusal.rule, refusal.target, to_db(refusal.at)),
            )

    async def counts_since(self, since: datetime) -> dict[str, int]:
        """Returns how many refusals each rule made since SINCE, most first."""
        rows = await self.db.fetchall(
            "SELECT rule, COUNT(*) AS n FROM refusals WHERE at >= ?"
            " GROUP BY rule ORDER BY n DESC, rule",
            (to_db(since),),
        )
        return {row["rule"]: int(row["n"]) for row in rows}

    async def latest(self, limit: int = 20) -> list[Refusal]:
        """Returns the LIMIT newest refusals, newest first."""
        rows = await self.db.fetchall(
            "SELECT id, user_id, action, rule, target, at FROM refusals"
            " ORDER BY at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [
            Refusal(r["user_id"], r["action"], r["rule"], r["target"], from_db(r["at"]), r["id"])  # type: ignore[arg-type]
            for r in rows
        ]
