"""核实 and 复查 buttons through the real Application: the cards, the typed notes, old and forged
presses (handlers/reports/checks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.reports import Status
from tests import updates
from tests.conftest import COMMUNITY, DATA, HEAD_G1, RESIDENT, WORKER_G1, WORKER_G2
from tests.jobs.test_report_deadlines import actions, new_report, stored


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The suite's config with 环境卫生 (litter) requiring both 核实 and 复查."""
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    marked = text.replace(
        'en = "Litter and sanitation"\n',
        'en = "Litter and sanitation"\nverify = true\nreview = true\n',
    )
    assert marked != text
    path = tmp_path / "config.toml"
    path.write_text(marked, encoding="utf-8")
    return path


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


async def test_check_then_review_through_the_cards_with_old_and_forged_presses(harness):
    report = await new_report(harness)
    assert report.status is Status.CHECKING
    assert "待核实" in harness.texts_to(RESIDENT)[-1]
    assert [d for _, d in harness.buttons(WORKER_G1)] == [
        f"check:ok:{report.id}",
        f"check:no:{report.id}",
    ]
    # Another grid's worker forges the press; the resident forges "solved": nothing moves.
    await press(harness, WORKER_G2, f"check:ok:{report.id}")
    assert "不是案件" in harness.last_text(WORKER_G2)
    await press(harness, RESIDENT, f"report:solved:{report.id}")
    assert (await stored(harness, report)).status is Status.CHECKING

    await press(harness, WORKER_G1, f"check:ok:{report.id}")
    assert (await stored(harness, report)).status is Status.OPEN
    assert f"report:accept:{report.id}" in [d for _, d in harness.buttons(WORKER_G1)]
    await press(harness, WORKER_G1, f"check:no:{report.id}")  # the old card's other button
    assert "无需操作" in harness.last_text(WORKER_G1)

    await press(harness, WORKER_G1, f"report:accept:{report.id}")
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    await harness.send(updates.photo(WORKER_G1, "after-1", caption="已清理"))
    assert (await stored(harness, report)).status is Status.REVIEWING
    assert "复查" in harness.last_text(WORKER_G1)
    assert not harness.request.sent("sendPhoto", RESIDENT)  # no "is it solved?" before 复查
    assert harness.button(HEAD_G1, f"review:no:{report.id}")

    # The resolver cannot review their own work, even with a forged press.
    await press(harness, WORKER_G1, f"review:ok:{report.id}")
    assert "其他人员" in harness.last_text(WORKER_G1)
    await press(harness, HEAD_G1, f"review:no:{report.id}")
    await harness.send(updates.text(HEAD_G1, ""))  # not usable: asked again
    await harness.send(updates.text(HEAD_G1, "楼梯口还有杂物"))
    back = await stored(harness, report)
    assert back.status is Status.ACCEPTED and back.assignee_id == WORKER_G1
    assert any("楼梯口还有杂物" in t for t in harness.texts_to(WORKER_G1))

    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    await harness.send(updates.photo(WORKER_G1, "after-2", caption="都清走了"))
    await press(harness, COMMUNITY, f"review:ok:{report.id}")
    assert (await stored(harness, report)).status is Status.RESOLVED
    asked = harness.request.sent("sendPhoto", RESIDENT)
    assert [c for c in asked if f"report:solved:{report.id}" in str(c.params.get("reply_markup"))]
    await press(harness, HEAD_G1, f"review:ok:{report.id}")  # too late: already passed
    assert "无需操作" in harness.last_text(HEAD_G1)
    assert await actions(harness, report) == [
        "submit",
        "check_confirm",
        "accept",
        "resolve",
        "review_fail",
        "resolve",
        "review_pass",
    ]


async def test_not_a_problem_asks_why_and_closes_it_politely(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"check:no:{report.id}")
    assert "为什么不是问题" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "现场已无杂物"))
    closed = await stored(harness, report)
    assert closed.status is Status.REJECTED
    assert any("现场已无杂物" in t and "感谢" in t for t in harness.texts_to(RESIDENT))
    assert any("已核实为不是问题" in t for t in harness.texts_to(WORKER_G1))


async def test_tasks_lists_the_checks_waiting_for_the_worker(harness):
    report = await new_report(harness)
    await harness.send(updates.text(WORKER_G1, "/tasks"))
    assert report.number in harness.last_text(WORKER_G1)
    assert "待核实" in harness.last_text(WORKER_G1)


async def test_the_resolver_shown_the_card_again_gets_no_review_buttons(harness):
    from bot.usecases import checks, reports

    report = await new_report(harness)
    now = harness.clock()
    await checks.confirm_check(harness.services, report.id, by=WORKER_G1, at=now)
    await reports.resolve(harness.services, report.id, by=WORKER_G1, at=now, photo="a", note="好")
    await harness.deliver()
    await press(harness, WORKER_G1, f"report:card:{report.id}")
    assert "待复查" in harness.last_text(WORKER_G1)
    assert not [d for _, d in harness.buttons(WORKER_G1) if d.startswith("review:")]
    await press(harness, HEAD_G1, f"report:card:{report.id}")
    assert harness.button(HEAD_G1, f"review:ok:{report.id}")
