"""bot/usecases/privacy.py on a real SQLite file, no Application: consent is recorded with the
walk it unlocks, an erasure hands on what an erased volunteer leaves in the same commit as the
erasure itself, and a household is erased once, by staff covering it, with a reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain import care
from bot.domain import wishes as wish_rules
from bot.domain.access import Rule
from bot.domain.activities import Activity, SignupStatus
from bot.domain.care import Cadence, Household, VisitorKind
from bot.domain.wishes import Wish, WishStatus
from bot.services import Services
from bot.usecases.care import care_policy
from bot.usecases.privacy import (
    LOCATION,
    erase_household,
    erase_person,
    give_consent,
    household_to_erase,
)
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1, WORKER_G2

VOLUNTEER = 7201
WAITING = 7202


async def count(services: Services, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


# Consent ---------------------------------------------------------------------------------


async def walking(services: Services, nonce: str = "ab12cd") -> Draft:
    draft = Draft(RESIDENT, "register", "walk", {"n": nonce, "walk": None})
    await services.people.touch(RESIDENT, "居民", "zh", services.clock())
    await services.drafts.put(draft, services.clock())
    return draft


async def test_consent_is_recorded_with_the_prompt_it_unlocks_in_one_commit(services: Services):
    draft = await walking(services)
    moved = replace(draft, data={**draft.data, "located": True})

    given = await give_consent(
        services, RESIDENT, LOCATION, at=services.clock(), draft=moved, messages=[]
    )

    assert given == Done(None)
    assert await services.privacy.has_consent(RESIDENT, LOCATION)
    stored = await services.drafts.get(RESIDENT)
    assert stored is not None and stored.data["located"] is True


async def test_consent_on_a_walk_that_moved_on_is_refused_and_not_recorded(services: Services):
    old = await walking(services, "old000")
    await walking(services, "new111")  # a new walk started since the question was asked

    given = await give_consent(services, RESIDENT, LOCATION, at=services.clock(), draft=old)

    assert given == Refused("common.stale_button")
    assert not await services.privacy.has_consent(RESIDENT, LOCATION)
    unknown = await give_consent(services, RESIDENT, "camera", at=services.clock(), draft=old)
    assert unknown == Refused("common.not_allowed")


# Erasing a person --------------------------------------------------------------------------


async def claimed_wish(services: Services) -> Wish:
    """Stores a wish RESIDENT posted, approved by COMMUNITY and claimed by VOLUNTEER."""
    now = services.clock()
    posted, event = wish_rules.post(
        Wish(posted_by=RESIDENT, unit="B1", category="repair", text="换灯泡", created_at=now),
        now,
    )

    async def none(_: Wish) -> list:
        return []

    stored = await services.store.wishes.create(
        replace(posted, resident_id=RESIDENT), [event], none
    )
    claimed = replace(
        stored,
        status=WishStatus.CLAIMED,
        claimer_id=VOLUNTEER,
        claimed_at=now,
        approved_by=COMMUNITY,
    )
    await services.store.wishes.save(claimed, event, [], expect_version=stored.version)
    got = await services.store.wishes.get(stored.id or 0)
    assert got is not None and got.status is WishStatus.CLAIMED
    return got


async def full_activity(services: Services) -> Activity:
    """An activity tomorrow with one place: VOLUNTEER holds it, WAITING is on the waitlist."""
    now = services.clock()
    activity = Activity(
        title="清扫楼道",
        starts_at=now + timedelta(days=1),
        place="3栋",
        capacity=1,
        unit="C1",
        organiser_id=COMMUNITY,
        created_at=now,
    )

    async def none(_: Activity) -> list:
        return []

    stored = await services.store.activities.create(activity, none)
    quiet: dict = {status: [] for status in SignupStatus}
    assert await services.store.activities.sign_up(stored, VOLUNTEER, now, quiet)
    assert await services.store.activities.sign_up(stored, WAITING, now, quiet)
    return stored


async def test_an_erased_volunteer_hands_on_their_wish_and_place_in_the_erasures_commit(
    services: Services,
):
    at = services.clock()
    await services.people.touch(VOLUNTEER, "志愿者", "zh", at)
    wish = await claimed_wish(services)
    activity = await full_activity(services)

    erased = await erase_person(services, VOLUNTEER, at=at)

    assert isinstance(erased, Done) and erased.value.total > 0
    assert await services.people.get(VOLUNTEER) is None
    after = await services.store.wishes.get(wish.id or 0)
    assert after is not None and after.status is WishStatus.OPEN and after.claimer_id is None
    [signup] = [
        s for s in await services.store.activities.signups(activity.id or 0) if s.volunteer_id > 0
    ]
    assert (signup.volunteer_id, signup.status) == (WAITING, SignupStatus.GOING)
    rows = await services.store.db.fetchall("SELECT chat_id FROM outbox")
    chats = {row[0] for row in rows}
    assert VOLUNTEER not in chats and WAITING in chats  # moved up and told
    assert COMMUNITY in chats  # the approver is told why the wish is open again


async def test_an_erasure_that_fails_hands_nothing_on(services: Services, monkeypatch):
    at = services.clock()
    await services.people.touch(VOLUNTEER, "志愿者", "zh", at)
    wish = await claimed_wish(services)
    activity = await full_activity(services)

    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.store.privacy, "erase", broken)
    with pytest.raises(RuntimeError):
        await erase_person(services, VOLUNTEER, at=at)

    after = await services.store.wishes.get(wish.id or 0)
    assert after is not None and after.status is WishStatus.CLAIMED
    holding = {
        s.volunteer_id: s.status for s in await services.store.activities.signups(activity.id or 0)
    }
    assert holding == {VOLUNTEER: SignupStatus.GOING, WAITING: SignupStatus.WAITLIST}
    assert await services.people.get(VOLUNTEER) is not None
    assert await count(services, "outbox") == 0


async def test_staff_cannot_erase_themselves(services: Services):
    at = services.clock()
    await services.people.touch(WORKER_G1, "小王", "zh", at)

    assert await erase_person(services, WORKER_G1, at=at) == Refused("privacy.staff")
    assert await services.people.get(WORKER_G1) is not None
    assert await count(services, "erasures") == 0


# Erasing a household ---------------------------------------------------------------------


async def household(services: Services) -> Household:
    registered = care.register(
        kind="empty_nest",
        unit="B1",
        label="3单元502",
        cadence=Cadence.WEEKLY,
        visitor_id=WORKER_G1,
        visitor_kind=VisitorKind.STAFF,
        notes="独居老人",
        by=COMMUNITY,
        at=services.clock(),
        policy=care_policy(services),
    )
    return await services.store.households.create(registered, [], clear_draft_of=COMMUNITY)


async def test_staff_covering_a_household_erase_it_once_with_a_reason(services: Services):
    home = await household(services)
    at = services.clock()
    await services.drafts.put(Draft(COMMUNITY, "hherase", "reason", {"household": home.id}), at)

    done = await erase_household(services, home.id, by=COMMUNITY, at=at, reason=" 已搬离 ")

    assert done == Done(home.id)
    after = await services.store.households.get(home.id or 0)
    assert after is not None and not after.active
    assert after.notes == "" and after.label != "3单元502"
    [row] = await services.store.db.fetchall("SELECT ref, erased_by, reason FROM erasures")
    assert tuple(row) == (home.id, COMMUNITY, "已搬离")
    assert await services.drafts.get(COMMUNITY) is None
    again = await erase_household(services, home.id, by=COMMUNITY, at=at, reason="已搬离")
    assert again == Refused("privacy.household_already", {"id": home.id})


async def test_a_household_erasure_needs_a_reason_and_the_right_to_manage_it(services: Services):
    home = await household(services)
    at = services.clock()

    short = await erase_household(services, home.id, by=COMMUNITY, at=at, reason="x")
    assert short == Refused("privacy.household_reason_short", {"minimum": 2})
    other = await erase_household(services, home.id, by=WORKER_G2, at=at, reason="已搬离")
    assert isinstance(other, Refused) and other.rule is Rule.HOUSEHOLD_MANAGE
    assert await household_to_erase(services, 999, by=COMMUNITY, at=at) == Refused(
        "common.not_allowed"
    )

    assert await count(services, "erasures") == 0
    [refusal] = await services.store.refusals.latest()
    assert (refusal.user_id, refusal.action, refusal.target) == (
        WORKER_G2,
        "hherase:erase",
        f"household:{home.id}",
    )
    after = await services.store.households.get(home.id or 0)
    assert after == home
