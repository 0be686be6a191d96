"""The inbox: every update from Telegram, stored (unique on update_id) before it is confirmed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.db import Database, to_db
from storage.outbox import clear_unreachable

# The advisory lock PostgreSQL claims take (an arbitrary constant; migrations use another).
CLAIM_LOCK = 7_405_311_023


@dataclass(frozen=True, slots=True)
class InboxRow:
    update_id: int
    payload: dict[str, Any]
    attempts: int


class Inbox:
    def __init__(self, db: Database):
        self.db = db

    async def store(self, updates: list[dict[str, Any]], at: datetime) -> int:
        """Stores UPDATES (duplicates ignored) in one commit; returns how many were new.

        A user who writes to the bot can be written to again (they unblocked it), so their
        chat loses its unreachable mark in the same commit.
        """
        if not updates:
            return 0
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.executemany(
                "INSERT OR IGNORE INTO inbox (update_id, payload, received_at, chat_id)"
                " VALUES (?, ?, ?, ?)",
                [
                    (u["update_id"], json.dumps(u, ensure_ascii=False), to_db(at), chat_of(u))
                    for u in updates
                ],
            )
            new = max(0, cursor.rowcount)  # the rows inserted (duplicates ignored)
            await clear_unreachable(conn, _reachable_chats(updates), at)
            return new

    async def last_update_id(self) -> int | None:
        row = await self.db.fetchone("SELECT MAX(update_id) FROM inbox")
        return row[0] if row and row[0] is not None else None

    async def pending(self, limit: int = 100) -> list[InboxRow]:
        rows = await self.db.fetchall(
            "SELECT update_id, payload, attempts FROM inbox WHERE state = 'new'"
            " ORDER BY update_id LIMIT ?",
            (limit,),
        )
        return [InboxRow(r["update_id"], json.loads(r["payload"]), r["attempts"]) for r in rows]

    async def claim(
        self, owner: str, limit: int, lease: timedelta, now: datetime
    ) -> list[InboxRow]:
        """Claims for OWNER (a process) the next pending updates it may process, oldest first,
        for LEASE; returns them.

        Several processes may claim from one database: an update claimed by another owner whose
        claim has not lapsed is left to it, and so is every later update of the same chat (a
        chat's updates are processed in order); a lapsed claim (its process died) is taken
        over, as are OWNER's own. On PostgreSQL claims are serialised by a transaction-scoped
        advisory lock and rows being finished by another process's batch are skipped (FOR
        UPDATE SKIP LOCKED); on SQLite one writer at a time does the same.
        """
        at, until = to_db(now), to_db(now + lease)
        postgres = self.db.dialect == "postgresql"
        claimable = (
            "SELECT i.update_id FROM inbox i"
            " WHERE i.state = 'new'"
            "   AND (i.claimed_by IS NULL OR i.claimed_by = ? OR i.claimed_until < ?)"
            "   AND NOT EXISTS (SELECT 1 FROM inbox e"
            "     WHERE e.state = 'new' AND e.chat_id = i.chat_id"
            "       AND e.update_id < i.update_id AND e.claimed_by <> ?"
            "       AND e.claimed_until >= ?)"
            " ORDER BY i.update_id LIMIT ?"
        )
        params = (owner, at, owner, at, limit)
        if not await self.db.fetchall(claimable, params):
            return []  # nothing to claim: no write (the poller looks often)
        async with self.db.transaction(completes_update=False) as conn:
            if postgres:
                await conn.execute("SELECT pg_advisory_xact_lock(?)", (CLAIM_LOCK,))
            sql = claimable + (" FOR UPDATE OF i SKIP LOCKED" if postgres else "")
            async with conn.execute(sql, params) as cursor:
                ids = [int(row[0]) for row in await cursor.fetchall()]
            if not ids:
                return []
            marks = json.dumps(ids)
            await conn.execute(
                "UPDATE inbox SET claimed_by = ?, claimed_until = ?"
                " WHERE update_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
                (owner, until, marks),
            )
            async with conn.execute(
                "SELECT update_id, payload, attempts FROM inbox"
                " WHERE update_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))"
                " ORDER BY update_id",
                (marks,),
            ) as cursor:
                rows = await cursor.fetchall()
        return [InboxRow(r[0], json.loads(r[1]), r[2]) for r in rows]

    async def hold(
        self, conn: Any, owner: str, ids: list[int], lease: timedelta, now: datetime
    ) -> set[int]:
        """Inside the transaction of CONN (a batch about to process IDS): returns those of IDS
        still pending and claimed by OWNER, and keeps them OWNER's until the commit.

        A claim that lapsed (a batch slower than the lease) may have been taken over by another
        process meanwhile: that one processes those updates, not OWNER. On PostgreSQL the rows
        kept are locked (FOR UPDATE) until the commit, so another process's claim skips them
        (SKIP LOCKED), and their lease is renewed from NOW; on SQLite one process owns the file.
        """
        if not ids:
            return set()
        marks = json.dumps(ids)
        postgres = self.db.dialect == "postgresql"
        mine = (
            "SELECT update_id FROM inbox"
            " WHERE update_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))"
            "   AND state = 'new' AND claimed_by = ?"
        )
        async with conn.execute(mine + (" FOR UPDATE" if postgres else ""), (marks, owner)) as cur:
            held = {int(row[0]) for row in await cur.fetchall()}
        if postgres and held:
            await conn.execute(
                "UPDATE inbox SET claimed_until = ?"
                " WHERE update_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
                (to_db(now + lease), json.dumps(sorted(held))),
            )
        return held

    async def release(self, owner: str) -> None:
        """Gives OWNER's claims on pending updates up (a process stopping gracefully): another
        process takes them at once instead of after the lease."""
        async with self.db.transaction(completes_update=False) as conn:
            await conn.execute(
                "UPDATE inbox SET claimed_by = NULL, claimed_until = NULL"
                " WHERE claimed_by = ? AND state = 'new'",
                (owner,),
            )

    async def mark_done(self, update_id: int, at: datetime) -> None:
        """Marks UPDATE_ID done unless its own transaction did already (then nothing is
        written: the check is a read)."""
        row = await self.db.fetchone(
            "SELECT 1 FROM inbox WHERE update_id = ? AND state = 'new'", (update_id,)
        )
        if row is None:
            return
        async with self.db.transaction(completes_update=False) as conn:
            await conn.execute(
                "UPDATE inbox SET state = 'done', done_at = ?, chat_id = NULL"
                " WHERE update_id = ? AND state = 'new'",
                (to_db(at), update_id),
            )

    async def charge_oldest(
        self, max_attempts: int, owner: str | None = None, now: datetime | None = None
    ) -> int | None:
        """Counts an attempt for the oldest pending update (the one in progress when the process
        stopped, if any); returns its id when that parks it.

        With OWNER and NOW, an update another process holds a live claim on is left alone: it is
        in progress there (several processes on one database), not stopped here."""
        alive = ""
        params: tuple[Any, ...] = ()
        if owner is not None and now is not None:
            alive = " AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?)"
            params = (owner, to_db(now))
        async with self.db.transaction(completes_update=False) as conn:
            async with conn.execute(
                "SELECT update_id FROM inbox WHERE state = 'new'"
                + alive
                + " ORDER BY update_id LIMIT 1",
                params,
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            update_id = int(row[0])
            await conn.execute(
                "UPDATE inbox SET attempts = attempts + 1,"
                " error = COALESCE(error, 'the process stopped while it was pending'),"
                " state = CASE WHEN attempts + 1 >= ? THEN 'parked' ELSE state END"
                " WHERE update_id = ?",
                (max_attempts, update_id),
            )
            async with conn.execute(
                "SELECT state FROM inbox WHERE update_id = ?", (update_id,)
            ) as cursor:
                state = await cursor.fetchone()
        return update_id if state is not None and state[0] == "parked" else None

    async def counts(self) -> dict[str, int]:
        """Returns how many updates are in each state (new, done, parked)."""
        rows = await self.db.fetchall("SELECT state, COUNT(*) FROM inbox GROUP BY state")
        return {row[0]: int(row[1]) for row in rows}

    async def mark_failed(self, update_id: int, error: str, max_attempts: int) -> bool:
        """Counts a failed attempt; returns True when the update is now parked."""
        async with self.db.transaction(completes_update=False) as conn:
            await conn.execute(
                "UPDATE inbox SET attempts = attempts + 1, error = ?,"
                " state = CASE WHEN attempts + 1 >= ? THEN 'parked' ELSE state END,"
                " chat_id = CASE WHEN attempts + 1 >= ? THEN NULL ELSE chat_id END"
                " WHERE update_id = ? AND state = 'new'",
                (error[:500], max_attempts, max_attempts, update_id),
            )
            async with conn.execute(
                "SELECT state FROM inbox WHERE update_id = ?", (update_id,)
            ) as cursor:
                row = await cursor.fetchone()
        return bool(row and row[0] == "parked")


def _reachable_chats(updates: list[dict[str, Any]]) -> set[int]:
    """Returns the private chats whose user just wrote to the bot or (re)started it."""
    chats: set[int] = set()
    for update in updates:
        query = update.get("callback_query") or {}
        member = update.get("my_chat_member") or {}
        message = update.get("message") or update.get("edited_message") or query.get("message")
        if isinstance(message, dict) and message.get("chat", {}).get("type") == "private":
            chats.add(int(message["chat"]["id"]))
        if (
            member.get("chat", {}).get("type") == "private"
            and member.get("new_chat_member", {}).get("status") == "member"
        ):
            chats.add(int(member["chat"]["id"]))
    return chats


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat UPDATE belongs to (its message's, its press's message's or its membership's),
    None for one without a chat (a poll's counts): the unit of order of Inbox.claim."""
    query = update.get("callback_query") or {}
    message = (
        update.get("message")
        or update.get("edited_message")
        or query.get("message")
        or update.get("my_chat_member")
    )
    chat = message.get("chat") if isinstance(message, dict) else None
    if isinstance(chat, dict) and chat.get("id") is not None:
        return int(chat["id"])
    if query.get("from", {}).get("id") is not None:  # a press on an inline message: the user's
        return int(query["from"]["id"])
    return None
