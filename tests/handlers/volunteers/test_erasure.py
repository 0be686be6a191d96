"""An erased volunteer's loose ends through the real handlers: the wish they claimed is open and
offered again, the place they held in a full activity goes to the first on the waitlist, and
none of their identifiers is left in any table."""

from __future__ import annotations

from bot.domain.activities import SignupStatus
from bot.domain.wishes import WishAction, WishStatus
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1
from tests.handlers.kit.picking import choose_here
from tests.handlers.residents.test_erasure import holds, snapshot
from tests.handlers.volunteers.support import GROUP, VOLUNTEER_A, VOLUNTEER_B, all_text
from tests.handlers.volunteers.test_wish_flow import posted_and_approved

NAME = "志愿者甲"


async def full_activity(harness, title: str, starts: str) -> int:
    """Community staff create an activity with one place (the volunteers exist already)."""
    await harness.send(updates.text(COMMUNITY, "/activity_new"))
    await harness.send(updates.text(COMMUNITY, title))
    await harness.send(updates.text(COMMUNITY, starts))
    await harness.send(updates.text(COMMUNITY, "社区广场"))
    await harness.send(updates.text(COMMUNITY, "1"))
    await harness.send(updates.press(COMMUNITY, "actnew:skill:cleaning"))
    await harness.send(updates.press(COMMUNITY, "actnew:skills_done"))
    await choose_here(harness, COMMUNITY)
    await harness.send(updates.press(COMMUNITY, "actnew:create"))
    found = await harness.services.store.activities.upcoming(harness.clock())
    return next(a.id for a in found if a.title == title)


def offers(harness, chat_id: int, wish_id: int) -> int:
    """Returns how many messages to CHAT_ID carried the claim button of the wish."""
    return sum(
        1
        for call in harness.request.sent(chat_id=chat_id)
        if f"wish:claim:{wish_id}" in str(call.params.get("reply_markup") or "")
    )


def group_cards(harness, wish_id: int) -> int:
    return sum(
        1
        for call in harness.request.sent(chat_id=GROUP)
        if f":{wish_id}" in str(call.params.get("reply_markup") or "")
    )


async def test_an_erased_volunteers_claimed_wish_is_offered_again_and_their_place_handed_on(
    harness,
):
    wish_id = await posted_and_approved(harness)
    await harness.send(updates.press(VOLUNTEER_A, f"wish:claim:{wish_id}"))
    assert (await harness.services.store.wishes.get(wish_id)).claimer_id == VOLUNTEER_A
    started_id = await full_activity(harness, "楼道清理", "2026-11-25 09:00")
    activity_id = await full_activity(harness, "小区大扫除", "2026-11-28 09:00")
    await harness.send(updates.press(VOLUNTEER_A, f"act:join:{started_id}"))
    await harness.send(updates.press(VOLUNTEER_B, f"act:join:{started_id}"))
    await harness.send(updates.press(VOLUNTEER_A, f"act:join:{activity_id}"))
    await harness.send(updates.press(VOLUNTEER_B, f"act:join:{activity_id}"))
    activities = harness.services.store.activities
    assert [(s.volunteer_id, s.status) for s in await activities.signups(activity_id)] == [
        (VOLUNTEER_A, SignupStatus.GOING),
        (VOLUNTEER_B, SignupStatus.WAITLIST),
    ]
    offered_before, group_before = (
        offers(harness, VOLUNTEER_B, wish_id),
        group_cards(harness, wish_id),
    )
    resident_before = len(harness.texts_to(RESIDENT))
    # The volunteer's identifiers really are in the database before.
    strings = (NAME,)
    assert sum(1 for row in await snapshot(harness) if holds(row, VOLUNTEER_A, strings)) > 5

    harness.clock.advance(days=1)  # the first activity has started; the second has not
    await harness.send(updates.text(VOLUNTEER_A, "/delete_my_data"))
    asked = harness.last_text(VOLUNTEER_A)
    assert "尚未完成的 1 个微心愿将退回" in asked and "1 个尚未开始的活动将取消报名" in asked
    await harness.send(updates.press(VOLUNTEER_A, harness.button(VOLUNTEER_A, "privacy:erase")))

    wish = await harness.services.store.wishes.get(wish_id)
    assert (wish.status, wish.claimer_id) == (WishStatus.OPEN, None)
    last = (await harness.services.store.wishes.events(wish_id))[-1]
    assert last.action is WishAction.RELEASE and last.actor_id is not None and last.actor_id < 0
    # Offered again the way a released wish is: the matching volunteer and the group.
    assert offers(harness, VOLUNTEER_B, wish_id) > offered_before
    assert group_cards(harness, wish_id) > group_before
    # The resident is told as on any release; the staff member who approved it is told why.
    assert "放弃了微心愿" in "\n".join(harness.texts_to(RESIDENT)[resident_before:])
    assert "删除了个人数据" in harness.last_text(WORKER_G1)
    # The waitlisted volunteer has the place, and is told.
    assert [(s.volunteer_id, s.status) for s in await activities.signups(activity_id)][1:] == [
        (VOLUNTEER_B, SignupStatus.GOING)
    ]
    assert "转为正式报名" in all_text(harness, VOLUNTEER_B)
    # A sign-up to an activity already under way stays (under the pseudonym), as does its queue.
    started = [(s.volunteer_id, s.status) for s in await activities.signups(started_id)]
    assert started[0][0] < 0 and started[0][1] is SignupStatus.GOING
    assert started[1] == (VOLUNTEER_B, SignupStatus.WAITLIST)
    # Nothing identifies the volunteer any more; the cancelled sign-up keeps a pseudonym.
    left = [row for row in await snapshot(harness) if holds(row, VOLUNTEER_A, strings)]
    assert left == []
    # The wish can be claimed by the volunteer it was offered to.
    await harness.send(updates.press(VOLUNTEER_B, f"wish:claim:{wish_id}"))
    assert (await harness.services.store.wishes.get(wish_id)).claimer_id == VOLUNTEER_B
