"""/privacy, the notice on /start, /delete_my_data's edges, location consent, and staff
erasing a 五必访 household with a reason."""

from __future__ import annotations

from bot.app import SWEEPS
from bot.jobs import run_sweeps
from storage.db import from_db
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, RESIDENT_2, WORKER_G1, WORKER_G2
from tests.handlers.care.support import (
    NOTES,
    add_household,
    config_path,  # noqa: F401  (the office with a sibling community)
    households,
)
from tests.handlers.reports.test_submit_flow import press, registered


async def consent_rows(harness, user_id: int) -> list:
    return await harness.services.store.db.fetchall(
        "SELECT kind, given_at FROM consents WHERE user_id = ?", (user_id,)
    )


# Notice ------------------------------------------------------------------------------------


async def test_privacy_shows_what_is_kept_who_sees_it_how_long_and_how_to_erase(harness):
    await harness.send(updates.text(RESIDENT, "/privacy"))
    notice = harness.last_text(RESIDENT)
    for part in ("保存什么", "谁能看到", "保存多久", "/delete_my_data", "7 天", "3 年", "730 天"):
        assert part in notice, part


async def test_the_notice_follows_the_configured_retention(harness):
    harness.services.settings.privacy.raw_days = 14
    harness.services.settings.backup.keep = 30
    await harness.send(updates.text(RESIDENT, "/privacy", lang="en"))
    assert "after 14 days" in harness.last_text(RESIDENT)
    assert "backups go as the backups rotate, within 30 days" in harness.last_text(RESIDENT)


async def test_start_shows_the_short_notice_to_new_and_registered_residents_and_staff(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    assert "/delete_my_data" in harness.last_text(RESIDENT)
    await registered(harness, RESIDENT_2)
    await harness.send(updates.text(RESIDENT_2, "/start"))
    assert "/delete_my_data" in harness.last_text(RESIDENT_2)
    await harness.send(updates.text(WORKER_G1, "/start"))
    assert "/privacy" in harness.last_text(WORKER_G1)


async def test_staff_are_greeted_with_the_staff_notice_not_the_residents_one(harness):
    await harness.send(updates.text(WORKER_G1, "/start"))
    greeting = harness.last_text(WORKER_G1)
    assert "工作人员档案" in greeting and "请勿转发" in greeting
    assert "/delete_my_data" not in greeting and "只保存您的住址楼栋" not in greeting
    await harness.services.people.update(WORKER_G1, harness.clock(), lang="en")
    await harness.send(updates.text(WORKER_G1, "/start"))
    assert "your staff record" in harness.last_text(WORKER_G1)


# Erasure edges -----------------------------------------------------------------------------


async def test_keep_erases_nothing(harness):
    await registered(harness)
    await harness.send(updates.text(RESIDENT, "/delete_my_data"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "privacy:keep"))
    assert "保持不变" in harness.last_text(RESIDENT)
    assert (await harness.services.people.get(RESIDENT)).unit == "B1"


async def test_keep_closes_the_question_so_its_confirm_button_is_gone(harness):
    await registered(harness)
    await harness.send(updates.text(RESIDENT, "/delete_my_data"))
    assert harness.button(RESIDENT, "privacy:erase:")
    await press(harness, RESIDENT, harness.button(RESIDENT, "privacy:keep"))
    closed = harness.request.sent(chat_id=RESIDENT)[-1]
    assert closed.method == "editMessageText" and "保持不变" in closed.params["text"]
    assert harness.buttons(RESIDENT) == []  # the edit took the buttons off the question


async def test_a_confirm_button_from_before_an_erasure_does_not_erase_the_new_start(harness):
    await registered(harness)
    await harness.send(updates.text(RESIDENT, "/delete_my_data"))
    old_confirm = harness.button(RESIDENT, "privacy:erase:")
    await press(harness, RESIDENT, old_confirm)
    assert await harness.services.people.get(RESIDENT) is None
    await registered(harness)  # they start again and register
    await press(harness, RESIDENT, old_confirm)  # a tap on the old question, far up the chat
    assert (await harness.services.people.get(RESIDENT)).unit == "B1"
    answer = harness.request.sent("answerCallbackQuery")[-1].params
    assert "已失效" in answer["text"]


async def test_a_confirm_button_without_its_question_erases_nothing(harness):
    await registered(harness)
    await press(harness, RESIDENT, "privacy:erase")  # the old form, or a forged one
    await press(harness, RESIDENT, "privacy:erase:abcdef")
    assert (await harness.services.people.get(RESIDENT)).unit == "B1"


async def test_the_button_under_me_asks_before_erasing(harness):
    await registered(harness)
    await harness.send(updates.text(RESIDENT, "/me"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "privacy:ask"))
    assert "确认后将删除" in harness.last_text(RESIDENT)
    assert harness.button(RESIDENT, "privacy:erase")
    assert (await harness.services.people.get(RESIDENT)).unit == "B1"


async def test_an_erase_press_in_someone_elses_chat_is_refused(harness):
    await registered(harness)
    await harness.send(updates.press(RESIDENT, "privacy:erase", chat_id=RESIDENT_2))
    assert (await harness.services.people.get(RESIDENT)).unit == "B1"
    answer = harness.request.sent("answerCallbackQuery")[-1].params
    assert "权限" in answer["text"]


async def test_staff_are_told_the_offices_rules_and_nothing_is_erased(harness):
    await harness.send(updates.text(WORKER_G1, "/start"))
    await harness.send(updates.text(WORKER_G1, "/delete_my_data"))
    assert "管理员" in harness.last_text(WORKER_G1)
    assert not [d for _, d in harness.buttons(WORKER_G1) if d.startswith("privacy:erase")]
    await press(harness, WORKER_G1, "privacy:erase")  # a forged press
    assert "管理员" in harness.last_text(WORKER_G1)
    me = await harness.services.people.get(WORKER_G1)
    assert me is not None and me.staff is not None and me.lang == "zh"


# Location consent --------------------------------------------------------------------------


async def test_a_location_sent_without_consent_is_not_used_and_consent_is_asked(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await harness.send(updates.location(RESIDENT, 30.6011, 114.3009))
    texts = harness.texts_to(RESIDENT)
    assert "没有使用" in texts[-2] and "位置授权" in texts[-1]
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and "lat" not in draft.data and draft.step == "walk"
    assert await consent_rows(harness, RESIDENT) == []


async def test_consent_is_recorded_with_its_time_and_asked_only_once(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    gps = harness.button(RESIDENT, "place:gps:")
    await press(harness, RESIDENT, gps)
    assert "位置授权" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, harness.button(RESIDENT, "consent:yes:"))
    [row] = await consent_rows(harness, RESIDENT)
    assert row["kind"] == "location" and from_db(row["given_at"]) == harness.clock()

    await press(harness, RESIDENT, gps)
    assert "位置授权" not in harness.last_text(RESIDENT)  # straight to the location request
    assert len(await consent_rows(harness, RESIDENT)) == 1


async def test_declining_keeps_the_list_and_records_nothing(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:gps:"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "consent:no:"))
    assert "不使用您的位置" in harness.last_text(RESIDENT)
    assert await consent_rows(harness, RESIDENT) == []
    assert (await harness.services.drafts.get(RESIDENT)).step == "walk"


async def test_a_stale_consent_button_records_nothing(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await press(harness, RESIDENT, "consent:yes:000000")
    assert await consent_rows(harness, RESIDENT) == []


# Households --------------------------------------------------------------------------------


async def test_staff_erase_a_household_with_a_reason_and_the_figures_stay(harness):
    household = await add_household(harness)
    await press(harness, WORKER_G1, f"household:show:{household.id}")
    assert harness.button(WORKER_G1, f"hherase:ask:{household.id}")
    await press(harness, WORKER_G1, f"hherase:ask:{household.id}")
    await harness.send(updates.text(WORKER_G1, "x"))
    assert "至少 2 个字" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "已搬离本社区"))

    assert "已删除" in harness.last_text(WORKER_G1) and "已搬离本社区" in harness.last_text(
        WORKER_G1
    )
    after = await households(harness).get(household.id)
    assert (
        after is not None and not after.active and after.notes == "" and after.label != "3单元502"
    )
    [row] = await harness.services.store.db.fetchall(
        "SELECT kind, ref, erased_by, reason FROM erasures"
    )
    assert tuple(row) == ("household", household.id, WORKER_G1, "已搬离本社区")
    events = await harness.services.store.db.fetchall("SELECT COUNT(*) FROM household_events")
    assert events[0][0] >= 1  # history (and the monthly figures over it) stays
    await press(harness, COMMUNITY, f"hherase:ask:{household.id}")
    assert "已经删除" in harness.last_text(COMMUNITY)


async def test_staff_who_may_not_manage_the_household_cannot_erase_it(harness):
    household = await add_household(harness)
    for user in (WORKER_G2, RESIDENT):
        await press(harness, user, f"hherase:ask:{household.id}")
        assert "没有权限" in harness.last_text(user)
        assert await harness.services.drafts.get(user) is None
    after = await households(harness).get(household.id)
    assert after == household and after.notes == NOTES
    assert await harness.services.store.db.fetchall("SELECT * FROM erasures") == []


# Retention ---------------------------------------------------------------------------------


async def test_the_retention_sweep_prunes_a_conversation_left_for_eight_days(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    assert await harness.services.drafts.get(RESIDENT) is not None
    harness.clock.advance(days=6)
    assert (await run_sweeps(harness.services, SWEEPS))["retention"] == 0
    harness.clock.advance(days=2)

    assert (await run_sweeps(harness.services, SWEEPS))["retention"] >= 3  # update, reply, draft
    assert await harness.services.drafts.get(RESIDENT) is None
    rows = await harness.services.store.db.fetchall(
        "SELECT payload FROM inbox UNION ALL SELECT payload FROM outbox"
    )
    assert rows and {r[0] for r in rows} == {"{}"}


async def test_a_report_takes_a_location_only_after_consent(harness):
    await registered(harness)
    await harness.send(updates.photo(RESIDENT, "p-1", caption="路灯坏了晚上很黑"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:cat:"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "newreport:else:"))
    await harness.send(updates.location(RESIDENT, 30.6100, 114.3101))
    assert "位置授权" in harness.last_text(RESIDENT)
    assert "lat" not in (await harness.services.drafts.get(RESIDENT)).data

    await press(harness, RESIDENT, harness.button(RESIDENT, "consent:yes:"))
    await harness.send(updates.location(RESIDENT, 30.6100, 114.3101))
    assert "3栋" in harness.last_text(RESIDENT)
    assert (await harness.services.drafts.get(RESIDENT)).data["lat"] == 30.61
