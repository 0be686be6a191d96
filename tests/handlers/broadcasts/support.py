"""Residents and groups for the broadcast and poll tests (tests/data/config.toml's office)."""

from __future__ import annotations

from bot.domain.groups import Binding, Purpose
from tests.conftest import Harness

GROUP_C1 = -100501  # 春晖社区居民群, bound to C1 for summaries


async def resident(harness: Harness, user_id: int, unit: str, lang: str = "zh") -> None:
    """Registers USER_ID at UNIT (as /start and the place picker would)."""
    people, now = harness.services.people, harness.clock()
    await people.touch(user_id, "居民", lang, now)
    await people.update(user_id, now, unit=unit)


async def bind_group(harness: Harness, chat_id: int = GROUP_C1, unit: str = "C1") -> None:
    binding = Binding(chat_id, unit, Purpose.SUMMARY, 201, harness.clock(), "zh")
    await harness.services.store.groups.bind(binding, [])
