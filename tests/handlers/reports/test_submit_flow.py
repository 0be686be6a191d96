"""随手拍: photos (albums too), description, category, place, summary, submit — and bad input."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from bot.domain.reports import Report, Status
from tests import updates
from tests.conftest import RESIDENT, RESIDENT_2, WORKER_G1, WORKER_G2
from tests.handlers.residents.test_place import reply_keyboard
from tests.images import jpeg_with_gps, metadata

DESCRIPTION = "楼下垃圾桶满了三天没人清理"


async def registered(harness, user_id: int = RESIDENT, unit: str = "B1") -> None:
    services = harness.services
    await services.people.touch(user_id, "张三", "zh", harness.clock())
    await services.people.update(user_id, harness.clock(), unit=unit)


async def press(harness, user_id: int, data: str, *, chat_id: int | None = None) -> None:
    await harness.send(updates.press(user_id, data, chat_id=chat_id))


async def step_of(harness, user_id: int = RESIDENT) -> str | None:
    draft = await harness.services.drafts.get(user_id)
    return draft.step if draft else None


async def photos_of(harness, user_id: int = RESIDENT) -> list[str]:
    draft = await harness.services.drafts.get(user_id)
    assert draft is not None
    return list(draft.data["photos"])


def category(harness, user_id: int, code: str) -> str:
    """Returns the callback data of the category button for CODE in the last keyboard."""
    for _, data in harness.buttons(user_id):
        if data.startswith("newreport:cat:") and data.endswith(f":{code}"):
            return data
    raise AssertionError(f"no category {code!r} in {harness.buttons(user_id)}")


def last_answer(harness) -> str | None:
    calls = harness.request.sent("answerCallbackQuery")
    assert calls, "the press was not answered"
    return calls[-1].params.get("text")


def sent_since(harness, mark: int, chat_id: int = RESIDENT) -> list[str]:
    """Returns the texts sent (or edited) into CHAT_ID after the first MARK calls."""
    calls = [c for c in harness.request.calls[mark:] if int(c.params.get("chat_id", 0)) == chat_id]
    return [str(c.params.get("text") or c.params.get("caption") or "") for c in calls]


async def album(harness, user_id: int, count: int, group: str, **first: Any) -> None:
    """Sends COUNT photos as one album (separate updates), then lets the settle window pass."""
    for i in range(count):
        extra = first if i == 0 else {}
        await harness.send(updates.photo(user_id, f"{group}-{i}", media_group_id=group, **extra))
    harness.clock.advance(seconds=2)
    await harness.deliver()


async def all_reports(harness) -> list[Report]:
    rows = await harness.services.store.db.fetchall("SELECT id FROM reports ORDER BY id")
    return [await harness.services.reports.get(row["id"]) for row in rows]


async def report_to_summary(harness, user_id: int = RESIDENT) -> None:
    """A registered resident's report up to the summary: photo, text, category, home."""
    await harness.send(updates.photo(user_id, "p-1"))
    await harness.send(updates.text(user_id, DESCRIPTION))
    await press(harness, user_id, harness.button(user_id, "newreport:cat:"))
    await press(harness, user_id, harness.button(user_id, "newreport:home:"))


async def submitted_report(harness, user_id: int = RESIDENT) -> Report:
    """Registers USER_ID at B1 and reports through the whole flow; returns the stored report."""
    await registered(harness, user_id)
    await report_to_summary(harness, user_id)
    await press(harness, user_id, harness.button(user_id, "newreport:send:"))
    return (await all_reports(harness))[-1]


# The whole flow -------------------------------------------------------------------------


async def test_an_album_of_two_photos_gets_one_prompt_and_becomes_a_report(harness):
    await registered(harness)
    mark = len(harness.request.calls)
    await album(harness, RESIDENT, 2, "alb-1")

    prompts = sent_since(harness, mark)
    assert len(prompts) == 1
    assert "2 张照片" in prompts[0]

    await harness.send(updates.text(RESIDENT, DESCRIPTION))
    assert await step_of(harness) == "category"
    await press(harness, RESIDENT, category(harness, RESIDENT, "litter"))
    assert "1栋" in harness.last_text(RESIDENT)  # the registered place is the default
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:home:"))
    summary = harness.last_text(RESIDENT)
    assert DESCRIPTION in summary and "环境卫生" in summary and "1栋" in summary

    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))

    [report] = await all_reports(harness)
    assert report.photos == ("alb-1-0", "alb-1-1")
    assert (report.reporter_id, report.unit, report.category) == (RESIDENT, "B1", "litter")
    assert report.description == DESCRIPTION
    assert report.assignee_id == WORKER_G1
    assert any(report.number in text for text in harness.texts_to(RESIDENT))
    assert harness.request.sent("sendMediaGroup", WORKER_G1)
    assert await harness.services.drafts.get(RESIDENT) is None


async def test_a_caption_is_the_description_and_the_category_is_asked_at_once(harness):
    await registered(harness)
    await harness.send(updates.photo(RESIDENT, "p-1", caption=DESCRIPTION))
    assert await step_of(harness) == "category"
    assert category(harness, RESIDENT, "road")
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and draft.data["description"] == DESCRIPTION


async def test_the_report_command_and_the_keyboard_button_ask_for_photos(harness):
    await harness.send(updates.text(RESIDENT, "/report"))
    assert "请发送问题的照片" in harness.last_text(RESIDENT)
    await harness.send(updates.text(RESIDENT_2, "📷 Report", lang="en"))
    assert "Please send photos" in harness.last_text(RESIDENT_2)
    assert await step_of(harness, RESIDENT_2) == "photos"


async def test_an_unregistered_resident_must_choose_the_place(harness):
    await harness.send(updates.photo(RESIDENT, "p-1", caption=DESCRIPTION))
    await press(harness, RESIDENT, category(harness, RESIDENT, "road"))
    assert await step_of(harness) == "walk"
    assert not any(d.startswith("newreport:home:") for _, d in harness.buttons(RESIDENT))

    await press(harness, RESIDENT, harness.button(RESIDENT, "place:pick:"))  # 第一网格
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:here:"))  # the whole grid
    assert "第一网格" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    [report] = await all_reports(harness)
    assert report.unit == "G1"


async def test_elsewhere_takes_a_shared_location_and_keeps_its_coordinates(harness):
    await registered(harness)
    await harness.send(updates.photo(RESIDENT, "p-1", caption=DESCRIPTION))
    await press(harness, RESIDENT, category(harness, RESIDENT, "road"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:else:"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:gps:"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "consent:yes:"))
    await harness.send(updates.location(RESIDENT, 30.6100, 114.3101))
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:yes:"))
    assert "3栋" in harness.last_text(RESIDENT)
    assert reply_keyboard(harness, RESIDENT)["keyboard"][0][0]["text"] == "📷 随手拍"
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))

    [report] = await all_reports(harness)
    assert (report.unit, report.lat, report.lon) == ("B3", 30.6100, 114.3101)
    assert report.assignee_id == WORKER_G2


async def test_the_cancel_button_on_the_summary_drops_the_draft(harness):
    await registered(harness)
    await report_to_summary(harness)
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:drop:"))
    assert await harness.services.drafts.get(RESIDENT) is None
    assert await all_reports(harness) == []


# Bad input keeps the step --------------------------------------------------------------


async def test_a_pdf_is_refused_and_the_step_stays(harness):
    await harness.send(updates.text(RESIDENT, "/report"))
    await harness.send(updates.document(RESIDENT))
    assert "不是图片" in harness.last_text(RESIDENT)
    assert await step_of(harness) == "photos"
    assert await photos_of(harness) == []


async def test_an_image_sent_as_a_file_reaches_the_worker_re_encoded_without_gps(harness):
    await registered(harness)
    harness.request.files["doc-scan.jpg"] = jpeg_with_gps(orientation=6)
    await harness.send(updates.text(RESIDENT, "/report"))
    await harness.send(updates.document(RESIDENT, mime="image/jpeg", name="scan.jpg"))
    # The stripped copy goes back to the resident as a photo; its new file_id is what is kept.
    [upload] = harness.request.sent("sendPhoto", RESIDENT)
    new_id = upload.params["photo"]
    assert await photos_of(harness) == [new_id]
    assert "位置" in upload.params["caption"]
    clean = harness.request.files[new_id]
    assert metadata(clean) == {}
    assert Image.open(io.BytesIO(clean)).size == (300, 400)  # turned upright first
    await harness.send(updates.text(RESIDENT, DESCRIPTION))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:cat:"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:home:"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:send:"))
    [call] = harness.request.sent("sendPhoto", WORKER_G1)
    assert call.params["photo"] == new_id
    assert harness.request.sent("sendDocument") == []
    [report] = await all_reports(harness)
    assert report.photos == (new_id,)


async def test_an_image_file_that_does_not_decode_is_refused_politely(harness):
    harness.request.files["doc-fake.png"] = b"\x89PNG not really"
    await harness.send(updates.text(RESIDENT, "/report"))
    await harness.send(updates.document(RESIDENT, mime="image/png", name="fake.png"))
    assert "打不开" in harness.last_text(RESIDENT)
    assert await step_of(harness) == "photos"
    assert await photos_of(harness) == []
    assert harness.request.sent("sendPhoto") == []


async def test_an_image_file_that_fails_to_upload_asks_to_send_again(harness):
    harness.request.files["doc-scan.jpg"] = jpeg_with_gps()
    harness.request.fail_next("sendPhoto", 400, {"description": "Bad Request: PHOTO_INVALID"})
    await harness.send(updates.document(RESIDENT, mime="image/jpeg", name="scan.jpg", lang="en"))
    assert "send it again" in harness.last_text(RESIDENT)
    assert await harness.services.drafts.get(RESIDENT) is None


async def test_a_file_over_twenty_megabytes_is_refused(harness):
    await harness.send(updates.text(RESIDENT, "/report"))
    big = 25 * 1024 * 1024
    await harness.send(updates.document(RESIDENT, mime="image/jpeg", name="big.jpg", size=big))
    assert "20 MB" in harness.last_text(RESIDENT)
    assert await photos_of(harness) == []


def video(user_id: int, kind: str = "video") -> dict:
    update = updates.voice(user_id)
    message = update["message"]
    del message["voice"]
    media = {"file_id": "v", "file_unique_id": "vu", "duration": 3}
    if kind == "video":
        media |= {"width": 640, "height": 480}
    else:
        media |= {"length": 240}
    message[kind] = media
    return update


async def test_a_sticker_voice_video_or_video_note_is_refused_where_a_photo_is_expected(harness):
    await harness.send(updates.text(RESIDENT, "/report"))
    for update in (
        updates.sticker(RESIDENT),
        updates.voice(RESIDENT),
        video(RESIDENT),
        video(RESIDENT, "video_note"),
    ):
        await harness.send(update)
        assert "请先发送一张问题的照片" in harness.last_text(RESIDENT)
    assert await step_of(harness) == "photos"


async def test_a_voice_note_is_refused_where_the_description_is_expected(harness):
    await harness.send(updates.photo(RESIDENT, "p-1"))
    await harness.send(updates.voice(RESIDENT))
    assert "用文字描述" in harness.last_text(RESIDENT)
    assert await step_of(harness) == "photos"


async def test_a_description_over_the_limit_says_the_limit_and_its_length(harness):
    limit = harness.services.settings.reports.max_description
    await harness.send(updates.photo(RESIDENT, "p-1"))
    await harness.send(updates.text(RESIDENT, "长" * (limit + 7)))
    text = harness.last_text(RESIDENT)
    assert str(limit) in text and str(limit + 7) in text
    assert await step_of(harness) == "photos"


async def test_a_too_short_description_asks_for_more(harness):
    await harness.send(updates.photo(RESIDENT, "p-1"))
    await harness.send(updates.text(RESIDENT, "脏"))
    assert "太短" in harness.last_text(RESIDENT)
    assert await step_of(harness) == "photos"


async def test_a_sixth_photo_is_refused(harness):
    for i in range(6):
        await harness.send(updates.photo(RESIDENT, f"p-{i}"))
    assert "最多只能上传 5 张" in harness.last_text(RESIDENT)
    assert await photos_of(harness) == [f"p-{i}" for i in range(5)]


async def test_an_album_of_ten_keeps_five_and_says_so_once(harness):
    mark = len(harness.request.calls)
    await album(harness, RESIDENT, 10, "alb-10")

    [prompt] = sent_since(harness, mark)
    assert "前 5 张" in prompt and "其余 5 张" in prompt
    assert await photos_of(harness) == [f"alb-10-{i}" for i in range(5)]


async def test_a_category_button_from_a_cancelled_draft_is_stale(harness):
    await harness.send(updates.photo(RESIDENT, "p-1", caption=DESCRIPTION))
    old = category(harness, RESIDENT, "litter")
    await harness.send(updates.text(RESIDENT, "/cancel"))
    await press(harness, RESIDENT, old)
    assert "失效" in (last_answer(harness) or "")
    assert await harness.services.drafts.get(RESIDENT) is None


async def test_a_summary_button_from_an_earlier_report_is_stale(harness):
    await registered(harness)
    await report_to_summary(harness)
    first_send = harness.button(RESIDENT, "newreport:send:")
    await press(harness, RESIDENT, first_send)
    await harness.send(updates.photo(RESIDENT, "p-2", caption=DESCRIPTION))
    await press(harness, RESIDENT, category(harness, RESIDENT, "road"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:home:"))
    await press(harness, RESIDENT, first_send)
    assert "失效" in (last_answer(harness) or "")
    assert len(await all_reports(harness)) == 1


async def test_a_button_pressed_on_someone_elses_message_changes_nothing(harness):
    await harness.send(updates.photo(RESIDENT, "p-1", caption=DESCRIPTION))
    data = category(harness, RESIDENT, "litter")
    await press(harness, RESIDENT_2, data, chat_id=RESIDENT)
    assert last_answer(harness) == "您没有权限进行此操作。"
    assert await step_of(harness) == "category"


async def test_a_forged_category_is_refused(harness):
    await harness.send(updates.photo(RESIDENT, "p-1", caption=DESCRIPTION))
    forged = category(harness, RESIDENT, "litter").replace("litter", "nonsense")
    await press(harness, RESIDENT, forged)
    assert "失效" in (last_answer(harness) or "")
    assert await step_of(harness) == "category"


async def test_text_at_a_button_step_explains_and_keeps_the_step(harness):
    await harness.send(updates.photo(RESIDENT, "p-1", caption=DESCRIPTION))
    await harness.send(updates.text(RESIDENT, "环境卫生"))
    assert "按钮" in harness.last_text(RESIDENT)
    assert await step_of(harness) == "category"


async def test_a_submitted_report_is_open_with_its_first_event(harness):
    report = await submitted_report(harness)
    assert report.status is Status.OPEN
    events = await harness.services.reports.events(report.id)
    assert [e.action.value for e in events] == ["submit"]


async def test_an_english_resident_sees_the_flow_in_english(harness):
    await harness.send(updates.text(RESIDENT, "📷 Report", lang="en"))
    await harness.send(updates.photo(RESIDENT, "p-1", caption="Broken street lamp at the gate"))
    assert [label for label, _ in harness.buttons(RESIDENT)][:2] == [
        "Litter and sanitation",
        "Roads and facilities",
    ]


async def test_a_restart_keeps_the_report_where_it_was(harness, settings):
    from bot.app import build_application, initialize, shutdown
    from tests.conftest import Harness
    from tests.fakes import RecordingRequest

    await registered(harness)
    await harness.send(updates.photo(RESIDENT, "p-1", caption=DESCRIPTION))
    data = category(harness, RESIDENT, "road")

    # A new process: a fresh Application on the same database, nothing carried in memory.
    request = RecordingRequest()
    app = build_application(
        settings, token=settings.telegram.token, request=request, clock=harness.clock
    )
    await initialize(app)
    try:
        restarted = Harness(app, request, harness.clock)
        await restarted.send(updates.press(RESIDENT, data))
        await restarted.send(updates.press(RESIDENT, restarted.button(RESIDENT, "newreport:home:")))
        await restarted.send(updates.press(RESIDENT, restarted.button(RESIDENT, "newreport:send:")))
    finally:
        await shutdown(app)
    [report] = await all_reports(harness)
    assert (report.category, report.unit) == ("road", "B1")


async def test_an_image_file_upload_told_to_wait_a_moment_is_retried(harness, monkeypatch):
    import asyncio

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    harness.request.files["doc-scan.jpg"] = jpeg_with_gps()
    harness.request.fail_next(
        "sendPhoto", 429, {"description": "Too Many Requests", "parameters": {"retry_after": 1}}
    )
    await harness.send(updates.text(RESIDENT, "/report"))
    await harness.send(updates.document(RESIDENT, mime="image/jpeg", name="scan.jpg"))
    assert slept == [1.0]
    [_, upload] = harness.request.sent("sendPhoto", RESIDENT)
    assert await photos_of(harness) == [upload.params["photo"]]


async def test_the_english_photo_count_reads_without_plural_brackets(harness):
    await registered(harness)
    await harness.services.people.update(RESIDENT, harness.clock(), lang="en")
    await harness.send(updates.photo(RESIDENT, "p-1"))
    assert harness.last_text(RESIDENT).startswith("Photos received: 1; you may send 4 more.")
    await harness.send(updates.text(RESIDENT, DESCRIPTION))
    await harness.send(updates.photo(RESIDENT, "p-2", caption=DESCRIPTION))
    texts = harness.texts_to(RESIDENT)
    assert not [t for t in texts if "(s)" in t], texts


async def test_the_category_prompt_loses_its_buttons_and_an_old_press_is_stale(harness):
    await registered(harness)
    await harness.send(updates.photo(RESIDENT, "p-1"))
    await harness.send(updates.text(RESIDENT, DESCRIPTION))
    litter = category(harness, RESIDENT, "litter")
    await harness.send(updates.press(RESIDENT, litter, message_id=41))
    [edit] = harness.request.sent("editMessageReplyMarkup", RESIDENT)
    assert edit.params["message_id"] == 41
    assert edit.params["reply_markup"] in ({"inline_keyboard": []}, '{"inline_keyboard": []}')
    assert await step_of(harness) == "place"

    await harness.send(updates.press(RESIDENT, litter.replace(":litter", ":road"), message_id=41))
    assert last_answer(harness)  # refused with why, not taken
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and draft.step == "place" and draft.data["category"] == "litter"


async def composing(harness) -> None:
    """A registered resident has sent a photo and a description: the category is asked."""
    await registered(harness)
    await harness.send(updates.photo(RESIDENT, "p-1"))
    await harness.send(updates.text(RESIDENT, DESCRIPTION))
    assert await step_of(harness) == "category"


async def test_report_again_while_composing_asks_and_continue_goes_back_to_the_step(harness):
    await composing(harness)
    await harness.send(updates.text(RESIDENT, "/report"))
    assert "尚未提交" in harness.last_text(RESIDENT)
    assert await photos_of(harness) == ["p-1"]  # nothing dropped without a word
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:keep:"))
    assert await step_of(harness) == "category"
    assert "请选择问题类别" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, category(harness, RESIDENT, "litter"))
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and draft.data["photos"] == ["p-1"]
    assert draft.data["description"] == DESCRIPTION and draft.data["category"] == "litter"


async def test_report_again_while_composing_can_start_over(harness):
    await composing(harness)
    await harness.send(updates.text(RESIDENT, "/report"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:over:"))
    assert await step_of(harness) == "photos"
    assert await photos_of(harness) == []
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and "description" not in draft.data


async def test_an_old_prompt_is_stale_once_start_over_is_asked(harness):
    await composing(harness)
    litter = category(harness, RESIDENT, "litter")
    await harness.send(updates.text(RESIDENT, "/report"))
    await press(harness, RESIDENT, litter)
    assert last_answer(harness)
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and "category" not in draft.data


async def test_report_with_nothing_given_yet_just_starts(harness):
    await registered(harness)
    await harness.send(updates.text(RESIDENT, "/report"))
    await harness.send(updates.text(RESIDENT, "/report"))
    assert "尚未提交" not in harness.last_text(RESIDENT)
    assert await step_of(harness) == "photos"


async def test_the_report_button_while_composing_asks_too(harness):
    await composing(harness)
    button = harness.services.texts("resident.button_report", "zh")
    await harness.send(updates.text(RESIDENT, button))
    assert "尚未提交" in harness.last_text(RESIDENT)
    assert await photos_of(harness) == ["p-1"]
