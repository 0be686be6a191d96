"""What the deadline sweep reads and writes: due reports through an index, steps by compare-and-set.

`due` reads only the partial index reports_next_action (migration 0002), so its cost follows
the number of reports due, not the number stored. `around` reads what a batch's messages need
(call-ins, followers, card holders, people) in one statement each. `apply` writes a batch of
steps in one transaction and a few statements: each step only if the report is still at the
version and next_action_at the sweep read, so a second instance, a slow pass or a restart in
between never takes a step twice.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from bot.domain.callins import CallIn
from bot.domain.categories import Category
from bot.domain.people import Person, Staff
from bot.domain.reports import Report, ReportEvent
from bot.domain.units import UnitTree
from storage import outbox
from storage.callins import _COLUMNS as CALLIN_COLUMNS
from storage.callins import CallIns, _callin
from storage.db import Database, from_db, to_db
from storage.followers import Follower, Followers
from storage.outbox import Outbox, Outgoing
from storage.people import People
from storage.reports import row_values
from storage.units import Units

# Index-only: the partial index holds next_action_at and the rowid (the report id).
DUE_SQL = (
    "SELECT id, next_action_at FROM reports WHERE next_action_at <= ?"
    " ORDER BY next_action_at LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class Due:
    report_id: int
    next_at: datetime  # as stored: the compare-and-set expects it unchanged


@dataclass(frozen=True, slots=True)
class Step:
    """One report's change by the sweep: with an EVENT (and MESSAGES) or bookkeeping only."""

    due: Due
    version: int  # the version the sweep read
    after: Report
    event: ReportEvent | None = None
    messages: list[Outgoing] = field(default_factory=list)
    # The report as read: only the columns that differ from it are written (an index whose
    # columns are not set is not touched). None: every column.
    before: Report | None = None


@dataclass(frozen=True, slots=True)
class PersonRow:
    user_id: int
    name: str
    lang: str
    unit: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Around:
    """What a batch's messages read, by report id (work cards by their key) and user id."""

    callins: dict[int, list[CallIn]]
    followers: dict[int, list[Follower]]
    card_chats: dict[str, list[int]]
    asked: frozenset[int]  # the user ids PEOPLE answers for (missing there: no people row)
    people: dict[int, PersonRow]

    def and_people(self, other: Around) -> Around:
        """Returns this batch's reads with OTHER's people too (the pass's staff, read once)."""
        return Around(
            self.callins,
            self.followers,
            self.card_chats,
            self.asked | other.asked,
            {**other.people, **self.people},
        )


@dataclass(frozen=True, slots=True)
class Applied:
    written: int  # rows changed (steps and bookkeeping)
    acted: int  # steps taken (events recorded)


def _when(text: str) -> datetime:
    at = from_db(text)
    assert at is not None
    return at


class Deadlines:
    def __init__(self, db: Database):
        self.db = db

    async def due(self, now: datetime, limit: int) -> list[Due]:
        """Returns up to LIMIT reports with a deadline step due at NOW, most overdue first."""
        rows = await self.db.fetchall(DUE_SQL, (to_db(now), limit))
        return [Due(row["id"], _when(row["next_action_at"])) for row in rows]

    async def query_plan(self, now: datetime, limit: int = 500) -> list[str]:
        """Returns SQLite's plan for the due query (tests and the benchmark show it)."""
        rows = await self.db.fetchall(f"EXPLAIN QUERY PLAN {DUE_SQL}", (to_db(now), limit))
        return [row["detail"] for row in rows]

    async def around(self, report_ids: Sequence[int], user_ids: Sequence[int]) -> Around:
        """Returns what the messages of a batch of REPORT_IDS need, read once for the batch: their
        call-ins, followers and worker-card holders, and the people rows of USER_IDS and of
        everyone those name (a few statements, whatever the batch's size)."""
        ids = json.dumps(sorted(set(report_ids)))
        callins: dict[int, list[CallIn]] = {}
        for row in await self.db.fetchall(
            f"SELECT {CALLIN_COLUMNS} FROM callins"
            " WHERE report_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))"
            " ORDER BY report_id, id",
            (ids,),
        ):
            callins.setdefault(row["report_id"], []).append(_callin(row))
        followers: dict[int, list[Follower]] = {}
        for row in await self.db.fetchall(
            "SELECT report_id, user_id, via, stars FROM report_followers"
            " WHERE report_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))"
            " ORDER BY report_id, since, user_id",
            (ids,),
        ):
            followers.setdefault(row["report_id"], []).append(
                Follower(row["report_id"], row["user_id"], row["via"], row["stars"])
            )
        keys = json.dumps([f"report:{report_id}:work" for report_id in sorted(set(report_ids))])
        card_chats: dict[str, list[int]] = {}
        for row in await self.db.fetchall(
            "SELECT key, chat_id FROM cards WHERE key IN (SELECT value FROM json_each(?))", (keys,)
        ):
            card_chats.setdefault(row["key"], []).append(row["chat_id"])
        named = set(user_ids)
        named.update(f.user_id for found in followers.values() for f in found)
        named.update(chat for chats in card_chats.values() for chat in chats)
        people: dict[int, PersonRow] = {}
        for row in await self.db.fetchall(
            "SELECT user_id, name, lang, unit, phone FROM people"
            " WHERE user_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (json.dumps(sorted(named)),),
        ):
            people[row["user_id"]] = PersonRow(
                row["user_id"], row["name"], row["lang"], row["unit"], row["phone"]
            )
        return Around(callins, followers, card_chats, frozenset(named), people)

    async def apply(self, steps: Sequence[Step], at: datetime) -> Applied:
        """Writes each step whose report nobody changed since it was read; skips the others.

        The reports are read (locked, on PostgreSQL) in one statement inside the transaction:
        those still at the version and next_action_at the sweep read are written with
        executemany — rows, events, then the messages in the steps' order.
        """
        if not steps:
            return Applied(0, 0)
        lock = " FOR UPDATE" if self.db.dialect == "postgresql" else ""
        async with self.db.transaction(completes_update=False) as conn:
            async with conn.execute(
                "SELECT id, version, next_action_at FROM reports"
                " WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))" + lock,
                (json.dumps(sorted({step.due.report_id for step in steps})),),
            ) as cursor:
                now = {row[0]: (row[1], row[2]) for row in await cursor.fetchall()}
            taken = [
                step
                for step in steps
                if now.get(step.due.report_id) == (step.version, to_db(step.due.next_at))
            ]
            # One statement per set of changed columns (a reminder changes the timer alone).
            groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
            for step in taken:
                columns, values = _changed(step)
                groups.setdefault(columns, []).append(values)
            for columns, rows in groups.items():
                sets = "".join(f"{column} = ?, " for column in columns)
                await conn.executemany(
                    f"UPDATE reports SET {sets}version = version + ?"
                    " WHERE id = ? AND version = ? AND next_action_at = ?",
                    rows,
                )
            events = [step for step in taken if step.event is not None]
            await conn.executemany(_INSERT_EVENT, [_event_values(step) for step in events])
            await outbox.add_many(conn, [m for step in events for m in step.messages], at)
        return Applied(len(taken), len(events))


# storage/reports.update_report's columns and storage/trails.append's for report_events, with
# the event's deadline (what migration 0015's trigger would set: the report's after the step).
_SET = (
    "status",
    "holder_unit",
    "tier",
    "assignee_id",
    "resolution_note",
    "resolution_photo",
    "more_after_photos",
    "reject_reason",
    "stars",
    "comment",
    "updated_at",
    "due_at",
    "extra",
    "timer_window",
    "timer_started_at",
    "remind_at",
    "breach_at",
    "next_action_at",
    "nag_day",
    "nags",
)
_INSERT_EVENT = (
    "INSERT INTO report_events (report_id, action, old, new, actor_id, at, note, data, due_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _changed(step: Step) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Returns the columns STEP changes and the UPDATE's values (theirs, then the bump and the
    compare-and-set's)."""
    after = row_values(step.after)
    before = row_values(step.before) if step.before is not None else None
    picked = [
        (column, value)
        for i, (column, value) in enumerate(zip(_SET, after, strict=True))
        if before is None or before[i] != value
    ]
    return tuple(column for column, _ in picked), (
        *(value for _, value in picked),
        0 if step.event is None else 1,
        step.due.report_id,
        step.version,
        to_db(step.due.next_at),
    )


def _event_values(step: Step) -> tuple[Any, ...]:
    event = step.event
    assert event is not None
    return (
        step.due.report_id,
        event.action.value,
        event.old.value if event.old else None,
        event.new.value,
        event.actor_id,
        to_db(event.at),
        event.note,
        json.dumps(event.data, ensure_ascii=False),
        to_db(step.after.due_at) or "",
    )


# A pass's view of the store --------------------------------------------------------------------
#
# The sweep renders every step's messages with the same code as a person's move
# (bot/notices/reports.messages_for), which reads people, cards, call-ins and followers one
# report at a time. Known answers those reads from the pass's staff and the batch's `around`
# instead (the database only for what the batch did not read), so a batch costs a few
# statements however many reports it holds.


class _Stored(Protocol):
    people: People
    units: Units
    outbox: Outbox
    callins: CallIns
    followers: Followers


S = TypeVar("S", bound=_Stored)


class Known(Generic[S]):
    """A copy of a store whose people, outbox, call-in and follower reads come from what the
    pass and its current batch read (`know`); every write and every other read is the store's."""

    def __init__(
        self, store: S, staff: Sequence[Staff], tree: UnitTree, categories: list[Category]
    ) -> None:
        self.store: S = copy.copy(store)
        self.people = _KnownPeople(store.people, staff)
        self.units = _KnownUnits(store.units, tree, categories)
        self.store.units = self.units
        self.outbox = _KnownOutbox(store.outbox)
        self.callins = _KnownCallIns(store.callins)
        self.followers = _KnownFollowers(store.followers)
        self.store.people = self.people
        self.store.outbox = self.outbox
        self.store.callins = self.callins
        self.store.followers = self.followers

    def know(self, report_ids: Sequence[int], around: Around) -> None:
        """Answers for REPORT_IDS (and the people AROUND read) from AROUND from now on."""
        reports = frozenset(report_ids)
        self.people.around = around
        self.outbox.around, self.outbox.reports = around, reports
        self.callins.around, self.callins.reports = around, reports
        self.followers.around, self.followers.reports = around, reports


def _work_card_report(key: str) -> int | None:
    parts = key.split(":")
    if len(parts) == 3 and parts[0] == "report" and parts[2] == "work" and parts[1].isdigit():
        return int(parts[1])
    return None


class _KnownPeople(People):
    def __init__(self, people: People, staff: Sequence[Staff]) -> None:
        super().__init__(people.db)
        self.by_id = {s.user_id: s for s in staff}
        self.by_unit: dict[str, list[Staff]] = {}
        for person in sorted(staff, key=lambda s: s.user_id):
            self.by_unit.setdefault(person.unit, []).append(person)
        self.around: Around | None = None

    async def staff(self, user_id: int) -> Staff | None:
        return self.by_id.get(user_id)

    async def staff_at(self, units: Iterable[str]) -> list[Staff]:
        found = [s for unit in set(units) for s in self.by_unit.get(unit, [])]
        return sorted(found, key=lambda s: s.user_id)  # as People.staff_at orders them

    async def get(self, user_id: int) -> Person | None:
        if self.around is None or user_id not in self.around.asked:
            return await super().get(user_id)
        row = self.around.people.get(user_id)
        staff = self.by_id.get(user_id)
        if row is None:
            return None if staff is None else Person(user_id, staff.name, "", staff=staff)
        return Person(row.user_id, row.name, row.lang, row.unit, row.phone, staff)

    async def languages(self, user_ids: Iterable[int]) -> dict[int, str]:
        ids = set(user_ids)
        if self.around is None or not ids <= self.around.asked:
            return await super().languages(ids)
        people = self.around.people
        return {i: people[i].lang for i in ids if i in people}


class _KnownUnits(Units):
    """The tree and categories the pass read (a pass does not see a CSV import halfway)."""

    def __init__(self, units: Units, tree: UnitTree, categories: list[Category]) -> None:
        super().__init__(units.db)
        self.fixed_tree, self.fixed_categories = tree, categories

    async def tree(self) -> UnitTree:
        return self.fixed_tree

    async def categories(self) -> list[Category]:
        return self.fixed_categories


class _KnownOutbox(Outbox):
    def __init__(self, outbox: Outbox) -> None:
        super().__init__(outbox.db, chat_moved=outbox.chat_moved)
        self.around: Around | None = None
        self.reports: frozenset[int] = frozenset()

    async def card_chats(self, key: str) -> list[int]:
        report_id = _work_card_report(key)
        if self.around is None or report_id not in self.reports:
            return await super().card_chats(key)
        return list(self.around.card_chats.get(key, []))


class _KnownCallIns(CallIns):
    def __init__(self, callins: CallIns) -> None:
        super().__init__(callins.db)
        self.around: Around | None = None
        self.reports: frozenset[int] = frozenset()

    async def of_report(self, report_id: int) -> list[CallIn]:
        if self.around is None or report_id not in self.reports:
            return await super().of_report(report_id)
        return list(self.around.callins.get(report_id, []))


class _KnownFollowers(Followers):
    def __init__(self, followers: Followers) -> None:
        super().__init__(followers.db)
        self.around: Around | None = None
        self.reports: frozenset[int] = frozenset()

    async def of(self, report_id: int) -> list[Follower]:
        if self.around is None or report_id not in self.reports:
            return await super().of(report_id)
        return list(self.around.followers.get(report_id, []))
