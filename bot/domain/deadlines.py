"""Deadlines (限时办结): each tier's clock, the reminder, nags, escalation and 申请延期.

A report's running window (accept while OPEN, resolve while ACCEPTED, verify while RESOLVED,
核实 while CHECKING, 复查 while REVIEWING) has a deadline `due_at` and a `Timer`: a reminder at
a fraction of the window, nags once it has passed (never in quiet hours, at most a daily
budget), and escalation to the next tier when it is breached (a grace period past the
deadline). Clocks run in working time (bot/domain/calendar) or, for urgent categories, in
wall-clock time. The sweep asks `decide` what one thing to do now; after downtime that is the
most advanced step that is due — never a burst of stale nags.

Pure: time is passed in, nothing here reads the clock or the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.domain.asks import Ask, AskError
from bot.domain.calendar import WorkCalendar
from bot.domain.people import Role, Staff
from bot.domain.reports import (
    WINDOW_OF,
    Action,
    InvalidTransition,
    Report,
    ReportEvent,
    Timer,
    Window,
    move,
    takes_unassigned,
)
from bot.domain.units import Tier, UnitTree

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")


@dataclass(frozen=True, slots=True)
class Span:
    """A length of working time: minutes, hours or working days ('90m', '2h', '3d')."""

    amount: float
    unit: str  # "m", "h" or "d"

    @classmethod
    def parse(cls, text: str) -> Span:
        match = _SPAN.match(text)
        if match is None or float(match.group(1)) <= 0:
            raise ValueError(f"{text!r} is not a length like '90m', '2h' or '3d'")
        return cls(float(match.group(1)), match.group(2))

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"

    def scaled(self, factor: float) -> Span:
        return Span(self.amount * factor, self.unit)

    def length(self, *, day: timedelta) -> timedelta:
        """Returns the span as time, a day being DAY long (working day, or 24 h on the wall)."""
        if self.unit == "m":
            return timedelta(minutes=self.amount)
        if self.unit == "h":
            return timedelta(hours=self.amount)
        return day * self.amount


@dataclass(frozen=True, slots=True)
class Windows:
    """How long one tier has to accept a report and then to resolve it."""

    accept: Span
    resolve: Span


DEFAULT_WINDOWS: Mapping[Tier, Windows] = {
    Tier.GRID: Windows(Span(2, "h"), Span(3, "d")),
    Tier.COMMUNITY: Windows(Span(4, "h"), Span(5, "d")),
    Tier.STREET: Windows(Span(1, "d"), Span(7, "d")),
    Tier.DISTRICT: Windows(Span(1, "d"), Span(10, "d")),
}


@dataclass(frozen=True, slots=True)
class Policy:
    """The office's deadline rules (config [deadlines])."""

    windows: Mapping[Tier, Windows] = field(default_factory=lambda: dict(DEFAULT_WINDOWS))
    by_category: Mapping[str, Mapping[Tier, Windows]] = field(default_factory=dict)
    reminder_at: float = 0.75  # of the window
    escalate_after: float = 0.25  # of the window, past the deadline (the grace before escalation)
    nag_every: Span = Span(2, "h")
    daily_nags: int = 3  # reminders and nags per report per local day
    quiet_start: time = time(22, 0)
    quiet_end: time = time(7, 30)
    verify_within: timedelta = timedelta(hours=72)  # wall-clock, then CLOSED_UNVERIFIED
    check_within: Span = Span(4, "h")  # 核实 on site, then dispatched unverified
    review_within: Span = Span(1, "d")  # 复查 on site, then to the reviewers one level up

    def span(self, category: str, tier: Tier, window: Window) -> Span:
        """Returns how long TIER has for WINDOW on a report of CATEGORY."""
        if window is Window.CHECK:
            return self.check_within
        if window is Window.REVIEW:
            return self.review_within
        windows = self.by_category.get(category, {}).get(tier) or self.windows[tier]
        return windows.accept if window is Window.ACCEPT else windows.resolve


@dataclass(frozen=True, slots=True)
class Rules:
    """A policy with the calendar it counts working time in."""

    policy: Policy
    calendar: WorkCalendar

    def add(self, start: datetime, span: Span, *, urgent: bool) -> datetime:
        """Returns START plus SPAN: in working time, or wall-clock time for urgent categories."""
        if urgent:
            return start + span.length(day=timedelta(days=1))
        return self.calendar.add(start, span.length(day=self.calendar.day_length))

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.calendar.tz).date()

    def in_quiet_hours(self, at: datetime) -> bool:
        now = at.astimezone(self.calendar.tz).time()
        start, end = self.policy.quiet_start, self.policy.quiet_end
        if start <= end:
            return start <= now < end
        return now >= start or now < end

    def next_local(self, at: datetime, moment: time) -> datetime:
        """Returns the first instant after AT whose local time is MOMENT."""
        local = at.astimezone(self.calendar.tz)
        candidate = datetime.combine(local.date(), moment, tzinfo=self.calendar.tz)
        if candidate <= local:
            candidate = datetime.combine(
                local.date() + timedelta(days=1), moment, tzinfo=self.calendar.tz
            )
        return candidate.astimezone(at.tzinfo)


# Moves after which the report's (new) holder starts the window of its new status afresh.
RESTARTS = frozenset(
    {
        Action.SUBMIT,
        Action.ACCEPT,
        Action.RESOLVE,
        Action.TRANSFER,
        Action.REFER_UP,
        Action.ESCALATE,
        Action.REOPEN,
        Action.REASSIGN,
        Action.CHECK_CONFIRM,
        Action.CHECK_LAPSE,
        Action.REVIEW_PASS,
        Action.REVIEW_FAIL,
        Action.REVIEW_ESCALATE,
    }
)


def start(
    report: Report, window: Window, at: datetime, rules: Rules, *, urgent: bool, can_escalate: bool
) -> Report:
    """Returns REPORT with WINDOW running from AT (any pending 申请延期 or 退单 request lapses)."""
    extra = {k: v for k, v in report.extra.items() if k not in ("extension", "reject_request")}
    if window is Window.VERIFY:
        due = at + rules.policy.verify_within
        timer = Timer(window, at, None, None, due)
        return replace(report, due_at=due, timer=timer, extra=extra)
    span = rules.policy.span(report.category, report.tier, window)
    due = rules.add(at, span, urgent=urgent)
    remind = rules.add(at, span.scaled(rules.policy.reminder_at), urgent=urgent)
    breach = (
        rules.add(due, span.scaled(rules.policy.escalate_after), urgent=urgent)
        if can_escalate
        else None
    )
    timer = Timer(window, at, remind, breach, remind)
    return replace(report, due_at=due, timer=timer, extra=extra)


def after_move(
    report: Report, event: ReportEvent, rules: Rules, *, urgent: bool, can_escalate: bool
) -> Report:
    """Returns REPORT (just moved by EVENT) with the clock its new status runs, if it changed."""
    window = WINDOW_OF.get(report.status)
    if window is None:
        return replace(report, timer=None)
    if event.action in RESTARTS or report.timer is None or report.timer.window is not window:
        return start(report, window, event.at, rules, urgent=urgent, can_escalate=can_escalate)
    return report


class Do(StrEnum):
    """What the sweep does about a report whose timer is due."""

    REMIND = "remind"  # tell the holder the deadline is near
    NAG = "nag"  # tell the holder the deadline has passed
    ESCALATE = "escalate"  # breached: to the next tier, on a new clock (核实: dispatched
    # unverified; 复查: to the reviewers one level up)
    EXPIRE = "expire"  # the reporter did not verify in time: CLOSED_UNVERIFIED
    WAIT = "wait"  # quiet hours or the day's budget: look again at timer.next_at
    RESTART = "restart"  # no timer, or the wrong one: start the status's window now
    STOP = "stop"  # the report runs no window any more


@dataclass(frozen=True, slots=True)
class Decision:
    do: Do
    timer: Timer | None = None  # the timer to store (REMIND, NAG, WAIT)


def decide(
    report: Report, now: datetime, rules: Rules, *, urgent: bool, can_escalate: bool
) -> Decision | None:
    """Returns the one thing to do about REPORT at NOW, or None if nothing is due yet.

    Only the most advanced step that is due happens: a report found hours past its breach is
    escalated, not reminded, nagged and escalated.
    """
    window = WINDOW_OF.get(report.status)
    timer = report.timer
    if window is None:
        return Decision(Do.STOP)
    if timer is None or timer.window is not window or report.due_at is None:
        return Decision(Do.RESTART)
    if timer.next_at is None or now < timer.next_at:
        return None
    if window is Window.VERIFY:
        if now >= report.due_at:
            return Decision(Do.EXPIRE)
        return Decision(Do.WAIT, replace(timer, next_at=report.due_at))
    if can_escalate and timer.breach_at is not None and now >= timer.breach_at:
        return Decision(Do.ESCALATE)
    overdue = now >= report.due_at
    if not overdue and (timer.remind_at is None or now < timer.remind_at):
        return Decision(Do.WAIT, replace(timer, next_at=timer.remind_at or report.due_at))
    breach = timer.breach_at if can_escalate else None

    def capped(at: datetime) -> datetime:
        return min(at, breach) if breach is not None and breach > now else at

    if not urgent and rules.in_quiet_hours(now):
        later = rules.next_local(now, rules.policy.quiet_end)
        return Decision(Do.WAIT, replace(timer, next_at=capped(later)))
    today = rules.local_day(now)
    sent = timer.nags if timer.nag_day == today else 0
    if sent >= rules.policy.daily_nags:
        tomorrow = rules.next_local(now, time(0, 0) if urgent else rules.policy.quiet_end)
        if not urgent and rules.local_day(tomorrow) == today:
            tomorrow = rules.next_local(tomorrow, rules.policy.quiet_end)
        return Decision(Do.WAIT, replace(timer, next_at=capped(tomorrow)))
    if overdue:
        following = capped(rules.add(now, rules.policy.nag_every, urgent=urgent))
        return Decision(Do.NAG, replace(timer, next_at=following, nag_day=today, nags=sent + 1))
    return Decision(
        Do.REMIND, replace(timer, next_at=capped(report.due_at), nag_day=today, nags=sent + 1)
    )


def reminder(report: Report, do: Do, timer: Timer, at: datetime) -> tuple[Report, ReportEvent]:
    """Returns the report with TIMER and the REMIND or NAG event the sweep records."""
    action = Action.REMIND if do is Do.REMIND else Action.NAG
    assert report.due_at is not None
    data = {"window": timer.window.value, "due": report.due_at.isoformat(), "count": timer.nags}
    return move(report, action, actor_id=None, at=at, data=data, timer=timer)


# 申请延期 ----------------------------------------------------------------------------------

_REQUEST = re.compile(
    r"^\s*(\d{1,3})\s*(d|day|days|天|日|个工作日|工作日|h|hour|hours|小时|个小时)?\s*$", re.I
)
MAX_EXTENSION = {"d": 10.0, "h": 72.0}


class ExtensionError(AskError):
    """The extension cannot be asked for or decided now (KEY names the catalog text)."""


def parse_extension(text: str) -> Span | None:
    """Returns the extra time typed ('2', '2天', '3d', '4小时', '4h'), or None if unusable."""
    match = _REQUEST.match(text)
    if match is None:
        return None
    amount = int(match.group(1))
    unit = (match.group(2) or "d").lower()
    unit = "h" if unit in ("h", "hour", "hours", "小时", "个小时") else "d"
    if not 1 <= amount <= MAX_EXTENSION[unit]:
        return None
    return Span(amount, unit)


# 申请延期 as the one ask to the tier above (bot/domain/asks.py)
EXTENSION = Ask(
    slot="extension",
    counter="extensions_asked",
    error=ExtensionError,
    already="extension.already_pending",
    stale="extension.stale",
)
pending_extension = EXTENSION.pending


def may_ask_extension(staff: Staff | None, report: Report) -> bool:
    """Tells whether STAFF holds REPORT: its assignee, or staff of its unit while unassigned."""
    if staff is None or not report.status.is_open:
        return False
    return report.assignee_id == staff.user_id or takes_unassigned(staff, report)


def may_decide_extension(staff: Staff | None, report: Report, tree: UnitTree) -> bool:
    """Tells whether STAFF may approve or deny: staff of a unit above the holder, or an admin."""
    if staff is None or staff.user_id == report.assignee_id:
        return False
    if staff.role is Role.ADMIN:
        return True
    if not staff.role.is_supervisor or staff.unit == report.holder_unit:
        return False
    return report.holder_unit in tree and tree.is_within(report.holder_unit, staff.unit)


def extension_deciders(report: Report, tree: UnitTree, staff: Iterable[Staff]) -> list[Staff]:
    """Returns who decides: supervisors of the nearest staffed unit above the holder, or admins."""
    people = list(staff)
    if report.holder_unit in tree:
        for unit in tree.chain(report.holder_unit)[1:]:
            here = [
                s
                for s in people
                if s.unit == unit.code and s.role.is_supervisor and s.role is not Role.ADMIN
            ]
            if here:
                return here
    return [s for s in people if s.role is Role.ADMIN]


def ask_extension(
    report: Report, by: Staff, at: datetime, span: Span, reason: str
) -> tuple[Report, ReportEvent]:
    """Returns the report with a pending request for SPAN more time, and the request's event."""
    if pending_extension(report) is not None:
        raise ExtensionError("extension.already_pending")
    if not may_ask_extension(by, report):
        raise ExtensionError("extension.not_holder")
    return EXTENSION.ask(
        report,
        by,
        at,
        Action.ASK_EXTENSION,
        note=reason,
        fields={"span": str(span), "reason": reason},
        data={"span": str(span)},
    )


def extended_due(
    report: Report, span: Span, at: datetime, rules: Rules, *, urgent: bool
) -> datetime:
    """Returns the deadline after granting SPAN: from the old deadline, or from AT if it passed."""
    assert report.due_at is not None
    return rules.add(max(report.due_at, at), span, urgent=urgent)


def approve_extension(
    report: Report,
    by: Staff,
    at: datetime,
    request: int,
    rules: Rules,
    *,
    urgent: bool,
) -> tuple[Report, ReportEvent]:
    """Returns the report with its deadline moved by the requested time (an EXTEND event).

    The extra time is a fresh stretch of the window: a reminder at the policy's fraction of it,
    a nag at the new deadline, escalation the usual grace past it.
    """
    pending, extra = EXTENSION.decided(report, request)
    timer = report.timer
    if timer is None or report.due_at is None or timer.window is Window.VERIFY:
        raise InvalidTransition(report.status, Action.EXTEND)
    span = Span.parse(pending["span"])
    base = max(report.due_at, at)
    due = extended_due(report, span, at, rules, urgent=urgent)
    remind = rules.add(base, span.scaled(rules.policy.reminder_at), urgent=urgent)
    breach = None
    if timer.breach_at is not None:
        window = rules.policy.span(report.category, report.tier, timer.window)
        breach = rules.add(due, window.scaled(rules.policy.escalate_after), urgent=urgent)
    new_timer = replace(timer, remind_at=remind, breach_at=breach, next_at=remind)
    return move(
        report,
        Action.EXTEND,
        actor_id=by.user_id,
        at=at,
        data={
            "request": request,
            "span": pending["span"],
            "from": report.due_at.isoformat(),
            "to": due.isoformat(),
        },
        due_at=due,
        timer=new_timer,
        extra=extra,
    )


def deny_extension(
    report: Report, by: Staff, at: datetime, request: int
) -> tuple[Report, ReportEvent]:
    """Returns the report without its pending request, and the denial's event."""
    return EXTENSION.decline(report, by, at, request, Action.DENY_EXTENSION)
