"""Forged wish presses: a volunteer the wish was not offered to (and who the matching would not
pick) claims by typing the next id; nothing changes, no contact goes out, the refusal is kept."""

from __future__ import annotations

import json

from bot.domain.wishes import WishStatus
from tests import updates
from tests.conftest import RESIDENT_2, WORKER_G2
from tests.handlers.volunteers.support import VOLUNTEER_A, VOLUNTEER_B, VOLUNTEER_C, answers
from tests.handlers.volunteers.test_wish_flow import PHONE, WISH_TEXT, posted_and_approved


async def refusals(harness) -> list[tuple]:
    rows = await harness.services.store.db.fetchall(
        "SELECT user_id, action, rule, target FROM refusals ORDER BY id"
    )
    return [tuple(r) for r in rows]


def everything_sent_since(harness, start: int) -> str:
    return json.dumps([c.params for c in harness.request.calls[start:]], ensure_ascii=False)


async def test_a_forged_claim_from_a_volunteer_not_offered_the_wish_reveals_nothing(harness):
    wish_id = await posted_and_approved(harness)
    before = await harness.services.store.wishes.get(wish_id)
    # C has the medical skill only and was not offered this repair wish.
    assert harness.texts_to(VOLUNTEER_C) == []
    start = len(harness.request.calls)
    for verb in ("claim", "view"):
        await harness.send(updates.press(VOLUNTEER_C, f"wish:{verb}:{wish_id}"))
    sent = everything_sent_since(harness, start)
    for private in (PHONE, "王奶奶", "1栋", WISH_TEXT):
        assert private not in sent
    assert [c.method for c in harness.request.calls[start:]] == ["answerCallbackQuery"] * 2
    assert answers(harness)[-1].startswith("这个心愿没有推送给您")
    assert await harness.services.store.wishes.get(wish_id) == before
    assert await refusals(harness) == [
        (VOLUNTEER_C, "wish:claim", "wish_claim", f"wish:{wish_id}"),
        (VOLUNTEER_C, "wish:view", "wish_claim", f"wish:{wish_id}"),
    ]


async def test_forged_presses_from_the_wrong_person_role_and_a_stranger_are_refused(harness):
    wish_id = await posted_and_approved(harness)
    await harness.send(updates.press(VOLUNTEER_A, f"wish:claim:{wish_id}"))
    claimed = await harness.services.store.wishes.get(wish_id)
    assert (claimed.status, claimed.claimer_id) == (WishStatus.CLAIMED, VOLUNTEER_A)
    start = len(harness.request.calls)
    forged = [
        (VOLUNTEER_B, "done", "wish_claimer"),  # wrong person: not the claimer
        (VOLUNTEER_B, "release", "wish_claimer"),
        (VOLUNTEER_A, "confirm", "wish_confirmer"),  # wrong person: the claimer confirms
        (RESIDENT_2, "redo", "wish_confirmer"),  # a stranger to this wish
        (WORKER_G2, "ok", "wish_review"),  # wrong unit: staff of another grid
        (RESIDENT_2, "claim", "wish_claim"),  # wrong role: not a volunteer
    ]
    for user, verb, _ in forged:
        await harness.send(updates.press(user, f"wish:{verb}:{wish_id}"))
    assert await harness.services.store.wishes.get(wish_id) == claimed
    assert PHONE not in everything_sent_since(harness, start)
    assert await refusals(harness) == [
        (user, f"wish:{verb}", rule, f"wish:{wish_id}") for user, verb, rule in forged
    ]
    assert answers(harness)[-6:] == [
        "您没有权限进行此操作。",
        "您没有权限进行此操作。",
        "您没有权限进行此操作。",
        "您没有权限进行此操作。",
        "您没有权限进行此操作。",
        "只有审核通过的志愿者可以认领。请私聊机器人发送 /volunteer 报名。",
    ]
