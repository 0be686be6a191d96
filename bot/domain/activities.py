"""Activities (活动预约): staff announce, volunteers sign up, a waitlist fills freed places.

Places are taken in order of sign-up; when someone going cancels, the earliest on the waitlist
moves up. Reminders go out a day and an hour before; after downtime only the latest reminder
that is still useful is sent. The organiser checks people in, which is what earns points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from bot.domain.people import Staff
from bot.domain.units import UnitTree
from bot.domain.volunteers import InvalidInput, may_manage

MAX_TITLE = 60
MAX_PLACE = 100
MAX_CAPACITY = 500
DAY_BEFORE = timedelta(days=1)
HOUR_BEFORE = timedelta(hours=1)
CHECK_IN_OPENS = timedelta(hours=1)  # before the start
_WHEN = re.compile(r"^(?:(\d{4})[-/.])?(\d{1,2})[-/.](\d{1,2})\s+(\d{1,2})[:：](\d{2})$")


class SignupStatus(StrEnum):
    GOING = "going"
    WAITLIST = "waitlist"
    CANCELLED = "cancelled"
    ATTENDED = "attended"  # checked in by the organiser

    @property
    def holds_place(self) -> bool:
        return self in (SignupStatus.GOING, SignupStatus.ATTENDED)


class Reminder(StrEnum):
    DAY = "day"
    HOUR = "hour"


@dataclass(frozen=True, slots=True)
class Activity:
    title: str
    starts_at: datetime
    place: str
    capacity: int
    unit: str
    organiser_id: int
    skills: tuple[str, ...] = ()
    created_at: datetime | None = None
    remind_day_at: datetime | None = None  # NULL once sent (or pointless)
    remind_hour_at: datetime | None = None
    id: int | None = None

    @property
    def number(self) -> str:
        return f"A{self.id:05d}" if self.id is not None else "A?????"

    def is_upcoming(self, now: datetime) -> bool:
        return self.starts_at > now


@dataclass(frozen=True, slots=True)
class Signup:
    activity_id: int
    volunteer_id: int
    status: SignupStatus
    position: int  # sign-up order; the waitlist is promoted in this order
    name: str = ""


def clean_title(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value or len(value) > MAX_TITLE:
        raise InvalidInput("activity.bad_title")
    return value


def clean_place(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value or len(value) > MAX_PLACE:
        raise InvalidInput("activity.bad_place")
    return value


def parse_capacity(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_CAPACITY:
        raise InvalidInput("activity.bad_capacity")
    return int(value)


def parse_when(text: str | None, tz: tzinfo, now: datetime) -> datetime:
    """Returns the local time TEXT ('2026-12-05 09:30' or '12-05 9:30') as an aware datetime.

    Without a year the next such date is meant. The time must lie ahead, within a year.
    """
    match = _WHEN.match((text or "").strip())
    if match is None:
        raise InvalidInput("activity.bad_time")
    year_text, month, day, hour, minute = match.groups()
    local_now = now.astimezone(tz)
    year = int(year_text) if year_text else local_now.year
    try:
        when = datetime(year, int(month), int(day), int(hour), int(minute), tzinfo=tz)
        if not year_text and when <= now:
            when = when.replace(year=year + 1)
    except ValueError:
        raise InvalidInput("activity.bad_time") from None
    if when <= now:
        raise InvalidInput("activity.time_past")
    if when > now + timedelta(days=366):
        raise InvalidInput("activity.time_far")
    return when


def schedule_reminders(activity: Activity, now: datetime) -> Activity:
    """Returns ACTIVITY with its reminder times (those already past are skipped)."""
    day = activity.starts_at - DAY_BEFORE
    hour = activity.starts_at - HOUR_BEFORE
    return replace(
        activity,
        remind_day_at=day if day > now else None,
        remind_hour_at=hour if hour > now else None,
    )


def reminder_due(activity: Activity, now: datetime) -> Reminder | None:
    """Returns the one reminder to send now, if any (the hour one wins after downtime)."""
    if activity.starts_at <= now:
        return None
    if activity.remind_hour_at is not None and activity.remind_hour_at <= now:
        return Reminder.HOUR
    if activity.remind_day_at is not None and activity.remind_day_at <= now:
        return Reminder.DAY
    return None


def seat(holding: int, capacity: int) -> SignupStatus:
    """Returns where a new sign-up goes given HOLDING places already taken."""
    return SignupStatus.GOING if holding < capacity else SignupStatus.WAITLIST


def next_in_line(signups: list[Signup]) -> Signup | None:
    """Returns the earliest sign-up on the waitlist."""
    waiting = [s for s in signups if s.status is SignupStatus.WAITLIST]
    return min(waiting, key=lambda s: s.position) if waiting else None


def may_check_in(activity: Activity, staff: Staff | None, tree: UnitTree) -> bool:
    """Tells whether STAFF may check people in: the organiser, or staff over the unit."""
    if staff is None:
        return False
    return staff.user_id == activity.organiser_id or may_manage(staff, activity.unit, tree)


def check_in_open(activity: Activity, now: datetime) -> bool:
    """Tells whether check-in has opened (an hour before the start; it stays open after)."""
    return now >= activity.starts_at - CHECK_IN_OPENS
