"""/delete_my_data through the real handlers: every table is dumped before and after, and none
of the erased resident's identifiers is left anywhere, while figures and another resident stay."""

from __future__ import annotations

import re

import pytest

from bot.domain import reports as domain
from bot.domain.summary import IsoWeek
from bot.jobs.summaries import build_summaries
from bot.usecases.reports import save_move
from storage.monthly import ReportFigures
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, RESIDENT_2, WORKER_G1
from tests.db_tables import table_names
from tests.handlers.reports.test_submit_flow import (
    album,
    all_reports,
    category,
    press,
    submitted_report,
)
from tests.handlers.residents.test_place import consent_to_location

NAME = "王秀英"
OTHER_NAME = "李四"
PHONE = "13812345678"
VOLUNTEER_PHONE = "13912345670"
DESCRIPTION = "三号楼下水道堵了好几天臭味很大"
OPEN_DESCRIPTION = "小区东门路灯坏了晚上很黑"
COMMENT = "师傅处理得很及时谢谢"
WISH_TEXT = "想请志愿者帮忙换一个灯泡"
GROUP_TEXT = "大家好我是三号楼的住户"
WORK_UNIT = "市第七自来水厂"
GROUP = -100777


def dump(rows: list, table: str) -> list[str]:
    """Returns each row as text (blobs as a placeholder: bytes are no identifier)."""
    return [
        f"{table}|" + "|".join("<blob>" if isinstance(v, bytes) else str(v) for v in tuple(row))
        for row in rows
    ]


async def snapshot(harness) -> list[str]:
    """Returns every row of every table in the database, as text."""
    db = harness.services.store.db
    out: list[str] = []
    for name in await table_names(db):
        out += dump(await db.fetchall(f'SELECT * FROM "{name}"'), name)
    return out


def holds(row: str, user_id: int, strings: tuple[str, ...]) -> list[str]:
    """Returns what in ROW identifies the person: their id as a whole number, or a string."""
    found = [str(user_id)] if re.search(rf"(?<!\d){user_id}(?!\d)", row) else []
    return found + [s for s in strings if s in row]


async def figures(harness) -> tuple:
    """Returns the week's summary of every unit, the month's counts and the points totals."""
    services = harness.services
    week = IsoWeek.of(harness.clock().astimezone(services.tz).date())
    tree = await services.units.tree()
    summaries = await build_summaries(services, [u.code for u in tree], week, harness.clock())
    start, end = week.start(services.tz), week.end(services.tz)
    month = await ReportFigures(services.store.db).counts([u.code for u in tree], start, end)
    points = await services.store.db.fetchall(
        "SELECT kind, ref, SUM(points) FROM points_ledger GROUP BY kind, ref ORDER BY 1, 2"
    )
    return repr(summaries), month, [tuple(r) for r in points]


async def resident_with_everything(harness) -> list[str]:
    """Builds RESIDENT's data through the chat; returns the file ids of their photos."""
    # Registered by a shared location (after consent), then a phone from /me.
    await harness.send(updates.text(RESIDENT, "/start"))
    await consent_to_location(harness)
    await harness.send(updates.location(RESIDENT, 30.6011, 114.3009))
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:yes:"))
    await harness.send(updates.text(RESIDENT, "/me"))
    await press(harness, RESIDENT, "me:phone")
    await harness.send(updates.contact(RESIDENT, PHONE))
    # A report with an album of two photos, resolved, confirmed with stars and a comment.
    await album(harness, RESIDENT, 2, "wxy-alb")
    await harness.send(updates.text(RESIDENT, DESCRIPTION))
    await press(harness, RESIDENT, category(harness, RESIDENT, "litter"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:home:"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    report = (await all_reports(harness))[-1]
    services = harness.services
    worker = await services.people.staff(WORKER_G1)
    after, event = domain.resolve(report, worker, services.clock(), photo="after-1", note="已疏通")
    await save_move(services, report, after, event)
    await harness.deliver()
    await press(harness, RESIDENT, f"report:solved:{report.id}")
    await press(harness, RESIDENT, f"report:stars:{report.id}:5")
    await harness.send(updates.text(RESIDENT, COMMENT))
    # A second report left open (its worker card must then say "(erased)").
    await harness.send(updates.photo(RESIDENT, "wxy-open", caption=OPEN_DESCRIPTION))
    await press(harness, RESIDENT, category(harness, RESIDENT, "road"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:home:"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    # A volunteer, approved by the community.
    await harness.send(updates.text(RESIDENT, "/volunteer"))
    await harness.send(updates.text(RESIDENT, NAME))
    await harness.send(updates.text(RESIDENT, VOLUNTEER_PHONE))
    for data in ("volreg:skill:repair", "volreg:skills_done", "volreg:team:red"):
        await press(harness, RESIDENT, data)
    for data in ("volreg:avail:weekend", "volreg:avail_done"):
        await press(harness, RESIDENT, data)
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:home:"))  # 1栋
    await press(harness, RESIDENT, "volreg:party:1")
    await harness.send(updates.text(RESIDENT, WORK_UNIT))
    await press(harness, RESIDENT, "volreg:submit")
    await press(harness, COMMUNITY, harness.button(COMMUNITY, f"vol:ok:{RESIDENT}"))
    # A micro-wish with a photo, approved by the grid worker.
    await harness.send(updates.text(RESIDENT, "/wish"))
    await harness.send(updates.text(RESIDENT, WISH_TEXT))
    await harness.send(updates.photo(RESIDENT, "wxy-wish"))
    await press(harness, RESIDENT, "wishnew:kind:repair")
    await press(harness, RESIDENT, "wishnew:post")
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "wish:ok:"))
    # And a message in a group chat.
    await harness.send(updates.text(RESIDENT, GROUP_TEXT, chat_id=GROUP))
    rows = await services.store.db.fetchall("SELECT file_id FROM report_photos")
    files = [r[0] for r in rows] + ["wxy-wish"]
    assert any(f.startswith("wxy-alb") for f in files)
    return files


@pytest.fixture
def names(monkeypatch):
    monkeypatch.setitem(updates.NAMES, RESIDENT, NAME)
    monkeypatch.setitem(updates.NAMES, RESIDENT_2, OTHER_NAME)


async def test_erasure_leaves_none_of_the_residents_identifiers_in_any_table(harness, names):
    files = await resident_with_everything(harness)
    other = await submitted_report(harness, RESIDENT_2)
    strings = (NAME, PHONE, VOLUNTEER_PHONE, DESCRIPTION, OPEN_DESCRIPTION, COMMENT, WISH_TEXT)
    strings += (GROUP_TEXT, WORK_UNIT, *files)
    before = await snapshot(harness)
    figures_before = await figures(harness)
    # The fixture really put the person everywhere the test looks.
    assert sum(1 for row in before if holds(row, RESIDENT, strings)) > 40
    for s in (NAME, PHONE, DESCRIPTION, COMMENT, WISH_TEXT, GROUP_TEXT, WORK_UNIT):
        assert any(s in row for row in before), s
    other_rows = [
        row
        for row in before
        if holds(row, RESIDENT_2, (OTHER_NAME,)) and not holds(row, RESIDENT, strings)
    ]
    assert other_rows

    await harness.send(updates.text(RESIDENT, "/delete_my_data"))
    asked = harness.last_text(RESIDENT)
    assert "2 件上报案件" in asked and "志愿者登记" in asked and "微心愿" in asked
    await press(harness, RESIDENT, harness.button(RESIDENT, "privacy:erase"))

    after = await snapshot(harness)
    left = {row: holds(row, RESIDENT, strings) for row in after if holds(row, RESIDENT, strings)}
    assert left == {}
    assert set(other_rows) <= set(after)  # the other resident's rows are untouched
    assert await figures(harness) == figures_before
    # The reports stay, de-identified; the other resident's report is as it was.
    reports = await all_reports(harness)
    mine = [r for r in reports if r.id != other.id]
    assert len(mine) == 2 and all(r.reporter_id is None and r.description == "" for r in mine)
    assert [r.stars for r in mine] == [5, None]
    assert await harness.services.reports.get(other.id) == other
    alert = harness.request.sent("answerCallbackQuery")[-1].params
    assert "已全部删除" in alert["text"] and alert["show_alert"] is True


async def test_staff_see_erased_on_the_card_of_an_erased_residents_open_report(harness, names):
    await resident_with_everything(harness)
    await harness.send(updates.text(RESIDENT, "/delete_my_data"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "privacy:erase"))
    open_report = next(r for r in await all_reports(harness) if r.status is domain.Status.OPEN)

    await press(harness, WORKER_G1, f"report:accept:{open_report.id}")
    card = harness.last_text(WORKER_G1)
    assert "（已删除）" in card and NAME not in card and PHONE not in card
    assert OPEN_DESCRIPTION not in card
    assert harness.texts_to(RESIDENT)[-1] != card  # nobody is told as the reporter


async def test_a_second_erase_press_after_erasure_recreates_nothing(harness, names):
    await harness.send(updates.text(RESIDENT, "/start"))
    await harness.send(updates.text(RESIDENT, "/delete_my_data"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "privacy:erase"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "privacy:erase"))
    assert await harness.services.people.get(RESIDENT) is None
    rows = await snapshot(harness)
    assert not [row for row in rows if holds(row, RESIDENT, (NAME,))]
