"""Residents and groups for the broadcast and poll tests (tests/data/config.toml's office)."""

from __future__ import annotations

from bot.domain.groups import Binding, Purpose
from tests import updates
from tests.conftest import Harness
from tests.handlers.kit.picking import choose_here, labelled

STALE = "这个按钮已失效，请使用最新的消息。"

GROUP_C1 = -100501  # 春晖社区居民群, bound to C1 for summaries


async def resident(harness: Harness, user_id: int, unit: str, lang: str = "zh") -> None:
    """Registers USER_ID at UNIT (as /start and the place picker would)."""
    people, now = harness.services.people, harness.clock()
    await people.touch(user_id, "居民", lang, now)
    await people.update(user_id, now, unit=unit)


async def bind_group(harness: Harness, chat_id: int = GROUP_C1, unit: str = "C1") -> None:
    binding = Binding(chat_id, unit, Purpose.SUMMARY, 201, harness.clock(), "zh")
    await harness.services.store.groups.bind(binding, [])


async def pick_unit(harness: Harness, user_id: int, *labels: str) -> None:
    """Walks the one unit picker down by LABELS; chooses the unit it stands at unless the last
    label was a unit without children (chosen by its press)."""
    for label in labels:
        await harness.send(updates.press(user_id, labelled(harness, user_id, label)))
    draft = await harness.services.drafts.get(user_id)
    if draft is not None and draft.step == "walk":
        await choose_here(harness, user_id)


def last_answer(harness: Harness) -> str | None:
    """Returns the text of the last answer to a button press (a stale press is told there)."""
    return harness.request.sent("answerCallbackQuery")[-1].params.get("text")
