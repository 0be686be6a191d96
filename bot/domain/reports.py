"""Reports (随手拍) and their lifecycle: one table of allowed moves, one event per move."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.domain.people import Role, Staff
from bot.domain.routing import Route
from bot.domain.units import Tier, UnitTree


class Status(StrEnum):
    OPEN = "open"  # 待接单: waiting for the assignee (or the unit's staff, if unassigned)
    ACCEPTED = "accepted"  # 处置中
    RESOLVED = "resolved"  # 待评价: waiting for the reporter to confirm
    CLOSED = "closed"  # 已办结, confirmed by the reporter
    CLOSED_UNVERIFIED = "closed_unverified"  # 已办结 (未评价): the reporter did not answer in time
    REJECTED = "rejected"  # 已退回
    MERGED = "merged"  # 已并单: a duplicate, closed into another report its people now follow

    @property
    def is_open(self) -> bool:
        return self in (Status.OPEN, Status.ACCEPTED)

    @property
    def is_closed(self) -> bool:
        return self in (Status.CLOSED, Status.CLOSED_UNVERIFIED, Status.REJECTED, Status.MERGED)


class Action(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    RESOLVE = "resolve"
    TRANSFER = "transfer"
    REFER_UP = "refer_up"
    REJECT = "reject"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    COMMENT = "comment"
    ESCALATE = "escalate"
    EXTEND = "extend"  # 申请延期 approved: the deadline moves
    EXPIRE = "expire"
    REMIND = "remind"  # the deadline sweep reminded the holder before the deadline
    NAG = "nag"  # … and nagged them once it had passed
    ASK_EXTENSION = "ask_extension"  # 申请延期: the holder asks the tier above for more time
    DENY_EXTENSION = "deny_extension"
    REASSIGN = "reassign"  # its holder left: routed again by the normal rules, to be accepted
    # 并单 and 退单 approval (bot/domain/duplicates.py)
    FOLLOW = "follow"  # a resident said "me too": they follow the report instead of a new one
    MERGE = "merge"  # a duplicate closes into another report (the survivor)
    MERGED_IN = "merged_in"  # the survivor took in a duplicate's reporter and followers
    RATE = "rate"  # a follower's own answer to "is it solved?" (the status stays)
    ASK_REJECT = "ask_reject"  # 退单 that needs the tier above's approval: the request
    DECLINE_REJECT = "decline_reject"  # … declined: the holder keeps the report
    # 回访 (bot/domain/revisit.py): the status stays; a "not satisfied" that reopens is a REOPEN
    REVISIT = "revisit"  # the follow-up call's cards went to community staff
    REVISIT_REMIND = "revisit_remind"  # its clock passed: the callers were reminded
    REVISIT_OVERDUE = "revisit_overdue"  # … still not called: the street was told
    REVISIT_ANSWER = "revisit_answer"  # the resident's answer recorded (satisfied or not, note)


class RejectReason(StrEnum):
    NOT_OURS = "not_ours"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


class InvalidTransition(Exception):
    """The move is not allowed from the report's current status (a stale or repeated press)."""

    def __init__(self, status: Status, action: Action):
        super().__init__(f"cannot {action} a report that is {status}")
        self.status = status
        self.action = action


class NotAllowed(Exception):
    """The actor has no right to make this move on this report."""


# Every allowed move: (status, action) → new status. Nothing else may happen to a report.
TRANSITIONS: dict[tuple[Status | None, Action], Status] = {
    (None, Action.SUBMIT): Status.OPEN,
    (Status.OPEN, Action.ACCEPT): Status.ACCEPTED,
    (Status.OPEN, Action.RESOLVE): Status.RESOLVED,
    (Status.ACCEPTED, Action.RESOLVE): Status.RESOLVED,
    (Status.OPEN, Action.TRANSFER): Status.OPEN,
    (Status.ACCEPTED, Action.TRANSFER): Status.OPEN,
    (Status.OPEN, Action.REFER_UP): Status.OPEN,
    (Status.ACCEPTED, Action.REFER_UP): Status.OPEN,
    (Status.OPEN, Action.REJECT): Status.REJECTED,
    (Status.ACCEPTED, Action.REJECT): Status.REJECTED,
    (Status.RESOLVED, Action.CONFIRM): Status.CLOSED,
    # "Not solved" sends the report one tier up (or back to the top tier), to be taken again.
    (Status.RESOLVED, Action.REOPEN): Status.OPEN,
    # … and so does "not satisfied" in a 回访 after closing (reopen(after_close=True) only).
    (Status.CLOSED, Action.REOPEN): Status.OPEN,
    (Status.CLOSED_UNVERIFIED, Action.REOPEN): Status.OPEN,
    (Status.CLOSED, Action.COMMENT): Status.CLOSED,
    (Status.OPEN, Action.ESCALATE): Status.OPEN,
    (Status.ACCEPTED, Action.ESCALATE): Status.OPEN,
    (Status.OPEN, Action.EXTEND): Status.OPEN,
    (Status.ACCEPTED, Action.EXTEND): Status.ACCEPTED,
    (Status.RESOLVED, Action.EXPIRE): Status.CLOSED_UNVERIFIED,
    (Status.OPEN, Action.REMIND): Status.OPEN,
    (Status.ACCEPTED, Action.REMIND): Status.ACCEPTED,
    (Status.OPEN, Action.NAG): Status.OPEN,
    (Status.ACCEPTED, Action.NAG): Status.ACCEPTED,
    (Status.OPEN, Action.ASK_EXTENSION): Status.OPEN,
    (Status.ACCEPTED, Action.ASK_EXTENSION): Status.ACCEPTED,
    (Status.OPEN, Action.DENY_EXTENSION): Status.OPEN,
    (Status.ACCEPTED, Action.DENY_EXTENSION): Status.ACCEPTED,
    (Status.OPEN, Action.REASSIGN): Status.OPEN,
    (Status.ACCEPTED, Action.REASSIGN): Status.OPEN,
    (Status.OPEN, Action.FOLLOW): Status.OPEN,
    (Status.ACCEPTED, Action.FOLLOW): Status.ACCEPTED,
    (Status.OPEN, Action.MERGE): Status.MERGED,
    (Status.ACCEPTED, Action.MERGE): Status.MERGED,
    (Status.OPEN, Action.MERGED_IN): Status.OPEN,
    (Status.ACCEPTED, Action.MERGED_IN): Status.ACCEPTED,
    (Status.RESOLVED, Action.RATE): Status.RESOLVED,
    (Status.CLOSED, Action.RATE): Status.CLOSED,
    (Status.CLOSED_UNVERIFIED, Action.RATE): Status.CLOSED_UNVERIFIED,
    (Status.OPEN, Action.ASK_REJECT): Status.OPEN,
    (Status.ACCEPTED, Action.ASK_REJECT): Status.ACCEPTED,
    (Status.OPEN, Action.DECLINE_REJECT): Status.OPEN,
    (Status.ACCEPTED, Action.DECLINE_REJECT): Status.ACCEPTED,
}


class Window(StrEnum):
    """Which deadline runs: to accept (接单), to resolve (办结), or for the reporter to verify."""

    ACCEPT = "accept"
    RESOLVE = "resolve"
    VERIFY = "verify"


# The window each status runs; other statuses run none.
WINDOW_OF = {
    Status.OPEN: Window.ACCEPT,
    Status.ACCEPTED: Window.RESOLVE,
    Status.RESOLVED: Window.VERIFY,
}


@dataclass(frozen=True, slots=True)
class Timer:
    """How the deadline sweep gets to a report's due_at (see bot/domain/deadlines.py)."""

    window: Window
    started_at: datetime
    remind_at: datetime | None  # the reminder before the deadline (None for VERIFY)
    breach_at: datetime | None  # escalation; None at the top tier (nags go on) and for VERIFY
    next_at: datetime | None  # when the sweep looks at the report next; None: never
    nag_day: date | None = None  # the local day `nags` counts for
    nags: int = 0  # reminders and nags sent on nag_day (the daily budget)


@dataclass(frozen=True, slots=True)
class Report:
    reporter_id: int | None  # None when staff entered it for someone without Telegram (代报)
    category: str
    unit: str  # where the problem is
    description: str
    photos: tuple[str, ...]
    created_at: datetime
    holder_unit: str  # the unit that holds the report now
    tier: Tier
    status: Status = Status.OPEN
    assignee_id: int | None = None  # None: visibly unassigned at holder_unit
    entered_by: int | None = None
    contact: str | None = None  # phone given by the reporter, or noted by staff for 代报
    lat: float | None = None
    lon: float | None = None
    resolution_note: str | None = None
    resolution_photo: str | None = None
    reject_reason: str | None = None
    stars: int | None = None
    comment: str | None = None
    updated_at: datetime | None = None
    due_at: datetime | None = None  # the running window's deadline (kept, as it was, once closed)
    timer: Timer | None = None
    id: int | None = None
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def number(self) -> str:
        """Returns the case number residents quote, e.g. 'R000123'."""
        return f"R{self.id:06d}" if self.id is not None else "R??????"


@dataclass(frozen=True, slots=True)
class ReportEvent:
    action: Action
    old: Status | None
    new: Status
    actor_id: int | None
    at: datetime
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    report_id: int | None = None


def move(
    report: Report,
    action: Action,
    *,
    actor_id: int | None,
    at: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> tuple[Report, ReportEvent]:
    """Returns the report after ACTION and the event recording it; raises InvalidTransition."""
    new_status = TRANSITIONS.get((report.status, action))
    if new_status is None:
        raise InvalidTransition(report.status, action)
    new = replace(report, status=new_status, updated_at=at, **changes)
    event = ReportEvent(
        action, report.status, new_status, actor_id, at, note, data or {}, report.id
    )
    return new, event


def submit(report: Report, *, actor_id: int | None, at: datetime) -> ReportEvent:
    """Returns the first event of a new report."""
    return ReportEvent(
        Action.SUBMIT,
        None,
        Status.OPEN,
        actor_id,
        at,
        None,
        {"holder": report.holder_unit, "assignee": report.assignee_id},
    )


def accept(report: Report, by: Staff, at: datetime) -> tuple[Report, ReportEvent]:
    """Returns the report accepted by BY (an unassigned report becomes theirs)."""
    return move(report, Action.ACCEPT, actor_id=by.user_id, at=at, assignee_id=by.user_id)


def resolve(
    report: Report, by: Staff, at: datetime, *, photo: str, note: str
) -> tuple[Report, ReportEvent]:
    """Returns the report resolved with the required after-photo and a note."""
    if not photo:
        raise ValueError("an after-photo is required to resolve a report")
    return move(
        report,
        Action.RESOLVE,
        actor_id=by.user_id,
        at=at,
        note=note,
        assignee_id=report.assignee_id or by.user_id,
        resolution_note=note,
        resolution_photo=photo,
    )


def transfer(
    report: Report, by: Staff, to: Staff, at: datetime, note: str | None = None
) -> tuple[Report, ReportEvent]:
    """Returns the report handed to TO at TO's unit, waiting for them to accept it."""
    return move(
        report,
        Action.TRANSFER,
        actor_id=by.user_id,
        at=at,
        note=note,
        data={"from": report.assignee_id, "to": to.user_id, "unit": to.unit},
        assignee_id=to.user_id,
        holder_unit=to.unit,
    )


def refer_up(
    report: Report,
    by: Staff | None,
    at: datetime,
    *,
    to_unit: str,
    tier: Tier,
    assignee_id: int | None,
    reason: str | None,
    action: Action = Action.REFER_UP,
) -> tuple[Report, ReportEvent]:
    """Returns the report held one level up (上报), or escalated by the sweep with ACTION."""
    return move(
        report,
        action,
        actor_id=by.user_id if by else None,
        at=at,
        note=reason,
        data={"from_unit": report.holder_unit, "to_unit": to_unit, "tier": tier.value},
        holder_unit=to_unit,
        tier=tier,
        assignee_id=assignee_id,
    )


def reassign(report: Report, to: Route, at: datetime, *, left: int) -> tuple[Report, ReportEvent]:
    """Returns the report taken from LEFT (a staff member who left) to where routing sends it.

    It waits to be accepted again by its new holder, on a new clock; the actor is nobody (the
    office's decision that LEFT is gone made the move, recorded in staff_events).
    """
    assignee = to.assignee.user_id if to.assignee else None
    return move(
        report,
        Action.REASSIGN,
        actor_id=None,
        at=at,
        data={
            "from": left,
            "to": assignee,
            "from_unit": report.holder_unit,
            "to_unit": to.unit,
            "tier": to.tier.value,
        },
        holder_unit=to.unit,
        tier=to.tier,
        assignee_id=assignee,
    )


def reject(
    report: Report, by: Staff, at: datetime, *, reason: RejectReason, note: str
) -> tuple[Report, ReportEvent]:
    """Returns the report closed as not ours / duplicate / invalid, with the reason."""
    return move(
        report,
        Action.REJECT,
        actor_id=by.user_id,
        at=at,
        note=note,
        data={"reason": reason.value},
        reject_reason=reason.value,
    )


def confirm(
    report: Report, by_user: int, at: datetime, *, stars: int
) -> tuple[Report, ReportEvent]:
    """Returns the report closed by its reporter with a 1–5 star rating."""
    if not 1 <= stars <= 5:
        raise ValueError("stars must be 1 to 5")
    return move(report, Action.CONFIRM, actor_id=by_user, at=at, data={"stars": stars}, stars=stars)


def reopen(
    report: Report,
    by_user: int,
    at: datetime,
    *,
    up: Route | None,
    note: str | None = None,
    after_close: dict[str, Any] | None = None,
) -> tuple[Report, ReportEvent]:
    """Returns the report sent one tier up because the reporter says it is not solved.

    UP is where routing.refer_target sends it; at the top tier (UP is None) it stays with the
    unit and staff that hold it. Either way it waits to be taken again, on a new clock.
    AFTER_CLOSE (the 回访's data, e.g. {"revisit": id}) lets a closed report be reopened: the
    resident told the follow-up call it is not solved; without it only a resolved one reopens.
    """
    if after_close is None and report.status is not Status.RESOLVED:
        raise InvalidTransition(report.status, Action.REOPEN)
    target_unit = up.unit if up else report.holder_unit
    target_tier = up.tier if up else report.tier
    assignee = (up.assignee.user_id if up.assignee else None) if up else report.assignee_id
    return move(
        report,
        Action.REOPEN,
        actor_id=by_user,
        at=at,
        note=note,
        data={
            "from_unit": report.holder_unit,
            "to_unit": target_unit,
            "tier": target_tier.value,
            **(after_close or {}),
        },
        holder_unit=target_unit,
        tier=target_tier,
        assignee_id=assignee,
        # the earlier rating no longer stands (its event keeps it); a new closing asks again
        **({"stars": None, "comment": None} if after_close is not None else {}),
    )


def comment(report: Report, by_user: int, at: datetime, text: str) -> tuple[Report, ReportEvent]:
    """Returns the closed report with the reporter's optional comment on the rating."""
    if report.comment is not None:
        raise InvalidTransition(report.status, Action.COMMENT)
    return move(report, Action.COMMENT, actor_id=by_user, at=at, note=text, comment=text)


def check(report: Report, action: Action) -> None:
    """Raises InvalidTransition unless ACTION may be made on REPORT in its current status."""
    if (report.status, action) not in TRANSITIONS:
        raise InvalidTransition(report.status, action)


def takes_unassigned(staff: Staff, report: Report) -> bool:
    """Tells whether STAFF may take REPORT, held unassigned at their own unit.

    Partners (物业, departments) take only their own categories; admins act as supervisors.
    """
    if report.assignee_id is not None or staff.unit != report.holder_unit:
        return False
    if staff.role is Role.PARTNER:
        return staff.handles(report.category)
    return staff.role is not Role.ADMIN


def may_handle(staff: Staff | None, report: Report, tree: UnitTree) -> bool:
    """Tells whether STAFF may act on REPORT: its assignee, or staff at or above its unit."""
    if staff is None:
        return False
    if report.assignee_id == staff.user_id:
        return True
    if takes_unassigned(staff, report):
        return True
    return staff.role.is_supervisor and staff.oversees(report.holder_unit, tree)


def may_verify(user_id: int, report: Report) -> bool:
    """Tells whether USER_ID confirms and rates: the reporter, or for 代报 whoever entered it."""
    if report.reporter_id is None:
        return report.entered_by == user_id
    return report.reporter_id == user_id
