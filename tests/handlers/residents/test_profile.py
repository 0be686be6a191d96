"""/me (place and phone), /my (reports and their status cards) and the reply keyboard."""

from __future__ import annotations

from tests import updates
from tests.conftest import RESIDENT, RESIDENT_2, WORKER_G1
from tests.handlers.reports.test_submit_flow import (
    last_answer,
    press,
    registered,
    step_of,
    submitted_report,
)
from tests.handlers.residents.test_place import reply_keyboard


def other_persons_contact(user_id: int, phone: str, owner: int) -> dict:
    update = updates.contact(user_id, phone)
    update["message"]["contact"]["user_id"] = owner
    return update


async def phone_of(harness, user_id: int = RESIDENT) -> str | None:
    person = await harness.services.people.get(user_id)
    return person.phone if person else None


async def test_me_shows_the_registered_place_and_no_phone(harness):
    await registered(harness)
    await harness.send(updates.text(RESIDENT, "/me"))
    text = harness.last_text(RESIDENT)
    assert "1栋" in text and "电话：未留" in text
    pressable = [data for _, data in harness.buttons(RESIDENT)]
    assert pressable == ["me:place", "me:phone", "privacy:ask"]


async def test_a_resident_adds_replaces_and_removes_their_phone(harness):
    await registered(harness)
    await press(harness, RESIDENT, "me:phone")
    assert reply_keyboard(harness, RESIDENT)["keyboard"][0][0]["request_contact"] is True
    await harness.send(updates.contact(RESIDENT, "+86 138 0000 1111"))
    assert await phone_of(harness) == "+8613800001111"
    assert await harness.services.drafts.get(RESIDENT) is None

    await press(harness, RESIDENT, "me:phone")
    await harness.send(updates.contact(RESIDENT, "13900002222"))
    assert await phone_of(harness) == "13900002222"

    await harness.send(updates.text(RESIDENT, "/me"))
    assert "13900002222" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, harness.button(RESIDENT, "me:unphone"))
    assert await phone_of(harness) is None


async def test_someone_elses_contact_is_not_taken_as_the_phone(harness):
    await registered(harness)
    await press(harness, RESIDENT, "me:phone")
    await harness.send(other_persons_contact(RESIDENT, "13700003333", owner=RESIDENT_2))
    assert "本人" in harness.last_text(RESIDENT)
    assert await phone_of(harness) is None
    assert await step_of(harness) == "contact"


async def test_text_instead_of_the_contact_button_keeps_asking(harness):
    await press(harness, RESIDENT, "me:phone")
    await harness.send(updates.text(RESIDENT, "13700003333"))
    assert "分享我的手机号" in harness.last_text(RESIDENT)
    assert await phone_of(harness) is None


async def test_the_phone_reaches_the_worker_card_of_the_residents_report(harness):
    await registered(harness)
    await press(harness, RESIDENT, "me:phone")
    await harness.send(updates.contact(RESIDENT, "13800001111"))
    await submitted_report(harness)
    assert any("13800001111" in text for text in harness.texts_to(WORKER_G1))


async def test_me_changes_the_place_with_the_same_walk(harness):
    await registered(harness)
    await press(harness, RESIDENT, "me:place")
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:pick:"))  # 第一网格
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:pick:")[:-1] + "1")  # 2栋
    person = await harness.services.people.get(RESIDENT)
    assert person is not None and person.unit == "B2"
    assert "已更新" in harness.last_text(RESIDENT)


async def test_a_me_button_pressed_in_another_chat_is_refused(harness):
    await registered(harness)
    await press(harness, RESIDENT_2, "me:unphone", chat_id=RESIDENT)
    assert last_answer(harness) == "您没有权限进行此操作。"


async def test_my_lists_reports_newest_first_with_a_button_each(harness):
    first = await submitted_report(harness)
    second = await submitted_report(harness)
    await harness.send(updates.text(RESIDENT, "/my"))
    text = harness.last_text(RESIDENT)
    assert text.index(second.number) < text.index(first.number)
    assert "待接单" in text and "环境卫生" in text and "2026-11-24" in text
    assert [data for _, data in harness.buttons(RESIDENT)] == [
        f"my:card:{second.id}",
        f"my:card:{first.id}",
    ]


async def test_my_with_no_reports_says_so(harness):
    await harness.send(updates.text(RESIDENT, "/my"))
    assert "还没有上报" in harness.last_text(RESIDENT)


async def test_the_my_reports_button_works_in_both_languages(harness):
    report = await submitted_report(harness)
    await harness.send(updates.text(RESIDENT, "📋 我的上报"))
    assert report.number in harness.last_text(RESIDENT)
    await harness.send(updates.text(RESIDENT, "/lang en"))
    await harness.send(updates.text(RESIDENT, "📋 My reports"))
    assert "My reports" in harness.last_text(RESIDENT)


async def test_a_report_button_shows_its_status_card_again_as_a_new_message(harness):
    report = await submitted_report(harness)
    await harness.send(updates.text(RESIDENT, "/my"))
    before = len(harness.request.sent("sendMessage", RESIDENT))
    await press(harness, RESIDENT, f"my:card:{report.id}")
    sent = harness.request.sent("sendMessage", RESIDENT)
    assert len(sent) == before + 1
    assert report.number in sent[-1].params["text"]
    assert "状态" in sent[-1].params["text"]


async def test_someone_elses_report_card_is_refused(harness):
    report = await submitted_report(harness)
    await press(harness, RESIDENT_2, f"my:card:{report.id}")
    assert last_answer(harness) == "您没有权限进行此操作。"
    assert not harness.request.sent("sendMessage", RESIDENT_2)
