"""handlers/kit/presses.press_of: the guard every press goes through (table-driven)."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.context import GridContext
from handlers.kit.presses import press_of
from storage.drafts import Draft
from tests import updates
from tests.conftest import RESIDENT, RESIDENT_2, Harness

DRAFT = Draft(RESIDENT, "wish", "unit", {"n": "abc123"})

CASES = [
    # (callback data, chat, guard options, fits)
    ("wish:pick:abc123", RESIDENT, {"noun": "wish"}, True),
    ("act:pick:abc123", RESIDENT, {"noun": "wish"}, False),
    ("wish:pick", RESIDENT, {"verbs": ("pick", "walk")}, True),
    ("wish:burn", RESIDENT, {"verbs": ("pick", "walk")}, False),
    ("wish:pick", RESIDENT, {"verbs": {"pick": ("unit",), "post": ("confirm",)}}, True),
    ("wish:post", RESIDENT, {"verbs": {"pick": ("unit",), "post": ("confirm",)}}, False),
    ("wish:pick", RESIDENT, {"flow": "wish"}, True),
    ("wish:pick", RESIDENT, {"flow": "activity"}, False),
    ("wish:pick", RESIDENT, {"steps": ("unit", "kind")}, True),
    ("wish:pick", RESIDENT, {"steps": ("confirm",)}, False),
    ("wish:pick:abc123", RESIDENT, {"nonce": True}, True),
    ("wish:pick:old999", RESIDENT, {"nonce": True}, False),
    ("wish:pick", RESIDENT, {"nonce": True}, False),
    ("wish:pick:abc123", RESIDENT, {"own_chat": True}, True),
    ("wish:pick:abc123", RESIDENT_2, {"own_chat": True}, False),
    ("not a press", RESIDENT, {}, False),
]


@pytest.mark.parametrize(("data", "chat", "options", "fits"), CASES)
async def test_press_of(harness: Harness, data: str, chat: int, options: dict, fits: bool):
    await harness.services.drafts.put(DRAFT, harness.clock())
    payload = updates.press(RESIDENT, data, chat_id=chat)
    update = Update.de_json(payload, harness.app.bot)
    ctx = GridContext.from_update(update, harness.app)
    found = await press_of(update, ctx, **options)
    assert (found is not None) == fits
    if fits:
        assert found is not None
        me, press, _ = found
        assert me.user_id == RESIDENT and press.verb == "pick"
        return
    await harness.deliver()
    if chat != RESIDENT:  # another chat: refused by the own_chat rule, recorded for /audit
        refusals = await harness.services.store.refusals.latest()
        assert [r.rule for r in refusals] == ["own_chat"]
    else:  # the press was answered first: why goes to the chat
        stale = harness.services.texts("common.stale_button", "zh")
        assert harness.texts_to(RESIDENT) == [stale]


async def test_a_press_left_for_the_caller_is_answered_only_when_refused(harness: Harness):
    """answer_first=False (the place walk): a press that fits is not answered here, one that
    does not is answered with the stale notice (no chat message)."""
    await harness.services.drafts.put(DRAFT, harness.clock())
    for data, fits in (("wish:pick:abc123", True), ("wish:pick:old999", False)):
        update = Update.de_json(updates.press(RESIDENT, data), harness.app.bot)
        ctx = GridContext.from_update(update, harness.app)
        found = await press_of(update, ctx, nonce=True, answer_first=False)
        assert (found is not None) == fits
    answers = [c.params for c in harness.request.calls if c.method == "answerCallbackQuery"]
    stale = harness.services.texts("common.stale_button", "zh")
    assert [params.get("text") for params in answers] == [stale]
    await harness.deliver()
    assert harness.texts_to(RESIDENT) == []
