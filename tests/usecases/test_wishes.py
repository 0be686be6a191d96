"""bot/usecases/wishes.py on a real SQLite file, no Application: confirming a wish closes it and
awards the claimer's points in one unit of work, once."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.domain import wishes as domain
from bot.domain.access import Rule
from bot.domain.volunteers import Volunteer, VolunteerStatus
from bot.domain.wishes import Wish, WishStatus
from bot.services import Services
from bot.usecases.results import Done, Refused
from bot.usecases.wishes import claim_wish, confirm_wish, release_wish
from tests.conftest import COMMUNITY, RESIDENT

VOLUNTEER = 7101
STRANGER = 7102
OTHER_VOLUNTEER = 7103


async def done_wish(services: Services) -> Wish:
    """Stores a wish that VOLUNTEER claimed and finished, waiting for RESIDENT to confirm."""
    now = services.clock()
    posted, event = domain.post(
        Wish(posted_by=RESIDENT, unit="B1", category="repair", text="水龙头漏水", created_at=now),
        now,
    )

    async def none(stored: Wish) -> list:
        return []

    stored = await services.store.wishes.create(
        replace(posted, resident_id=RESIDENT), [event], none
    )
    finished = replace(
        stored,
        status=WishStatus.DONE,
        claimer_id=VOLUNTEER,
        claimed_at=now,
        proof_photo="proof-1",
        done_at=now,
    )
    await services.store.wishes.save(finished, event, [], expect_version=stored.version)
    got = await services.store.wishes.get(stored.id or 0)
    assert got is not None and got.claimer_id == VOLUNTEER
    return got


async def sent_to(services: Services, chat_id: int) -> list[str]:
    rows = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [row[0] for row in rows]


async def test_the_resident_confirms_once_and_the_claimer_earns_once(services: Services):
    wish = await done_wish(services)
    assert wish.id is not None
    result = await confirm_wish(services, wish.id, by=RESIDENT, at=services.clock())
    assert isinstance(result, Done) and result.value.status is WishStatus.CLOSED
    assert (await services.store.wishes.get(wish.id)).status is WishStatus.CLOSED
    assert await services.store.points.balance(VOLUNTEER) == 10
    assert any("获得 10 积分" in text for text in await sent_to(services, VOLUNTEER))

    again = await confirm_wish(services, wish.id, by=RESIDENT, at=services.clock())
    assert again == Refused("wish.already_closed")
    assert await services.store.points.balance(VOLUNTEER) == 10


async def test_only_the_confirmer_may_and_a_refusal_is_recorded(services: Services):
    wish = await done_wish(services)
    assert wish.id is not None
    for other in (VOLUNTEER, STRANGER):
        refused = await confirm_wish(services, wish.id, by=other, at=services.clock())
        assert refused == Refused("common.not_allowed", {}, Rule.WISH_CONFIRMER)
    rows = await services.store.db.fetchall("SELECT user_id, action, target FROM refusals")
    assert sorted(tuple(r) for r in rows) == [
        (VOLUNTEER, "wish:confirm", f"wish:{wish.id}"),
        (STRANGER, "wish:confirm", f"wish:{wish.id}"),
    ]
    assert (await services.store.wishes.get(wish.id)).status is WishStatus.DONE
    assert await services.store.points.balance(VOLUNTEER) == 0


async def test_a_failed_award_leaves_the_wish_open_to_confirm(services: Services, monkeypatch):
    wish = await done_wish(services)
    assert wish.id is not None

    async def broken(*args: object) -> bool:
        raise OSError("disk full")

    monkeypatch.setattr(services.store.points, "award", broken)
    with pytest.raises(OSError):
        await confirm_wish(services, wish.id, by=RESIDENT, at=services.clock())
    # One unit of work: the wish was not closed without its points, nor anyone told.
    assert (await services.store.wishes.get(wish.id)).status is WishStatus.DONE
    assert await sent_to(services, VOLUNTEER) == []


async def test_a_missing_wish_is_a_stale_button(services: Services):
    assert await confirm_wish(services, 999, by=RESIDENT, at=services.clock()) == Refused(
        "common.stale_button"
    )


async def test_one_point_is_said_in_the_singular(services: Services, monkeypatch):
    monkeypatch.setattr(services.settings.volunteers.points, "wish", 1)
    await services.people.touch(VOLUNTEER, "Lee", "en", services.clock())
    wish = await done_wish(services)
    assert wish.id is not None
    await confirm_wish(services, wish.id, by=RESIDENT, at=services.clock())
    [told] = [t for t in await sent_to(services, VOLUNTEER) if "confirmed" in t]
    assert "1 point for you" in told
    assert await services.store.points.balance(VOLUNTEER) == 1


async def approved_volunteer(services: Services, user_id: int, name: str) -> None:
    await services.people.touch(user_id, name, "zh", services.clock())
    v = Volunteer(user_id, name, "B1", skills=("repair",), availability=("weekend",), phone="139")
    await services.store.volunteers.register(v, services.clock(), [])
    decided = replace(v, status=VolunteerStatus.APPROVED, decided_by=COMMUNITY)
    await services.store.volunteers.decide(decided, services.clock(), [])


async def open_wish(services: Services) -> Wish:
    """Stores an approved, open wish at B1 that needs a repair."""
    wish = await done_wish(services)
    reopened = replace(wish, status=WishStatus.OPEN, claimer_id=None, claimed_at=None)
    event = (await services.store.wishes.events(wish.id or 0))[0]
    return await services.store.wishes.save(reopened, event, [], expect_version=wish.version)


async def test_of_two_claims_at_once_exactly_one_wins(services: Services):
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    await approved_volunteer(services, OTHER_VOLUNTEER, "志愿者乙")
    wish = await open_wish(services)
    assert wish.id is not None
    results = await asyncio.gather(
        claim_wish(services, wish.id, by=VOLUNTEER, at=services.clock()),
        claim_wish(services, wish.id, by=OTHER_VOLUNTEER, at=services.clock()),
    )
    won = [r for r in results if isinstance(r, Done)]
    lost = [r for r in results if isinstance(r, Refused)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].key in ("wish.taken_meanwhile", "wish.taken")
    stored = await services.store.wishes.get(wish.id)
    assert stored is not None and stored.status is WishStatus.CLAIMED
    assert stored.claimer_id == won[0].value.claimer_id
    # Only the winner was sent the claim card with the resident's contact.
    loser = OTHER_VOLUNTEER if stored.claimer_id == VOLUNTEER else VOLUNTEER
    assert await sent_to(services, stored.claimer_id) != []
    assert await sent_to(services, loser) == []


async def test_a_resident_who_is_no_volunteer_may_not_claim(services: Services):
    wish = await open_wish(services)
    assert wish.id is not None
    refused = await claim_wish(services, wish.id, by=STRANGER, at=services.clock())
    assert isinstance(refused, Refused) and refused.key == "wish.volunteers_only"
    assert refused.rule is not None
    stored = await services.store.wishes.get(wish.id)
    assert stored is not None and stored.status is WishStatus.OPEN


async def test_only_the_claimer_gives_a_wish_back_and_it_is_open_again(services: Services):
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    wish = await open_wish(services)
    assert wish.id is not None
    assert isinstance(await claim_wish(services, wish.id, by=VOLUNTEER, at=services.clock()), Done)
    refused = await release_wish(services, wish.id, by=STRANGER, at=services.clock())
    assert refused == Refused("common.not_allowed", {}, Rule.WISH_CLAIMER)
    released = await release_wish(services, wish.id, by=VOLUNTEER, at=services.clock())
    assert isinstance(released, Done)
    stored = await services.store.wishes.get(wish.id)
    assert stored is not None and (stored.status, stored.claimer_id) == (WishStatus.OPEN, None)
    told = "志愿者放弃了微心愿 " + stored.number
    assert any(told in text for text in await sent_to(services, RESIDENT))
    again = await release_wish(services, wish.id, by=VOLUNTEER, at=services.clock())
    assert isinstance(again, Refused)
