"""回访 through the real Application: the card's buttons, the note (or skip), /revisits paged;
the handler's own press, a forged one, a second press and an old card; bad notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.reports import Status
from bot.domain.revisit import NOTE_LIMIT, State
from bot.usecases import reports, revisit
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, STREET, WORKER_G1
from tests.revisit_office import mark_revisit


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return mark_revisit(config_path)


async def closed_case(harness, *, n: int = 1) -> list[int]:
    """N litter reports at B1 handled by the grid worker and closed with five stars; the sweep
    has sent the cards."""
    services, clock = harness.services, harness.clock
    ids = []
    for _ in range(n):
        report = await reports.submit(
            services,
            reporter_id=RESIDENT,
            entered_by=None,
            category="litter",
            unit="B1",
            description="楼道里堆满了杂物",
            photos=["before-1"],
        )
        await reports.accept(services, report.id, by=WORKER_G1, at=clock())
        await reports.resolve(services, report.id, by=WORKER_G1, at=clock(), photo="a", note="ok")
        await reports.verify(services, report.id, by=RESIDENT, at=clock(), stars=5)
        ids.append(report.id)
    await revisit.sweep(services, clock())
    await harness.deliver()
    return ids


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


async def task(harness, report_id: int):
    [found] = await harness.services.store.revisits.of_report(report_id)
    return found


async def test_the_caller_answers_not_satisfied_with_a_note_and_the_case_reopens(harness):
    [report_id] = await closed_case(harness)
    data = harness.button(COMMUNITY, "revisit:no:")

    await press(harness, COMMUNITY, data)
    assert "跳过备注" in [label for label, _ in harness.buttons(COMMUNITY)]
    assert (await task(harness, report_id)).state is State.OPEN  # nothing recorded yet
    await harness.send(updates.text(COMMUNITY, "居民说楼道还是很脏"))

    recorded = await task(harness, report_id)
    assert (recorded.state, recorded.satisfied, recorded.note) == (
        State.ANSWERED,
        False,
        "居民说楼道还是很脏",
    )
    assert any("已重新交办" in t for t in harness.texts_to(COMMUNITY))
    assert (await harness.services.reports.get(report_id)).status is Status.OPEN
    assert await harness.services.drafts.get(COMMUNITY) is None

    await press(harness, COMMUNITY, data)  # the old card, pressed again
    assert "不能再修改" in harness.last_text(COMMUNITY)
    assert (await task(harness, report_id)).version == recorded.version


async def test_satisfied_with_the_note_skipped(harness):
    [report_id] = await closed_case(harness)
    await press(harness, COMMUNITY, harness.button(COMMUNITY, "revisit:yes:"))
    await press(harness, COMMUNITY, harness.button(COMMUNITY, "revisit:skip:"))
    recorded = await task(harness, report_id)
    assert (recorded.satisfied, recorded.note) == (True, None)
    assert (await harness.services.reports.get(report_id)).status is Status.CLOSED


async def test_a_bad_note_is_answered_politely_and_nothing_is_recorded(harness):
    [report_id] = await closed_case(harness)
    await press(harness, COMMUNITY, harness.button(COMMUNITY, "revisit:yes:"))

    await harness.send(updates.text(COMMUNITY, "脏" * (NOTE_LIMIT + 1)))
    assert "最多 500 字" in harness.last_text(COMMUNITY)
    await harness.send(updates.sticker(COMMUNITY))
    assert "请用文字" in harness.last_text(COMMUNITY)

    assert (await task(harness, report_id)).state is State.OPEN
    assert (await harness.services.drafts.get(COMMUNITY)) is not None


async def test_the_handler_and_a_stranger_are_refused_and_a_skip_without_the_prompt_is_stale(
    harness,
):
    [report_id] = await closed_case(harness)
    tid = (await task(harness, report_id)).id

    await press(harness, WORKER_G1, f"revisit:yes:{tid}")  # forged by the handler
    assert "其他工作人员" in harness.last_text(WORKER_G1)
    await press(harness, 7777, f"revisit:no:{tid}")
    assert "社区的工作人员" in harness.last_text(7777)
    await press(harness, COMMUNITY, f"revisit:skip:{tid}")  # no prompt open
    assert "已失效" in harness.last_text(COMMUNITY)
    await press(harness, COMMUNITY, "revisit:yes:99999")
    assert "不存在" in harness.last_text(COMMUNITY)

    assert (await task(harness, report_id)).state is State.OPEN
    rules = await harness.services.store.db.fetchall("SELECT rule FROM refusals")
    assert [r[0] for r in rules] == ["revisit_record", "revisit_record"]


async def test_revisits_lists_eight_a_page_and_opens_a_card(harness):
    ids = await closed_case(harness, n=9)

    await harness.send(updates.text(COMMUNITY, "/revisits"))
    assert "待回访 9 件" in harness.last_text(COMMUNITY)
    assert "R" in harness.last_text(COMMUNITY) and "1/2" in harness.last_text(COMMUNITY)
    await press(harness, COMMUNITY, harness.button(COMMUNITY, "revisit:page:"))
    assert "2/2" in harness.last_text(COMMUNITY)
    tid = (await task(harness, ids[-1])).id
    await press(harness, COMMUNITY, f"revisit:card:{tid}")
    assert "回访任务" in harness.last_text(COMMUNITY)
    assert harness.button(COMMUNITY, "revisit:yes:") == f"revisit:yes:{tid}"

    await harness.send(updates.text(WORKER_G1, "/revisits"))
    assert "仅供社区" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(STREET, "/revisits"))
    assert "待回访 9 件" in harness.last_text(STREET)
