"""回音壁 through the real Application: the consent step in verify, and the channel post."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.before_after import COLUMN, GAP, HEADER
from bot.domain import reports as domain
from bot.domain.reports import Report, Status
from bot.jobs.echo import post_echoes
from bot.notices import outgoing
from bot.usecases.reports import save_move
from tests.conftest import DATA, RESIDENT, WORKER_G1
from tests.handlers.reports.test_submit_flow import (
    DESCRIPTION,
    last_answer,
    press,
    submitted_report,
)
from tests.images import colour_at, metadata, near, solid_jpeg

CHANNEL = -1001234567890
PHONE = "13912345678"
RED, GREEN = (200, 30, 30), (30, 160, 60)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    path.write_text(text + f"\n[echo]\nchannel = {CHANNEL}\n", encoding="utf-8")
    return path


async def resolved(harness, note: str = "已清运，垃圾桶已清洗") -> Report:
    report = await submitted_report(harness, RESIDENT)
    services = harness.services
    await services.people.update(RESIDENT, harness.clock(), phone=PHONE)
    worker = await services.people.staff(WORKER_G1)
    after, event = domain.resolve(report, worker, services.clock(), photo="after-1", note=note)
    await save_move(services, report, after, event)
    await harness.deliver()
    found = await services.reports.get(report.id)
    assert found is not None
    return found


async def sweep(harness) -> None:
    await post_echoes(harness.services, harness.clock())
    await harness.deliver()


def channel_calls(harness) -> list:
    return [c for c in harness.request.calls if int(c.params.get("chat_id", 0)) == CHANNEL]


def dumped(calls: list) -> str:
    return json.dumps([c.params for c in calls], ensure_ascii=False, default=str)


async def test_solved_asks_about_photos_first_and_the_answer_no_posts_text_only(harness):
    report = await resolved(harness)
    await press(harness, RESIDENT, f"report:solved:{report.id}")
    assert "回音壁" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:photos:{report.id}:0"))
    [edit] = harness.request.sent("editMessageText", RESIDENT)[-1:]
    assert "照片不公示" in edit.params["text"] and not json.loads(
        json.dumps(edit.params.get("reply_markup") or {})
    ).get("inline_keyboard")  # the question shows the answer and loses its buttons
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:stars:{report.id}:4"))
    await sweep(harness)

    [post] = channel_calls(harness)
    assert post.method == "sendMessage"
    text = post.params["text"]
    assert report.number in text and "环境卫生" in text and "第一网格" in text
    assert "已清运，垃圾桶已清洗" in text and "1栋" not in text
    await sweep(harness)  # a second pass posts nothing more
    assert len(channel_calls(harness)) == 1


async def test_yes_posts_the_before_and_after_photos_as_one_picture(harness):
    report = await resolved(harness)
    for before in report.photos:
        harness.request.files[before] = solid_jpeg(RED)
    harness.request.files["after-1"] = solid_jpeg(GREEN)
    await press(harness, RESIDENT, f"report:solved:{report.id}")
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:photos:{report.id}:1"))
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:stars:{report.id}:5"))
    await sweep(harness)

    [post] = channel_calls(harness)
    assert post.method == "sendPhoto" and report.number in post.params["caption"]
    picture = harness.request.files[post.params["photo"]]  # uploaded: composed by the sender
    left = GAP + COLUMN // 2, HEADER + GAP + 50
    right = 2 * GAP + COLUMN + COLUMN // 2, HEADER + GAP + 50
    assert near(colour_at(picture, *left), RED) and near(colour_at(picture, *right), GREEN)
    assert metadata(picture) == {}  # the photos' GPS positions are not in the picture
    for photo in (*report.photos, "after-1"):
        assert photo not in dumped(channel_calls(harness))


async def test_nothing_personal_reaches_the_channel_even_from_the_workers_note(harness):
    note = f"已联系张三（{PHONE}）处理：{DESCRIPTION}"
    report = await resolved(harness, note=note)
    await press(harness, RESIDENT, f"report:solved:{report.id}")
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:photos:{report.id}:0"))
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:stars:{report.id}:5"))
    await sweep(harness)

    everything = dumped(channel_calls(harness))
    assert channel_calls(harness)
    for secret in ("张三", PHONE, DESCRIPTION, str(RESIDENT), "1栋", "B1", *report.photos):
        assert secret not in everything, secret


async def test_a_reporter_erased_before_the_post_gets_no_photos_but_the_case_is_posted(harness):
    report = await resolved(harness)
    await press(harness, RESIDENT, f"report:solved:{report.id}")
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:photos:{report.id}:1"))
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:stars:{report.id}:5"))
    await harness.services.privacy.erase(RESIDENT, harness.clock(), "（已删除）")
    await sweep(harness)

    [post] = channel_calls(harness)
    assert post.method == "sendMessage" and report.number in post.params["text"]


async def test_an_old_stars_button_without_an_answer_means_no_photos(harness):
    report = await resolved(harness)
    await press(harness, RESIDENT, f"report:stars:{report.id}:5")
    assert (await harness.services.reports.get(report.id)).status is Status.CLOSED
    await sweep(harness)
    [post] = channel_calls(harness)
    assert post.method == "sendMessage"


async def test_someone_else_cannot_answer_the_photo_question(harness):
    report = await resolved(harness)
    await press(harness, WORKER_G1, f"report:photos:{report.id}:1")
    assert not await harness.services.store.echo.photos_allowed(report.id)
    assert await harness.services.store.refusals.counts_since(harness.clock()) == {
        "report_verify": 1
    }


async def test_a_reopened_case_is_never_posted(harness):
    report = await resolved(harness)
    await press(harness, RESIDENT, f"report:unsolved:{report.id}")
    await press(harness, RESIDENT, f"report:photos:{report.id}:1")  # stale: not resolved now
    await sweep(harness)
    assert channel_calls(harness) == []


async def test_the_worker_is_told_the_resolve_note_is_shown_publicly(harness):
    report = await submitted_report(harness, RESIDENT)
    await press(harness, WORKER_G1, f"report:accept:{report.id}")
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    assert "回音壁" in harness.last_text(WORKER_G1)


async def test_an_answer_after_the_stars_or_a_forged_one_changes_nothing(harness):
    report = await resolved(harness)
    await press(harness, RESIDENT, f"report:photos:{report.id}:7")  # forged answer
    assert await harness.services.store.echo.photos_allowed(report.id) is False
    assert last_answer(harness)  # answered with why (a stale button)
    await press(harness, RESIDENT, f"report:photos:{report.id}:0")
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:stars:{report.id}:5"))
    await press(harness, RESIDENT, f"report:photos:{report.id}:1")  # an old button, too late
    assert "已办结" in last_answer(harness)
    assert await harness.services.store.echo.photos_allowed(report.id) is False
    await sweep(harness)
    [post] = channel_calls(harness)
    assert post.method == "sendMessage"


async def test_the_same_picture_sent_again_is_not_composed_again(harness):
    report = await resolved(harness)
    for before in report.photos:
        harness.request.files[before] = solid_jpeg(RED)
    harness.request.files["after-1"] = solid_jpeg(GREEN)
    labels = ("处理前", "处理后")
    rows = [outgoing.before_after(chat, report.id, labels, "R") for chat in (CHANNEL, RESIDENT)]
    harness.request.clear()
    await harness.services.outbox.send(rows, harness.clock())
    await harness.deliver()

    first, second = harness.request.sent("sendPhoto")
    assert first.params["photo"].startswith("upload-")  # composed and uploaded once
    assert second.params["photo"] == first.params["photo"]  # then sent by Telegram's file id
    assert len(harness.request.sent("getFile")) == len(report.photos) + 1


async def test_a_picture_that_cannot_be_composed_sends_the_after_photo(harness):
    report = await resolved(harness)  # the fakes know none of its photos: nothing to download
    harness.request.clear()
    row = outgoing.before_after(CHANNEL, report.id, ("处理前", "处理后"), "R")
    await harness.services.outbox.send([row], harness.clock())
    await harness.deliver()

    [photo] = harness.request.sent("sendPhoto")
    assert photo.params["photo"] == "after-1"
