"""The worker card's buttons: accept, transfer, show the card; forged and stale presses."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.domain.reports import Report, Status
from bot.usecases.reports import submit
from tests import updates
from tests.conftest import ADMIN, COMMUNITY, HEAD_G1, RESIDENT, WORKER_G1, WORKER_G2


async def new_report(harness, *, unit: str = "B1", category: str = "litter") -> Report:
    """Submits a report the way the resident flow does, and delivers what it sends."""
    report = await submit(
        harness.services,
        reporter_id=RESIDENT,
        entered_by=None,
        category=category,
        unit=unit,
        description="楼道里堆满了杂物",
        photos=["before-1", "before-2"],
    )
    await harness.deliver()
    return report


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


async def stored(harness, report: Report) -> Report:
    found = await harness.services.reports.get(report.id)
    assert found is not None
    return found


async def actions(harness, report: Report) -> list[str]:
    return [e.action.value for e in await harness.services.reports.events(report.id)]


async def outbox_rows(harness) -> int:
    row = await harness.services.store.db.fetchone("SELECT COUNT(*) FROM outbox")
    return int(row[0])


def answered(harness) -> int:
    return len(harness.request.sent("answerCallbackQuery"))


def markup_of(call) -> dict:
    markup = call.params.get("reply_markup") or {}
    return markup if isinstance(markup, dict) else json.loads(markup)


def card_edits(harness, chat_id: int) -> list:
    return harness.request.sent("editMessageText", chat_id)


async def test_the_grid_worker_accepts_a_new_report_and_the_reporter_is_told(harness):
    report = await new_report(harness)
    harness.request.clear()

    await press(harness, WORKER_G1, f"report:accept:{report.id}")

    after = await stored(harness, report)
    assert (after.status, after.assignee_id, after.version) == (Status.ACCEPTED, WORKER_G1, 2)
    assert await actions(harness, report) == ["submit", "accept"]
    assert answered(harness) == 1
    assert any("已由网格员接单" in text for text in harness.texts_to(RESIDENT))
    # The worker's card was edited in place: in progress, and no accept button any more.
    edit = card_edits(harness, WORKER_G1)[-1]
    assert "处置中" in edit.params["text"]
    data = [b["callback_data"] for row in markup_of(edit)["inline_keyboard"] for b in row]
    assert f"report:resolve:{report.id}" in data
    assert f"report:accept:{report.id}" not in data


async def test_accept_pressed_twice_changes_nothing_and_tells_the_current_status(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:accept:{report.id}")
    rows = await outbox_rows(harness)

    await press(harness, WORKER_G1, f"report:accept:{report.id}")

    assert (await stored(harness, report)).version == 2
    assert await actions(harness, report) == ["submit", "accept"]
    assert await outbox_rows(harness) == rows + 1  # only the explanation
    assert "当前状态为「处置中」" in harness.last_text(WORKER_G1)


async def test_a_worker_of_another_grid_cannot_accept_someone_elses_report(harness):
    report = await new_report(harness)

    await press(harness, WORKER_G2, f"report:accept:{report.id}")

    after = await stored(harness, report)
    assert (after.status, after.assignee_id, after.version) == (Status.OPEN, WORKER_G1, 1)
    assert "无权办理" in harness.last_text(WORKER_G2)


async def test_a_resident_pressing_a_forged_worker_button_changes_nothing(harness):
    report = await new_report(harness)

    await press(harness, RESIDENT, f"report:reject_reason:{report.id}:invalid")

    assert (await stored(harness, report)).version == 1
    assert await harness.services.drafts.get(RESIDENT) is None
    assert "无权办理" in harness.last_text(RESIDENT)


@pytest.mark.parametrize(
    "data",
    [
        "report:accept:abc",
        "report:accept:",
        "report:accept:999999",
        "report:card:-1",
        "report:reject_reason:{id}:because",
        "report:transfer_to:{id}:not-a-person",
        "report:transfer_to:{id}",
    ],
)
async def test_malformed_or_unknown_callback_data_changes_nothing(harness, data):
    report = await new_report(harness)
    harness.request.clear()

    await press(harness, WORKER_G1, data.format(id=report.id))

    assert (await stored(harness, report)).version == 1
    assert await harness.services.drafts.get(WORKER_G1) is None
    assert answered(harness) == 1
    assert "未做任何更改" in harness.last_text(WORKER_G1)


async def test_transfer_lists_staff_of_the_same_and_sibling_grids_but_not_the_presser(harness):
    report = await new_report(harness)

    await press(harness, WORKER_G1, f"report:transfer:{report.id}")

    choices = harness.buttons(WORKER_G1)
    data = [d for _, d in choices]
    assert data == [
        f"report:transfer_to:{report.id}:{HEAD_G1}",
        f"report:transfer_to:{report.id}:{WORKER_G2}",
        f"report:card:{report.id}:back",
    ]
    assert ("王网格（第二网格）", f"report:transfer_to:{report.id}:{WORKER_G2}") in choices
    assert (await stored(harness, report)).version == 1  # choosing changes nothing yet
    # The list is shown on the card itself, edited in place.
    assert "转派给" in card_edits(harness, WORKER_G1)[-1].params["text"]


async def test_transfer_to_a_sibling_grids_worker_hands_the_report_over(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:transfer:{report.id}")
    harness.request.clear()

    await press(harness, WORKER_G1, f"report:transfer_to:{report.id}:{WORKER_G2}")

    after = await stored(harness, report)
    assert (after.status, after.assignee_id, after.holder_unit) == (Status.OPEN, WORKER_G2, "G2")
    events = await harness.services.reports.events(report.id)
    assert events[-1].data == {"from": WORKER_G1, "to": WORKER_G2, "unit": "G2"}
    # The new holder gets the photos, a notice and a card to accept from.
    assert harness.request.sent("sendMediaGroup", WORKER_G2)
    assert harness.button(WORKER_G2, f"report:accept:{report.id}")
    # The old card loses its buttons and says where the report went.
    old = card_edits(harness, WORKER_G1)[-1]
    assert markup_of(old) == {"inline_keyboard": []}
    assert "第二网格" in old.params["text"]
    assert any("已转派" in text for text in harness.texts_to(RESIDENT))


async def test_a_button_on_the_old_card_after_a_transfer_changes_nothing(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:transfer_to:{report.id}:{WORKER_G2}")

    await press(harness, WORKER_G1, f"report:accept:{report.id}")

    after = await stored(harness, report)
    assert (after.status, after.assignee_id, after.version) == (Status.OPEN, WORKER_G2, 2)
    assert "已不由您办理" in harness.last_text(WORKER_G1)


@pytest.mark.parametrize("target", [COMMUNITY, ADMIN, WORKER_G1])
async def test_transfer_to_someone_who_is_not_a_valid_choice_changes_nothing(harness, target):
    report = await new_report(harness)

    await press(harness, WORKER_G1, f"report:transfer_to:{report.id}:{target}")

    assert (await stored(harness, report)).version == 1
    assert "已不能接收" in harness.last_text(WORKER_G1)


async def card_message(harness, report: Report, chat_id: int) -> int:
    row = await harness.services.store.db.fetchone(
        "SELECT message_id FROM cards WHERE key = ? AND chat_id = ?",
        (f"report:{report.id}:work", chat_id),
    )
    return int(row["message_id"])


async def test_the_card_button_sends_the_card_anew_and_back_edits_it_in_place(harness):
    report = await new_report(harness)
    first = await card_message(harness, report, WORKER_G1)
    harness.request.clear()

    await press(harness, WORKER_G1, f"report:card:{report.id}")

    sent = harness.request.sent("sendMessage", WORKER_G1)
    assert len(sent) == 1 and report.number in sent[0].params["text"]
    assert not card_edits(harness, WORKER_G1)
    second = await card_message(harness, report, WORKER_G1)
    assert second != first

    await press(harness, WORKER_G1, f"report:reject:{report.id}")
    await press(harness, WORKER_G1, f"report:card:{report.id}:back")

    edits = card_edits(harness, WORKER_G1)
    assert [e.params["message_id"] for e in edits] == [second, second]
    assert "退回" in edits[0].params["text"]
    assert harness.button(WORKER_G1, f"report:accept:{report.id}")
    assert (await stored(harness, report)).version == 1


async def test_an_unassigned_report_at_the_community_goes_to_its_staff_not_the_partner(harness):
    # 邻里纠纷 is routed from the community up; 春晖社区 has no grid worker, so it waits there.
    report = await new_report(harness, unit="B1", category="dispute")
    assert (report.holder_unit, report.assignee_id) == ("C1", None)
    assert harness.button(COMMUNITY, f"report:accept:{report.id}")
    assert not harness.texts_to(401)

    await press(harness, COMMUNITY, f"report:accept:{report.id}")

    assert (await stored(harness, report)).assignee_id == COMMUNITY


async def test_two_simultaneous_accepts_make_exactly_one_move(harness):
    report = await new_report(harness)

    await asyncio.gather(
        harness.send(updates.press(WORKER_G1, f"report:accept:{report.id}"), deliver=False),
        harness.send(updates.press(HEAD_G1, f"report:accept:{report.id}"), deliver=False),
    )
    await harness.deliver()

    assert await actions(harness, report) == ["submit", "accept"]
    winner = (await stored(harness, report)).assignee_id
    loser = HEAD_G1 if winner == WORKER_G1 else WORKER_G1
    assert "未做任何更改" in harness.last_text(loser)


async def test_a_worker_who_switched_to_english_gets_cards_and_prompts_in_english(harness):
    await harness.send(updates.text(WORKER_G1, "/lang en"))
    assert harness.last_text(WORKER_G1) == "Language set to English."
    report = await new_report(harness)
    assert "Case" in harness.texts_to(WORKER_G1)[-1]

    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    assert "photo of the result" in harness.last_text(WORKER_G1)
    await harness.send(updates.photo(WORKER_G1, "after", caption="Cleared"))

    card = card_edits(harness, WORKER_G1)[-1].params["text"]
    assert "Awaiting the reporter's confirmation" in card
