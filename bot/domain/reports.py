"""Reports (随手拍) and their lifecycle: one table of allowed moves, one event per move."""

from __future__ import annotations

from collections.abc import Sequence
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
    # 核实 and 复查 (categories marked `verify` / `review`; bot/domain/checks.py)
    CHECKING = "checking"  # 待核实: someone on site confirms it before it is dispatched
    REVIEWING = "reviewing"  # 待复查: resolved; someone other than the resolver checks on site

    @property
    def is_gated(self) -> bool:
        """Tells whether the report waits for an on-site check (核实 or 复查), not its holder."""
        return self in (Status.CHECKING, Status.REVIEWING)

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
    # Anonymous reports: the bot relays the holder's question and the reporter's answer
    ASK_REPORTER = "ask_reporter"
    REPORTER_REPLY = "reporter_reply"
    # 核实 and 复查 (bot/domain/checks.py)
    CHECK_CONFIRM = "check_confirm"  # 核实: confirmed on site; dispatched as a new report is
    CHECK_DISMISS = "check_dismiss"  # 核实: not a problem; closed as rejected with a note
    CHECK_LAPSE = "check_lapse"  # 核实 not done in time: dispatched unverified (the sweep)
    REVIEW_PASS = "review_pass"  # 复查 passed: the reporter is asked to verify
    REVIEW_FAIL = "review_fail"  # 复查 failed: back to the holder with a note, a new clock
    REVIEW_ESCALATE = "review_escalate"  # 复查 not done in time: to the reviewers one level up

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
    (Status.OPEN, Action.ASK_REPORTER): Status.OPEN,
    (Status.ACCEPTED, Action.ASK_REPORTER): Status.ACCEPTED,
    (Status.OPEN, Action.REPORTER_REPLY): Status.OPEN,
    (Status.ACCEPTED, Action.REPORTER_REPLY): Status.ACCEPTED,
    (Status.RESOLVED, Action.REPORTER_REPLY): Status.RESOLVED,  # an answer that crossed 完成
    (Status.OPEN, Action.ASK_REJECT): Status.OPEN,
    (Status.ACCEPTED, Action.ASK_REJECT): Status.ACCEPTED,
    (Status.OPEN, Action.DECLINE_REJECT): Status.OPEN,
    (Status.ACCEPTED, Action.DECLINE_REJECT): Status.ACCEPTED,
    # 核实: the only ways out of CHECKING
    (Status.CHECKING, Action.CHECK_CONFIRM): Status.OPEN,
    (Status.CHECKING, Action.CHECK_DISMISS): Status.REJECTED,
    (Status.CHECKING, Action.CHECK_LAPSE): Status.OPEN,
    (Status.CHECKING, Action.REMIND): Status.CHECKING,
    (Status.CHECKING, Action.NAG): Status.CHECKING,
    # 复查: the only ways out of REVIEWING (RESOLVED is reached from it by REVIEW_PASS alone)
    (Status.REVIEWING, Action.REVIEW_PASS): Status.RESOLVED,
    (Status.REVIEWING, Action.REVIEW_FAIL): Status.ACCEPTED,
    (Status.REVIEWING, Action.REVIEW_ESCALATE): Status.REVIEWING,
    (Status.REVIEWING, Action.REMIND): Status.REVIEWING,
    (Status.REVIEWING, Action.NAG): Status.REVIEWING,
}

# Where a move goes instead for a category that requires 核实 (a new report waits for its check)
# or 复查 (a resolved report waits for its review): `move(..., gated=True)`.
GATED: dict[tuple[Status | None, Action], Status] = {
    (None, Action.SUBMIT): Status.CHECKING,
    (Status.OPEN, Action.RESOLVE): Status.REVIEWING,
    (Status.ACCEPTED, Action.RESOLVE): Status.REVIEWING,
}


class Window(StrEnum):
    """Which deadline runs: to accept (接单), to resolve (办结), or for the reporter to verify."""

    ACCEPT = "accept"
    RESOLVE = "resolve"
    VERIFY = "verify"
    CHECK = "check"  # 核实 on site before dispatch
    REVIEW = "review"  # 复查 on site after resolve


# The window each status runs; other statuses run none.
WINDOW_OF = {
    Status.OPEN: Window.ACCEPT,
    Status.ACCEPTED: Window.RESOLVE,
    Status.RESOLVED: Window.VERIFY,
    Status.CHECKING: Window.CHECK,
    Status.REVIEWING: Window.REVIEW,
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
    resolution_photo: str | None = None  # the first after-photo
    more_after_photos: tuple[str, ...] = ()  # the resolver's further after-photos, in order
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

    @property
    def anonymous(self) -> bool:
        """Tells whether the reporter chose not to share their identity with the handler: staff
        see "anonymous resident" and reach them only through the bot (ask_reporter)."""
        return bool(self.extra.get("anonymous"))

    @property
    def after_photos(self) -> tuple[str, ...]:
        """Returns every after-photo of the resolution, the first one first."""
        first = (self.resolution_photo,) if self.resolution_photo else ()
        return (*first, *self.more_after_photos)


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
    gated: bool = False,
    **changes: Any,
) -> tuple[Report, ReportEvent]:
    """Returns the report after ACTION and the event recording it; raises InvalidTransition.

    GATED (a category that requires 核实 / 复查) takes the GATED move where there is one."""
    new_status = (GATED if gated else {}).get((report.status, action)) or TRANSITIONS.get(
        (report.status, action)
    )
    if new_status is None:
        raise InvalidTransition(report.status, action)
    new = replace(report, status=new_status, updated_at=at, **changes)
    event = ReportEvent(
        action, report.status, new_status, actor_id, at, note, data or {}, report.id
    )
    return new, event


def submit(report: Report, *, actor_id: int | None, at: datetime) -> ReportEvent:
    """Returns the first event of a new report (OPEN, or CHECKING where 核实 comes first)."""
    gated = report.status is GATED[(None, Action.SUBMIT)]
    return ReportEvent(
        Action.SUBMIT,
        None,
        GATED[(None, Action.SUBMIT)] if gated else TRANSITIONS[(None, Action.SUBMIT)],
        actor_id,
        at,
        None,
        {"holder": report.holder_unit, "assignee": report.assignee_id},
    )


def accept(report: Report, by: Staff, at: datetime) -> tuple[Report, ReportEvent]:
    """Returns the report accepted by BY (an unassigned report becomes theirs)."""
    return move(report, Action.ACCEPT, actor_id=by.user_id, at=at, assignee_id=by.user_id)


def resolve(
    report: Report,
    by: Staff,
    at: datetime,
    *,
    photo: str,
    note: str,
    more_photos: Sequence[str] = (),
    album: bool = False,
    review: bool = False,
) -> tuple[Report, ReportEvent]:
    """Returns the report resolved with the required after-photo (and MORE_PHOTOS) and a note.
    ALBUM: the photo is the first of an album whose rest is still arriving (add_after_photos),
    so the reporter's notice waits for it. REVIEW (its category requires 复查) makes it wait for
    the review instead of the reporter."""
    if not photo or not all(more_photos):
        raise ValueError("an after-photo is required to resolve a report")
    extra = dict(report.extra)
    if review:  # who may not review it (bot/domain/checks.py)
        extra["resolver"] = by.user_id
        extra.pop("review_at", None)
    return move(
        report,
        Action.RESOLVE,
        actor_id=by.user_id,
        at=at,
        note=note,
        data={"album": True} if album else None,
        gated=review,
        assignee_id=report.assignee_id or by.user_id,
        resolution_note=note,
        resolution_photo=photo,
        more_after_photos=tuple(more_photos),
        extra=extra,
    )


# While its after-photos may still grow: waiting for the reporter, or for the 复查 before that.
AFTER_PHOTOS_OPEN = (Status.RESOLVED, Status.REVIEWING)


def add_after_photos(report: Report, by: Staff, photos: Sequence[str], limit: int) -> Report:
    """Returns REPORT with PHOTOS added to its after-photos: the rest of the album its resolver
    sent (an album arrives photo by photo, the first one resolving). Only the resolver, only while
    it waits for the reporter, at most LIMIT after-photos in all (the rest are dropped)."""
    if report.status not in AFTER_PHOTOS_OPEN or report.assignee_id != by.user_id:
        raise NotAllowed("only the resolver adds after-photos, before the reporter answers")
    room = max(0, limit - len(report.after_photos))
    fresh = [p for p in photos if p and p not in report.after_photos][:room]
    return replace(report, more_after_photos=(*report.more_after_photos, *fresh))


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
    # the earlier rating no longer stands (its event keeps it); a new closing asks again
    cleared: dict[str, Any] = {"stars": None, "comment": None} if after_close is not None else {}
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
        **cleared,
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
    return staff.role is not Role.ADMIN and not staff.role.is_building_team


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


# Anonymous reports: questions and answers relayed by the bot --------------------------------


RELAY_LIMIT = 500  # characters in a relayed question or answer


def ask_reporter(report: Report, by: Staff, at: datetime, text: str) -> tuple[Report, ReportEvent]:
    """Returns the event of BY's question to the anonymous reporter (the bot relays it)."""
    if not report.anonymous or report.reporter_id is None:
        raise NotAllowed("only an anonymous reporter is asked through the bot")
    return move(report, Action.ASK_REPORTER, actor_id=by.user_id, at=at, note=text)


def reporter_reply(
    report: Report, by_user: int, at: datetime, text: str
) -> tuple[Report, ReportEvent]:
    """Returns the event of the anonymous reporter's answer (the bot relays it to the holder)."""
    if not report.anonymous or report.reporter_id != by_user:
        raise NotAllowed("only the anonymous reporter answers through the bot")
    return move(report, Action.REPORTER_REPLY, actor_id=by_user, at=at, note=text)
