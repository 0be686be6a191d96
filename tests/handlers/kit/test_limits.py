"""Flood limits: reports per hour and day (from the database), messages per minute and presses
per second (in memory); a polite notice in the user's language, once per burst; staff exempt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.settings import LimitSettings
from bot.usecases.reports import submit
from tests import updates
from tests.conftest import RESIDENT, WORKER_G1
from tests.handlers.reports.test_submit_flow import (
    DESCRIPTION,
    all_reports,
    last_answer,
    press,
    registered,
    report_to_summary,
    step_of,
)


@pytest.fixture
def limited(harness):
    """The harness with the shipped defaults (tests/data/config.toml lifts them)."""
    harness.services.settings.limits = LimitSettings()
    return harness


async def earlier_reports(harness, count: int, *, reporter: int = RESIDENT) -> None:
    for _ in range(count):
        await submit(
            harness.services,
            reporter_id=reporter,
            entered_by=None,
            category="litter",
            unit="B1",
            description=DESCRIPTION,
            photos=["p-0"],
        )


def local_time(harness, at, fmt: str = "%H:%M") -> str:
    return at.astimezone(harness.services.tz).strftime(fmt)


async def test_the_eleventh_report_in_an_hour_is_refused_at_its_start_with_when_to_come_back(
    limited,
):
    harness = limited
    await registered(harness)
    first = harness.clock()
    await earlier_reports(harness, 10)
    harness.clock.advance(minutes=30)
    again = local_time(harness, first + timedelta(hours=1))
    refusal = (
        f"您一小时内已经提交了 10 件问题，{again} 以后可以再提交。紧急情况请直接拨打社区电话。"
    )
    starts = [updates.photo(RESIDENT, "p-11"), updates.text(RESIDENT, "/report")]
    starts.append(updates.text(RESIDENT, "📷 随手拍"))
    for told, start in enumerate(starts, 1):
        await harness.send(start)
        assert harness.last_text(RESIDENT) == refusal
        assert harness.texts_to(RESIDENT).count(refusal) == told
        assert await step_of(harness) is None  # no draft to fill in only to be refused
    assert len(await all_reports(harness)) == 10

    harness.clock.advance(minutes=31)  # the first ten are now more than an hour old
    await report_to_summary(harness)
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    assert len(await all_reports(harness)) == 11


async def test_a_limit_reached_while_a_draft_waits_is_still_refused_at_submit(limited):
    harness = limited
    await registered(harness)
    await earlier_reports(harness, 9)
    await report_to_summary(harness)  # the ninth leaves room: the report starts
    send = harness.button(RESIDENT, "newreport:send:")
    await earlier_reports(harness, 1)  # the tenth arrives while the draft waits
    await press(harness, RESIDENT, send)
    assert "一小时内已经提交了 10 件" in harness.last_text(RESIDENT)
    assert len(await all_reports(harness)) == 10
    assert await step_of(harness) == "confirm"  # the draft waits; 提交 works later

    harness.clock.advance(minutes=61)
    await press(harness, RESIDENT, send)
    assert len(await all_reports(harness)) == 11
    assert await step_of(harness) is None


async def test_the_daily_limit_counts_the_last_day_and_speaks_the_users_language(limited):
    harness = limited
    await registered(harness)
    await harness.services.people.update(RESIDENT, harness.clock(), lang="en")
    first = harness.clock()
    for _ in range(3):
        await earlier_reports(harness, 10)
        harness.clock.advance(hours=2)
    await harness.send(updates.text(RESIDENT, "/report"))
    again = first + timedelta(days=1)
    shown = local_time(harness, again, "%Y-%m-%d %H:%M")
    if (
        again.astimezone(harness.services.tz).date()
        == harness.clock().astimezone(harness.services.tz).date()
    ):
        shown = local_time(harness, again)
    assert harness.last_text(RESIDENT) == (
        "You have submitted 30 reports in the last 24 hours. You can report again from "
        f"{shown}. For an emergency, call the community office."
    )
    assert await step_of(harness) is None
    assert len(await all_reports(harness)) == 30


async def test_staff_reports_are_not_limited(limited):
    harness = limited
    await earlier_reports(harness, 12, reporter=WORKER_G1)
    await harness.send(updates.photo(WORKER_G1, "seen-1", caption=DESCRIPTION))
    await press(
        harness, WORKER_G1, next(d for _, d in harness.buttons(WORKER_G1) if d.endswith(":self"))
    )
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:cat:"))
    if await step_of(harness, WORKER_G1) == "walk":
        await press(harness, WORKER_G1, harness.button(WORKER_G1, "place:pick:"))
        await press(harness, WORKER_G1, harness.button(WORKER_G1, "place:pick:"))
    else:
        await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:home:"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:send:"))
    assert len(await all_reports(harness)) == 13


async def test_messages_beyond_the_limit_are_dropped_with_one_notice_per_burst(limited):
    harness = limited
    await registered(harness)
    for _ in range(30):
        await harness.send(updates.text(RESIDENT, "/me"))
    shown = len(harness.texts_to(RESIDENT))
    assert shown == 30 and not any("太快" in t for t in harness.texts_to(RESIDENT))
    await harness.send(updates.text(RESIDENT, "/me"))
    await harness.send(updates.text(RESIDENT, "/me"))
    await harness.send(updates.photo(RESIDENT, "flood-1"))
    texts = harness.texts_to(RESIDENT)
    assert texts[shown:] == ["您发送消息太快了，请稍等一会儿再发。"]  # once, and nothing else
    assert await harness.services.drafts.get(RESIDENT) is None  # the photo started nothing


async def test_a_later_minute_lets_messages_through_again(limited):
    harness = limited
    await registered(harness)
    for _ in range(31):
        await harness.send(updates.text(RESIDENT, "/me"))
    message = updates.text(RESIDENT, "/me")
    message["message"]["date"] += 61  # Telegram's send time is what counts, not processing
    before = len(harness.texts_to(RESIDENT))
    await harness.send(message)
    assert len(harness.texts_to(RESIDENT)) == before + 1
    assert "太快" not in harness.last_text(RESIDENT)


async def test_presses_beyond_the_limit_are_answered_with_a_notice_and_change_nothing(limited):
    harness = limited
    await registered(harness)
    await report_to_summary(harness)
    harness.clock.advance(seconds=1)
    for _ in range(3):  # the same instant: three presses are allowed
        await press(harness, RESIDENT, "noun:verb:nothing")
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    assert last_answer(harness) == "点得太快了，请稍等一下。"
    assert await all_reports(harness) == []
    harness.clock.advance(seconds=1)
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    assert len(await all_reports(harness)) == 1


async def test_staff_messages_and_presses_are_not_limited(limited):
    harness = limited
    for _ in range(35):
        await harness.send(updates.text(WORKER_G1, "/tasks"))
    for _ in range(5):
        await press(harness, WORKER_G1, "noun:verb:nothing")
    assert not any("太快" in t for t in harness.texts_to(WORKER_G1))
    answers = [c.params.get("text") for c in harness.request.sent("answerCallbackQuery")]
    assert "点得太快了，请稍等一下。" not in answers
