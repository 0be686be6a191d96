"""storage/bookings.py on both backends: a slot's places are a compare-and-set count, so two
residents (two processes) pressing for the last place at once get exactly one booking; a move
takes the new place and frees the old; a refused write leaves nothing; erasure cancels the
person's coming bookings and frees their places; the purposes go after their retention."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.bookings import Booking, BookingStatus, InvalidBooking
from storage.bookings import Bookings
from storage.db import Database
from storage.privacy import erase_person
from tests.storage.test_races import race

NOW = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
SLOT = NOW + timedelta(days=1, hours=1)


def booking(user_id: int, starts: datetime = SLOT) -> Booking:
    return Booking(
        "room", "C1", user_id, starts, starts + timedelta(hours=1), "开会", BookingStatus.PENDING,
        NOW,
    )  # fmt: skip


async def rows(db: Database) -> list[tuple]:
    found = await db.fetchall("SELECT user_id, status, purpose FROM bookings ORDER BY id")
    return [tuple(r) for r in found]


async def taken(db: Database, starts: datetime = SLOT) -> int:
    return sum((await Bookings(db).taken("room", starts, starts + timedelta(seconds=1))).values())


@pytest.fixture
async def other(db):
    second = await Database(getattr(db, "url", None) or db.path).open()
    yield second
    await second.close()


async def test_two_processes_pressing_for_the_last_place_get_one_booking(db, other, backend):
    await Bookings(db).create(booking(5001), capacity=2)

    async def first(d: Database) -> Booking:
        return await Bookings(d).create(booking(5002), capacity=2)

    async def second(d: Database) -> Booking:
        return await Bookings(d).create(booking(5003), capacity=2)

    one, two = await race(db, other, backend, first, second)
    assert isinstance(one, Booking)
    assert isinstance(two, InvalidBooking) and two.key == "booking.full"
    assert [r[0] for r in await rows(db)] == [5001, 5002]
    assert await taken(db) == 2


async def test_the_same_person_twice_at_once_gets_one_booking(db, other, backend):
    async def first(d: Database) -> Booking:
        return await Bookings(d).create(booking(5001), capacity=5)

    one, two = await race(db, other, backend, first, first)
    assert isinstance(one, Booking)
    assert isinstance(two, InvalidBooking) and two.key == "booking.already"
    assert await taken(db) == 1


async def test_a_move_takes_the_new_place_frees_the_old_and_a_full_slot_changes_nothing(db):
    repo = Bookings(db)
    later = SLOT + timedelta(hours=1)
    mine = await repo.create(booking(5001), capacity=1)
    await repo.create(booking(5002, later), capacity=1)
    moved = replace(mine, starts_at=later, status=BookingStatus.MOVED)
    with pytest.raises(InvalidBooking) as raised:
        async with db.transaction():
            await repo.save(mine, moved, NOW, capacity=1)
    assert raised.value.key == "booking.full"
    assert await repo.get(mine.id or 0) == mine  # rolled back whole
    free = SLOT + timedelta(hours=2)
    saved = await repo.save(mine, replace(moved, starts_at=free), NOW, capacity=1)
    assert (await taken(db), await taken(db, free)) == (0, 1)
    with pytest.raises(InvalidBooking) as stale:  # the old version, a second time
        await repo.save(mine, replace(moved, starts_at=free), NOW, capacity=1)
    assert stale.value.key == "booking.stale"
    cancelled = await repo.save(saved, replace(saved, status=BookingStatus.CANCELLED), NOW, 1)
    assert cancelled.version == 2 and await taken(db, free) == 0


async def test_erasure_cancels_coming_bookings_frees_their_places_and_keeps_the_past(db):
    repo = Bookings(db)
    past = await repo.create(booking(5001, NOW - timedelta(days=2)), capacity=3)
    await repo.create(booking(5001), capacity=3)
    await repo.create(booking(5002), capacity=3)
    async with db.transaction() as conn:
        erased = await erase_person(conn, 5001, NOW, "（已删除）")
    assert erased.rows["bookings.status"] == 1 and erased.rows["booking_slots.taken"] == 1
    assert await taken(db) == 1
    found = await rows(db)
    assert [(s, p) for _, s, p in found] == [
        ("pending", ""),  # the past one keeps its state, not the purpose
        ("cancelled", ""),
        ("pending", "开会"),
    ]
    assert 5001 not in [u for u, _, _ in found]
    assert (await repo.get(past.id or 0)) is not None


async def test_purposes_go_after_their_retention_in_batches(db):
    repo = Bookings(db)
    for days in (40, 30, 1):
        await repo.create(booking(5000 + days, NOW - timedelta(days=days)), capacity=9)
    passes = [await repo.wipe_purposes(NOW - timedelta(days=7), 1) for _ in range(3)]
    assert passes == [1, 1, 0]
    assert [p for _, _, p in await rows(db)] == ["", "", "开会"]


async def test_concurrent_presses_in_one_process_never_overbook(db):
    repo = Bookings(db)
    results = await asyncio.gather(
        *(repo.create(booking(6000 + i), capacity=3) for i in range(6)), return_exceptions=True
    )
    assert sum(isinstance(r, Booking) for r in results) == 3
    assert await taken(db) == 3
