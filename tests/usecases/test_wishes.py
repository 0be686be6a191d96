"""bot/usecases/wishes.py on a real SQLite file, no Application: each move of a wish (post,
review, claim, release, finish, send back, confirm, thank, the sweep's nag) in one unit of work,
refused by its rule (recorded), and once only."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.domain import wishes as domain
from bot.domain.access import Rule
from bot.domain.wishes import Wish, WishStatus
from bot.services import Services
from bot.usecases.results import Done, Refused
from bot.usecases.wishes import (
    claim_wish,
    confirm_wish,
    finish_wish,
    nag_wish,
    post_wish,
    redo_wish,
    release_wish,
    review_wish,
    thank_wish,
    view_wish,
)
from storage.drafts import Draft
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1, WORKER_G2
from tests.fakes import FakeClock
from tests.usecases.support import approved_volunteer, refusals, sent_to

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


async def post(services: Services, by: int, *, for_someone: bool = False) -> Wish:
    """Posts a repair wish at B1 for BY through the use case; returns it as stored."""
    result = await post_wish(
        services,
        by=by,
        at=services.clock(),
        unit="B1",
        category="repair",
        text="门锁坏了，请帮忙修一下",
        contact_name="王奶奶",
        contact_phone="13700001111",
        photo=None,
        for_someone=for_someone,
        card=f"wishnew:{by}",
    )
    assert isinstance(result, Done)
    return result.value


async def test_a_residents_wish_waits_for_the_community_and_says_so(services: Services):
    await services.people.touch(RESIDENT, "王奶奶", "zh", services.clock())
    await services.drafts.put(Draft(RESIDENT, "wish", "confirm", {}), services.clock())
    wish = await post(services, RESIDENT)
    assert (wish.status, wish.resident_id, wish.number) == (WishStatus.PENDING, RESIDENT, "W000001")
    assert await services.drafts.get(RESIDENT) is None  # the flow ended in the same commit
    [note] = await sent_to(services, RESIDENT)
    assert "第一网格" in note and wish.number in note  # who really reviews it is named
    review = "".join(await sent_to(services, WORKER_G1))
    assert "门锁坏了" in review and "wish:ok:" in review


async def test_staff_post_for_someone_and_it_is_announced_at_once(services: Services):
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    wish = await post(services, COMMUNITY, for_someone=True)
    assert (wish.status, wish.resident_id, wish.approved_by) == (WishStatus.OPEN, None, COMMUNITY)
    assert "wish:claim:" in "".join(await sent_to(services, VOLUNTEER))  # the private offer
    events = await services.store.wishes.events(wish.id or 0)
    assert [e.action.value for e in events] == ["post", "approve"]


async def test_staff_over_the_wish_review_it_once_and_others_are_refused(services: Services):
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    wish = await post(services, RESIDENT)
    assert wish.id is not None
    refused = await review_wish(services, wish.id, by=WORKER_G2, at=services.clock(), approve=True)
    assert refused == Refused("common.not_allowed", {}, Rule.WISH_REVIEW)
    assert await refusals(services) == [(WORKER_G2, "wish:ok", "wish_review", f"wish:{wish.id}")]

    approved = await review_wish(services, wish.id, by=COMMUNITY, at=services.clock(), approve=True)
    assert isinstance(approved, Done) and approved.value.status is WishStatus.OPEN
    assert any("已通过审核" in t for t in await sent_to(services, RESIDENT))
    assert "wish:claim:" in "".join(await sent_to(services, VOLUNTEER))

    again = await review_wish(services, wish.id, by=COMMUNITY, at=services.clock(), approve=False)
    assert again == Refused("wish.already_reviewed")
    stored = await services.store.wishes.get(wish.id)
    assert stored is not None and stored.status is WishStatus.OPEN
    assert await review_wish(services, 999, by=COMMUNITY, at=services.clock(), approve=True) == (
        Refused("common.stale_button")
    )


async def claimed_wish(services: Services) -> Wish:
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    wish = await open_wish(services)
    assert wish.id is not None
    claimed = await claim_wish(services, wish.id, by=VOLUNTEER, at=services.clock())
    assert isinstance(claimed, Done)
    return claimed.value


async def test_the_claimer_finishes_with_a_photo_once(services: Services):
    wish = await claimed_wish(services)
    assert wish.id is not None
    await services.drafts.put(Draft(VOLUNTEER, "wish_done", "photo", {}), services.clock())
    at = services.clock()
    no_photo = await finish_wish(services, wish.id, by=VOLUNTEER, at=at, photo=None, note=None)
    assert no_photo == Refused("wish.proof_photo_needed")
    assert await services.drafts.get(VOLUNTEER) is not None  # still waiting for the photo

    stranger = await finish_wish(services, wish.id, by=STRANGER, at=at, photo="p", note=None)
    assert stranger == Refused("common.not_allowed", {}, Rule.WISH_CLAIMER)

    done = await finish_wish(services, wish.id, by=VOLUNTEER, at=at, photo="proof", note="修好了")
    assert isinstance(done, Done) and done.value.status is WishStatus.DONE
    assert done.value.proof_photo == "proof" and await services.drafts.get(VOLUNTEER) is None
    assert any("wish:confirm:" in t and "修好了" in t for t in await sent_to(services, RESIDENT))

    again = await finish_wish(services, wish.id, by=VOLUNTEER, at=at, photo="p2", note=None)
    assert again == Refused("common.stale_button")
    stored = await services.store.wishes.get(wish.id)
    assert stored is not None and stored.proof_photo == "proof"


async def test_not_done_goes_back_to_the_claimer_once(services: Services):
    wish = await claimed_wish(services)
    assert wish.id is not None
    at = services.clock()
    assert isinstance(
        await finish_wish(services, wish.id, by=VOLUNTEER, at=at, photo="p", note=None), Done
    )
    refused = await redo_wish(services, wish.id, by=VOLUNTEER, at=at)
    assert refused == Refused("common.not_allowed", {}, Rule.WISH_CONFIRMER)
    back = await redo_wish(services, wish.id, by=RESIDENT, at=at)
    assert isinstance(back, Done) and back.value.status is WishStatus.CLAIMED
    assert any("wish:done:" in t for t in await sent_to(services, VOLUNTEER))  # the card again
    assert await redo_wish(services, wish.id, by=RESIDENT, at=at) == Refused("wish.already_closed")


async def test_the_resident_thanks_once_and_bad_thanks_keep_the_step(services: Services):
    wish = await done_wish(services)
    assert wish.id is not None
    at = services.clock()
    assert await thank_wish(services, wish.id, by=RESIDENT, at=at, text="谢谢") == Refused(
        "common.stale_button"
    )  # not closed yet
    assert isinstance(await confirm_wish(services, wish.id, by=RESIDENT, at=at), Done)
    await services.drafts.put(Draft(RESIDENT, "wish_thanks", "text", {}), at)
    too_long = await thank_wish(services, wish.id, by=RESIDENT, at=at, text="谢" * 301)
    assert too_long == Refused("wish.bad_thanks", {"limit": domain.MAX_THANKS})
    assert await services.drafts.get(RESIDENT) is not None
    stranger = await thank_wish(services, wish.id, by=STRANGER, at=at, text="谢谢")
    assert stranger == Refused("common.not_allowed", {}, Rule.WISH_CONFIRMER)

    thanked = await thank_wish(services, wish.id, by=RESIDENT, at=at, text="谢谢您的帮助")
    assert isinstance(thanked, Done) and thanked.value.thanks == "谢谢您的帮助"
    assert await services.drafts.get(RESIDENT) is None
    assert any("谢谢您的帮助" in t for t in await sent_to(services, VOLUNTEER))
    again = await thank_wish(services, wish.id, by=RESIDENT, at=at, text="再谢")
    assert again == Refused("common.stale_button")
    stored = await services.store.wishes.get(wish.id)
    assert stored is not None and stored.thanks == "谢谢您的帮助"


async def test_a_due_nag_tells_the_staff_once_and_a_stale_read_does_nothing(
    services: Services, clock: FakeClock
):
    wish = await post(services, COMMUNITY)  # approved at once: nag when nobody claims it
    assert wish.nag_at is not None
    early = await nag_wish(services, wish, at=services.clock())
    assert early == Refused("common.stale_button")  # not due yet

    clock.advance(hours=services.settings.volunteers.wish_unclaimed_hours)
    [due] = await services.store.wishes.due_nags(services.clock())
    nagged = await nag_wish(services, due, at=services.clock())
    assert isinstance(nagged, Done) and nagged.value.nags == 1
    [told] = [t for t in await sent_to(services, WORKER_G1) if wish.number in t]
    assert "无人认领" in told  # the grid's staff, who look after it, are nagged

    again = await nag_wish(services, due, at=services.clock())  # the same read, a second time
    assert again == Refused("wish.changed_meanwhile", {"number": wish.number})
    stored = await services.store.wishes.get(wish.id or 0)
    assert stored is not None and stored.nags == 1


async def test_a_volunteer_views_an_open_wish_and_a_resident_is_refused(services: Services):
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    wish = await open_wish(services)
    assert wish.id is not None
    at = services.clock()
    viewed = await view_wish(services, wish.id, by=VOLUNTEER, at=at)
    assert isinstance(viewed, Done) and viewed.value.id == wish.id
    refused = await view_wish(services, wish.id, by=STRANGER, at=at)
    assert refused == Refused("wish.volunteers_only", {}, Rule.WISH_CLAIM)
    assert await refusals(services) == [(STRANGER, "wish:view", "wish_claim", f"wish:{wish.id}")]
    assert isinstance(await claim_wish(services, wish.id, by=VOLUNTEER, at=at), Done)
    assert await view_wish(services, wish.id, by=VOLUNTEER, at=at) == Refused("wish.taken")
