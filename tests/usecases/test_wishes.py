"""bot/usecases/wishes.py on a real SQLite file, no Application: confirming a wish closes it and
awards the claimer's points in one unit of work, once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain import wishes as domain
from bot.domain.access import Rule
from bot.domain.wishes import Wish, WishStatus
from bot.services import Services
from bot.usecases.results import Done, Refused
from bot.usecases.wishes import confirm_wish
from tests.conftest import RESIDENT

VOLUNTEER = 7101
STRANGER = 7102


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
