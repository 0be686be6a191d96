"""Privacy: erasing a person (table-driven), erasing a household, consents, and retention.

Erasure keeps every figure: a report a person filed stays as a de-identified row (category,
unit, times, states, rating); rows that figures count per person (points, sign-ups, events)
keep counting under a pseudonym that is no Telegram id. Everything that identifies the person
(ids, name, phone, the texts they wrote, the file ids of their photos) goes, in one commit,
from every table below and from the inbox payloads and outbox bodies that carry any of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import ahocorasick
import aiosqlite

from bot.domain.privacy import Cutoffs, Holdings
from storage import outbox
from storage.db import Database, to_db
from storage.drafts import Draft, upsert
from storage.outbox import Outgoing

PSEUDONYM_BASE = 10**15  # below every Telegram chat id (groups reach about -10^13)
EMPTY = "{}"  # an inbox payload or outbox body that was pruned or erased
MIN_TERM = 2  # shorter strings would match everywhere; their columns are wiped all the same


class Do(StrEnum):
    DELETE = "delete"  # the rows go
    NULL = "null"  # COLUMN becomes NULL: the link to the person goes, the row stays
    PSEUDONYM = "pseudonym"  # COLUMN becomes the erasure's pseudonym: figures keep counting
    WIPE = "wipe"  # only WIPE's columns change (COLUMN itself is rewritten there)


@dataclass(frozen=True, slots=True)
class JsonSet:
    """COLUMN (a JSON object's text) with KEY set to VALUE (an SQL number), said for each
    backend: SQLite's json_set has no PostgreSQL twin of that name."""

    column: str
    key: str
    value: str

    def sql(self, dialect: str) -> str:
        if dialect == "postgresql":
            return (
                f"CAST(jsonb_set(CAST({self.column} AS jsonb), '{{{self.key}}}',"
                f" to_jsonb({self.value})) AS TEXT)"
            )
        return f"json_set({self.column}, '$.{self.key}', {self.value})"


def dialect_of(conn: Any) -> str:
    """The backend CONN (a transaction's connection) talks to: "sqlite" or "postgresql"."""
    named = getattr(conn, "dialect", None)
    if isinstance(named, str):
        return named
    return "postgresql" if type(conn).__module__ == "storage.pg" else "sqlite"


@dataclass(frozen=True, slots=True)
class Rule:
    """Rows of TABLE where COLUMN = the person (or WHERE, with :uid) and what happens to them."""

    table: str
    column: str
    do: Do
    wipe: tuple[tuple[str, str | JsonSet], ...] = ()  # (column, SQL value) set in the same rows
    where: str | None = None


_REPORT_TEXT: tuple[tuple[str, str | JsonSet], ...] = (
    ("description", "''"),
    ("contact", "NULL"),
    ("comment", "NULL"),
    ("lat", "NULL"),
    ("lon", "NULL"),
    ("extra", JsonSet("extra", "erased", "1")),
    ("deidentified_at", ":at"),
)
_WISH_TEXT = (
    ("text", "''"),
    ("photo", "NULL"),
    ("contact_name", "''"),
    ("contact_phone", "NULL"),
    ("thanks", "NULL"),
)

# 回访 tasks and events of the person's own reports
_THEIR_REPORT = "report_id IN (SELECT id FROM reports WHERE reporter_id = :uid)"
_THEIR_REVISITS = _THEIR_REPORT + " AND note IS NOT NULL"

# A card key naming the person's id as one of its colon-separated parts.
_KEYED = "(key = :k OR key LIKE :k || ':%' OR key LIKE '%:' || :k OR key LIKE '%:' || :k || ':%')"

# A booking of the person's that still holds a place ahead (an erasure cancels it).
_COMING_BOOKING = (
    "b.user_id = :uid AND b.status IN ('pending', 'confirmed', 'moved') AND b.starts_at > :at"
)

# Every table that can hold a resident, in the order the rules run (photos before the reports
# that find them; cards after the outbox rows that point at them). Another part adds its table
# with one line.
ERASURE: list[Rule] = [
    Rule("people", "user_id", Do.DELETE),
    Rule("refusals", "user_id", Do.DELETE),
    Rule("consents", "user_id", Do.DELETE),
    Rule("drafts", "user_id", Do.DELETE),
    # The web dashboard's login links and sessions (storage/weblogin.py): whose they are.
    Rule("web_links", "user_id", Do.DELETE),
    Rule("web_sessions", "user_id", Do.DELETE),
    # A 台账 export asked for in chat (storage/ledger.py): whom to send it to.
    Rule("ledger_exports", "user_id", Do.DELETE),
    # The fingerprint of the command menu last queued for a staff member's chat (storage/people.py).
    Rule("meta", "key", Do.DELETE, where="key = 'staff_menu:' || :uid"),
    Rule("chats", "chat_id", Do.DELETE),
    Rule("volunteers", "user_id", Do.DELETE),
    # 公示: what /grid published about a member of staff who left and asked for erasure.
    Rule("staff_contacts", "user_id", Do.DELETE),
    Rule("staff_contacts", "updated_by", Do.NULL),
    # 下沉干部 (storage/cadres.py): where they were sent down and the sweep's reminder claims.
    Rule("cadres", "user_id", Do.DELETE),
    Rule("cadres", "attached_by", Do.NULL),
    Rule("cadres", "detached_by", Do.NULL),
    Rule("cadre_reminders", "user_id", Do.DELETE),
    # 1+1+1+N teams (storage/teams.py): a building's party member link, a helper's monthly reports.
    Rule("building_contacts", "user_id", Do.DELETE),
    Rule("building_contacts", "set_by", Do.NULL),
    Rule("team_reports", "user_id", Do.DELETE),
    Rule(
        "report_photos",
        "report_id",
        Do.DELETE,
        where="report_id IN (SELECT id FROM reports WHERE reporter_id = :uid)",
    ),
    # 回访 (migration 0029): what the resident said on the phone goes with their reports (before
    # the reports lose the link that finds them); the answer itself keeps counting.
    Rule("revisits", "note", Do.WIPE, (("note", "NULL"),), where=_THEIR_REVISITS),
    Rule(
        "report_events",
        "note",
        Do.WIPE,
        (("note", "NULL"),),
        where="action = 'revisit_answer' AND " + _THEIR_REPORT,
    ),
    Rule("reports", "reporter_id", Do.NULL, _REPORT_TEXT),
    # 并单: whom they follow and their own rating go with them (the report's figures do not
    # count followers' ratings).
    Rule("report_followers", "user_id", Do.DELETE),
    Rule("report_events", "actor_id", Do.PSEUDONYM, (("note", "NULL"),)),
    # … and a caller who is erased: their answers keep counting under the pseudonym.
    Rule("revisits", "answered_by", Do.PSEUDONYM, (("note", "NULL"),)),
    # 吹哨报到 (migration 0011): what a party member wrote or photographed goes; the steps stay
    # (pseudonymised) so the ledger's figures keep counting.
    Rule("callins", "done_by", Do.PSEUDONYM, (("note", "NULL"), ("photo", "NULL"))),
    Rule("callins", "acked_by", Do.PSEUDONYM),
    Rule("callins", "called_by", Do.PSEUDONYM),
    Rule("callins", "withdrawn_by", Do.PSEUDONYM, (("reason", "NULL"),)),
    Rule("callin_events", "actor_id", Do.PSEUDONYM, (("note", "NULL"),)),
    Rule("wishes", "posted_by", Do.PSEUDONYM, _WISH_TEXT),
    Rule("wishes", "resident_id", Do.NULL, _WISH_TEXT),
    Rule("wishes", "claimer_id", Do.PSEUDONYM, (("proof_photo", "NULL"), ("proof_note", "NULL"))),
    Rule("wish_events", "actor_id", Do.PSEUDONYM, (("note", "NULL"),)),
    Rule("volunteer_invites", "volunteer_id", Do.PSEUDONYM),
    Rule("signups", "volunteer_id", Do.PSEUDONYM),
    Rule("points_ledger", "volunteer_id", Do.PSEUDONYM),
    # A volunteer's households go back to the staff member who registered them.
    Rule(
        "households",
        "visitor_id",
        Do.WIPE,
        (("visitor_id", "created_by"), ("visitor_kind", "'staff'")),
        where="visitor_id = :uid AND visitor_kind = 'volunteer'",
    ),
    Rule("visits", "visitor_id", Do.PSEUDONYM, (("note", "''"),)),
    Rule("household_events", "actor_id", Do.PSEUDONYM),
    # A change of visitor records the one before: {"from": <id>}.
    Rule(
        "household_events",
        "data",
        Do.WIPE,
        (("data", JsonSet("data", "from", ":alias")),),
        where="CAST(json_extract(data, '$.from') AS INTEGER) = :uid",
    ),
    # Broadcasts and polls (issue 9): a mute goes; votes keep counting under the pseudonym.
    Rule("broadcast_mutes", "user_id", Do.DELETE),
    Rule("broadcasts", "created_by", Do.PSEUDONYM),
    Rule("polls", "created_by", Do.PSEUDONYM),
    Rule("poll_votes", "user_id", Do.PSEUDONYM),
    # 码上安全 (migration 0032): a shop's owner goes with their phone, the shop's name (often
    # the owner's own) and their words and photos in its checks; the shop stays, stopped, and
    # its checks keep counting under the pseudonym.
    Rule(
        "merchant_check_items",
        "check_id",
        Do.WIPE,
        (("note", "NULL"), ("photo", "NULL")),
        where="check_id IN (SELECT id FROM merchant_checks WHERE by_id = :uid)",
    ),
    Rule("merchant_checks", "by_id", Do.PSEUDONYM),
    Rule(
        "merchants",
        "owner_id",
        Do.PSEUDONYM,
        (("name", "''"), ("phone", "NULL"), ("status", "'inactive'"), ("next_at", "NULL")),
    ),
    # Bookings (migration 0031): the person's coming bookings are cancelled and their places
    # freed (the counts first, while the bookings still name them); every booking keeps
    # counting under the pseudonym, without the purpose they typed.
    Rule(
        "booking_slots",
        "taken",
        Do.WIPE,
        (
            (
                "taken",
                f"taken - (SELECT COUNT(*) FROM bookings b WHERE {_COMING_BOOKING}"
                " AND b.resource = booking_slots.resource"
                " AND b.starts_at = booking_slots.starts_at)",
            ),
        ),
        where=f"(resource, starts_at) IN (SELECT b.resource, b.starts_at FROM bookings b"
        f" WHERE {_COMING_BOOKING})",
    ),
    Rule(
        "bookings",
        "status",
        Do.WIPE,
        (("status", "'cancelled'"), ("remind_day_at", "NULL"), ("remind_hour_at", "NULL")),
        where=f"id IN (SELECT b.id FROM bookings b WHERE {_COMING_BOOKING})",
    ),
    Rule("bookings", "user_id", Do.PSEUDONYM, (("purpose", "''"),)),
    Rule("bookings", "decided_by", Do.PSEUDONYM),
    # Cards about the person in other chats (e.g. staff's card "volunteer:<id>:decide").
    Rule("outbox", "card_id", Do.NULL, where=f"card_id IN (SELECT id FROM cards WHERE {_KEYED})"),
    Rule("outbox", "chat_id", Do.DELETE),
    Rule("cards", "key", Do.DELETE, where=_KEYED),
    Rule("cards", "chat_id", Do.DELETE),
]

# Strings a person wrote or is known by, found before the rules wipe them: each one is looked
# for in the inbox payloads and outbox bodies. (SQL, holds JSON lists, kind of term)
_TERMS: list[tuple[str, bool, str]] = [
    ("SELECT name FROM people WHERE user_id = :uid", False, "names"),
    ("SELECT phone FROM people WHERE user_id = :uid", False, "strings"),
    ("SELECT name FROM volunteers WHERE user_id = :uid", False, "names"),
    ("SELECT phone FROM volunteers WHERE user_id = :uid", False, "strings"),
    ("SELECT public_phone FROM staff_contacts WHERE user_id = :uid", False, "strings"),
    ("SELECT public_name FROM staff_contacts WHERE user_id = :uid", False, "names"),
    ("SELECT skills_note FROM volunteers WHERE user_id = :uid", False, "strings"),
    ("SELECT work_unit FROM volunteers WHERE user_id = :uid", False, "strings"),
    ("SELECT description FROM reports WHERE reporter_id = :uid", False, "strings"),
    ("SELECT comment FROM reports WHERE reporter_id = :uid", False, "strings"),
    (
        "SELECT file_id FROM report_photos"
        " WHERE report_id IN (SELECT id FROM reports WHERE reporter_id = :uid)",
        False,
        "files",
    ),
    ("SELECT note FROM report_events WHERE actor_id = :uid", False, "strings"),
    (
        "SELECT note FROM revisits"
        " WHERE report_id IN (SELECT id FROM reports WHERE reporter_id = :uid)",
        False,
        "strings",
    ),
    # 吹哨报到: a party member's report of their part (the holder's card of it may be pending).
    ("SELECT note FROM callins WHERE done_by = :uid", False, "strings"),
    ("SELECT photo FROM callins WHERE done_by = :uid", False, "files"),
    ("SELECT reason FROM callins WHERE withdrawn_by = :uid", False, "strings"),
    ("SELECT note FROM callin_events WHERE actor_id = :uid", False, "strings"),
    (
        "SELECT text FROM wishes WHERE posted_by = :uid OR resident_id = :uid"
        " UNION ALL SELECT contact_name FROM wishes WHERE posted_by = :uid OR resident_id = :uid"
        " UNION ALL SELECT contact_phone FROM wishes WHERE posted_by = :uid OR resident_id = :uid"
        " UNION ALL SELECT thanks FROM wishes WHERE posted_by = :uid OR resident_id = :uid",
        False,
        "strings",
    ),
    ("SELECT photo FROM wishes WHERE posted_by = :uid OR resident_id = :uid", False, "files"),
    ("SELECT proof_note FROM wishes WHERE claimer_id = :uid", False, "strings"),
    ("SELECT proof_photo FROM wishes WHERE claimer_id = :uid", False, "files"),
    ("SELECT note FROM wish_events WHERE actor_id = :uid", False, "strings"),
    ("SELECT note FROM visits WHERE visitor_id = :uid", False, "strings"),
    ("SELECT purpose FROM bookings WHERE user_id = :uid", False, "strings"),
    (
        "SELECT json_extract(data, '$.description') FROM drafts WHERE user_id = :uid",
        False,
        "strings",
    ),
    ("SELECT json_extract(data, '$.contact') FROM drafts WHERE user_id = :uid", False, "strings"),
    ("SELECT json_extract(data, '$.photos') FROM drafts WHERE user_id = :uid", True, "files"),
]


@dataclass(frozen=True, slots=True)
class Terms:
    """What marks a raw payload as the person's: their id (as a whole number, also inside
    callback data), the strings they wrote or gave, their photos' file ids. A name is no proof
    (many people share one): it is replaced only inside payloads another term already marks."""

    uid: int | None
    strings: frozenset[str]
    files: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def matcher(self) -> ahocorasick.Automaton:
        """Returns one automaton finding every term at once: a payload is read once, however
        many texts the person wrote (a resident with 1,000 reports has some 3,000 terms)."""
        automaton = ahocorasick.Automaton()
        for term in (*self.strings, *self.files, *self.names):
            automaton.add_word(term, term)
        if self.uid is not None:
            automaton.add_word(str(self.uid), str(self.uid))
        if len(automaton):
            automaton.make_automaton()
        return automaton

    def marks(self, payload: str, found: set[str]) -> tuple[bool, bool]:
        """Returns (holds the id or a file id, holds any of the person's terms) for PAYLOAD,
        given the terms FOUND in it (a name alone marks nothing)."""
        uid = str(self.uid)
        hard = (
            self.uid is not None
            and uid in found
            and re.search(rf"(?<!\d){uid}(?!\d)", payload) is not None
        )
        hard = hard or not found.isdisjoint(self.files)
        return hard, hard or not found.isdisjoint(self.strings)


def _found(matcher: ahocorasick.Automaton, payload: str) -> set[str]:
    if not len(matcher):
        return set()
    return {term for _, term in matcher.iter(payload)}


@dataclass(slots=True)
class Erased:
    """What an erasure touched: rows per table, and the raw payloads and bodies it scrubbed."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def pseudonym(erasure_id: int) -> int:
    return -(PSEUDONYM_BASE + erasure_id)


async def _terms(conn: aiosqlite.Connection, uid: int) -> Terms:
    found: dict[str, set[str]] = {"strings": set(), "files": set(), "names": set()}
    for sql, is_list, kind in _TERMS:
        async with conn.execute(sql, {"uid": uid}) as cursor:
            for (value,) in await cursor.fetchall():
                if value is None:
                    continue
                values = json.loads(value) if is_list else [value]
                found[kind].update(str(v) for v in values if v is not None)
    kept = {
        kind: frozenset(t for t in terms if len(t) >= MIN_TERM) for kind, terms in found.items()
    }
    return Terms(uid, kept["strings"], kept["files"], kept["names"])


def _replace(value: Any, terms: Sequence[str], marker: str) -> Any:
    """Returns VALUE with every TERM inside its strings replaced by MARKER."""
    if isinstance(value, str):
        for term in terms:
            if term in value:
                value = value.replace(term, marker)
        return value
    if isinstance(value, dict):
        return {k: _replace(v, terms, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, terms, marker) for v in value]
    return value


async def _scrub_inbox(conn: aiosqlite.Connection, terms: Terms, erased: Erased) -> None:
    """Empties every stored update sent by, about or replying to the person (group ones too).

    Their texts, photos and contact arrive only in their own updates, which carry their id (as
    do replies to them), so the id and their phones find every row: a few needles for SQL."""
    needles = [str(terms.uid), *(t for t in terms.strings if t.lstrip("+").isdigit())]
    # Digits and "+" only: nothing in a needle is special to LIKE.
    clause = " OR ".join("payload LIKE ?" for _ in needles)
    async with conn.execute(
        f"SELECT update_id, payload FROM inbox WHERE payload <> '{EMPTY}' AND ({clause})",
        [f"%{needle}%" for needle in needles],
    ) as cursor:
        rows = list(await cursor.fetchall())
    matcher = terms.matcher()
    hits = [
        (row["update_id"],)
        for row in rows
        if terms.marks(row["payload"], _found(matcher, row["payload"]))[1]
    ]
    await conn.executemany(
        f"UPDATE inbox SET payload = '{EMPTY}', error = NULL, chat_id = NULL WHERE update_id = ?",
        hits,
    )
    erased.rows["inbox"] = len(hits)


async def _scrub_outbox(
    conn: aiosqlite.Connection, terms: Terms, marker: str, erased: Erased
) -> None:
    """Other chats' messages that carry the person: sent ones are emptied; pending ones lose
    the person's strings, or are dropped if they hold the id or a photo (a button, an album).
    Every kept body is read (retention bounds them to raw_days of traffic)."""
    async with conn.execute(
        f"SELECT id, chat_id, state, payload FROM outbox WHERE payload <> '{EMPTY}'"
    ) as cursor:
        rows = list(await cursor.fetchall())
    matcher = terms.matcher()
    emptied, rewritten, dropped = [], [], []
    for row in rows:
        found = _found(matcher, row["payload"])
        if not found or row["chat_id"] == terms.uid:
            continue  # the person's own chat: the outbox rule deletes it
        hard, marked = terms.marks(row["payload"], found)
        if not marked:
            continue
        if row["state"] in ("sent", "failed"):
            emptied.append((row["id"],))
        elif hard:
            dropped.append((row["id"],))
        else:
            replace = sorted(found & (terms.strings | terms.names), key=len, reverse=True)
            body = _replace(json.loads(row["payload"]), replace, marker)
            rewritten.append((json.dumps(body, ensure_ascii=False), row["id"]))
    await conn.executemany(f"UPDATE outbox SET payload = '{EMPTY}' WHERE id = ?", emptied)
    await conn.executemany("UPDATE outbox SET payload = ? WHERE id = ?", rewritten)
    await conn.executemany("DELETE FROM outbox WHERE id = ?", dropped)
    erased.rows["outbox scrubbed"] = len(emptied) + len(rewritten) + len(dropped)


def _assignments(sets: Sequence[tuple[str, str | JsonSet]], dialect: str) -> str:
    return ", ".join(
        f"{column} = {value.sql(dialect) if isinstance(value, JsonSet) else value}"
        for column, value in sets
    )


async def _apply(conn: aiosqlite.Connection, rule: Rule, uid: int, alias: int, at: datetime) -> int:
    where = rule.where or f"{rule.column} = :uid"
    params = {"uid": uid, "alias": alias, "at": to_db(at), "k": str(uid)}
    if rule.do is Do.DELETE:
        sql = f"DELETE FROM {rule.table} WHERE {where}"
    else:
        sets = list(rule.wipe)
        if rule.do is Do.NULL:
            sets.insert(0, (rule.column, "NULL"))
        elif rule.do is Do.PSEUDONYM:
            sets.insert(0, (rule.column, ":alias"))
        sql = f"UPDATE {rule.table} SET {_assignments(sets, dialect_of(conn))} WHERE {where}"
    cursor = await conn.execute(sql, params)
    return cursor.rowcount


async def erase_person(conn: aiosqlite.Connection, uid: int, at: datetime, marker: str) -> Erased:
    """Erases UID from every table (ERASURE), the inbox and the outbox, inside CONN's commit.

    MARKER replaces the person's strings inside other people's pending messages. Work to do
    first while the person's ids are still in place (bot/usecases/privacy.py hands an erased
    volunteer's claimed wishes and coming sign-ups on) goes before it in the same unit of work;
    its rows and messages are then erased like any other.
    """
    erased = Erased()
    terms = await _terms(conn, uid)
    cursor = await conn.execute(
        "INSERT INTO erasures (kind, at) VALUES ('person', ?)", (to_db(at),)
    )
    assert cursor.lastrowid is not None
    erasure_id = cursor.lastrowid
    alias = pseudonym(erasure_id)
    # Messages to the pseudonym (a wish's poster, say) are never attempted.
    await conn.execute(
        "INSERT INTO chats (chat_id, unreachable, updated_at) VALUES (?, 'erased', ?)",
        (alias, to_db(at)),
    )
    await _scrub_inbox(conn, terms, erased)
    await _scrub_outbox(conn, terms, marker, erased)
    for rule in ERASURE:
        count = await _apply(conn, rule, uid, alias, at)
        key = rule.table if rule.column == "user_id" else f"{rule.table}.{rule.column}"
        erased.rows[key] = erased.rows.get(key, 0) + count
    await conn.execute("UPDATE erasures SET rows = ? WHERE id = ?", (erased.total, erasure_id))
    return erased


class Privacy:
    def __init__(self, db: Database):
        self.db = db

    async def holdings(self, uid: int, now: datetime) -> Holdings:
        """Returns what the bot holds of UID, and what an erasure at NOW hands on."""
        row = await self.db.fetchone(
            """
            SELECT
              (SELECT COUNT(*) FROM people WHERE user_id = :uid AND unit IS NOT NULL) AS registered,
              (SELECT COUNT(*) FROM people WHERE user_id = :uid AND phone IS NOT NULL) AS phone,
              (SELECT COUNT(*) FROM reports WHERE reporter_id = :uid) AS reports,
              (SELECT COUNT(*) FROM wishes
                WHERE posted_by = :uid OR resident_id = :uid OR claimer_id = :uid) AS wishes,
              (SELECT COUNT(*) FROM volunteers WHERE user_id = :uid) AS volunteer,
              (SELECT COUNT(*) FROM report_photos p JOIN reports r ON r.id = p.report_id
                WHERE r.reporter_id = :uid) AS photos,
              (SELECT COUNT(*) FROM wishes
                WHERE claimer_id = :uid AND status = 'claimed') AS claimed,
              (SELECT COUNT(*) FROM signups s JOIN activities a ON a.id = s.activity_id
                WHERE s.volunteer_id = :uid AND s.status IN ('going', 'waitlist')
                AND a.starts_at > :now) AS signups,
              (SELECT COUNT(*) FROM report_followers WHERE user_id = :uid) AS followed,
              (SELECT COUNT(*) FROM poll_votes WHERE user_id = :uid) AS votes,
              (SELECT COUNT(*) FROM broadcast_mutes WHERE user_id = :uid) AS muted
            """,
            {"uid": uid, "now": to_db(now)},
        )
        assert row is not None
        return Holdings(
            bool(row["registered"]),
            bool(row["phone"]),
            int(row["reports"]),
            int(row["wishes"]),
            bool(row["volunteer"]),
            int(row["photos"]),
            int(row["claimed"]),
            int(row["signups"]),
            int(row["followed"]),
            int(row["votes"]),
            bool(row["muted"]),
        )

    async def erase(self, uid: int, at: datetime, marker: str) -> Erased:
        """Erases the person in one commit, or in the unit of work open in this task (nothing
        is queued to their chat: it is erased too)."""
        async with self.db.transaction() as conn:
            return await erase_person(conn, uid, at, marker)

    async def has_consent(self, uid: int, kind: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM consents WHERE user_id = ? AND kind = ?", (uid, kind)
        )
        return row is not None

    async def give_consent(
        self, uid: int, kind: str, at: datetime, draft: Draft, messages: Sequence[Outgoing]
    ) -> None:
        """Records the consent and its time, moves DRAFT on and queues MESSAGES, in one commit."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO consents (user_id, kind, given_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, kind) DO NOTHING",
                (uid, kind, to_db(at)),
            )
            await upsert(conn, draft, at)
            await outbox.add(conn, list(messages), at)

    async def household_erased(self, household_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM erasures WHERE kind = 'household' AND ref = ?", (household_id,)
        )
        return row is not None

    async def erase_household(
        self,
        household_id: int,
        by: int,
        reason: str,
        at: datetime,
        marker: str,
        messages: Sequence[Outgoing] = (),
        *,
        clear_draft_of: int | None = None,
    ) -> bool:
        """Stops the household's visits and wipes its label, notes and visit notes; the visits
        and events stay for the monthly figures. Returns False if it was erased already."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT label, notes FROM households WHERE id = ?", (household_id,)
            ) as cursor:
                row = await cursor.fetchone()
            async with conn.execute(
                "SELECT 1 FROM erasures WHERE kind = 'household' AND ref = ?", (household_id,)
            ) as cursor:
                done = await cursor.fetchone()
            if row is None or done is not None:
                return False
            async with conn.execute(
                "SELECT note FROM visits WHERE household_id = ? AND note <> ''", (household_id,)
            ) as cursor:
                notes = [r[0] for r in await cursor.fetchall()]
            cursor = await conn.execute(
                "UPDATE households SET label = ?, notes = '', active = 0, next_at = NULL,"
                " updated_at = ?, version = version + 1 WHERE id = ?",
                (marker, to_db(at), household_id),
            )
            count = cursor.rowcount
            cursor = await conn.execute(
                "UPDATE visits SET note = '' WHERE household_id = ? AND note <> ''",
                (household_id,),
            )
            count += cursor.rowcount
            strings = {t for t in (row["label"], *notes) if len(t) >= MIN_TERM}
            strings |= {line for line in row["notes"].splitlines() if len(line) >= MIN_TERM}
            if strings:
                erased = Erased()
                await _scrub_outbox(conn, Terms(None, frozenset(strings)), marker, erased)
                count += erased.rows["outbox scrubbed"]
            await conn.execute(
                "INSERT INTO erasures (kind, ref, erased_by, reason, at, rows)"
                " VALUES ('household', ?, ?, ?, ?, ?)",
                (household_id, by, reason, to_db(at), count),
            )
            if clear_draft_of is not None:
                await conn.execute("DELETE FROM drafts WHERE user_id = ?", (clear_draft_of,))
            await outbox.add(conn, list(messages), at)
        return True

    async def prune(self, now: datetime, cut: Cutoffs) -> dict[str, int]:
        """Prunes, in batches of at most cut.batch rows of each kind, whatever is past CUT."""
        done: dict[str, int] = {}
        async with self.db.transaction(completes_update=False) as conn:
            limit = cut.batch
            cursor = await conn.execute(
                f"UPDATE inbox SET payload = '{EMPTY}', error = NULL WHERE update_id IN"
                " (SELECT update_id FROM inbox INDEXED BY inbox_prunable"
                f" WHERE state <> 'new' AND payload <> '{EMPTY}' AND received_at < ? LIMIT ?)",
                (to_db(cut.raw), limit),
            )
            done["inbox"] = cursor.rowcount
            # A sent message's row goes whole: only pending rows are ever read again, and its
            # chat id is as personal as its body.
            cursor = await conn.execute(
                "DELETE FROM outbox WHERE id IN"
                " (SELECT id FROM outbox INDEXED BY outbox_prunable"
                f" WHERE state IN ('sent', 'failed') AND payload <> '{EMPTY}'"
                " AND created_at < ? LIMIT ?)",
                (to_db(cut.raw), limit),
            )
            done["outbox"] = cursor.rowcount
            cursor = await conn.execute(
                "DELETE FROM drafts WHERE user_id IN (SELECT user_id FROM drafts"
                " INDEXED BY drafts_updated WHERE updated_at < ? LIMIT ?)",
                (to_db(cut.drafts), limit),
            )
            done["drafts"] = cursor.rowcount
            done["reports"] = await _deidentify_reports(conn, to_db(cut.cases), limit, now)
            cursor = await conn.execute(
                "UPDATE visits SET note = '' WHERE id IN (SELECT id FROM visits"
                " INDEXED BY visits_noted WHERE note <> '' AND at < ? LIMIT ?)",
                (to_db(cut.care_notes), limit),
            )
            done["visit notes"] = cursor.rowcount
            cursor = await conn.execute(
                "DELETE FROM refusals WHERE id IN (SELECT id FROM refusals"
                " INDEXED BY refusals_at WHERE at < ? LIMIT ?)",
                (to_db(cut.audit), limit),
            )
            done["refusals"] = cursor.rowcount
        return done


async def _deidentify_reports(
    conn: aiosqlite.Connection, before: str | None, limit: int, now: datetime
) -> int:
    """De-identifies closed reports last changed before BEFORE: reporter link, contact, text,
    location and photos go; category, unit, times, states and the rating stay."""
    async with conn.execute(
        "SELECT id, reporter_id FROM reports INDEXED BY reports_retained"
        " WHERE deidentified_at IS NULL"
        " AND status IN ('closed', 'closed_unverified', 'rejected', 'merged')"
        " AND updated_at < ? LIMIT ?",
        (before, limit),
    ) as cursor:
        rows = [(r["id"], r["reporter_id"]) for r in await cursor.fetchall()]
    if not rows:
        return 0
    ids = json.dumps([r[0] for r in rows])
    await conn.execute(
        "DELETE FROM report_photos"
        " WHERE report_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
        (ids,),
    )
    # 并单: who followed these reports goes with the reporter, and their own events (me too,
    # their rating, not solved) lose the link to them as the reporter's do.
    await conn.execute(
        "UPDATE report_events SET actor_id = NULL, note = NULL"
        " WHERE report_id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids)) AND actor_id IN"
        " (SELECT f.user_id FROM report_followers f WHERE f.report_id = report_events.report_id)",
        {"ids": ids},
    )
    await conn.execute(
        "DELETE FROM report_followers"
        " WHERE report_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
        (ids,),
    )
    # 回访: what the resident said on the phone goes; the answer keeps counting.
    await conn.execute(
        "UPDATE revisits SET note = NULL"
        " WHERE report_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
        (ids,),
    )
    await conn.execute(
        "UPDATE report_events SET note = NULL WHERE action = 'revisit_answer'"
        " AND report_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
        (ids,),
    )
    # The reporter's own events on the report lose their link to the reporter.
    await conn.executemany(
        "UPDATE report_events SET actor_id = NULL, note = NULL"
        " WHERE report_id = ? AND actor_id = ?",
        [(report_id, reporter) for report_id, reporter in rows if reporter is not None],
    )
    sets = _assignments(_REPORT_TEXT, dialect_of(conn))
    cursor = await conn.execute(
        f"UPDATE reports SET reporter_id = NULL, {sets}"
        " WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids))",
        {"ids": ids, "at": to_db(now)},
    )
    return cursor.rowcount
