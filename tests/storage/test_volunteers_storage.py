"""Volunteer storage on a real SQLite file: the claim race, the waitlist, the ledger, the sweeps."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bot.domain import wishes as domain
from bot.domain.activities import Activity, SignupStatus
from bot.domain.groups import Binding, Purpose
from bot.domain.points import PointKind
from bot.domain.units import Unit
from bot.domain.volunteers import Volunteer, VolunteerStatus
from bot.domain.wishes import NagPolicy, Wish, WishStatus
from storage.activities import Activities
from storage.db import Database
from storage.groups import Groups
from storage.outbox import Outgoing
from storage.points import Points, award
from storage.units import Units
from storage.volunteers import Volunteers
from storage.wishes import Wishes

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
POLICY = NagPolicy(timedelta(hours=48), timedelta(days=5), 3)


@pytest.fixture
async def stored(db):
    await Units(db).import_units(
        [Unit("C1", "春晖社区", "community"), Unit("B1", "1栋", "building", "C1")]
    )
    volunteers = Volunteers(db)
    for user_id in (1, 2, 3):
        v = Volunteer(user_id, f"v{user_id}", "B1", skills=("repair",))
        await volunteers.register(v, NOW, [])
        await volunteers.decide(replace(v, status=VolunteerStatus.APPROVED), NOW, [])
    return db


async def open_wish(db) -> Wish:
    wish, first = domain.post(Wish(9, "B1", "repair", "修水龙头", NOW, resident_id=9), NOW)
    opened = replace(wish, status=WishStatus.OPEN, nag_at=NOW + POLICY.unclaimed)

    async def none(_: Wish) -> list[Outgoing]:
        return []

    return await Wishes(db).create(opened, [first], none)


def note(chat_id: int, text: str) -> Outgoing:
    return Outgoing(chat_id, "sendMessage", {"text": text})


async def test_two_claims_at_the_same_moment_exactly_one_wins(stored):
    wishes = Wishes(stored)
    volunteers = Volunteers(stored)
    for _ in range(20):  # many rounds: the race must never let two through
        wish = await open_wish(stored)
        attempts = []
        for user_id in (1, 2, 3):
            claimed, event = domain.claim(wish, await volunteers.get(user_id), NOW, POLICY)
            attempts.append(wishes.claim(claimed, event, [note(user_id, "contact: 137")]))
        results = await asyncio.gather(*attempts)
        assert sorted(results) == [False, False, True]
        winner = (1, 2, 3)[results.index(True)]
        after = await wishes.get(wish.id)
        assert (after.status, after.claimer_id) == (WishStatus.CLAIMED, winner)
        rows = await stored.fetchall(
            "SELECT chat_id FROM outbox WHERE payload LIKE '%contact: 137%'"
            " AND id > (SELECT COALESCE(MAX(id), 0) - 3 FROM outbox)"
        )
        assert [row["chat_id"] for row in rows][-1:] == [winner]
        claims = [e for e in await wishes.events(wish.id) if e.action == "claim"]
        assert len(claims) == 1


async def test_a_stale_save_is_refused(stored):
    wishes = Wishes(stored)
    wish = await open_wish(stored)
    claimed, event = domain.claim(wish, await Volunteers(stored).get(1), NOW, POLICY)
    assert await wishes.claim(claimed, event, [])
    released, event = domain.release(claimed, 1, NOW, POLICY)
    from storage.wishes import StaleWish

    with pytest.raises(StaleWish):
        await wishes.save(released, event, [], expect_version=wish.version)


async def test_due_nags_are_found(stored):
    wishes = Wishes(stored)
    wish = await open_wish(stored)
    assert await wishes.due_nags(NOW) == []
    assert [w.id for w in await wishes.due_nags(NOW + timedelta(hours=49))] == [wish.id]


@pytest.mark.sqlite_only
async def test_due_nags_read_their_partial_index(stored):
    plan = await stored.fetchall(
        "EXPLAIN QUERY PLAN SELECT id FROM wishes WHERE status IN ('open', 'claimed')"
        " AND nag_at IS NOT NULL AND nag_at <= ? ORDER BY nag_at",
        ("x",),
    )
    assert any("wishes_due" in row["detail"] for row in plan), [r["detail"] for r in plan]


async def test_award_is_idempotent_per_kind_ref_and_volunteer(stored):
    async with stored.transaction() as conn:
        assert await award(conn, 1, PointKind.VISIT, 42, 5, NOW)
        assert not await award(conn, 1, PointKind.VISIT, 42, 5, NOW)
        assert await award(conn, 2, PointKind.VISIT, 42, 5, NOW)
        assert await award(conn, 1, PointKind.WISH, 42, 10, NOW)
    points = Points(stored)
    assert (await points.balance(1), await points.balance(2)) == (15, 5)
    assert [e.kind for e in await points.history(1)] == [PointKind.WISH, PointKind.VISIT]


async def test_award_rolls_back_with_the_callers_transaction(stored):
    with pytest.raises(RuntimeError):
        async with stored.transaction() as conn:
            await award(conn, 1, PointKind.VISIT, 7, 5, NOW)
            raise RuntimeError("the visit was not confirmed after all")
    assert await Points(stored).balance(1) == 0


async def test_concurrent_sign_ups_for_the_last_place_never_overbook(stored):
    activities = Activities(stored)

    async def none(_: Activity) -> list[Outgoing]:
        return []

    activity = await activities.create(
        Activity("扫除", NOW + timedelta(days=2), "广场", 1, "C1", 201, created_at=NOW), none
    )
    empty = {SignupStatus.GOING: [], SignupStatus.WAITLIST: []}
    results = await asyncio.gather(
        *(activities.sign_up(activity, user_id, NOW, empty) for user_id in (1, 2, 3))
    )
    assert sorted(results) == [SignupStatus.GOING, SignupStatus.WAITLIST, SignupStatus.WAITLIST]
    going = [s.volunteer_id for s in await activities.signups(activity.id) if s.status.holds_place]
    assert len(going) == 1
    waiting = [
        s.volunteer_id
        for s in await activities.signups(activity.id)
        if s.status is SignupStatus.WAITLIST
    ]

    async def promoted(user_id: int) -> list[Outgoing]:
        return [note(user_id, "promoted")]

    done, moved = await activities.cancel(activity, going[0], NOW, [], promoted)
    assert (done, moved) == (True, waiting[0])  # the earliest on the waitlist moves up
    done, moved = await activities.cancel(activity, going[0], NOW, [], promoted)
    assert (done, moved) == (False, None)


@pytest.fixture
async def second_process(stored):
    """Another process's Database on the same database as STORED (its own writer)."""
    other = await Database(getattr(stored, "url", None) or stored.path).open()
    yield other
    await other.close()


async def waits_or_ends(task: asyncio.Task, stored, backend: str) -> None:
    """Returns once TASK (the second process's write) has ended or waits for a lock held by
    the first. On SQLite it cannot get past BEGIN IMMEDIATE meanwhile: a few turns do."""
    turns = 500 if backend == "postgresql" else 20
    for _ in range(turns):  # bounded: at most 5 s
        if task.done():
            return
        if backend == "postgresql":
            async with await psycopg.AsyncConnection.connect(stored.url, autocommit=True) as c:
                cursor = await c.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                row = await cursor.fetchone()
            if row is not None and row[0] > 0:
                return
        await asyncio.sleep(0.01)


async def test_a_second_process_signing_up_for_the_last_place_waits_and_is_waitlisted(
    stored, second_process, backend
):
    activities = Activities(stored)

    async def none(_: Activity) -> list[Outgoing]:
        return []

    activity = await activities.create(
        Activity("扫除", NOW + timedelta(days=2), "广场", 1, "C1", 201, created_at=NOW), none
    )
    empty = {SignupStatus.GOING: [], SignupStatus.WAITLIST: []}
    async with stored.transaction():
        assert await activities.sign_up(activity, 1, NOW, empty) is SignupStatus.GOING
        other = asyncio.create_task(Activities(second_process).sign_up(activity, 2, NOW, empty))
        await waits_or_ends(other, stored, backend)
    assert await other is SignupStatus.WAITLIST
    statuses = {s.volunteer_id: s.status for s in await activities.signups(activity.id)}
    assert statuses == {1: SignupStatus.GOING, 2: SignupStatus.WAITLIST}


async def test_two_processes_handing_on_places_at_once_move_up_two_waiting(
    stored, second_process, backend
):
    activities = Activities(stored)

    async def none(_: Activity) -> list[Outgoing]:
        return []

    async def promoted(user_id: int) -> list[Outgoing]:
        return [note(user_id, "promoted")]

    await Volunteers(stored).register(Volunteer(4, "v4", "B1"), NOW, [])
    activity = await activities.create(
        Activity("扫除", NOW + timedelta(days=2), "广场", 2, "C1", 201, created_at=NOW), none
    )
    empty = {SignupStatus.GOING: [], SignupStatus.WAITLIST: []}
    for user_id in (1, 2, 3, 4):
        await activities.sign_up(activity, user_id, NOW, empty)
    async with stored.transaction():
        assert await activities.cancel(activity, 1, NOW, [], promoted) == (True, 3)
        other = asyncio.create_task(
            Activities(second_process).cancel(activity, 2, NOW, [], promoted)
        )
        await waits_or_ends(other, stored, backend)
    assert await other == (True, 4)
    statuses = {s.volunteer_id: s.status for s in await activities.signups(activity.id)}
    assert statuses == {
        1: SignupStatus.CANCELLED,
        2: SignupStatus.CANCELLED,
        3: SignupStatus.GOING,
        4: SignupStatus.GOING,
    }
    told = await stored.fetchall(
        "SELECT chat_id FROM outbox WHERE payload LIKE '%promoted%' ORDER BY id"
    )
    assert [row["chat_id"] for row in told] == [3, 4]


async def test_a_reminder_is_claimed_once(stored):
    activities = Activities(stored)

    async def none(_: Activity) -> list[Outgoing]:
        return []

    await activities.create(
        Activity(
            "扫除",
            NOW + timedelta(days=2),
            "广场",
            5,
            "C1",
            201,
            created_at=NOW,
            remind_day_at=NOW + timedelta(days=1),
            remind_hour_at=NOW + timedelta(hours=47),
        ),
        none,
    )
    later = NOW + timedelta(days=1, minutes=1)
    [due] = await activities.due_reminders(later)
    from bot.domain.activities import Reminder

    async def messages() -> list[Outgoing]:
        return [note(1, "reminder")]

    results = await asyncio.gather(
        activities.mark_reminded(due, Reminder.DAY, later, messages),
        activities.mark_reminded(due, Reminder.DAY, later, messages),
    )
    assert sorted(results) == [False, True]
    assert await activities.due_reminders(later) == []


async def test_the_leaderboard_is_posted_once_per_group_and_month(stored):
    groups = Groups(stored)
    await groups.bind(Binding(-5, "C1", Purpose.VOLUNTEERS, 201, NOW), [])
    await groups.bind(Binding(-6, "C1", Purpose.SUMMARY, 201, NOW), [])
    points = Points(stored)
    assert [b.chat_id for b in await points.leaderboard_due("2026-11")] == [-5]
    results = await asyncio.gather(
        points.post_leaderboard(-5, "C1", "2026-11", NOW, [note(-5, "board")]),
        points.post_leaderboard(-5, "C1", "2026-11", NOW, [note(-5, "board")]),
    )
    assert sorted(results) == [False, True]
    assert await points.leaderboard_due("2026-11") == []
    assert [b.chat_id for b in await points.leaderboard_due("2026-12")] == [-5]
    rows = await stored.fetchall("SELECT COUNT(*) AS n FROM outbox WHERE chat_id = -5")
    assert rows[0]["n"] == 1


async def test_search_filters_by_skill_and_team_within_units(stored):
    volunteers = Volunteers(stored)
    v = Volunteer(4, "v4", "B1", skills=("medical",), team="white")
    await volunteers.register(v, NOW, [])
    await volunteers.decide(replace(v, status=VolunteerStatus.APPROVED), NOW, [])
    found, total = await volunteers.search(["B1"], skill="medical")
    assert ([x.user_id for x in found], total) == ([4], 1)
    found, total = await volunteers.search(["B1"], team="white", skill="repair")
    assert (found, total) == ([], 0)
    found, total = await volunteers.search(["C1"])
    assert total == 0
    found, total = await volunteers.search(["B1"], offset=2, limit=2)
    assert (len(found), total) == (2, 4)
