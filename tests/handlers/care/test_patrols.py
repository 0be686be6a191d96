"""Patrols: a worker logs a round with photos and findings; a finding becomes a report routed
the usual way, once."""

from storage.patrols import Patrols
from tests import updates
from tests.conftest import COMMUNITY, PROPERTY, RESIDENT, WORKER_G1, WORKER_G2
from tests.handlers.care.support import (
    SIBLING_COMMUNITY,
    choose_unit,
    config_path,  # noqa: F401  (the office with a sibling community)
    everything_sent_to,
)


def last_answer(harness) -> str | None:
    return harness.request.sent("answerCallbackQuery")[-1].params.get("text")


async def press(harness, user_id, data):
    await harness.send(updates.press(user_id, data))


async def log_round(harness, user_id, path, *, photos=2, findings=("楼道堆放纸箱，消防通道堵塞",)):
    await harness.send(updates.text(user_id, "/patrol"))
    await press(harness, user_id, "patrol:kind:doorknock")
    await choose_unit(harness, user_id, *path)
    await harness.send(updates.text(user_id, "叮咚敲门一轮，走访 12 户"))
    for i in range(photos):
        await harness.send(updates.photo(user_id, f"patrol-photo-{i}"))
    await press(harness, user_id, "patrol:photos")
    for finding in findings:
        await harness.send(updates.text(user_id, finding))
    await press(harness, user_id, "patrol:done")


async def test_a_patrol_finding_becomes_a_report_routed_to_the_grid_worker(harness):
    findings = ("楼道堆放纸箱，消防通道堵塞", "3 号路灯不亮")
    await log_round(harness, COMMUNITY, [1, 0], findings=findings)
    summary = harness.last_text(COMMUNITY)
    assert "叮咚敲门" in summary and "3栋" in summary and "3 号路灯不亮" in summary
    [patrol_id] = [
        row[0] for row in await harness.services.store.db.fetchall("SELECT id FROM patrols")
    ]
    patrol = await Patrols(harness.services.store.db).get(patrol_id)
    assert (patrol.unit, patrol.worker_id, patrol.photos) == (
        "B3",
        COMMUNITY,
        ("patrol-photo-0", "patrol-photo-1"),
    )
    first = patrol.findings[0]
    await press(harness, COMMUNITY, harness.button(COMMUNITY, f"patrol:find:{first.id}"))
    await press(harness, COMMUNITY, harness.button(COMMUNITY, f"patrol:cat:{first.id}:safety"))

    linked = (await Patrols(harness.services.store.db).get(patrol_id)).findings[0]
    report = await harness.services.reports.get(linked.report_id)
    assert (report.unit, report.category, report.description) == (
        "B3",
        "safety",
        "楼道堆放纸箱，消防通道堵塞",
    )
    assert report.assignee_id == WORKER_G2  # 3栋 is in the second grid
    assert report.entered_by == COMMUNITY
    assert report.photos == ("patrol-photo-0", "patrol-photo-1")
    assert harness.button(WORKER_G2, f"report:accept:{report.id}")
    assert report.number in "\n".join(harness.texts_to(COMMUNITY))  # the status card

    # A second press (or a second device) opens nothing more.
    await press(harness, COMMUNITY, f"patrol:cat:{first.id}:litter")
    assert report.number in harness.last_text(COMMUNITY)
    rows = await harness.services.store.db.fetchall("SELECT COUNT(*) FROM reports")
    assert rows[0][0] == 1


async def test_outsiders_can_neither_patrol_nor_report_a_finding(harness):
    await log_round(harness, WORKER_G1, [0])
    [row] = await harness.services.store.db.fetchall("SELECT id FROM patrol_findings")
    finding = row[0]
    for user in (RESIDENT, PROPERTY, SIBLING_COMMUNITY, WORKER_G2):
        await press(harness, user, f"patrol:find:{finding}")
        await press(harness, user, f"patrol:cat:{finding}:litter")
        assert "没有权限" in harness.last_text(user)
    await harness.send(updates.text(RESIDENT, "/patrol"))
    assert "仅限网格工作人员" in harness.last_text(RESIDENT)
    rows = await harness.services.store.db.fetchall("SELECT COUNT(*) FROM reports")
    assert rows[0][0] == 0
    assert "楼道堆放纸箱" not in everything_sent_to(harness, RESIDENT)


async def test_a_sixth_photo_and_a_text_where_a_photo_belongs_keep_the_step(harness):
    await harness.send(updates.text(WORKER_G1, "/patrol"))
    await press(harness, WORKER_G1, "patrol:kind:patrol")
    await choose_unit(harness, WORKER_G1)
    await press(harness, WORKER_G1, "patrol:skip")
    for i in range(6):
        await harness.send(updates.photo(WORKER_G1, f"p{i}"))
    assert "最多 5 张" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "这是文字"))
    assert "需要照片" in harness.last_text(WORKER_G1)
    draft = await harness.services.drafts.get(WORKER_G1)
    assert (draft.step, len(draft.data["photos"])) == ("photos", 5)
    await press(harness, WORKER_G1, "patrol:photos")
    await harness.send(updates.text(WORKER_G1, "短"))
    assert "至少 4 个字" in harness.last_text(WORKER_G1)
    await press(harness, WORKER_G1, "patrol:done")
    assert "无" in harness.last_text(WORKER_G1)
    rows = await harness.services.store.db.fetchall("SELECT unit, note FROM patrols")
    assert [tuple(r) for r in rows] == [("G1", "")]


async def test_a_worker_cannot_walk_the_picker_above_their_own_unit(harness):
    await harness.send(updates.text(WORKER_G1, "/patrol"))
    await press(harness, WORKER_G1, "patrol:kind:safety")
    assert not any(d.startswith("place:up:") for _, d in harness.buttons(WORKER_G1))
    n = (await harness.services.drafts.get(WORKER_G1)).data["n"]
    await press(harness, WORKER_G1, f"place:up:{n}")  # forged
    assert (await harness.services.drafts.get(WORKER_G1)).data["walk"] == "G1"
    await press(harness, WORKER_G1, f"place:pick:{n}:7")  # forged index
    assert last_answer(harness) == "这个按钮已失效，请使用最新的消息。"
    await press(harness, WORKER_G1, "patrol:up")  # a button of the old picker
    assert "按钮已失效" in harness.last_text(WORKER_G1)


async def test_a_patrol_photo_sent_as_a_file_is_kept_re_encoded(harness):
    from tests.images import jpeg_with_gps, metadata

    harness.request.files["doc-round.jpg"] = jpeg_with_gps()
    await harness.send(updates.text(COMMUNITY, "/patrol"))
    await press(harness, COMMUNITY, "patrol:kind:doorknock")
    await choose_unit(harness, COMMUNITY, 1, 0)
    await harness.send(updates.text(COMMUNITY, "叮咚敲门一轮，走访 12 户"))
    await harness.send(updates.document(COMMUNITY, mime="image/jpeg", name="round.jpg"))
    [upload] = harness.request.sent("sendPhoto", COMMUNITY)
    clean_id = upload.params["photo"]
    assert metadata(harness.request.files[clean_id]) == {}
    draft = await harness.services.drafts.get(COMMUNITY)
    assert draft is not None and draft.data["photos"] == [clean_id]
