"""回访 (follow-up calls): who calls a closed case's resident, the task's clock, the answer.

A case of a category marked `revisit` that closes (the reporter's stars, or closed unverified
when nobody answered) gets one task, created in the closing transaction (migration 0029's
trigger). Staff at the `caller_level` unit over the case (the community) call — never the
case's handlers (whoever accepted or resolved it); if nobody else is there, the unit above's.
The answer (satisfied or not, and a note) is recorded once and never edited.

Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.people import Role, Staff
from bot.domain.reports import Action, ReportEvent
from bot.domain.units import UnitTree

NOTE_LIMIT = 500  # characters of the caller's note
CALLER_ROLES = frozenset({Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN})
HANDLING = frozenset({Action.ACCEPT, Action.RESOLVE})


class State(StrEnum):
    NEW = "new"  # created by the closing; the cards have not gone out yet
    OPEN = "open"  # the callers have the card
    ANSWERED = "answered"  # recorded: final


class Step(StrEnum):
    """What the sweep does with an open task whose clock passed (one per task per pass)."""

    REMIND = "remind"  # the callers, once
    STREET = "street"  # the unit above the callers, once; then nothing more


@dataclass(frozen=True, slots=True)
class Revisit:
    report_id: int
    closed_at: datetime
    state: State = State.NEW
    stage: int = 0  # 0 in time, 1 callers reminded, 2 street told
    due_at: datetime | None = None
    next_at: datetime | None = None
    satisfied: bool | None = None
    note: str | None = None
    answered_by: int | None = None
    answered_at: datetime | None = None
    id: int | None = None
    version: int = 0


class AlreadyRecorded(Exception):
    """The task's answer was recorded before (it cannot be changed)."""


def handlers_of(events: Iterable[ReportEvent]) -> frozenset[int]:
    """Returns who handled the case: everyone who accepted or resolved it."""
    return frozenset(e.actor_id for e in events if e.action in HANDLING and e.actor_id is not None)


def caller_units(tree: UnitTree, unit: str, level: str) -> list[str]:
    """Returns the units whose staff may be asked to call about a case at UNIT, in order: the
    nearest one at LEVEL (or UNIT's top, if none is at that level), then each one above it."""
    chain = tree.chain(unit) if unit in tree else []
    for index, found in enumerate(chain):
        if found.level == level:
            return [u.code for u in chain[index:]]
    return [chain[-1].code] if chain else []


def callers(
    staff: Sequence[Staff], tree: UnitTree, unit: str, level: str, handlers: frozenset[int]
) -> tuple[str | None, list[Staff]]:
    """Returns the unit whose staff call about a case at UNIT and those staff (of STAFF): the
    first of caller_units with staff in CALLER_ROLES who did not handle the case."""
    for code in caller_units(tree, unit, level):
        found = [
            s
            for s in staff
            if s.unit == code and s.role in CALLER_ROLES and s.user_id not in handlers
        ]
        if found:
            return code, sorted(found, key=lambda s: s.user_id)
    return None, []


def may_record(staff: Staff | None, unit: str, tree: UnitTree, handlers: frozenset[int]) -> bool:
    """Tells whether STAFF may call about a case placed at UNIT and record the answer: community
    staff or above over the case (admins anywhere), never one of its HANDLERS."""
    return (
        staff is not None
        and staff.role in CALLER_ROLES
        and staff.user_id not in handlers
        and (staff.role is Role.ADMIN or (unit in tree and staff.oversees(unit, tree)))
    )


def offer(task: Revisit, within: timedelta) -> Revisit:
    """Returns the task with its cards out and its clock running from the closing."""
    due = task.closed_at + within
    return replace(task, state=State.OPEN, due_at=due, next_at=due)


def step_due(task: Revisit, now: datetime, street_after: timedelta) -> Step | None:
    """Returns the one step an open task needs at NOW, or None: after downtime, the most
    advanced step due (the street, not a reminder first)."""
    if task.state is not State.OPEN or task.next_at is None or task.due_at is None:
        return None
    if now < task.next_at:
        return None
    if now >= task.due_at + street_after:
        return Step.STREET
    return Step.REMIND if task.stage == 0 else None


def after_step(task: Revisit, step: Step, street_after: timedelta) -> Revisit:
    """Returns the task after the sweep took STEP (STREET is the last)."""
    assert task.due_at is not None
    if step is Step.REMIND:
        return replace(task, stage=1, next_at=task.due_at + street_after)
    return replace(task, stage=2, next_at=None)


def record(task: Revisit, by: int, at: datetime, *, satisfied: bool, note: str | None) -> Revisit:
    """Returns the task with the resident's answer; raises AlreadyRecorded if it has one."""
    if task.state is State.ANSWERED:
        raise AlreadyRecorded(task.id)
    if note is not None and len(note) > NOTE_LIMIT:
        raise ValueError("note too long")
    return replace(
        task,
        state=State.ANSWERED,
        satisfied=satisfied,
        note=note,
        answered_by=by,
        answered_at=at,
        next_at=None,
    )
