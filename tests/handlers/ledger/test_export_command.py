"""/export through the real Application: the period buttons, a typed period, bad dates, an
empty period, refusals (a resident, a partner, a colleague's grid, a group), old and forged
presses; the ledger sweep then sends the workbook as a document."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.jobs import ledger as ledger_jobs
from bot.usecases import reports
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1, WORKER_G2

PARTNER = 401
GROUP = -100500


async def a_month(harness) -> int:
    """A report at 1栋 (G1) in November, closed with 5 stars; today is 2 December."""
    services, clock = harness.services, harness.clock
    clock.now = datetime(2026, 11, 3, 1, 30, tzinfo=UTC)
    report = await reports.submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道堆放杂物",
        photos=["p1"],
    )
    await reports.accept(services, report.id, by=WORKER_G1, at=clock.advance(minutes=30))
    await reports.resolve(
        services, report.id, by=WORKER_G1, at=clock.advance(hours=2), photo="a", note="好了"
    )
    await reports.verify(services, report.id, by=RESIDENT, at=clock.advance(hours=1), stars=5)
    clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    await harness.deliver()
    harness.request.clear()
    assert report.id is not None
    return report.id


async def sweep_and_document(harness, chat_id: int) -> bytes:
    """Runs the ledger sweep, delivers, and returns the one workbook sent to CHAT_ID."""
    assert await ledger_jobs.exports(harness.services, harness.clock()) == 1
    await harness.deliver()
    documents = harness.request.sent("sendDocument", chat_id)
    assert len(documents) == 1
    return harness.request.files[documents[0].params["document"]]


async def test_last_month_by_button_sends_the_communitys_workbook(harness):
    number = await a_month(harness)
    await harness.send(updates.text(COMMUNITY, "/export"))
    assert "春晖社区" in harness.last_text(COMMUNITY)
    labels = [label for label, _ in harness.buttons(COMMUNITY)]
    assert labels == ["本月", "上月", "本季度", "上季度", "今年", "📂 其他单位…"]
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "ledger:period:")
                                     .rsplit(":", 1)[0] + ":last_month"))  # fmt: skip
    assert "2026-11-01 至 2026-11-30" in harness.last_text(COMMUNITY)
    data = await sweep_and_document(harness, COMMUNITY)
    rows = list(load_workbook(io.BytesIO(data), read_only=True)["案件"].values)
    assert rows[1][0] == f"R{number:06d}" and rows[1][2] == "1栋"


async def test_a_typed_period_in_english_and_the_old_buttons_after_it(harness):
    await a_month(harness)
    await harness.send(updates.text(WORKER_G1, "/lang en"))
    await harness.send(updates.text(WORKER_G1, "/export"))
    old = harness.button(WORKER_G1, "ledger:period:")
    await harness.send(updates.text(WORKER_G1, "2026-11-03 2026-11-03"))
    assert "Preparing" in harness.last_text(WORKER_G1)
    await harness.send(updates.press(WORKER_G1, old))  # the question is over
    assert "Preparing" not in harness.last_text(WORKER_G1)
    data = await sweep_and_document(harness, WORKER_G1)
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames[0] == "Cases"
    assert next(iter(book["Cases"].values))[0] == "Case number"


async def test_bad_dates_get_a_hint_and_the_question_stays(harness):
    await a_month(harness)
    await harness.send(updates.text(COMMUNITY, "/export"))
    for typed, hint in [
        ("下个月", "请按"),
        ("2026-02-30 2026-03-01", "日期不存在"),
        ("2026-11-30 2026-11-01", "早于"),
        ("2020-01-01 2026-11-01", "最长三年"),
    ]:
        await harness.send(updates.text(COMMUNITY, typed))
        assert hint in harness.last_text(COMMUNITY)
    assert await harness.services.store.db.fetchall("SELECT * FROM ledger_exports") == []
    await harness.send(updates.text(COMMUNITY, "2026-11-01 2026-11-30"))
    assert "正在生成" in harness.last_text(COMMUNITY)


async def test_an_empty_period_says_so_and_makes_no_file(harness):
    await a_month(harness)
    await harness.send(updates.text(COMMUNITY, "/export"))
    await harness.send(updates.text(COMMUNITY, "2026-09-01 2026-09-30"))
    assert "没有可导出的记录" in harness.last_text(COMMUNITY)
    assert await ledger_jobs.exports(harness.services, harness.clock()) == 0
    assert harness.request.sent("sendDocument") == []


async def test_a_second_request_while_one_waits_is_told_to_wait(harness):
    await a_month(harness)
    await harness.send(updates.text(COMMUNITY, "/export"))
    await harness.send(updates.text(COMMUNITY, "2026-11-01 2026-11-30"))
    await harness.send(updates.text(COMMUNITY, "/export"))
    await harness.send(updates.text(COMMUNITY, "2026-11-01 2026-11-30"))
    assert "还在生成中" in harness.last_text(COMMUNITY)
    await sweep_and_document(harness, COMMUNITY)


async def test_refusals_resident_partner_colleague_unknown_unit_and_group(harness):
    await a_month(harness)
    await harness.send(updates.text(RESIDENT, "/export"))
    assert harness.buttons(RESIDENT) == []
    await harness.send(updates.text(PARTNER, "/export"))
    assert harness.buttons(PARTNER) == []
    await harness.send(updates.text(WORKER_G1, "/export G2"))
    assert harness.buttons(WORKER_G1) == []
    await harness.send(updates.text(COMMUNITY, "/export NOPE"))
    assert "NOPE" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "/export C1 extra"))
    assert "用法" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "/export", chat_id=GROUP))
    assert "私聊" in harness.last_text(GROUP)
    refused = await harness.services.store.db.fetchall(
        "SELECT user_id, rule FROM refusals WHERE action = '/export' ORDER BY id"
    )
    assert [(r["user_id"], r["rule"]) for r in refused] == [
        (RESIDENT, "ledger_export"),
        (PARTNER, "ledger_export"),
        (WORKER_G1, "ledger_export"),
    ]


async def test_a_supervisor_exports_a_unit_below_and_a_forged_press_is_stale(harness):
    at_g1 = await a_month(harness)
    at_g2 = await reports.submit(
        harness.services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="road",
        unit="B3",
        description="路灯坏了",
        photos=["p1"],
    )
    await harness.deliver()
    await harness.send(updates.text(COMMUNITY, "/export G2"))
    data = harness.button(COMMUNITY, "ledger:period:")
    nonce = data.split(":")[2]
    await harness.send(updates.press(COMMUNITY, f"ledger:period:{nonce}:next_decade"))
    await harness.send(updates.press(COMMUNITY, "ledger:period:000000:this_year"))
    await harness.send(updates.press(WORKER_G2, data))  # someone else's button
    assert await harness.services.store.db.fetchall("SELECT * FROM ledger_exports") == []
    await harness.send(updates.press(COMMUNITY, f"ledger:period:{nonce}:this_year"))
    assert "第二网格" in harness.last_text(COMMUNITY)
    await harness.send(updates.press(COMMUNITY, f"ledger:period:{nonce}:this_year"))  # twice
    rows = await harness.services.store.db.fetchall("SELECT unit FROM ledger_exports")
    assert [r["unit"] for r in rows] == ["G2"]
    data_bytes = await sweep_and_document(harness, COMMUNITY)
    cases = list(load_workbook(io.BytesIO(data_bytes), read_only=True)["案件"].values)
    assert [row[0] for row in cases[1:]] == [f"R{at_g2.id:06d}"]  # not R{at_g1}: at G1
    assert at_g1 != at_g2.id


async def test_a_supervisor_picks_a_unit_below_with_the_picker(harness):
    await a_month(harness)
    await harness.send(updates.text(WORKER_G1, "/export"))
    assert "📂 其他单位…" not in [label for label, _ in harness.buttons(WORKER_G1)]  # a grid
    await harness.send(updates.text(COMMUNITY, "/export"))
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "ledger:unit:")))
    walk = dict(harness.buttons(COMMUNITY))
    assert "第一网格" in walk and "第二网格" in walk and "📒 导出 春晖社区" in walk
    await harness.send(updates.press(COMMUNITY, walk["第二网格"]))
    here = dict(harness.buttons(COMMUNITY))
    await harness.send(updates.press(COMMUNITY, here["📒 导出 第二网格"]))
    assert "第二网格" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "2026-11-01 2026-11-30"))
    assert "没有可导出的记录" in harness.last_text(COMMUNITY)  # the case is at 第一网格
    await harness.send(updates.press(COMMUNITY, walk["第一网格"]))  # an old walk's button
    assert await harness.services.store.db.fetchall("SELECT * FROM ledger_exports") == []
    await harness.send(updates.text(COMMUNITY, "2026-11-01 2026-12-01"))
    rows = await harness.services.store.db.fetchall("SELECT unit FROM ledger_exports")
    assert [r["unit"] for r in rows] == []  # still 第二网格: nothing there in November either
