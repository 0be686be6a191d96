"""Login links and sessions of the web dashboard (only hashes of their secrets are stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, from_db, to_db
from storage.people import add_staff_event


@dataclass(frozen=True, slots=True)
class Session:
    hash: str  # sha256 hex of the cookie value
    user_id: int
    csrf: str
    via: str  # bot.domain.weblogin.Via
    created_at: datetime
    seen_at: datetime


class LinkState:
    """What a link token's hash turned out to be when someone tried to consume it."""

    UNKNOWN = "unknown"  # never issued (forged), or its member left
    USED = "used"
    EXPIRED = "expired"


class WebLogins:
    def __init__(self, db: Database):
        self.db = db

    async def add_link(
        self, hash_: str, user_id: int, at: datetime, expires: datetime, *, keep: int
    ) -> None:
        """Stores a link for USER_ID; of their unused links only the KEEP newest stay alive."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO web_links (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (hash_, user_id, to_db(at), to_db(expires)),
            )
            # The new link is the newest whatever the clock says; of the others (ordered by
            # time, then by hash: no insertion order on PostgreSQL) KEEP - 1 stay.
            await conn.execute(
                "DELETE FROM web_links WHERE user_id = ? AND used_at IS NULL AND hash <> ?"
                " AND hash NOT IN (SELECT hash FROM web_links"
                "  WHERE user_id = ? AND used_at IS NULL AND hash <> ?"
                "  ORDER BY created_at DESC, hash DESC LIMIT ?)",
                (user_id, hash_, user_id, hash_, max(keep - 1, 0)),
            )

    async def consume_link(self, hash_: str, at: datetime) -> int | str:
        """Marks the link used if it is unused and unexpired (compare-and-set); returns its
        member's id, else why not (LinkState)."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "UPDATE web_links SET used_at = ?"
                " WHERE hash = ? AND used_at IS NULL AND expires_at > ?"
                " RETURNING user_id",
                (to_db(at), hash_, to_db(at)),
            )
            row = await cursor.fetchone()
            if row is not None:
                return int(row[0])
        found = await self.db.fetchone("SELECT used_at FROM web_links WHERE hash = ?", (hash_,))
        if found is None:
            return LinkState.UNKNOWN
        return LinkState.USED if found[0] is not None else LinkState.EXPIRED

    async def link_state(self, hash_: str, at: datetime) -> str | None:
        """Returns why the link cannot be used (LinkState), or None if it still can."""
        row = await self.db.fetchone(
            "SELECT used_at, expires_at FROM web_links WHERE hash = ?", (hash_,)
        )
        if row is None:
            return LinkState.UNKNOWN
        if row[0] is not None:
            return LinkState.USED
        return LinkState.EXPIRED if from_db(row[1]) <= at else None  # type: ignore[operator]

    async def add_session(
        self, hash_: str, user_id: int, csrf: str, via: str, at: datetime
    ) -> None:
        """Stores a session and a 'web_login' staff event (ids and codes only) in one commit."""
        async with self.db.transaction(completes_update=False) as conn:
            await add_staff_event(conn, user_id, "web_login", user_id, at, {"via": via})
            await conn.execute(
                "INSERT INTO web_sessions (hash, user_id, csrf, via, created_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (hash_, user_id, csrf, via, to_db(at), to_db(at)),
            )

    async def session(self, hash_: str) -> Session | None:
        row = await self.db.fetchone(
            "SELECT hash, user_id, csrf, via, created_at, seen_at FROM web_sessions WHERE hash = ?",
            (hash_,),
        )
        if row is None:
            return None
        return Session(
            row["hash"],
            row["user_id"],
            row["csrf"],
            row["via"],
            from_db(row["created_at"]),  # type: ignore[arg-type]
            from_db(row["seen_at"]),  # type: ignore[arg-type]
        )

    async def seen(self, hash_: str, at: datetime) -> None:
        """Records a request of the session at AT (bookkeeping: never completes an update)."""
        async with self.db.transaction(completes_update=False) as conn:
            await conn.execute(
                "UPDATE web_sessions SET seen_at = ? WHERE hash = ? AND seen_at < ?",
                (to_db(at), hash_, to_db(at)),
            )

    async def end_session(self, hash_: str) -> bool:
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute("DELETE FROM web_sessions WHERE hash = ?", (hash_,))
            return cursor.rowcount == 1

    async def end_all(self, user_id: int) -> int:
        """Deletes USER_ID's sessions and unused links (they left the staff); returns how many."""
        async with self.db.transaction() as conn:
            sessions = await conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (user_id,))
            links = await conn.execute("DELETE FROM web_links WHERE user_id = ?", (user_id,))
            return sessions.rowcount + links.rowcount
