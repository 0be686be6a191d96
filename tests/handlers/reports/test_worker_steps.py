"""Worker moves that need typing: resolve with an after-photo, refer up with a reason, reject."""

from __future__ import annotations

from bot.app import build_application, initialize, shutdown
from bot.domain.reports import Status
from tests import updates
from tests.conftest import (
    COMMUNITY,
    HEAD_G1,
    PROPERTY,
    RESIDENT,
    STREET,
    WORKER_G1,
    WORKER_G2,
    Harness,
)
from tests.handlers.reports.test_worker import actions, new_report, press, stored


async def step_of(harness, user_id: int) -> tuple[str, str] | None:
    draft = await harness.services.drafts.get(user_id)
    return (draft.flow, draft.step) if draft else None


async def test_resolve_takes_an_after_photo_then_a_note_and_asks_the_reporter(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:accept:{report.id}")

    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    assert "处置后的照片" in harness.last_text(WORKER_G1)
    await harness.send(updates.photo(WORKER_G1, "after-1"))
    assert await step_of(harness, WORKER_G1) == ("resolve", "note")
    harness.request.clear()
    await harness.send(updates.text(WORKER_G1, "已清理完毕"))

    after = await stored(harness, report)
    assert after.status is Status.RESOLVED
    assert (after.resolution_photo, after.resolution_note) == ("after-1", "已清理完毕")
    assert await actions(harness, report) == ["submit", "accept", "resolve"]
    assert await step_of(harness, WORKER_G1) is None
    # The reporter gets the after-photo with the note and the solved / not solved buttons.
    [photo] = harness.request.sent("sendPhoto", RESIDENT)
    assert photo.params["photo"] == "after-1" and "已清理完毕" in photo.params["caption"]
    buttons = [
        b["callback_data"] for row in photo.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == [f"report:solved:{report.id}", f"report:unsolved:{report.id}"]
    assert any("已标记完成" in text for text in harness.texts_to(WORKER_G1))


async def test_resolve_takes_the_photos_caption_as_the_note(harness):
    report = await new_report(harness)

    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    await harness.send(updates.photo(WORKER_G1, "after-2", caption="  垃圾已清运  "))

    after = await stored(harness, report)
    assert (after.status, after.resolution_note) == (Status.RESOLVED, "垃圾已清运")
    assert after.assignee_id == WORKER_G1


async def test_resolve_refuses_text_a_pdf_and_a_sticker_and_keeps_waiting_for_the_photo(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")

    await harness.send(updates.text(WORKER_G1, "已处理好了"))
    assert "必须上传处置后的照片" in harness.last_text(WORKER_G1)
    await harness.send(updates.document(WORKER_G1))
    assert "不要以文件形式发送" in harness.last_text(WORKER_G1)
    await harness.send(updates.sticker(WORKER_G1))
    assert "这不是照片" in harness.last_text(WORKER_G1)

    assert await step_of(harness, WORKER_G1) == ("resolve", "photo")
    assert (await stored(harness, report)).status is Status.OPEN


async def test_an_after_photo_album_resolves_once_and_does_not_start_a_new_report(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")

    await harness.send(updates.photo(WORKER_G1, "a1", caption="已修好", media_group_id="alb"))
    await harness.send(updates.photo(WORKER_G1, "a2", media_group_id="alb"))
    await harness.send(updates.photo(WORKER_G1, "a3", media_group_id="alb"))

    after = await stored(harness, report)
    assert (after.status, after.resolution_photo) == (Status.RESOLVED, "a1")
    assert after.after_photos == ("a1", "a2", "a3")  # the rest of the album joins it
    assert await actions(harness, report) == ["submit", "resolve"]
    assert await step_of(harness, WORKER_G1) == ("resolve", "album_tail")
    await harness.send(updates.text(WORKER_G1, "/cancel"))
    assert await step_of(harness, WORKER_G1) is None


async def test_several_after_photos_before_the_note_each_acknowledged_up_to_the_limit(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    await harness.send(updates.photo(WORKER_G1, "b1"))
    assert "最多 5 张" in harness.last_text(WORKER_G1)
    await harness.send(updates.photo(WORKER_G1, "b2"))
    assert "已收到 2 张处置照片" in harness.last_text(WORKER_G1)
    for name in ("b3", "b4", "b5"):
        await harness.send(updates.photo(WORKER_G1, name))
    await harness.send(updates.photo(WORKER_G1, "b6"))
    assert "最多 5 张，这张未收下" in harness.last_text(WORKER_G1)
    assert await step_of(harness, WORKER_G1) == ("resolve", "note")
    await harness.send(updates.text(WORKER_G1, "已清理完毕"))

    after = await stored(harness, report)
    assert after.status is Status.RESOLVED
    assert after.after_photos == ("b1", "b2", "b3", "b4", "b5")


async def test_the_reporter_gets_one_picture_of_before_and_after(harness):
    from bot.before_after import COLUMN, GAP
    from tests.images import colour_at, near, solid_jpeg

    report = await new_report(harness)
    for photo in report.photos:
        harness.request.files[photo] = solid_jpeg((200, 30, 30))
    harness.request.files["c1"] = solid_jpeg((30, 160, 60))
    harness.request.files["c2"] = solid_jpeg((40, 60, 200))
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    await harness.send(updates.photo(WORKER_G1, "c1"))
    await harness.send(updates.photo(WORKER_G1, "c2"))
    harness.request.clear()
    await harness.send(updates.text(WORKER_G1, "已清理完毕"))

    [notice] = harness.request.sent("sendPhoto", RESIDENT)
    assert "已清理完毕" in notice.params["caption"] and notice.params["reply_markup"]
    picture = harness.request.files[notice.params["photo"]]  # an upload, not c1 or c2
    assert near(colour_at(picture, GAP + 10, 100), (200, 30, 30))
    assert near(colour_at(picture, 2 * GAP + COLUMN + 10, 100), (30, 160, 60))
    assert len(harness.request.sent("getFile")) == len(report.photos) + 2


async def test_a_restart_keeps_the_resolve_draft(harness, settings, clock):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")

    app = build_application(
        settings, token=settings.telegram.token, request=harness.request, clock=clock
    )
    await initialize(app)  # a second process on the same database file
    try:
        restarted = Harness(app, harness.request, clock)
        await restarted.send(updates.photo(WORKER_G1, "after-r", caption="处理完毕"))
    finally:
        await shutdown(app)

    assert (await stored(harness, report)).status is Status.RESOLVED


async def test_a_resolve_draft_for_a_report_taken_away_meanwhile_changes_nothing(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    # The grid head hands the report to the other grid while the worker is still typing.
    await press(harness, HEAD_G1, f"report:transfer_to:{report.id}:{WORKER_G2}")

    await harness.send(updates.photo(WORKER_G1, "late", caption="好了"))

    after = await stored(harness, report)
    assert (after.status, after.assignee_id) == (Status.OPEN, WORKER_G2)
    assert "已不由您办理" in harness.last_text(WORKER_G1)
    assert await step_of(harness, WORKER_G1) is None


async def test_cancel_ends_the_resolve_flow_without_a_move(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")

    await harness.send(updates.text(WORKER_G1, "/cancel"))

    assert await step_of(harness, WORKER_G1) is None
    assert (await stored(harness, report)).version == 1


async def test_refer_up_goes_to_the_community_unassigned_and_the_community_staff_accepts(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:refer:{report.id}")
    assert "春晖社区" in harness.last_text(WORKER_G1)
    await harness.send(updates.sticker(WORKER_G1))
    assert "请用文字回复" in harness.last_text(WORKER_G1)

    await harness.send(updates.text(WORKER_G1, "涉及多个网格，需要社区协调"))

    after = await stored(harness, report)
    assert (after.holder_unit, after.tier.value, after.assignee_id) == ("C1", "community", None)
    events = await harness.services.reports.events(report.id)
    assert events[-1].note == "涉及多个网格，需要社区协调"
    assert any("已上报至 🟡 社区（黄）" in text for text in harness.texts_to(WORKER_G1))
    assert any("已上报至 🟡 社区（黄）" in text for text in harness.texts_to(RESIDENT))
    # Shown to the community's staff, not to the property company (not its category).
    assert harness.button(COMMUNITY, f"report:accept:{report.id}")
    assert not harness.texts_to(PROPERTY)

    await press(harness, COMMUNITY, f"report:accept:{report.id}")

    after = await stored(harness, report)
    assert (after.status, after.assignee_id) == (Status.ACCEPTED, COMMUNITY)
    assert await actions(harness, report) == ["submit", "refer_up", "accept"]


async def test_refer_up_at_the_top_of_the_tree_is_refused_politely(harness):
    # Held at the street: the district above has only an admin, so there is nobody to refer to.
    report = await new_report(harness, unit="S1")
    assert (report.holder_unit, report.assignee_id) == ("S1", None)

    await press(harness, STREET, f"report:refer:{report.id}")

    assert "无法继续上报" in harness.last_text(STREET)
    assert await step_of(harness, STREET) is None
    assert (await stored(harness, report)).version == 1


async def test_a_reason_over_the_limit_is_refused_and_the_step_stays(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:refer:{report.id}")

    await harness.send(updates.text(WORKER_G1, "太" * 501))

    assert "501" in harness.last_text(WORKER_G1)
    assert await step_of(harness, WORKER_G1) == ("refer", "reason")


async def test_reject_with_a_reason_and_a_note_tells_the_reporter_why(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:reject:{report.id}")
    reasons = [d for _, d in harness.buttons(WORKER_G1)]
    assert reasons == [
        f"report:reject_reason:{report.id}:not_ours",
        f"report:reject_reason:{report.id}:duplicate",
        f"report:reject_reason:{report.id}:invalid",
        f"report:card:{report.id}:back",
    ]

    await press(harness, WORKER_G1, f"report:reject_reason:{report.id}:duplicate")
    assert "重复上报" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "与 R000001 为同一问题"))

    after = await stored(harness, report)
    assert (after.status, after.reject_reason) == (Status.REJECTED, "duplicate")
    events = await harness.services.reports.events(report.id)
    assert (events[-1].data, events[-1].note) == ({"reason": "duplicate"}, "与 R000001 为同一问题")
    told = [t for t in harness.texts_to(RESIDENT) if "已退回。原因" in t]
    assert told and "重复上报" in told[-1] and "与 R000001 为同一问题" in told[-1]
    # The worker's card is finished: no buttons.
    assert harness.request.last_markup(WORKER_G1) in (None, {"inline_keyboard": []})


async def test_resolve_refer_or_reject_on_a_returned_report_says_its_status_and_asks_nothing(
    harness,
):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:reject_reason:{report.id}:invalid")
    await harness.send(updates.text(WORKER_G1, "照片与问题无关"))

    for verb in ("resolve", "refer", "reject", "transfer"):
        await press(harness, WORKER_G1, f"report:{verb}:{report.id}")
        assert "当前状态为「已退回」" in harness.last_text(WORKER_G1), verb
        assert await step_of(harness, WORKER_G1) is None


async def test_an_after_photo_sent_as_a_file_reaches_the_resident_without_gps(harness):
    from tests.images import jpeg_with_gps, metadata

    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:resolve:{report.id}")
    harness.request.files["doc-after.jpg"] = jpeg_with_gps()
    harness.request.clear()
    await harness.send(updates.document(WORKER_G1, mime="image/jpeg", name="after.jpg"))
    [upload] = harness.request.sent("sendPhoto", WORKER_G1)
    clean_id = upload.params["photo"]
    assert metadata(harness.request.files[clean_id]) == {}
    await harness.send(updates.text(WORKER_G1, "已清理完毕"))

    after = await stored(harness, report)
    assert (after.status, after.resolution_photo) == (Status.RESOLVED, clean_id)
    [photo] = harness.request.sent("sendPhoto", RESIDENT)
    assert photo.params["photo"] == clean_id
