"""吹哨报到: the holder of a report calls parties (departments, 物业, 居委会, 业委会) into it.

首问责任制: the report keeps its holder; each called party runs its own clock — 报到 (acknowledge)
within `ack`, then finish its part within `done` — and the holder resolves only when every call-in
is done or withdrawn. An overdue call-in nags the party once (not in quiet hours, unless the
report is urgent), then escalates to the holder and up the tiers, one level per `escalate_every`.
Pure: time is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.deadlines import Rules, Span
from bot.domain.people import Role, Staff
from bot.domain.reports import Report, may_handle
from bot.domain.units import UnitTree


class Kind(StrEnum):
    DEPARTMENT = "department"  # 城管, 市场监管 …
    PROPERTY = "property"  # 物业
    RESIDENTS_COMMITTEE = "residents_committee"  # 居委会
    OWNERS_COMMITTEE = "owners_committee"  # 业委会


# 三方协同: the three kinds one button calls together.
TRIPARTITE = (Kind.PROPERTY, Kind.RESIDENTS_COMMITTEE, Kind.OWNERS_COMMITTEE)


@dataclass(frozen=True, slots=True)
class Party:
    """A department or partner that can be called in (config [[parties]])."""

    code: str
    zh: str
    en: str
    kind: Kind
    categories: tuple[str, ...]  # empty: every category
    units: tuple[str, ...]  # it covers these units and everything below them
    members: tuple[int, ...]  # telegram ids of the staff who receive its cards

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def covers(self, report: Report, tree: UnitTree) -> bool:
        """Tells whether the party takes REPORT's category at REPORT's place."""
        if self.categories and report.category not in self.categories:
            return False
        if report.unit not in tree:
            return False
        return any(unit in tree and tree.is_within(report.unit, unit) for unit in self.units)

    def is_member(self, user_id: int) -> bool:
        return user_id in self.members


class State(StrEnum):
    CALLED = "called"  # waiting for 报到
    ACKED = "acked"  # 已报到: working on its part
    DONE = "done"
    WITHDRAWN = "withdrawn"  # by the holder, with a reason

    @property
    def is_live(self) -> bool:
        """Tells whether the call-in still keeps the holder from resolving."""
        return self in (State.CALLED, State.ACKED)


class Event(StrEnum):
    CALLED = "called"
    ACKED = "acked"
    DONE = "done"
    WITHDRAWN = "withdrawn"
    NAGGED = "nagged"
    ESCALATED = "escalated"
    STOPPED = "stopped"  # the report closed another way: the clock stops (bookkeeping)


@dataclass(frozen=True, slots=True)
class CallIn:
    report_id: int
    party: str
    state: State
    called_by: int | None
    called_at: datetime
    due_at: datetime | None = None
    next_at: datetime | None = None
    stage: int = 0
    acked_by: int | None = None
    acked_at: datetime | None = None
    done_by: int | None = None
    done_at: datetime | None = None
    note: str | None = None
    photo: str | None = None
    withdrawn_by: int | None = None
    withdrawn_at: datetime | None = None
    reason: str | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class CallInEvent:
    kind: Event
    actor_id: int | None
    at: datetime
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class CallInError(Exception):
    """The step does not fit the call-in's state; KEY is the catalog key that says why."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Policy:
    """The parties' clocks (config [callins]): spans of working time, as report deadlines."""

    ack: Span
    done: Span
    escalate_every: Span


# Who may do what --------------------------------------------------------------------------------


def may_call_in(staff: Staff | None, report: Report, tree: UnitTree) -> bool:
    """The report's holder (whoever may act on it) calls parties in and withdraws them (while
    it is open: the use case says so apart, as it is no one's fault)."""
    return may_handle(staff, report, tree)


def may_answer(staff: Staff | None, party: Party | None) -> bool:
    """A member of the called party (active staff) acknowledges and finishes its card."""
    return staff is not None and party is not None and party.is_member(staff.user_id)


def tripartite(parties: Iterable[Party], report: Report, tree: UnitTree) -> list[Party]:
    """Returns the unit's 物业, 居委会 and 业委会 that cover REPORT (the first of each kind)."""
    found: dict[Kind, Party] = {}
    for party in parties:
        if party.kind in TRIPARTITE and party.kind not in found and party.covers(report, tree):
            found[party.kind] = party
    return [found[kind] for kind in TRIPARTITE if kind in found]


# The steps ---------------------------------------------------------------------------------------


def call(
    report: Report, party: Party, *, by: int, at: datetime, rules: Rules, policy: Policy
) -> tuple[CallIn, CallInEvent]:
    """Returns the new call-in of PARTY into REPORT, its 报到 clock running from AT."""
    assert report.id is not None
    due = rules.add(at, policy.ack, urgent=False)
    callin = CallIn(report.id, party.code, State.CALLED, by, at, due_at=due, next_at=due)
    return callin, CallInEvent(Event.CALLED, by, at, data={"party": party.code})


def acknowledge(
    callin: CallIn, *, by: int, at: datetime, rules: Rules, policy: Policy
) -> tuple[CallIn, CallInEvent]:
    """报到: the party takes it; its clock to finish starts (and any escalation is reset)."""
    if callin.state is not State.CALLED:
        raise CallInError(
            "callin.already_acked" if callin.state is State.ACKED else "callin.not_live"
        )
    due = rules.add(at, policy.done, urgent=False)
    after = replace(
        callin, state=State.ACKED, acked_by=by, acked_at=at, due_at=due, next_at=due, stage=0
    )
    return after, CallInEvent(Event.ACKED, by, at)


def finish(
    callin: CallIn, *, by: int, at: datetime, note: str | None, photo: str | None
) -> tuple[CallIn, CallInEvent]:
    """The party reports its part done, with a photo or a note (at least one)."""
    if not (note or photo):
        raise ValueError("a photo or a note is required")
    if callin.state is State.CALLED:
        raise CallInError("callin.ack_first")
    if callin.state is not State.ACKED:
        raise CallInError("callin.not_live")
    after = replace(
        callin,
        state=State.DONE,
        done_by=by,
        done_at=at,
        note=note,
        photo=photo,
        next_at=None,
    )
    return after, CallInEvent(Event.DONE, by, at, note, {"photo": bool(photo)})


def withdraw(callin: CallIn, *, by: int, at: datetime, reason: str) -> tuple[CallIn, CallInEvent]:
    """The holder withdraws a live call-in, with a reason; its clock stops."""
    if not reason:
        raise ValueError("a reason is required")
    if not callin.state.is_live:
        raise CallInError("callin.not_live")
    after = replace(
        callin,
        state=State.WITHDRAWN,
        withdrawn_by=by,
        withdrawn_at=at,
        reason=reason,
        next_at=None,
    )
    return after, CallInEvent(Event.WITHDRAWN, by, at, reason)


# The sweep: nag, then escalate one level per interval ------------------------------------------


@dataclass(frozen=True, slots=True)
class Overdue:
    """What the sweep does to an overdue call-in now: STAGE 1 nags the party, STAGE n ≥ 2
    escalates to level n - 1 (1: the holder, 2…: the tiers above). NEXT_AT: when to look again."""

    stage: int
    next_at: datetime | None


def overdue(
    callin: CallIn, now: datetime, rules: Rules, policy: Policy, *, levels: int, urgent: bool
) -> Overdue:
    """Returns the one step due at NOW: after downtime the most advanced one, not a burst.

    LEVELS: how many escalation levels there are (the holder and each staffed tier above).
    The steps fall at due_at, then every `escalate_every` of working time. The party's nag
    keeps quiet hours as a report's nags do (bot/domain/deadlines.decide): unless the report is
    URGENT, a nag due in quiet hours waits for their end (or for the escalation, if that comes
    first); escalations, like a report's, are not held back.
    """
    assert callin.due_at is not None
    last = 1 + levels
    stage, at = 1, callin.due_at
    following = rules.add(at, policy.escalate_every, urgent=False)
    while stage < last and following <= now:
        stage, at = stage + 1, following
        following = rules.add(at, policy.escalate_every, urgent=False)
    if stage <= callin.stage:  # already taken (a pass at the same moment)
        stage = callin.stage
    elif stage == 1 and not urgent and rules.in_quiet_hours(now):  # the nag waits
        return Overdue(callin.stage, min(rules.next_local(now, rules.policy.quiet_end), following))
    return Overdue(stage, following if stage < last else None)


def step(callin: CallIn, due: Overdue, now: datetime) -> tuple[CallIn, CallInEvent]:
    """Returns the call-in after the sweep's step DUE, and its event."""
    kind = Event.NAGGED if due.stage == 1 else Event.ESCALATED
    data: dict[str, Any] = {"party": callin.party, "state": callin.state.value}
    if due.stage > 1:
        data["level"] = due.stage - 1
    after = replace(callin, stage=due.stage, next_at=due.next_at)
    return after, CallInEvent(kind, None, now, data=data)


def stop(callin: CallIn, now: datetime) -> tuple[CallIn, CallInEvent]:
    """Returns the call-in with its clock stopped (its report closed another way)."""
    return replace(callin, next_at=None), CallInEvent(Event.STOPPED, None, now)


def escalation_units(report: Report, tree: UnitTree, staff: Sequence[Staff]) -> list[str]:
    """Returns the units above REPORT's holder unit that have front-line staff, nearest first."""
    if report.holder_unit not in tree:
        return []
    staffed = {s.unit for s in staff if s.role not in (Role.PARTNER, Role.ADMIN)}
    return [u.code for u in tree.chain(report.holder_unit)[1:] if u.code in staffed]


def is_blocking(callins: Iterable[CallIn]) -> bool:
    """Tells whether any call-in still keeps the holder from resolving."""
    return any(c.state.is_live for c in callins)
