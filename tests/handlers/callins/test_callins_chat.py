"""吹哨报到 through the real Application: the picker on the worker card, /callin, the party's
card (报到, then a photo or a note), withdrawal with a reason; forged, stale and second presses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.callins import State
from bot.domain.reports import Report, Status
from bot.usecases.reports import accept, submit
from tests import updates
from tests.callin_office import CITY, MARKET, PROPERTY_CO, add_parties
from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return add_parties(config_path)


async def held_report(harness) -> Report:
    report = await submit(
        harness.services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道里堆满了杂物",
        photos=["before-1"],
    )
    await accept(harness.services, report.id, by=WORKER_G1, at=harness.clock())
    await harness.deliver()
    return report


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


async def callins_of(harness, report: Report):
    return await harness.services.store.callins.of_report(report.id)


async def pick_and_send(harness, report: Report, *codes: str) -> None:
    await press(harness, WORKER_G1, f"callin:pick:{report.id}")
    for code in codes:
        await press(harness, WORKER_G1, f"callin:tog:{report.id}:{code}")
    await press(harness, WORKER_G1, f"callin:send:{report.id}")


async def test_the_holder_picks_two_parties_on_the_card_and_sends(harness):
    report = await held_report(harness)
    assert harness.button(WORKER_G1, "callin:pick:") == f"callin:pick:{report.id}"

    await press(harness, WORKER_G1, f"callin:pick:{report.id}")
    labels = [label for label, _ in harness.buttons(WORKER_G1)]
    assert "城管" in labels and "物业" in labels and "市场监管" not in labels
    await press(harness, WORKER_G1, f"callin:tog:{report.id}:cg")
    await press(harness, WORKER_G1, f"callin:tog:{report.id}:wy")
    assert "☑️ 城管" in [label for label, _ in harness.buttons(WORKER_G1)]
    assert await callins_of(harness, report) == []  # nothing is called before 发送
    await press(harness, WORKER_G1, f"callin:send:{report.id}")

    assert [c.party for c in await callins_of(harness, report)] == ["cg", "wy"]
    assert any("已就案件" in t for t in harness.texts_to(WORKER_G1))
    assert harness.button(CITY, "callin:ack:")
    assert any("已吹哨：城管、物业" in t for t in harness.texts_to(RESIDENT))
    assert await harness.services.drafts.get(WORKER_G1) is None


async def test_a_toggle_without_an_open_picker_or_from_someone_else_changes_nothing(harness):
    report = await held_report(harness)

    await press(harness, WORKER_G1, f"callin:tog:{report.id}:cg")  # no picker open
    assert "已失效" in harness.last_text(WORKER_G1)
    await press(harness, WORKER_G2, f"callin:pick:{report.id}")  # another grid's worker
    assert "不是案件" in harness.last_text(WORKER_G2)
    await press(harness, WORKER_G1, f"callin:send:{report.id}")  # send without a picker
    assert await callins_of(harness, report) == []


async def test_the_party_acknowledges_and_reports_done_with_a_photo(harness):
    report = await held_report(harness)
    await pick_and_send(harness, report, "cg")
    (callin,) = await callins_of(harness, report)

    await press(harness, CITY, f"callin:ack:{callin.id}")
    assert any("城管 已就案件" in t for t in harness.texts_to(WORKER_G1))
    await press(harness, CITY, f"callin:ack:{callin.id}")  # a second 报到
    assert "无需重复报到" in harness.last_text(CITY)
    await press(harness, CITY, f"callin:done:{callin.id}")
    await harness.send(updates.sticker(CITY))
    assert "照片或文字" in harness.last_text(CITY)
    await harness.send(updates.photo(CITY, "after-city", caption="已清运"))

    (done,) = await callins_of(harness, report)
    assert (done.state, done.note, done.photo) == (State.DONE, "已清运", "after-city")
    photos = harness.request.sent("sendPhoto", WORKER_G1)
    assert any("已清运" in str(c.params.get("caption")) for c in photos)
    assert any("所有吹哨部门均已完成" in t for t in harness.texts_to(WORKER_G1))


async def test_another_partys_member_and_a_forged_id_are_refused(harness):
    report = await held_report(harness)
    await pick_and_send(harness, report, "cg")
    (callin,) = await callins_of(harness, report)

    await press(harness, MARKET, f"callin:ack:{callin.id}")
    assert "不属于您的部门" in harness.last_text(MARKET)
    await press(harness, CITY, "callin:ack:99999")
    assert "无效" in harness.last_text(CITY)
    await press(harness, CITY, "callin:ack:abc")
    assert (await callins_of(harness, report))[0].state is State.CALLED
    rules = await harness.services.store.db.fetchall("SELECT rule FROM refusals")
    assert [r["rule"] for r in rules] == ["callin_answer"]


async def test_resolve_waits_for_the_parties_and_withdrawal_needs_a_reason(harness):
    report = await held_report(harness)
    await pick_and_send(harness, report, "wy")
    (callin,) = await callins_of(harness, report)

    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    assert "还有吹哨部门未完成" in harness.last_text(WORKER_G1)
    assert await harness.services.drafts.get(WORKER_G1) is None

    await press(harness, WORKER_G1, f"callin:pick:{report.id}")
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "callin:wd:"))
    await harness.send(updates.text(WORKER_G1, "不涉及物业"))
    (gone,) = await callins_of(harness, report)
    assert (gone.state, gone.reason) == (State.WITHDRAWN, "不涉及物业")
    assert any("不涉及物业" in t for t in harness.texts_to(PROPERTY_CO))

    await press(harness, PROPERTY_CO, f"callin:ack:{callin.id}")  # the old card
    assert "已被承办人撤回" in harness.last_text(PROPERTY_CO)
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    await harness.send(updates.photo(WORKER_G1, "after-1", caption="已处理"))
    after = await harness.services.reports.get(report.id)
    assert after.status is Status.RESOLVED


async def test_the_callin_command_opens_the_picker_and_explains_bad_input(harness):
    report = await held_report(harness)

    await harness.send(updates.text(WORKER_G1, "/callin"))
    assert "用法" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "/callin R999999"))
    assert "没有编号为 R999999 的案件" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G2, f"/callin {report.number}"))
    assert "不是案件" in harness.last_text(WORKER_G2)
    await harness.send(updates.text(WORKER_G1, f"/callin {report.number}"))
    assert harness.button(WORKER_G1, "callin:three:") == f"callin:three:{report.id}"
    await press(harness, WORKER_G1, f"callin:three:{report.id}")
    assert sorted(c.party for c in await callins_of(harness, report)) == ["jwh", "wy", "ywh"]


async def test_a_party_member_gets_their_open_cards_again_with_callin_alone(harness):
    await harness.send(updates.text(CITY, "/callin"))
    assert "没有待报到" in harness.last_text(CITY)
    report = await held_report(harness)
    await pick_and_send(harness, report, "cg")
    (callin,) = await callins_of(harness, report)
    harness.request.clear()

    await harness.send(updates.text(CITY, "/callin"))

    sent = harness.request.sent("sendMessage", CITY)
    assert len(sent) == 1 and report.number in sent[0].params["text"]
    assert harness.button(CITY, "callin:ack:") == f"callin:ack:{callin.id}"
    await harness.send(updates.text(WORKER_G2, "/callin"))  # not a party's member
    assert "用法" in harness.last_text(WORKER_G2)


async def test_merging_a_case_with_a_party_still_called_in_is_refused_politely(harness):
    report = await held_report(harness)
    await pick_and_send(harness, report, "cg")
    survivor = await submit(
        harness.services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="垃圾没人清",
        photos=["before-2"],
    )

    await harness.send(updates.text(WORKER_G1, f"/merge {report.number} {survivor.number}"))

    assert "还有吹哨部门未完成" in harness.last_text(WORKER_G1)
    stored = await harness.services.reports.get(report.id)
    assert stored is not None and stored.status is Status.ACCEPTED
    assert [c.state for c in await callins_of(harness, report)] == [State.CALLED]
