"""议事会 polls: the poll rows, one vote per person, the groups' native counts, and the ledger read.

A poll's private cards are outbox cards keyed `poll:<id>` (their chats are the residents asked);
the groups' native polls are outbox rows tagged `batch = 'poll:<id>'`, whose `result_ref` is
the Telegram poll id that Telegram's poll updates name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import aiosqlite

from bot.domain.polls import Poll, State, Tally, add_native, count
from storage import outbox
from storage.db import Database, from_db, to_db
from storage.outbox import Outgoing

_COLUMNS = (
    "id, created_by, unit, question, options, lang, state, created_at, closes_at, closed_at,"
    " stop_by, residents, groups"
)


def batch_of(poll_id: int) -> str:
    """Returns the outbox batch tag of a poll's native group polls (and their stopPoll)."""
    return f"poll:{poll_id}"


def card_key(poll_id: int) -> str:
    """Returns the card key of a poll's private card in each resident's chat."""
    return f"poll:{poll_id}"


def _poll(row: aiosqlite.Row) -> Poll:
    created, closes = from_db(row["created_at"]), from_db(row["closes_at"])
    assert created is not None and closes is not None
    return Poll(
        created_by=row["created_by"],
        unit=row["unit"],
        question=row["question"],
        options=tuple(json.loads(row["options"])),
        created_at=created,
        closes_at=closes,
        lang=row["lang"],
        state=State(row["state"]),
        residents=row["residents"],
        groups=row["groups"],
        closed_at=from_db(row["closed_at"]),
        stop_by=from_db(row["stop_by"]),
        id=row["id"],
    )


@dataclass(frozen=True, slots=True)
class NativePoll:
    """A native poll sent to a group: where it is, and Telegram's id for it."""

    chat_id: int
    message_id: int
    telegram_poll_id: str


@dataclass(frozen=True, slots=True)
class PollRow:
    """One poll for the ledger (台账): the poll and its counts."""

    poll: Poll
    tally: Tally


class Polls:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, poll: Poll) -> Poll:
        """Stores POLL (inside the caller's unit of work); returns it with its id."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO polls (created_by, unit, question, options, lang, state, created_at,"
                " closes_at, due_at, residents, groups) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    poll.created_by,
                    poll.unit,
                    poll.question,
                    json.dumps(list(poll.options), ensure_ascii=False),
                    poll.lang,
                    poll.state.value,
                    to_db(poll.created_at),
                    to_db(poll.closes_at),
                    to_db(poll.closes_at),
                    poll.residents,
                    poll.groups,
                ),
            )
        assert cursor.lastrowid is not None
        return replace(poll, id=cursor.lastrowid)

    async def get(self, poll_id: int) -> Poll | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM polls WHERE id = ?", (poll_id,))
        return _poll(row) if row else None

    # Votes --------------------------------------------------------------------------------

    async def vote(
        self, poll_id: int, user_id: int, option: int, at: datetime, messages: Sequence[Outgoing]
    ) -> bool:
        """Records USER_ID's vote and queues MESSAGES while the poll is open; False (nothing
        written) if they voted already or it closed meanwhile."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO poll_votes (poll_id, user_id, option, voted_at)"
                " SELECT ?, ?, ?, ? WHERE EXISTS"
                " (SELECT 1 FROM polls WHERE id = ? AND state = 'open' AND closes_at > ?)",
                (poll_id, user_id, option, to_db(at), poll_id, to_db(at)),
            )
            if cursor.rowcount == 0:
                return False
            await outbox.add(conn, list(messages), at)
        return True

    async def vote_of(self, poll_id: int, user_id: int) -> int | None:
        row = await self.db.fetchone(
            "SELECT option FROM poll_votes WHERE poll_id = ? AND user_id = ?", (poll_id, user_id)
        )
        return int(row["option"]) if row else None

    async def want_result(
        self, poll_id: int, user_id: int, at: datetime, messages: Sequence[Outgoing]
    ) -> bool:
        """Notes that USER_ID (a voter) wants the result; False if they have not voted."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE poll_votes SET wants_result = 1 WHERE poll_id = ? AND user_id = ?",
                (poll_id, user_id),
            )
            if cursor.rowcount == 0:
                return False
            await outbox.add(conn, list(messages), at)
        return True

    async def result_wanted_by(self, poll_id: int) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM poll_votes WHERE poll_id = ? AND wants_result = 1"
            " AND user_id > 0 ORDER BY user_id",
            (poll_id,),
        )
        return [row["user_id"] for row in rows]

    # The groups' native polls -----------------------------------------------------------

    async def adopt_natives(self) -> int:
        """Copies the native polls sent since the last pass from the outbox (pruned after a
        week) into poll_groups; returns how many. Found through the outbox's result_ref index."""
        async with self.db.transaction(completes_update=False) as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO poll_groups (poll_id, chat_id, message_id,"
                " telegram_poll_id, updated_at)"
                " SELECT CAST(substr(o.batch, 6) AS INTEGER), o.chat_id, o.message_id,"
                " o.result_ref, o.sent_at FROM outbox o INDEXED BY outbox_result_ref"
                " WHERE o.result_ref IS NOT NULL AND o.method = 'sendPoll'"
                " AND o.batch LIKE 'poll:%' AND o.state = 'sent' AND o.message_id IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM poll_groups g"
                "   WHERE g.telegram_poll_id = o.result_ref)",
            )
        return cursor.rowcount

    async def natives(self, poll_id: int) -> list[NativePoll]:
        """Returns the poll's native polls in groups (once adopted from the outbox)."""
        rows = await self.db.fetchall(
            "SELECT chat_id, message_id, telegram_poll_id FROM poll_groups WHERE poll_id = ?"
            " ORDER BY chat_id",
            (poll_id,),
        )
        return [NativePoll(r["chat_id"], r["message_id"], r["telegram_poll_id"]) for r in rows]

    async def natives_in_flight(self, poll_id: int) -> int:
        """Counts the poll's sendPoll and stopPoll calls not yet made (or being retried)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM outbox WHERE batch = ? AND state IN ('pending', 'sending')",
            (batch_of(poll_id),),
        )
        return int(row[0]) if row else 0

    async def natives_closed(self, poll_id: int) -> bool:
        """Tells whether Telegram reported every native poll of POLL_ID closed (final counts)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM poll_groups WHERE poll_id = ? AND closed = 0", (poll_id,)
        )
        return row is not None and int(row[0]) == 0

    async def record_native(
        self, telegram_poll_id: str, counts: Sequence[int], total: int, closed: bool, at: datetime
    ) -> int | None:
        """Keeps the latest counts Telegram reported for one of our native polls (a closed
        poll's counts are final); returns the poll's id, or None for a poll not ours."""
        await self.adopt_natives()  # the update may come before the sweep adopted the poll
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT poll_id FROM poll_groups WHERE telegram_poll_id = ?", (telegram_poll_id,)
            ) as cursor:
                found = await cursor.fetchone()
            if found is None:
                return None
            await conn.execute(
                "UPDATE poll_groups SET counts = ?, total = ?, closed = ?, updated_at = ?"
                " WHERE telegram_poll_id = ? AND closed = 0",
                (
                    json.dumps([int(n) for n in counts]),
                    int(total),
                    int(closed),
                    to_db(at),
                    telegram_poll_id,
                ),
            )
        return int(found["poll_id"])

    # Closing ------------------------------------------------------------------------------

    async def due(self, now: datetime, limit: int = 50) -> list[Poll]:
        """Returns the open polls past their closing time and the closing ones due to post."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM polls WHERE state IN ('open', 'closing') AND due_at <= ?"
            " ORDER BY due_at LIMIT ?",
            (to_db(now), limit),
        )
        return [_poll(row) for row in rows]

    async def move(
        self,
        poll: Poll,
        to: State,
        due_at: datetime | None,
        at: datetime,
        messages: Sequence[Outgoing],
        *,
        stop_by: datetime | None = None,
    ) -> bool:
        """Moves POLL from its state to TO (due again at DUE_AT; STOP_BY for a closing poll)
        and queues MESSAGES, if nobody did (compare-and-set on the state)."""
        assert poll.id is not None
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE polls SET state = ?, due_at = ?, stop_by = COALESCE(?, stop_by),"
                " closed_at = CASE WHEN ? = 'closed' THEN ? ELSE closed_at END"
                " WHERE id = ? AND state = ?",
                (
                    to.value,
                    to_db(due_at),
                    to_db(stop_by),
                    to.value,
                    to_db(at),
                    poll.id,
                    poll.state.value,
                ),
            )
            if cursor.rowcount == 0:
                return False
            await outbox.add(conn, list(messages), at)
        return True

    async def tally(self, poll: Poll) -> Tally:
        """Returns POLL's counts: private votes per option, and the groups' native counts."""
        assert poll.id is not None
        votes = await self.db.fetchall(
            "SELECT option FROM poll_votes WHERE poll_id = ?", (poll.id,)
        )
        natives = await self.db.fetchall(
            "SELECT counts, total FROM poll_groups WHERE poll_id = ?", (poll.id,)
        )
        return Tally(
            options=poll.options,
            private=count(poll.options, (row["option"] for row in votes)),
            native=add_native((json.loads(row["counts"]) for row in natives), len(poll.options)),
            native_total=sum(row["total"] for row in natives),
            eligible=poll.residents,
            groups=poll.groups,
        )

    # The ledger (台账) ----------------------------------------------------------------------

    async def rows_for(self, unit: str, start: datetime, end: datetime) -> list[PollRow]:
        """Returns the polls put to UNIT or any unit below it that were created in [START, END)
        (UTC instants), oldest first, each with its counts: what the 台账 export lists.

        The walk starts from UNIT's children (a column): seeded with the bare parameter,
        PostgreSQL refuses to mix its collation with the units' "C" one."""
        rows = await self.db.fetchall(
            f"""
            WITH RECURSIVE below (code) AS (
                SELECT code FROM units WHERE parent = ?
                UNION ALL
                SELECT units.code FROM units JOIN below ON units.parent = below.code
            )
            SELECT {_COLUMNS} FROM polls
            WHERE (unit = ? OR unit IN (SELECT code FROM below))
            AND created_at >= ? AND created_at < ?
            ORDER BY created_at, id
            """,
            (unit, unit, to_db(start), to_db(end)),
        )
        polls = [_poll(row) for row in rows]
        return [PollRow(poll, await self.tally(poll)) for poll in polls]
