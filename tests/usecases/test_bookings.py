"""bot/usecases/bookings.py on a real SQLite file, no Application: booking a slot, staff
confirming, moving (the resident accepts) and declining, cancelling, recording who came (and
the no-shows on the next card), the reminders sweep, and the 台账 sheet — each in one commit,
refused by its rule (recorded), and a refused booking writes nothing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.domain.access import Rule
from bot.domain.bookings import Attendance, Booking, BookingStatus
from bot.domain.ledger import Period
from bot.jobs.bookings import remind_bookings
from bot.services import Services
from bot.usecases import bookings, ledger
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from tests.conftest import COMMUNITY, DATA, PROPERTY, RESIDENT
from tests.fakes import FakeClock
from tests.usecases.support import refusals, sent_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
OTHER = 5002

RESOURCES = """
[calendar]
holidays = [2026-11-26]

[[resources]]
code = "room"
zh = "社区活动室"
en = "Community room"
unit = "C1"
capacity = 1
hours = ["mon-sun 09:00-12:00,14:00-17:00"]

[[resources]]
code = "cert"
zh = "居住证明办理"
en = "Residence certificate"
kind = "service"
unit = "C1"
capacity = 2
slot_minutes = 30
hours = ["mon-fri 09:00-11:00"]
confirm = false
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((DATA / "config.toml").read_text(encoding="utf-8") + RESOURCES, "utf-8")
    return path


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


async def book(
    services: Services, when: datetime, *, by: int = RESIDENT, resource: str = "room"
) -> Done[Booking] | Refused:
    return await bookings.book(services, resource, when, "老年合唱排练", by=by, at=services.clock())


async def booked(services: Services, when: datetime, **kw) -> Booking:
    result = await book(services, when, **kw)
    assert isinstance(result, Done), result
    return result.value


async def counts(services: Services) -> tuple[int, int, int]:
    """(bookings, places held, outbox rows)"""
    db = services.store.db
    one = await db.fetchone("SELECT COUNT(*) FROM bookings")
    two = await db.fetchone("SELECT COALESCE(SUM(taken), 0) FROM booking_slots")
    three = await db.fetchone("SELECT COUNT(*) FROM outbox")
    return int(one[0]), int(two[0]), int(three[0])


async def test_a_booking_waits_for_staff_who_confirm_it_and_the_reminders_are_set(
    services: Services,
):
    await services.drafts.put(Draft(RESIDENT, "booking", "confirm", {}), services.clock())
    mine = await booked(services, local(25, 15))
    assert mine.status is BookingStatus.PENDING and mine.remind_day_at is None
    assert await services.drafts.get(RESIDENT) is None  # the flow ended in the same commit
    staff_card = "".join(await sent_to(services, COMMUNITY))
    assert f"book:confirm:{mine.id}" in staff_card and "今年爽约 0 次" in staff_card
    assert f"book:cancel:{mine.id}" in "".join(await sent_to(services, RESIDENT))

    done = await bookings.confirm(services, mine.id or 0, by=COMMUNITY, at=services.clock())
    assert isinstance(done, Done) and done.value.status is BookingStatus.CONFIRMED
    stored = await services.store.bookings.get(mine.id or 0)
    assert stored is not None
    assert stored.remind_day_at == local(24, 15).astimezone(UTC)
    assert stored.remind_hour_at == local(25, 14).astimezone(UTC)
    assert "已确认" in (await sent_to(services, RESIDENT))[-1]
    again = await bookings.confirm(services, mine.id or 0, by=COMMUNITY, at=services.clock())
    assert again == Refused("booking.not_pending")


@pytest.mark.parametrize(
    ("when", "key"),
    [
        (local(25, 12), "booking.outside_hours"),
        (local(25, 9, 30), "booking.outside_hours"),
        (local(24, 9), "booking.past"),
        (local(26, 10), "booking.holiday"),
        (local(24, 10) + timedelta(days=15), "booking.too_far"),
    ],
)
async def test_a_slot_outside_hours_past_on_a_holiday_or_too_far_writes_nothing(
    services: Services, when: datetime, key: str
):
    before = await counts(services)
    assert await book(services, when) == Refused(key)
    assert await counts(services) == before


async def test_over_capacity_or_twice_by_the_same_person_is_refused_and_writes_nothing(
    services: Services,
):
    await booked(services, local(25, 10))
    before = await counts(services)
    assert await book(services, local(25, 10), by=OTHER) == Refused("booking.full")
    assert await counts(services) == before
    await booked(services, local(25, 9), resource="cert")
    before = await counts(services)
    assert await book(services, local(25, 9), resource="cert") == Refused("booking.already")
    assert await counts(services) == before
    refused = await bookings.book(
        services, "room", local(25, 11), "x", by=OTHER, at=services.clock()
    )
    assert refused.key == "booking.bad_purpose"  # type: ignore[union-attr]
    assert await bookings.book(
        services, "gone", local(25, 11), "开会", by=OTHER, at=services.clock()
    ) == Refused("booking.unknown_resource")


async def test_a_service_without_confirmation_is_confirmed_at_once(services: Services):
    mine = await booked(services, local(25, 9, 30), resource="cert")
    assert mine.status is BookingStatus.CONFIRMED and mine.remind_hour_at is not None
    assert "无需确认" in "".join(await sent_to(services, COMMUNITY))


async def test_staff_move_a_booking_the_resident_accepts_and_strangers_are_refused(
    services: Services,
):
    mine = await booked(services, local(25, 10))
    forged = await bookings.confirm(services, mine.id or 0, by=PROPERTY, at=services.clock())
    assert forged == Refused("common.not_allowed", {}, Rule.BOOKING_DECIDE)
    moved = await bookings.move(
        services, mine.id or 0, local(25, 14), by=COMMUNITY, at=services.clock()
    )
    assert isinstance(moved, Done) and moved.value.status is BookingStatus.MOVED
    assert f"book:accept:{mine.id}" in "".join(await sent_to(services, RESIDENT))
    # the old slot is free again, the new one taken
    assert isinstance(await book(services, local(25, 10), by=OTHER), Done)
    assert await book(services, local(25, 14), by=OTHER) == Refused("booking.full")
    stranger = await bookings.accept(services, mine.id or 0, by=OTHER, at=services.clock())
    assert stranger == Refused("common.not_allowed", {}, Rule.BOOKING_OWN)
    accepted = await bookings.accept(services, mine.id or 0, by=RESIDENT, at=services.clock())
    assert isinstance(accepted, Done) and accepted.value.status is BookingStatus.CONFIRMED
    assert await refusals(services) == [
        (PROPERTY, "book:confirm", "booking_decide", f"booking:{mine.id}"),
        (OTHER, "book:accept", "booking_own", f"booking:{mine.id}"),
    ]


async def test_a_declined_booking_frees_its_place_and_tells_the_reason(services: Services):
    mine = await booked(services, local(25, 10))
    empty = await bookings.decline(services, mine.id or 0, "  ", by=COMMUNITY, at=services.clock())
    assert empty == Refused("booking.bad_reason")
    done = await bookings.decline(
        services, mine.id or 0, "当天活动室维修", by=COMMUNITY, at=services.clock()
    )
    assert isinstance(done, Done) and done.value.status is BookingStatus.DECLINED
    assert "当天活动室维修" in (await sent_to(services, RESIDENT))[-1]
    assert isinstance(await book(services, local(25, 10), by=OTHER), Done)
    cancel = await bookings.cancel(services, mine.id or 0, by=RESIDENT, at=services.clock())
    assert cancel == Refused("booking.not_open")


async def test_no_shows_are_recorded_once_after_the_start_and_shown_on_the_next_card(
    services: Services, clock: FakeClock
):
    mine = await booked(services, local(25, 10))
    await bookings.confirm(services, mine.id or 0, by=COMMUNITY, at=clock())
    early = await bookings.mark(services, mine.id or 0, False, by=COMMUNITY, at=clock())
    assert early == Refused("booking.not_started")
    clock.now = local(25, 10, 5).astimezone(UTC)
    assert isinstance(
        await bookings.mark(services, mine.id or 0, False, by=COMMUNITY, at=clock()), Done
    )
    twice = await bookings.mark(services, mine.id or 0, True, by=COMMUNITY, at=clock())
    assert twice == Refused("booking.marked", {"number": mine.number})
    stored = await services.store.bookings.get(mine.id or 0)
    assert stored is not None and stored.attendance is Attendance.NO_SHOW
    nxt = await booked(services, local(27, 10))
    assert f"book:confirm:{nxt.id}" in (await sent_to(services, COMMUNITY))[-2]
    assert "今年爽约 1 次" in (await sent_to(services, COMMUNITY))[-2]
    listed = await bookings.day_page(services, date(2026, 11, 25), 0, by=COMMUNITY, at=clock())
    assert isinstance(listed, Done) and "爽约" in listed.value.params["text"]
    nobody = await bookings.day_page(services, date(2026, 11, 25), 0, by=RESIDENT, at=clock())
    assert nobody == Refused("booking.no_resources")


async def test_the_sweep_reminds_a_day_and_an_hour_before_once_and_not_in_quiet_hours(
    services: Services, clock: FakeClock
):
    mine = await booked(services, local(25, 15))
    await bookings.confirm(services, mine.id or 0, by=COMMUNITY, at=clock())
    before = len(await sent_to(services, RESIDENT))
    clock.now = local(24, 15, 1).astimezone(UTC)
    assert await remind_bookings(services, clock()) == 1
    assert await remind_bookings(services, clock()) == 0
    assert "/bookings 取消" in (await sent_to(services, RESIDENT))[-1]
    clock.now = local(24, 23).astimezone(UTC)  # quiet hours: nothing, even when due
    assert await remind_bookings(services, clock()) == 0
    clock.now = local(25, 14, 30).astimezone(UTC)
    assert await remind_bookings(services, clock()) == 1
    assert len(await sent_to(services, RESIDENT)) == before + 2
    assert await services.store.bookings.due_reminders(clock()) == []


async def test_the_ledger_has_a_bookings_sheet_without_the_person(
    services: Services, clock: FakeClock
):
    mine = await booked(services, local(25, 10))
    await bookings.confirm(services, mine.id or 0, by=COMMUNITY, at=clock())
    built = await ledger.build(
        services, "C1", Period(date(2026, 11, 1), date(2026, 11, 30)), "zh", at=clock()
    )
    assert built is not None and built.counts["bookings"] == 1
    book = load_workbook(io.BytesIO(built.data), read_only=True)
    rows = [tuple(r) for r in book["预约"].iter_rows(values_only=True)]
    assert rows[0] == ("预约编号", "预约时段", "单位", "场馆/事项", "预约状态", "到场", "预约时间")
    assert rows[1][0] == mine.number and rows[1][3] == "社区活动室" and rows[1][4] == "已确认"
    assert "老年合唱排练" not in str(rows)
