"""Bookings (预约办理 / 找场馆): residents book a slot at a community venue or an in-person service.

A resource (configured in [[resources]]) has opening hours per weekday, cut into slots of
`slot_minutes`, each with `capacity` places. A booking is pending until the resource's staff
confirm it (or confirmed at once where no confirmation is needed); staff may move it to another
free slot (the resident accepts or cancels) or decline it with a reason. After the slot starts
staff record whether the person showed up; no-shows are counted per person and year.

Pure: the clock is passed in, holidays come in as a lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from itertools import pairwise

from bot.domain.calendar import Period
from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_BEFORE = timedelta(days=1)
HOUR_BEFORE = timedelta(hours=1)
MIN_PURPOSE = 2
MAX_REASON = 200
_ENTRY = re.compile(r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(.+)$")

# Tells whether a day is closed for bookings (the office's holidays)
Closed = Callable[[date], bool]


class InvalidBooking(ValueError):
    """Input that cannot make a booking; KEY is the catalog key that says why."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class BookingStatus(StrEnum):
    PENDING = "pending"  # waits for the resource's staff
    CONFIRMED = "confirmed"
    MOVED = "moved"  # staff offered another slot; the resident accepts or cancels
    DECLINED = "declined"
    CANCELLED = "cancelled"

    @property
    def holds_place(self) -> bool:
        return self in (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.MOVED)


HOLDING = tuple(s.value for s in BookingStatus if s.holds_place)


class Attendance(StrEnum):
    CAME = "came"
    NO_SHOW = "no_show"


class Reminder(StrEnum):
    DAY = "day"
    HOUR = "hour"


def parse_hours(entries: Iterable[str]) -> dict[int, tuple[Period, ...]]:
    """Returns weekday (0 = Monday) → its opening periods, from entries like
    "mon-fri 09:00-12:00,14:00-17:30"; raises ValueError naming a bad entry or an overlap."""
    week: dict[int, list[Period]] = {}
    for entry in entries:
        match = _ENTRY.match(entry.lower())
        if match is None or match.group(1) not in DAYS or (match.group(2) or "mon") not in DAYS:
            raise ValueError(f"{entry!r} is not like 'mon-fri 09:00-12:00,14:00-17:30'")
        first = DAYS.index(match.group(1))
        last = DAYS.index(match.group(2)) if match.group(2) else first
        if last < first:
            raise ValueError(f"{entry!r}: the days run backwards")
        periods = [Period.parse(text) for text in match.group(3).split(",")]
        for day in range(first, last + 1):
            week.setdefault(day, []).extend(periods)
    out: dict[int, tuple[Period, ...]] = {}
    for day, periods in week.items():
        ordered = tuple(sorted(periods, key=lambda p: p.start))
        for before, after in pairwise(ordered):
            if after.start < before.end:
                raise ValueError(f"opening hours overlap on {DAYS[day]}")
        out[day] = ordered
    return out


@dataclass(frozen=True, slots=True)
class Resource:
    """A bookable venue or service (one [[resources]] entry)."""

    code: str
    zh: str
    en: str
    kind: str
    unit: str
    capacity: int
    slot_minutes: int
    hours: dict[int, tuple[Period, ...]]
    days_ahead: int
    confirm: bool = True
    staff: tuple[int, ...] = ()

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    @property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


@dataclass(frozen=True, slots=True)
class Booking:
    resource: str
    unit: str
    user_id: int
    starts_at: datetime
    ends_at: datetime
    purpose: str
    status: BookingStatus
    created_at: datetime
    attendance: Attendance | None = None
    reason: str | None = None  # why staff declined
    decided_by: int | None = None
    remind_day_at: datetime | None = None  # NULL once sent (or pointless)
    remind_hour_at: datetime | None = None
    version: int = 0
    id: int | None = None

    @property
    def number(self) -> str:
        return f"Y{self.id:06d}" if self.id is not None else "Y??????"


@dataclass(frozen=True, slots=True)
class Slot:
    """One slot of a resource on a day: its start and the places left."""

    starts_at: datetime
    left: int


@dataclass(frozen=True, slots=True)
class Quiet:
    """Quiet hours ([deadlines] quiet_hours): no reminder goes out between START and END."""

    start: time
    end: time

    def covers(self, moment: datetime, tz: tzinfo) -> bool:
        local = moment.astimezone(tz).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def after(self, moment: datetime, tz: tzinfo) -> datetime:
        """Returns MOMENT, or the end of the quiet hours it falls in."""
        if not self.covers(moment, tz):
            return moment
        local = moment.astimezone(tz)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


# Opening hours, days and slots -----------------------------------------------------------------


def slot_starts(resource: Resource, day: date, tz: tzinfo) -> list[datetime]:
    """Returns the starts of RESOURCE's slots on DAY (local DAY, aware datetimes)."""
    starts: list[datetime] = []
    for period in resource.hours.get(day.weekday(), ()):
        cursor = datetime.combine(day, period.start, tzinfo=tz)
        end = datetime.combine(day, period.end, tzinfo=tz)
        while cursor + resource.slot <= end:
            starts.append(cursor)
            cursor += resource.slot
    return starts


def last_day(resource: Resource, now: datetime, tz: tzinfo) -> date:
    return now.astimezone(tz).date() + timedelta(days=resource.days_ahead)


def open_days(
    resource: Resource, now: datetime, tz: tzinfo, closed: Closed, count: int
) -> list[date]:
    """Returns up to COUNT days from today on which RESOURCE has a slot still ahead."""
    today = now.astimezone(tz).date()
    out: list[date] = []
    day = today
    while day <= last_day(resource, now, tz) and len(out) < count:
        if not closed(day) and any(s > now for s in slot_starts(resource, day, tz)):
            out.append(day)
        day += timedelta(days=1)
    return out


def free_slots(
    resource: Resource, day: date, now: datetime, tz: tzinfo, taken: dict[datetime, int]
) -> list[Slot]:
    """Returns DAY's slots still ahead with places left (TAKEN: places held per start)."""
    out = []
    for start in slot_starts(resource, day, tz):
        left = resource.capacity - taken.get(start, 0)
        if start > now and left > 0:
            out.append(Slot(start, left))
    return out


def check_slot(
    resource: Resource, starts_at: datetime, now: datetime, tz: tzinfo, closed: Closed
) -> None:
    """Raises InvalidBooking unless STARTS_AT is a slot of RESOURCE one may book at NOW: ahead,
    within days_ahead, on a day that is not a holiday, at a slot start inside opening hours."""
    local = starts_at.astimezone(tz)
    if starts_at <= now:
        raise InvalidBooking("booking.past")
    if local.date() > last_day(resource, now, tz):
        raise InvalidBooking("booking.too_far")
    if closed(local.date()):
        raise InvalidBooking("booking.holiday")
    if starts_at not in slot_starts(resource, local.date(), tz):
        raise InvalidBooking("booking.outside_hours")


def clean_purpose(text: str | None, limit: int) -> str:
    """Returns the purpose as one line; raises InvalidBooking if empty or too long."""
    value = " ".join((text or "").split())
    if len(value) < MIN_PURPOSE or len(value) > limit:
        raise InvalidBooking("booking.bad_purpose")
    return value


def clean_reason(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value or len(value) > MAX_REASON:
        raise InvalidBooking("booking.bad_reason")
    return value


# Reminders ---------------------------------------------------------------------------------


def schedule_reminders(booking: Booking, now: datetime, quiet: Quiet, tz: tzinfo) -> Booking:
    """Returns BOOKING with its reminders: a day and an hour before, moved past quiet hours;
    those already past, or that quiet hours push to the start, are skipped."""

    def due(before: timedelta) -> datetime | None:
        at = quiet.after(booking.starts_at - before, tz)
        return at if now < at < booking.starts_at else None

    day, hour = due(DAY_BEFORE), due(HOUR_BEFORE)
    if day is not None and hour is not None and day >= hour:
        day = None  # quiet hours pushed the day reminder onto the hour one
    return replace(booking, remind_day_at=day, remind_hour_at=hour)


def unscheduled(booking: Booking) -> Booking:
    return replace(booking, remind_day_at=None, remind_hour_at=None)


def reminder_due(booking: Booking, now: datetime) -> Reminder | None:
    """Returns the one reminder to send now, if any (the hour one wins after downtime)."""
    if booking.starts_at <= now or booking.status is not BookingStatus.CONFIRMED:
        return None
    if booking.remind_hour_at is not None and booking.remind_hour_at <= now:
        return Reminder.HOUR
    if booking.remind_day_at is not None and booking.remind_day_at <= now:
        return Reminder.DAY
    return None


# Moves -------------------------------------------------------------------------------------

# What each action does to a booking: the statuses it may start from and where it goes
MOVES: dict[str, tuple[frozenset[BookingStatus], BookingStatus]] = {
    "confirm": (frozenset({BookingStatus.PENDING}), BookingStatus.CONFIRMED),
    "decline": (
        frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED}),
        BookingStatus.DECLINED,
    ),
    "move": (frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED}), BookingStatus.MOVED),
    "accept": (frozenset({BookingStatus.MOVED}), BookingStatus.CONFIRMED),
    "cancel": (
        frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.MOVED}),
        BookingStatus.CANCELLED,
    ),
}


def next_status(booking: Booking, action: str, now: datetime) -> BookingStatus:
    """Returns the status ACTION leads to; raises InvalidBooking if it does not apply now."""
    allowed, target = MOVES[action]
    if booking.status not in allowed:
        raise InvalidBooking("booking.not_" + ("pending" if action == "confirm" else "open"))
    if booking.starts_at <= now:
        raise InvalidBooking("booking.started")
    return target


def may_mark(booking: Booking, now: datetime) -> bool:
    """Tells whether attendance may be recorded: a confirmed booking whose slot has started."""
    return booking.status is BookingStatus.CONFIRMED and booking.starts_at <= now


def year_start(now: datetime, tz: tzinfo) -> datetime:
    """Returns the start of NOW's local year (no-shows are counted per year)."""
    local = now.astimezone(tz)
    return datetime(local.year, 1, 1, tzinfo=tz)


# Who may do what ---------------------------------------------------------------------------


def may_decide(staff: Staff | None, resource: Resource, tree: UnitTree) -> bool:
    """Tells whether STAFF confirms, moves and declines RESOURCE's bookings and records who came:
    the staff listed for it; where none are listed, staff of its unit or above (not partners)."""
    if staff is None:
        return False
    if staff.role is Role.ADMIN:
        return True
    if resource.staff:
        return staff.user_id in resource.staff
    if staff.role is Role.PARTNER or resource.unit not in tree or staff.unit not in tree:
        return False
    return tree.is_within(resource.unit, staff.unit)


def deciders(resource: Resource, staff: Sequence[Staff]) -> list[Staff]:
    """Returns who gets RESOURCE's booking cards: its listed staff, else the staff of its unit."""
    if resource.staff:
        return [s for s in staff if s.user_id in resource.staff]
    return [s for s in staff if s.unit == resource.unit and s.role is not Role.PARTNER]


def nearby_first(resources: Sequence[Resource], home: str | None, tree: UnitTree) -> list[Resource]:
    """Returns RESOURCES with those of HOME's community (its chain upwards) first, then the rest,
    each group in configured order."""
    chain = {u.code for u in tree.chain(home)} if home is not None and home in tree else set()
    near = [r for r in resources if r.unit in chain]
    return near + [r for r in resources if r.unit not in chain]
