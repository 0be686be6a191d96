"""End to end: community staff log a patrol on the real `griddesk run` process and choose its
unit with the one unit picker (handlers/kit/picker.py). The card is edited in place; a press of
the card's earlier buttons (an old nonce) or of the picker it replaced is answered as stale and
changes nothing; the walk never goes above the staff member's own unit."""

from __future__ import annotations

import json

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

COMMUNITY = 201  # 陈社区, community staff of 春晖社区 (tests/data/config.toml)
STALE = "这个按钮已失效，请使用最新的消息。"


def draft_of(griddesk: Griddesk) -> tuple[str, dict] | None:
    rows = griddesk.rows("SELECT step, data FROM drafts WHERE user_id = ?", (COMMUNITY,))
    return (rows[0]["step"], json.loads(rows[0]["data"])) if rows else None


async def answered(fake: FakeBotApi, before: int, text: str) -> None:
    """Waits until a press made after call BEFORE was answered with TEXT."""

    def found() -> bool:
        return any(
            c.method == "answerCallbackQuery" and c.params.get("text") == text
            for c in fake.calls[before:]
        )

    await fake.wait_for(found, what=f"a press answered {text!r}")


async def test_staff_walk_the_picker_and_old_or_forged_presses_change_nothing(
    fake: FakeBotApi, griddesk: Griddesk
):
    staff = Player(fake, fake.user(COMMUNITY, "陈社区"))
    await griddesk.start()
    staff.send(staff.user.send_text, "/patrol")
    await staff.tap("patrol:kind:", suffix=":doorknock")
    await staff.wait_text("春晖社区")
    [card_id] = [
        m["message_id"]
        for m in fake.chat(COMMUNITY).messages.values()
        if "place:here:" in json.dumps(m.get("reply_markup") or {})
    ]
    # The walk starts at the staff member's own unit: no way up from there.
    labels = [
        b["text"]
        for row in fake.chat(COMMUNITY).messages[card_id]["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    assert "⬆️ 返回上级" not in labels and "第二网格" in labels
    first = await staff.tap("place:pick:", label="第二网格")
    await griddesk.wait_db(
        lambda g: (found := draft_of(g)) is not None and found[1].get("walk") == "G2",
        what="the walk at 第二网格",
    )

    # The same card's earlier buttons (their nonce is old now; index 0 would choose 3栋 and up
    # would go back to the community if the nonce were not checked): answered on the button.
    old = first.split(":")[2]
    for data in (f"place:pick:{old}:0", f"place:up:{old}"):
        before = len(fake.calls)
        staff.send(staff.user.press_on, card_id, data)
        await answered(fake, before, STALE)
    # The buttons of the picker it replaced: said in the chat.
    for data in ("patrol:down:0", "patrol:here"):
        staff.send(staff.user.press_on, card_id, data)
        await staff.wait_text("按钮已失效")
    step, data = draft_of(griddesk) or ("", {})
    assert (step, data["walk"]) == ("walk", "G2")

    # The card itself still works (a person taps "this one" on it).
    [here] = [
        b["callback_data"]
        for row in fake.chat(COMMUNITY).messages[card_id]["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("place:here:")
    ]
    staff.send(staff.user.press_on, card_id, here)
    await staff.wait_text("请简要记录本次巡查")
    await griddesk.wait_db(
        lambda g: (found := draft_of(g)) is not None and found[0] == "note",
        what="the patrol's note asked",
    )
    step, data = draft_of(griddesk) or ("", {})
    assert data["unit"] == "G2"
    assert griddesk.scalar("SELECT COUNT(*) FROM patrols") == 0
    assert await griddesk.stop() == 0
