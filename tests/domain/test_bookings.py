"""bot/domain/bookings.py: opening hours, the slots one may book, reminders past quiet hours, the
moves of a booking and who decides — table-driven."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.bookings import (
    Booking,
    BookingStatus,
    InvalidBooking,
    Quiet,
    Reminder,
    Resource,
    check_slot,
    clean_purpose,
    deciders,
    free_slots,
    may_decide,
    nearby_first,
    next_status,
    open_days,
    parse_hours,
    reminder_due,
    schedule_reminders,
    slot_starts,
)
from bot.domain.calendar import Period
from bot.domain.people import Role, Staff
from bot.domain.units import Unit, UnitTree

TZ = ZoneInfo("Asia/Shanghai")
# Monday 2026-12-07, 08:00 local
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=TZ)
HOLIDAY = date(2026, 12, 9)  # a Wednesday the office closes
TREE = UnitTree(
    [
        Unit("S1", "街道", "street"),
        Unit("C1", "春晖社区", "community", "S1"),
        Unit("C2", "晨光社区", "community", "S1"),
        Unit("G1", "第一网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
    ]
)
ROOM = Resource(
    "room",
    "活动室",
    "Room",
    "venue",
    "C1",
    capacity=2,
    slot_minutes=60,
    hours=parse_hours(["mon-fri 09:00-12:00,14:00-16:30", "sat 09:00-10:00"]),
    days_ahead=7,
)


def closed(day: date) -> bool:
    return day == HOLIDAY


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("entries", "day", "periods"),
    [
        (["mon-fri 09:00-12:00,14:00-17:30"], 0, ("09:00", "14:00")),
        (["mon-fri 09:00-12:00,14:00-17:30"], 5, ()),
        (["sat 09:00-10:00", "sat 14:00-15:00"], 5, ("09:00", "14:00")),
        (["SUN 08:00-09:00"], 6, ("08:00",)),
    ],
)
def test_opening_hours_are_read_per_weekday(entries, day, periods):
    hours = parse_hours(entries)
    assert tuple(p.start.strftime("%H:%M") for p in hours.get(day, ())) == periods


@pytest.mark.parametrize(
    "entries",
    [
        ["monday 09:00-12:00"],
        ["fri-mon 09:00-12:00"],
        ["mon 12:00-09:00"],
        ["mon 09:00-12:00", "mon 11:00-13:00"],
        ["mon"],
    ],
)
def test_bad_opening_hours_are_refused(entries):
    with pytest.raises(ValueError):
        parse_hours(entries)


def test_slots_fill_each_period_and_a_short_tail_is_no_slot():
    starts = [s.strftime("%H:%M") for s in slot_starts(ROOM, date(2026, 12, 7), TZ)]
    assert starts == ["09:00", "10:00", "11:00", "14:00", "15:00"]  # 16:00-17:00 ends past 16:30
    assert slot_starts(ROOM, date(2026, 12, 13), TZ) == []  # Sunday: closed


@pytest.mark.parametrize(
    ("starts", "key"),
    [
        (at(7, 9), None),
        (at(12, 9), None),  # Saturday's one slot
        (at(7, 7), "booking.past"),
        (at(7, 8), "booking.past"),
        (at(15, 9), "booking.too_far"),
        (at(9, 9), "booking.holiday"),
        (at(7, 12), "booking.outside_hours"),
        (at(7, 9, 30), "booking.outside_hours"),
        (at(13, 9), "booking.outside_hours"),  # Sunday
        (at(7, 16), "booking.outside_hours"),
    ],
)
def test_a_slot_is_checked_against_time_hours_holidays_and_reach(starts, key):
    if key is None:
        check_slot(ROOM, starts, NOW, TZ, closed)
        return
    with pytest.raises(InvalidBooking) as raised:
        check_slot(ROOM, starts, NOW, TZ, closed)
    assert raised.value.key == key


def test_open_days_skip_holidays_and_sundays_and_free_slots_hide_full_ones():
    days = open_days(ROOM, at(7, 15, 30), TZ, closed, 5)
    assert days == [date(2026, 12, 8), date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 12),
                    date(2026, 12, 14)]  # fmt: skip
    taken = {at(8, 9): 2, at(8, 10): 1}
    slots = free_slots(ROOM, date(2026, 12, 8), NOW, TZ, taken)
    assert [(s.starts_at.hour, s.left) for s in slots] == [(10, 1), (11, 2), (14, 2), (15, 2)]


@pytest.mark.parametrize(
    ("text", "ok"),
    [("开会", True), ("  老年 合唱  排练 ", True), ("x", False), ("", False), ("长" * 61, False)],
)
def test_the_purpose_is_one_short_line(text, ok):
    if ok:
        assert "  " not in clean_purpose(text, 60)
    else:
        with pytest.raises(InvalidBooking):
            clean_purpose(text, 60)


def booking(starts: datetime, status: BookingStatus = BookingStatus.CONFIRMED) -> Booking:
    return Booking("room", "C1", 5001, starts, starts + timedelta(hours=1), "开会", status, NOW)


QUIET = Quiet(time(22, 0), time(7, 30))


@pytest.mark.parametrize(
    ("starts", "day", "hour"),
    [
        (at(9, 14), at(8, 14), at(9, 13)),
        (at(8, 22, 30), at(8, 7, 30), at(8, 21, 30)),  # 22:30 the day before: quiet, so 07:30
        (at(9, 8), at(8, 8), at(9, 7, 30)),  # 07:00 is quiet: 07:30
        (at(8, 23, 30), at(8, 7, 30), None),  # the hour one would be quiet until after the start
        (at(8, 7, 30), None, None),  # quiet until the start itself
        (at(7, 8, 30), None, None),  # both already past
    ],
)
def test_reminders_are_a_day_and_an_hour_before_and_never_in_quiet_hours(starts, day, hour):
    got = schedule_reminders(booking(starts), NOW, QUIET, TZ)
    assert (got.remind_day_at, got.remind_hour_at) == (day, hour)


def test_after_downtime_only_the_latest_reminder_is_due():
    b = schedule_reminders(booking(at(9, 14)), NOW, QUIET, TZ)
    assert reminder_due(b, at(8, 13)) is None
    assert reminder_due(b, at(8, 14)) is Reminder.DAY
    assert reminder_due(b, at(9, 13, 30)) is Reminder.HOUR
    assert reminder_due(b, at(9, 14)) is None  # started
    pending = schedule_reminders(booking(at(9, 14), BookingStatus.PENDING), NOW, QUIET, TZ)
    assert reminder_due(pending, at(9, 13, 30)) is None


P, C, M, D, X = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.MOVED,
                 BookingStatus.DECLINED, BookingStatus.CANCELLED)  # fmt: skip


@pytest.mark.parametrize(
    ("status", "action", "result"),
    [
        (P, "confirm", C),
        (C, "confirm", "booking.not_pending"),
        (P, "decline", D),
        (C, "decline", D),
        (X, "decline", "booking.not_open"),
        (P, "move", M),
        (M, "move", "booking.not_open"),
        (M, "accept", C),
        (C, "accept", "booking.not_open"),
        (M, "cancel", X),
        (C, "cancel", X),
        (X, "cancel", "booking.not_open"),
        (D, "cancel", "booking.not_open"),
    ],
)
def test_each_action_moves_a_booking_from_the_statuses_it_applies_to(status, action, result):
    b = booking(at(9, 14), status)
    if isinstance(result, BookingStatus):
        assert next_status(b, action, NOW) is result
    else:
        with pytest.raises(InvalidBooking) as raised:
            next_status(b, action, NOW)
        assert raised.value.key == result


def test_nothing_changes_once_the_slot_has_started():
    with pytest.raises(InvalidBooking) as raised:
        next_status(booking(at(7, 8)), "cancel", NOW)
    assert raised.value.key == "booking.started"


COMMUNITY = Staff(201, "陈", Role.COMMUNITY, "C1")
STREET = Staff(301, "街", Role.STREET, "S1")
OTHER = Staff(202, "晨", Role.COMMUNITY, "C2")
PARTNER = Staff(401, "物业", Role.PARTNER, "C1")
WORKER = Staff(101, "李", Role.GRID_WORKER, "G1")


@pytest.mark.parametrize(
    ("staff", "listed", "allowed"),
    [
        (COMMUNITY, (), True),
        (STREET, (), True),
        (OTHER, (), False),
        (PARTNER, (), False),
        (WORKER, (), False),
        (None, (), False),
        (WORKER, (101,), True),
        (COMMUNITY, (101,), False),
    ],
)
def test_the_resources_staff_decide(staff, listed, allowed):
    resource = Resource(**{**{f: getattr(ROOM, f) for f in ROOM.__slots__}, "staff": listed})
    assert may_decide(staff, resource, TREE) is allowed


def test_cards_go_to_the_units_staff_unless_staff_are_listed():
    everyone = [COMMUNITY, STREET, OTHER, PARTNER, WORKER]
    assert deciders(ROOM, everyone) == [COMMUNITY]
    listed = Resource(**{**{f: getattr(ROOM, f) for f in ROOM.__slots__}, "staff": (101,)})
    assert deciders(listed, everyone) == [WORKER]


def test_resources_of_ones_own_community_come_first():
    hall = Resource(
        "hall", "礼堂", "Hall", "venue", "C2", 1, 60, {0: (Period(time(9), time(10)),)}, 7
    )
    assert [r.code for r in nearby_first([hall, ROOM], "B1", TREE)] == ["room", "hall"]
    assert [r.code for r in nearby_first([hall, ROOM], None, TREE)] == ["hall", "room"]
