"""匿名上报 through the real Application: the resident's choice on the summary, the worker's card
without their identity, and questions and answers relayed by the bot (issue 12 item 10)."""

from __future__ import annotations

from tests import updates
from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2
from tests.handlers.reports.test_submit_flow import (
    all_reports,
    press,
    registered,
    report_to_summary,
)

PHONE = "13912345678"
OTHER = 5002


async def anonymous_report(harness):
    await registered(harness)
    await harness.services.people.update(RESIDENT, harness.clock(), phone=PHONE)
    await report_to_summary(harness)
    assert "身份：实名" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:anon:"))
    assert "身份：匿名" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    await harness.deliver()
    return (await all_reports(harness))[-1]


async def set_anonymous(harness, code: str, allowed: bool) -> None:
    async with harness.services.store.db.transaction() as conn:
        await conn.execute(
            "UPDATE categories SET anonymous = ? WHERE code = ?", (int(allowed), code)
        )
    harness.services.units.invalidate()


async def test_the_worker_sees_an_anonymous_resident_and_asks_through_the_bot(harness):
    report = await anonymous_report(harness)
    assert report.anonymous and report.reporter_id == RESIDENT

    card = harness.request.sent("sendMessage", WORKER_G1)[-1].params["text"]
    assert "匿名居民" in card and "张三" not in card and PHONE not in card
    await press(harness, WORKER_G1, harness.button(WORKER_G1, f"report:ask:{report.id}"))
    assert "要问居民的问题" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "请问垃圾桶具体在几号楼门口？"))
    await harness.deliver()
    assert "已由机器人转达" in harness.last_text(WORKER_G1)
    question = harness.last_text(RESIDENT)
    assert "几号楼门口" in question and "李" not in question  # no staff name either

    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:reply:{report.id}"))
    await harness.send(updates.text(RESIDENT, "在1栋2单元门口，谢谢"))
    await harness.deliver()
    answer = harness.last_text(WORKER_G1)
    assert "匿名居民回复" in answer and "1栋2单元" in answer and "张三" not in answer
    assert str(RESIDENT) not in str(harness.request.sent(chat_id=WORKER_G1))
    assert harness.button(WORKER_G1, f"report:ask:{report.id}")  # ask again from the answer
    rows = await harness.services.store.db.fetchall(
        "SELECT action, note FROM report_events WHERE report_id = ? ORDER BY id", (report.id,)
    )
    assert [(r["action"], r["note"]) for r in rows][-2:] == [
        ("ask_reporter", "请问垃圾桶具体在几号楼门口？"),
        ("reporter_reply", "在1栋2单元门口，谢谢"),
    ]


async def test_a_forged_reply_an_overlong_one_and_one_after_the_case_ended_change_nothing(harness):
    report = await anonymous_report(harness)
    await registered(harness, OTHER)
    await press(harness, OTHER, f"report:reply:{report.id}")  # forged: not their case
    assert "不是您的案件" in harness.last_text(OTHER)
    assert await harness.services.drafts.get(OTHER) is None

    await press(harness, RESIDENT, f"report:reply:{report.id}")
    await harness.send(updates.photo(RESIDENT, "p-9"))
    assert "请用文字回复" in harness.last_text(RESIDENT)
    await harness.send(updates.text(RESIDENT, "长" * 501))
    assert "最多 500 字" in harness.last_text(RESIDENT)
    await press(harness, WORKER_G1, f"report:reject:{report.id}")
    await press(harness, WORKER_G1, f"report:reject_reason:{report.id}:invalid")
    await harness.send(updates.text(WORKER_G1, "不属实"))
    await harness.send(updates.text(RESIDENT, "还在门口"))  # the case was returned meanwhile
    assert "已经办结" in harness.last_text(RESIDENT)
    rows = await harness.services.store.db.fetchall(
        "SELECT action FROM report_events WHERE report_id = ? AND action = 'reporter_reply'",
        (report.id,),
    )
    assert rows == []


async def test_only_staff_who_may_handle_it_ask_and_a_named_report_has_no_relay(harness):
    report = await anonymous_report(harness)
    await press(harness, WORKER_G2, f"report:ask:{report.id}")  # another grid's worker
    assert await harness.services.drafts.get(WORKER_G2) is None
    assert "问居民" not in harness.last_text(WORKER_G2)

    await registered(harness, OTHER)
    await report_to_summary(harness, OTHER)
    await press(harness, OTHER, harness.button(OTHER, "newreport:new:"))  # not the same problem
    await press(harness, OTHER, harness.button(OTHER, "newreport:send:"))  # named
    named = (await all_reports(harness))[-1]
    assert not named.anonymous
    await press(harness, WORKER_G1, f"report:ask:{named.id}")  # forged onto a named report
    assert "不是匿名上报" in harness.last_text(WORKER_G1)


async def test_a_category_the_office_keeps_named_offers_no_choice(harness):
    await set_anonymous(harness, "litter", False)
    await registered(harness)
    await report_to_summary(harness)
    assert "身份" not in harness.last_text(RESIDENT)
    assert not [d for _, d in harness.buttons(RESIDENT) if d.startswith("newreport:anon:")]


async def test_turned_off_between_the_choice_and_submit_asks_again_named(harness):
    await registered(harness)
    await report_to_summary(harness)
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:anon:"))
    await set_anonymous(harness, "litter", False)
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    assert await all_reports(harness) == []  # nothing stored: the resident decides again
    assert "不接受匿名上报" in "".join(harness.texts_to(RESIDENT)[-2:])
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    [report] = await all_reports(harness)
    assert not report.anonymous
