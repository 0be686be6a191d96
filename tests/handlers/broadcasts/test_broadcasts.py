"""/broadcast through the real Application: compose, pick unit and audience, preview, confirm;
deliveries reach residents (not the muted, not outside the unit) and groups, with a progress
line and an end report; the wrong people and stale presses are refused; /mute and /unmute."""

from __future__ import annotations

from dataclasses import replace

from bot.jobs.broadcasts import broadcast_progress
from tests import updates
from tests.conftest import (
    ADMIN,
    COMMUNITY,
    PROPERTY,
    RESIDENT,
    RESIDENT_2,
    WORKER_G1,
    WORKER_G2,
)
from tests.handlers.broadcasts.support import (
    GROUP_C1,
    STALE,
    bind_group,
    last_answer,
    pick_unit,
    resident,
)
from tests.handlers.kit.picking import choose_here, labelled, stands_at

MUTED = 5003
OTHER_GRID = 5004
BODY = "本周六上午9点社区广场开展消防演练，请居民积极参加。"


async def press(harness, user_id, data):
    await harness.send(updates.press(user_id, data))


async def compose(harness, staff, *, path=(), audience="residents", body=BODY):
    await harness.send(updates.text(staff, "/broadcast"))
    if body is not None:
        await harness.send(updates.text(staff, body))
    await pick_unit(harness, staff, *path)
    await press(harness, staff, f"bcast:aud:{audience}")


async def rows(harness, sql, params=()):
    return [tuple(r) for r in await harness.services.store.db.fetchall(sql, params)]


async def test_a_text_broadcast_reaches_the_units_residents_but_not_the_muted_with_a_report(
    harness,
):
    await resident(harness, RESIDENT, "B1")
    await resident(harness, RESIDENT_2, "B3", lang="en")
    await resident(harness, MUTED, "B2")
    await harness.send(updates.text(MUTED, "/mute"))
    assert "不再收到" in harness.last_text(MUTED)

    await compose(harness, COMMUNITY)
    preview, confirm = harness.texts_to(COMMUNITY)[-2:]
    assert BODY in preview and "/mute" in preview  # as residents will see it
    assert "居民：2 人" in confirm  # the muted resident is not counted
    await press(harness, COMMUNITY, "bcast:send")

    assert BODY in harness.last_text(RESIDENT)
    assert "notice" in harness.last_text(RESIDENT_2)  # in the resident's language
    assert not any(BODY in t for t in harness.texts_to(MUTED))
    [(broadcast_id, residents, state)] = await rows(
        harness, "SELECT id, residents, state FROM broadcasts"
    )
    assert (residents, state) == (2, "sending")
    batch = await rows(
        harness,
        "SELECT chat_id, priority FROM outbox WHERE batch = ? ORDER BY chat_id",
        (f"broadcast:{broadcast_id}",),
    )
    assert batch == [(RESIDENT, -1), (RESIDENT_2, -1)]

    assert await broadcast_progress(harness.services, harness.clock()) == 1
    await harness.deliver()
    report = harness.last_text(COMMUNITY)
    assert "送达：2" in report and "已屏蔽机器人：0" in report
    assert any("发送完毕" in t for t in harness.texts_to(COMMUNITY))  # the progress line
    assert await rows(harness, "SELECT state, delivered FROM broadcasts") == [("done", 2)]
    assert await broadcast_progress(harness.services, harness.clock()) == 0  # once


async def test_a_photo_goes_to_residents_and_the_bound_group_by_the_same_file_id(harness):
    await resident(harness, RESIDENT, "B1")
    await bind_group(harness)
    await harness.send(updates.text(COMMUNITY, "/broadcast"))
    await harness.send(updates.photo(COMMUNITY, "poster-file", caption="垃圾分类新规"))
    await choose_here(harness, COMMUNITY)
    assert ("🏠👥 居民和群（2）", "bcast:aud:both") in harness.buttons(COMMUNITY)
    await press(harness, COMMUNITY, "bcast:aud:both")
    await press(harness, COMMUNITY, "bcast:send")
    photos = harness.request.sent("sendPhoto")
    assert {int(c.params["chat_id"]) for c in photos} == {COMMUNITY, RESIDENT, GROUP_C1}
    assert {c.params["photo"] for c in photos} == {"poster-file"}  # never uploaded again
    group = next(c for c in photos if int(c.params["chat_id"]) == GROUP_C1)
    assert "垃圾分类新规" in group.params["caption"] and "/mute" not in group.params["caption"]


async def test_a_grid_worker_reaches_only_their_grid_and_an_empty_one_is_refused(harness):
    await resident(harness, RESIDENT, "B1")
    await resident(harness, OTHER_GRID, "B3")
    await compose(harness, WORKER_G1)  # G1: 1栋 and 2栋
    assert "居民：1 人" in harness.last_text(WORKER_G1)
    await press(harness, WORKER_G1, "bcast:send")
    assert BODY in harness.last_text(RESIDENT)
    assert not any(BODY in t for t in harness.texts_to(OTHER_GRID))

    await compose(harness, WORKER_G2, path=("3栋",))  # 3栋 has a resident, but pick groups
    await harness.send(updates.text(WORKER_G2, "/cancel"))
    await harness.send(updates.text(WORKER_G2, "/broadcast"))
    await harness.send(updates.text(WORKER_G2, BODY))
    await choose_here(harness, WORKER_G2)
    await press(harness, WORKER_G2, "bcast:aud:groups")  # no group is bound to G2
    assert "没有可以接收" in harness.last_text(WORKER_G2)
    assert await rows(harness, "SELECT COUNT(*) FROM broadcasts") == [(1,)]


async def test_partners_and_residents_cannot_broadcast_and_the_refusal_is_recorded(harness):
    await harness.send(updates.text(PROPERTY, "/broadcast"))
    assert "仅限" in harness.last_text(PROPERTY)
    await resident(harness, RESIDENT, "B1")
    await harness.send(updates.text(RESIDENT, "/broadcast"))
    assert "仅限" in harness.last_text(RESIDENT)
    refused = await rows(harness, "SELECT user_id, rule FROM refusals ORDER BY user_id")
    assert refused == [(PROPERTY, "broadcast_send"), (RESIDENT, "broadcast_send")]
    assert await harness.services.drafts.get(PROPERTY) is None


async def test_old_and_forged_presses_and_a_second_send_change_nothing(harness):
    await resident(harness, RESIDENT, "B1")
    await press(harness, COMMUNITY, "bcast:send")  # no draft: stale
    assert "已失效" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "/broadcast"))
    await harness.send(updates.sticker(COMMUNITY))
    assert "文字、图片或文件" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, BODY))
    nonce = (await harness.services.drafts.get(COMMUNITY)).data["n"]
    await press(harness, COMMUNITY, f"place:pick:{nonce}:99")  # a forged index
    assert last_answer(harness) == STALE
    await press(harness, COMMUNITY, "bcast:down:0")  # the second picker's button, gone
    assert "已失效" in harness.last_text(COMMUNITY)
    await press(harness, COMMUNITY, "bcast:send")  # not at the confirm step yet
    await harness.send(updates.text(COMMUNITY, "随便说一句"))  # a button is wanted here
    assert "按钮" in harness.last_text(COMMUNITY)
    await press(harness, COMMUNITY, f"place:here:{nonce}")  # the walk's card, further up
    await press(harness, COMMUNITY, "bcast:aud:everyone")  # a forged audience
    await press(harness, COMMUNITY, "bcast:aud:residents")
    await press(harness, COMMUNITY, "bcast:send")
    await press(harness, COMMUNITY, "bcast:send")  # a second press
    assert await rows(harness, "SELECT COUNT(*) FROM broadcasts") == [(1,)]
    assert sum(BODY in t for t in harness.texts_to(RESIDENT)) == 1


async def test_a_text_too_long_is_refused_politely_and_nothing_is_kept(harness):
    await harness.send(updates.text(COMMUNITY, "/broadcast"))
    await harness.send(updates.text(COMMUNITY, "长" * 3501))
    assert "太长" in harness.last_text(COMMUNITY)
    draft = await harness.services.drafts.get(COMMUNITY)
    assert draft is not None and draft.step == "content"
    await press(harness, COMMUNITY, "bcast:cancel")
    assert "已取消" in harness.last_text(COMMUNITY)
    assert await harness.services.drafts.get(COMMUNITY) is None


async def test_mute_and_unmute_say_where_one_stands(harness):
    await resident(harness, RESIDENT, "B1")
    await harness.send(updates.text(RESIDENT, "/unmute"))
    assert "没有关闭" in harness.last_text(RESIDENT)
    await harness.send(updates.text(RESIDENT, "/mute"))
    await harness.send(updates.text(RESIDENT, "/mute"))
    assert "已经关闭" in harness.last_text(RESIDENT)
    await harness.send(updates.text(RESIDENT, "/unmute"))
    assert "已恢复" in harness.last_text(RESIDENT)
    assert await rows(harness, "SELECT COUNT(*) FROM broadcast_mutes") == [(0,)]


async def test_a_document_goes_out_by_its_file_id_with_the_notice_as_caption(harness):
    await resident(harness, RESIDENT, "B1")
    await harness.send(updates.text(COMMUNITY, "/broadcast"))
    await harness.send(updates.document(COMMUNITY, name="垃圾分类指南.pdf"))
    await choose_here(harness, COMMUNITY)
    await press(harness, COMMUNITY, "bcast:aud:residents")
    await press(harness, COMMUNITY, "bcast:send")
    [to_resident] = harness.request.sent("sendDocument", RESIDENT)
    assert to_resident.params["document"] == "doc-垃圾分类指南.pdf"
    assert "春晖社区" in to_resident.params["caption"]


async def test_a_forged_press_for_a_unit_outside_the_senders_own_is_stale(harness):
    await resident(harness, RESIDENT, "B1")
    await resident(harness, OTHER_GRID, "B3")
    await harness.send(updates.text(WORKER_G1, "/broadcast"))
    await harness.send(updates.text(WORKER_G1, BODY))
    assert await stands_at(harness, WORKER_G1) == "G1"  # the walk starts at their own grid
    assert not any(data.startswith("place:up:") for _, data in harness.buttons(WORKER_G1))
    nonce = (await harness.services.drafts.get(WORKER_G1)).data["n"]
    await press(harness, WORKER_G1, f"place:up:{nonce}")  # forged: up to 春晖社区
    assert last_answer(harness) == STALE
    assert await stands_at(harness, WORKER_G1) == "G1"
    # Moved to the other grid meanwhile: G1 and its buildings are out of their reach now.
    worker = await harness.services.people.staff(WORKER_G1)
    await harness.services.people.change(worker, replace(worker, unit="G2"), ADMIN, harness.clock())
    for data in (harness.button(WORKER_G1, "place:here:"), labelled(harness, WORKER_G1, "1栋")):
        await press(harness, WORKER_G1, data)
        assert last_answer(harness) == STALE
    assert await stands_at(harness, WORKER_G1) == "G1"
    assert not any(data.startswith("bcast:aud:") for _, data in harness.buttons(WORKER_G1))
    assert await rows(harness, "SELECT COUNT(*) FROM broadcasts") == [(0,)]
