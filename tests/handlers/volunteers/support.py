"""Helpers for the volunteer, wish, activity and points handler tests (not a test module)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from bot.domain.groups import Binding, Purpose
from bot.domain.volunteers import Volunteer, VolunteerStatus
from tests.conftest import Harness

VOLUNTEER_A = 6001  # lives in building B1
VOLUNTEER_B = 6002  # lives in building B2 (a sibling of B1)
VOLUNTEER_C = 6003  # lives in building B3 (another grid)
GROUP = -100500  # a group bound to community C1 for volunteers


async def person(
    harness: Harness,
    user_id: int,
    name: str,
    unit: str | None = None,
    phone: str | None = None,
    lang: str = "zh",
) -> None:
    """Makes USER_ID known to the bot, with a registered place and phone."""
    services = harness.services
    await services.people.touch(user_id, name, lang, harness.clock())
    fields: dict[str, object] = {}
    if unit:
        fields["unit"] = unit
    if phone:
        fields["phone"] = phone
    if fields:
        await services.people.update(user_id, harness.clock(), **fields)


async def volunteer(
    harness: Harness,
    user_id: int,
    name: str,
    unit: str,
    skills: tuple[str, ...] = ("repair",),
    phone: str | None = "13900000000",
    status: VolunteerStatus = VolunteerStatus.APPROVED,
) -> Volunteer:
    """Registers USER_ID as a volunteer straight in storage (approved unless told otherwise)."""
    await person(harness, user_id, name)
    found = harness.services.store.volunteers
    v = Volunteer(user_id, name, unit, skills=skills, availability=("weekend",), phone=phone)
    await found.register(v, harness.clock(), [])
    if status is not VolunteerStatus.PENDING:
        await found.decide(replace(v, status=status, decided_by=201), harness.clock(), [])
    stored = await found.get(user_id)
    assert stored is not None
    return stored


async def bind_group(harness: Harness, unit: str = "C1", chat_id: int = GROUP) -> None:
    binding = Binding(chat_id, unit, Purpose.VOLUNTEERS, 201, harness.clock(), "zh")
    await harness.services.store.groups.bind(binding, [])


def answers(harness: Harness) -> list[str]:
    """Returns the texts of every answerCallbackQuery so far (empty string for a bare answer)."""
    return [str(c.params.get("text") or "") for c in harness.request.sent("answerCallbackQuery")]


def all_text(harness: Harness, chat_id: int) -> str:
    """Returns everything sent or edited into CHAT_ID, joined, including button labels."""
    parts = harness.texts_to(chat_id)
    for call in harness.request.sent(chat_id=chat_id):
        markup = call.params.get("reply_markup")
        if markup:
            parts.append(
                markup if isinstance(markup, str) else json.dumps(markup, ensure_ascii=False)
            )
    return "\n".join(parts)


def button_data(harness: Harness, chat_id: int, prefix: str) -> str:
    """Returns the data of the newest button to CHAT_ID (in any message) starting with PREFIX."""
    for call in reversed(harness.request.sent(chat_id=chat_id)):
        markup = call.params.get("reply_markup")
        if not markup:
            continue
        markup = markup if isinstance(markup, dict) else json.loads(markup)
        for row in markup.get("inline_keyboard", []):
            for b in row:
                if b.get("callback_data", "").startswith(prefix):
                    return b["callback_data"]
    raise AssertionError(f"no button {prefix!r} sent to {chat_id}")


def at(harness: Harness) -> datetime:
    return harness.clock()
