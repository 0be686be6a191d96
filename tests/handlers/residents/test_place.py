"""Registering a place: /start walks the unit tree or takes a shared location."""

from __future__ import annotations

import json

from tests import updates
from tests.conftest import RESIDENT, RESIDENT_2, WORKER_G1


async def press(harness, user_id: int, data: str, *, chat_id: int | None = None) -> None:
    await harness.send(updates.press(user_id, data, chat_id=chat_id))


def last_answer(harness) -> str | None:
    calls = harness.request.sent("answerCallbackQuery")
    assert calls, "the press was not answered"
    return calls[-1].params.get("text")


def labels(harness, chat_id: int) -> list[str]:
    return [label for label, _ in harness.buttons(chat_id)]


def pick(harness, chat_id: int, label: str) -> str:
    """Returns the callback data of the button labelled LABEL in the last inline keyboard."""
    for text, data in harness.buttons(chat_id):
        if text == label:
            return data
    raise AssertionError(f"no button {label!r} in {harness.buttons(chat_id)}")


def reply_keyboard(harness, chat_id: int) -> dict:
    for call in reversed(harness.request.sent("sendMessage", chat_id)):
        markup = call.params.get("reply_markup")
        markup = json.loads(markup) if isinstance(markup, str) else markup
        if markup and "keyboard" in markup:
            return markup
    raise AssertionError("no reply keyboard was sent")


async def unit_of(harness, user_id: int) -> str | None:
    person = await harness.services.people.get(user_id)
    return person.unit if person else None


async def test_start_skips_single_child_levels_and_offers_the_grids(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    # One message: the greeting above the first menu.
    [welcome] = harness.texts_to(RESIDENT)
    assert "网格助手" in welcome
    # 江岸区 and 青山街道 have one child each, and so has 春晖社区's street: the first choice is
    # between the two grids, with no way "up" past the top.
    assert labels(harness, RESIDENT)[:2] == ["第一网格", "第二网格"]
    assert not any(data.startswith("place:up:") for _, data in harness.buttons(RESIDENT))


async def test_a_new_resident_registers_by_walking_the_tree(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await press(harness, RESIDENT, pick(harness, RESIDENT, "第一网格"))
    assert labels(harness, RESIDENT)[:2] == ["1栋", "2栋"]
    # The menu is edited in place rather than sent again.
    assert harness.request.sent("editMessageText", RESIDENT)

    await press(harness, RESIDENT, pick(harness, RESIDENT, "2栋"))

    assert await unit_of(harness, RESIDENT) == "B2"
    assert "已登记" in harness.last_text(RESIDENT)
    assert "2栋" in harness.last_text(RESIDENT)
    assert reply_keyboard(harness, RESIDENT)["keyboard"][0][0]["text"] == "📷 随手拍"
    assert await harness.services.drafts.get(RESIDENT) is None


async def test_the_up_button_returns_to_the_grids(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await press(harness, RESIDENT, pick(harness, RESIDENT, "第二网格"))
    assert labels(harness, RESIDENT)[0] == "3栋"
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:up:"))
    assert labels(harness, RESIDENT)[:2] == ["第一网格", "第二网格"]


async def consent_to_location(harness, user_id: int = RESIDENT) -> None:
    """Taps 'find by my location' and agrees to the location consent it asks first."""
    await press(harness, user_id, harness.button(user_id, "place:gps:"))
    await press(harness, user_id, harness.button(user_id, "consent:yes:"))


async def test_a_shared_location_finds_the_nearest_building_to_confirm(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await consent_to_location(harness)
    location_button = reply_keyboard(harness, RESIDENT)["keyboard"][0][0]
    assert location_button["request_location"] is True

    await harness.send(updates.location(RESIDENT, 30.6011, 114.3009))
    assert "2栋" in harness.last_text(RESIDENT)
    assert await unit_of(harness, RESIDENT) is None  # not before the resident confirms

    await press(harness, RESIDENT, harness.button(RESIDENT, "place:yes:"))
    assert await unit_of(harness, RESIDENT) == "B2"


async def test_a_resident_may_reject_the_located_building_and_choose_manually(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await consent_to_location(harness)
    await harness.send(updates.location(RESIDENT, 30.6011, 114.3009))
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:tree:"))
    await press(harness, RESIDENT, pick(harness, RESIDENT, "第二网格"))
    await press(harness, RESIDENT, pick(harness, RESIDENT, "3栋"))
    assert await unit_of(harness, RESIDENT) == "B3"


async def test_a_location_far_from_every_building_says_so_and_offers_the_tree(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await consent_to_location(harness)
    await harness.send(updates.location(RESIDENT, 31.2, 121.5))  # Shanghai, ~700 km away

    texts = harness.texts_to(RESIDENT)
    assert any("较远" in text for text in texts[-2:])
    assert labels(harness, RESIDENT)[:2] == ["第一网格", "第二网格"]
    assert not any(data.startswith("place:yes:") for _, data in harness.buttons(RESIDENT))
    assert await unit_of(harness, RESIDENT) is None


async def test_text_during_registration_keeps_the_walk_and_explains(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await harness.send(updates.text(RESIDENT, "我住在5栋"))
    assert "按钮" in harness.last_text(RESIDENT)
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and (draft.flow, draft.step) == ("register", "walk")


async def test_an_old_walk_button_is_stale_and_changes_nothing(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    old = pick(harness, RESIDENT, "第一网格")
    await press(harness, RESIDENT, old)
    await press(harness, RESIDENT, old.replace(":0", ":1"))  # the same prompt, pressed again

    assert "失效" in (last_answer(harness) or "")
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and draft.data["walk"] == "G1"


async def test_a_forged_building_index_is_refused(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    forged = pick(harness, RESIDENT, "第一网格").rsplit(":", 1)[0] + ":9"
    await press(harness, RESIDENT, forged)
    assert "失效" in (last_answer(harness) or "")
    assert await unit_of(harness, RESIDENT) is None


async def test_a_press_on_someone_elses_message_is_refused(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    data = pick(harness, RESIDENT, "第一网格")
    await press(harness, RESIDENT_2, data, chat_id=RESIDENT)
    assert last_answer(harness) == "您没有权限进行此操作。"
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and draft.data["walk"] == "C1"


async def test_a_registered_resident_is_welcomed_back_with_their_place(harness):
    await harness.services.people.touch(RESIDENT, "张三", "zh", harness.clock())
    await harness.services.people.update(RESIDENT, harness.clock(), unit="B1")
    await harness.send(updates.text(RESIDENT, "/start"))
    assert "1栋" in harness.last_text(RESIDENT)
    assert await harness.services.drafts.get(RESIDENT) is None


async def test_staff_get_a_staff_greeting_and_no_registration(harness):
    await harness.send(updates.text(WORKER_G1, "/start"))
    assert "李网格" in harness.last_text(WORKER_G1)
    assert await harness.services.drafts.get(WORKER_G1) is None


async def test_an_english_speaker_is_greeted_and_walked_in_english(harness):
    await harness.send(updates.text(RESIDENT, "/start", lang="en"))
    assert "Hello" in harness.last_text(RESIDENT)
    assert "register the building" in harness.last_text(RESIDENT)
