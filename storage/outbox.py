"""The outbox: every message is a row, written in the transaction of the change that caused it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import Database, from_db, to_db

# Methods whose rows are cards: sent once, then edited in place.
CARD = "card"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Bot API call to make: METHOD with PARAMS to CHAT_ID.

    A row with `card` set is a message that is edited in place: the sender edits the message
    it sent last for (card, chat_id), or sends it anew if there is none. A pending row with the
    same `collapse_key` is replaced rather than queued twice. Rows of a higher `priority` go
    first (broadcasts and poll cards take -1, so a case notice never waits behind thousands of
    them); order within a chat is kept whatever the priority. `batch` tags the rows of one
    broadcast or poll ("broadcast:12") so their progress can be counted.
    """

    chat_id: int
    method: str
    params: dict[str, Any]
    card: str | None = None
    collapse_key: str | None = None
    not_before: datetime | None = None
    priority: int = 0
    batch: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    card_id: int | None
    card_message_id: int | None
    attempts: int
    created_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)
    unreachable: bool = False  # the chat blocked or removed the bot


async def add(conn: aiosqlite.Connection, messages: list[Outgoing], at: datetime) -> None:
    """Queues MESSAGES inside the caller's transaction."""
    for message in messages:
        card_id = None
        collapse_key = message.collapse_key
        if message.card is not None:
            await conn.execute(
                "INSERT OR IGNORE INTO cards (key, chat_id) VALUES (?, ?)",
                (message.card, message.chat_id),
            )
            async with conn.execute(
                "SELECT id FROM cards WHERE key = ? AND chat_id = ?",
                (message.card, message.chat_id),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            card_id = row[0]
            collapse_key = collapse_key or f"card:{card_id}"
        payload = json.dumps(message.params, ensure_ascii=False)
        if card_id is not None and await _shows_already(conn, message, card_id, payload):
            continue  # Telegram would answer "message is not modified"
        await conn.execute(_INSERT, _values(message, payload, card_id, collapse_key, at))


_INSERT = """
INSERT INTO outbox (chat_id, method, payload, card_id, collapse_key, not_before,
                    created_at, priority, batch)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (collapse_key) WHERE state = 'pending' AND collapse_key IS NOT NULL
DO UPDATE SET payload = excluded.payload, not_before = excluded.not_before
"""


def _values(
    message: Outgoing, payload: str, card_id: int | None, collapse_key: str | None, at: datetime
) -> tuple[Any, ...]:
    """One row of _INSERT."""
    return (
        message.chat_id,
        message.method,
        payload,
        card_id,
        collapse_key,
        to_db(message.not_before),
        to_db(at),
        message.priority,
        message.batch,
    )


async def add_many(conn: aiosqlite.Connection, messages: Sequence[Outgoing], at: datetime) -> None:
    """Queues MESSAGES inside the caller's transaction as `add` does, in a few statements for
    all of them (the deadline sweep's batches): the same rows, in the same order."""
    if not messages:
        return
    pairs = sorted({(m.card, m.chat_id) for m in messages if m.card is not None})
    cards: dict[tuple[str, int], int] = {}
    if pairs:
        await conn.executemany("INSERT OR IGNORE INTO cards (key, chat_id) VALUES (?, ?)", pairs)
        keys = json.dumps(sorted({key for key, _ in pairs}), ensure_ascii=False)
        async with conn.execute(
            "SELECT id, key, chat_id FROM cards WHERE key IN (SELECT value FROM json_each(?))",
            (keys,),
        ) as cursor:
            for row in await cursor.fetchall():
                cards[(row[1], row[2])] = row[0]
    # What each card's message shows now: the last row queued for (chat, card), as _shows_already.
    last: dict[int, tuple[Any, ...]] = {}
    if cards:
        async with conn.execute(
            "SELECT c.id, c.chat_id, c.message_id, o.method, o.payload, o.state FROM cards c"
            " JOIN outbox o ON o.id = (SELECT MAX(x.id) FROM outbox x"
            "                          WHERE x.chat_id = c.chat_id AND x.card_id = c.id)"
            " WHERE c.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (json.dumps(sorted(cards.values())),),
        ) as cursor:
            for row in await cursor.fetchall():
                last[row[0]] = tuple(row)
    rows = []
    queued: set[int] = set()  # cards given a row in this call: theirs is the last one now
    for message in messages:
        card_id = None
        collapse_key = message.collapse_key
        payload = json.dumps(message.params, ensure_ascii=False)
        if message.card is not None:
            card_id = cards[(message.card, message.chat_id)]
            collapse_key = collapse_key or f"card:{card_id}"
            shown = last.get(card_id)
            if (
                card_id not in queued
                and shown is not None
                and shown[2] is not None
                and shown[5] == "sent"
                and shown[3] == message.method
                and shown[4] == payload
            ):
                continue  # Telegram would answer "message is not modified"
            queued.add(card_id)
        rows.append(_values(message, payload, card_id, collapse_key, at))
    await conn.executemany(_INSERT, rows)


async def _shows_already(
    conn: aiosqlite.Connection, message: Outgoing, card_id: int, payload: str
) -> bool:
    """True if the card's message already shows PAYLOAD: the last row queued for the card was
    sent with exactly this content and the message is still the one edited (not sent anew)."""
    async with conn.execute(
        "SELECT o.method, o.payload, o.state, c.message_id FROM outbox o"
        " JOIN cards c ON c.id = o.card_id"
        " WHERE o.chat_id = ? AND o.card_id = ? ORDER BY o.id DESC LIMIT 1",
        (message.chat_id, card_id),
    ) as cursor:
        last = await cursor.fetchone()
    return (
        last is not None
        and last[3] is not None
        and last[2] == "sent"
        and last[0] == message.method
        and last[1] == payload
    )


async def _chat_state(
    conn: aiosqlite.Connection, chat_id: int, at: datetime, **fields: Any
) -> None:
    sets = ", ".join(f"{key} = excluded.{key}" for key in fields)
    columns = ", ".join(fields)
    marks = ", ".join("?" * len(fields))
    await conn.execute(
        f"INSERT INTO chats (chat_id, {columns}, updated_at) VALUES (?, {marks}, ?)"
        f" ON CONFLICT (chat_id) DO UPDATE SET {sets}, updated_at = excluded.updated_at",
        (chat_id, *fields.values(), to_db(at)),
    )


async def clear_unreachable(
    conn: aiosqlite.Connection, chat_ids: Iterable[int], at: datetime
) -> None:
    """Marks CHAT_IDS reachable again (the user wrote to the bot: they unblocked it)."""
    await conn.execute(
        "UPDATE chats SET unreachable = NULL, updated_at = ?"
        " WHERE unreachable IS NOT NULL"
        " AND chat_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
        (to_db(at), json.dumps(sorted(set(chat_ids)))),
    )


# Moves what another table holds for a chat that migrated: (conn, old chat id, new chat id).
ChatMoved = Callable[[aiosqlite.Connection, int, int], Awaitable[None]]


class Outbox:
    """What the sender reads and marks; writers use `add` inside their own transaction."""

    def __init__(self, db: Database, *, chat_moved: Sequence[ChatMoved] = ()):
        self.db = db
        # Other tables that hold chat ids (group bindings, leaderboards) follow a migration
        # through these, in its transaction (bot/app.py lists them: MIGRATION_HOOKS).
        self.chat_moved = tuple(chat_moved)

    async def send(self, messages: list[Outgoing], at: datetime) -> None:
        """Queues MESSAGES in a transaction of their own (replies that change nothing else)."""
        async with self.db.transaction() as conn:
            await add(conn, messages, at)

    async def send_anew(self, cards: list[Outgoing], at: datetime) -> None:
        """Queues CARDS as new messages; the messages sent before stay but are no longer edited."""
        async with self.db.transaction() as conn:
            for card in cards:
                await conn.execute(
                    "UPDATE cards SET message_id = NULL WHERE key = ? AND chat_id = ?",
                    (card.card, card.chat_id),
                )
            await add(conn, cards, at)

    async def due(
        self, now: datetime, limit: int = 200, exclude: Iterable[int] = ()
    ) -> list[OutboxRow]:
        """Returns the oldest sendable row of each chat, highest priority then oldest first
        (order kept per chat).

        A chat's head is its oldest row that is due or already tried: a row waiting to be
        retried (429, network) holds back the rows behind it, while a row scheduled for later
        (not_before, never tried) does not. Chats in EXCLUDE (the sender is pacing them) are left
        out, so they do not use up LIMIT.
        """
        rows = await self.db.fetchall(
            """
            SELECT o.id, o.chat_id, o.method, o.payload, o.card_id, c.message_id AS card_message,
                   o.attempts, o.created_at, ch.unreachable
            FROM outbox o
            LEFT JOIN cards c ON c.id = o.card_id
            LEFT JOIN chats ch ON ch.chat_id = o.chat_id
            WHERE o.id IN (
                SELECT MIN(id) FROM outbox
                WHERE state IN ('pending', 'sending')
                  AND (not_before IS NULL OR not_before <= :now OR error IS NOT NULL)
                GROUP BY chat_id
            )
              AND (o.not_before IS NULL OR o.not_before <= :now)
              AND o.chat_id NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(:exclude))
            ORDER BY o.priority DESC, o.id
            LIMIT :limit
            """,
            {"now": to_db(now), "exclude": json.dumps(list(exclude)), "limit": limit},
        )
        result = []
        for row in rows:
            created = from_db(row["created_at"])
            assert created is not None
            result.append(
                OutboxRow(
                    id=row["id"],
                    chat_id=row["chat_id"],
                    method=row["method"],
                    params=json.loads(row["payload"]),
                    card_id=row["card_id"],
                    card_message_id=row["card_message"],
                    attempts=row["attempts"],
                    created_at=created,
                    unreachable=row["unreachable"] is not None,
                )
            )
        return result

    async def mark_sending(
        self,
        row_id: int,
        sent: Sequence[tuple[OutboxRow, datetime, int | None, str | None]] = (),
    ) -> dict[str, Any] | None:
        """Takes the row out of collapsing, so a newer version is queued behind it, not lost;
        in the same commit records SENT, the rows delivered before it (see mark_sent_many): one
        commit per message, and still only the one row in flight is 'sending' at any moment.

        Returns the row's parameters as they are now: a newer version may have collapsed into
        the row after `due` read it (while the sender called Telegram for the rows ahead).
        """
        async with self.db.transaction() as conn:
            await self.mark_sent_many(sent)
            await conn.execute(
                "UPDATE outbox SET state = 'sending' WHERE id = ? AND state = 'pending'", (row_id,)
            )
            async with conn.execute("SELECT payload FROM outbox WHERE id = ?", (row_id,)) as cur:
                found = await cur.fetchone()
        return json.loads(found[0]) if found is not None else None

    async def mark_sent_many(
        self, sent: Sequence[tuple[OutboxRow, datetime, int | None, str | None]]
    ) -> None:
        """Records several delivered rows (row, sent at, message id, result ref) in one commit."""
        if not sent:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?,"
                " attempts = attempts + 1, result_ref = ?"
                " WHERE id = ?",
                [(to_db(at), message_id, ref, row.id) for row, at, message_id, ref in sent],
            )
            cards = [
                (message_id, row.card_id)
                for row, _, message_id, _ in sent
                if row.card_id is not None and message_id is not None
            ]
            if cards:
                await conn.executemany("UPDATE cards SET message_id = ? WHERE id = ?", cards)

    async def mark_sent(
        self, row: OutboxRow, at: datetime, message_id: int | None, result_ref: str | None = None
    ) -> None:
        """Records ROW as delivered; RESULT_REF: what Telegram named in its answer that later
        updates refer to (the poll id of a sendPoll)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?,"
                " attempts = attempts + 1, result_ref = ?"
                " WHERE id = ?",
                (to_db(at), message_id, result_ref, row.id),
            )
            if row.card_id is not None and message_id is not None:
                await conn.execute(
                    "UPDATE cards SET message_id = ? WHERE id = ?", (message_id, row.card_id)
                )

    async def mark_failed(self, row: OutboxRow, error: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET state = 'failed', error = ?, attempts = attempts + 1"
                " WHERE id = ?",
                (error[:500], row.id),
            )

    async def retry_later(
        self, row: OutboxRow, when: datetime, error: str, *, count_attempt: bool = True
    ) -> None:
        """Sends ROW again at WHEN, still ahead of its chat's later rows.

        The row stays 'sending' (out of collapsing), so a newer version queued meanwhile waits
        behind it instead of clashing with it. A 429 does not count as an attempt.
        """
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET state = 'sending', not_before = ?, error = ?,"
                " attempts = attempts + ? WHERE id = ?",
                (to_db(when), error[:500], 1 if count_attempt else 0, row.id),
            )

    async def forget_card_message(self, card_id: int) -> None:
        """Forgets a card's message (deleted by the user) so the next version is sent anew."""
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE cards SET message_id = NULL WHERE id = ?", (card_id,))

    async def card_chats(self, key: str) -> list[int]:
        """Returns the chats that were sent (or queued) the card KEY."""
        rows = await self.db.fetchall("SELECT chat_id FROM cards WHERE key = ?", (key,))
        return [row["chat_id"] for row in rows]

    async def pending_count(self) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')"
        )
        return int(row[0]) if row else 0

    async def mark_chat_unreachable(self, chat_id: int, why: str, at: datetime) -> None:
        """Records that CHAT_ID blocked or removed the bot and drops what was queued for it."""
        async with self.db.transaction() as conn:
            await _chat_state(conn, chat_id, at, unreachable=why[:200])
            await conn.execute(
                "UPDATE outbox SET state = 'failed', error = 'chat unreachable'"
                " WHERE chat_id = ? AND state IN ('pending', 'sending')",
                (chat_id,),
            )

    async def migrate_chat(self, old: int, new: int, at: datetime) -> None:
        """Moves what was queued for OLD (a group that became a supergroup) to NEW, order kept."""
        async with self.db.transaction() as conn:
            await _chat_state(conn, old, at, migrated_to=new)
            await conn.execute(
                "UPDATE outbox SET chat_id = ?, not_before = NULL WHERE chat_id = ?"
                " AND state IN ('pending', 'sending')",
                (new, old),
            )
            await conn.execute(
                "UPDATE cards SET chat_id = ?, message_id = NULL WHERE chat_id = ?"
                " AND NOT EXISTS"
                " (SELECT 1 FROM cards c2 WHERE c2.chat_id = ? AND c2.key = cards.key)",
                (new, old, new),
            )
            for follow in self.chat_moved:
                await follow(conn, old, new)

    async def is_unreachable(self, chat_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT unreachable FROM chats WHERE chat_id = ? AND unreachable IS NOT NULL",
            (chat_id,),
        )
        return row is not None
