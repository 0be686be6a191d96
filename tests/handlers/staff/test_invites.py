"""Staff invites: pressing the deep link (/start <token>) binds the account once, before expiry."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.people import Role
from tests import updates
from tests.conftest import WORKER_G1, Harness

NEWCOMER = 6001
SOMEONE_ELSE = 6002


async def _invite(
    harness: Harness, role: Role = Role.GRID_WORKER, unit: str = "G2", name: str = ""
) -> str:
    return await harness.services.people.create_invite(
        role, unit, name, harness.clock(), timedelta(hours=72)
    )


async def _invite_rows(harness: Harness) -> list[tuple]:
    rows = await harness.services.store.db.fetchall(
        "SELECT token, used_by, used_at FROM invites ORDER BY token"
    )
    return [tuple(row) for row in rows]


async def test_pressing_an_invite_link_binds_the_account_as_staff_and_greets_them(harness):
    token = await _invite(harness, unit="G2", name="刘洋")

    await harness.send(updates.text(NEWCOMER, f"/start {token}"))

    staff = await harness.services.people.staff(NEWCOMER)
    assert staff is not None
    assert (staff.role, staff.unit, staff.name) == (Role.GRID_WORKER, "G2", "刘洋")
    greeting = harness.last_text(NEWCOMER)
    assert "刘洋" in greeting
    assert "<b>网格员</b>" in greeting
    assert "青山街道 / 春晖社区 / 第二网格" in greeting
    assert "/tasks" in greeting  # the staff help follows the greeting


async def test_the_greeting_is_in_english_for_an_english_telegram(harness):
    token = await _invite(harness, role=Role.COMMUNITY, unit="C1")

    await harness.send(updates.text(NEWCOMER, f"/start {token}", lang="en"))

    greeting = harness.last_text(NEWCOMER)
    assert "<b>community staff</b> at <b>青山街道 / 春晖社区</b>" in greeting
    staff = await harness.services.people.staff(NEWCOMER)
    assert staff is not None and staff.name == "张三"  # the Telegram name when the invite has none


async def test_an_invite_at_the_top_unit_names_that_unit(harness):
    token = await _invite(harness, role=Role.DISTRICT, unit="D1")

    await harness.send(updates.text(NEWCOMER, f"/start {token}"))

    assert "<b>江岸区</b>" in harness.last_text(NEWCOMER)


async def test_an_invite_link_used_twice_is_refused_the_second_time(harness):
    token = await _invite(harness)
    await harness.send(updates.text(NEWCOMER, f"/start {token}"))
    before = await _invite_rows(harness)

    await harness.send(updates.text(SOMEONE_ELSE, f"/start {token}"))

    assert "已经被使用过" in harness.last_text(SOMEONE_ELSE)
    assert await harness.services.people.staff(SOMEONE_ELSE) is None
    assert await _invite_rows(harness) == before
    assert before[0][1] == NEWCOMER


async def test_an_expired_invite_is_refused_and_stays_unused(harness):
    token = await _invite(harness)
    harness.clock.advance(hours=72, seconds=1)

    await harness.send(updates.text(NEWCOMER, f"/start {token}"))

    assert "已过期" in harness.last_text(NEWCOMER)
    assert await harness.services.people.staff(NEWCOMER) is None
    assert await _invite_rows(harness) == [(token, None, None)]


async def test_an_invite_just_before_expiry_still_works(harness):
    token = await _invite(harness)
    harness.clock.advance(hours=71, minutes=59)

    await harness.send(updates.text(NEWCOMER, f"/start {token}"))

    assert await harness.services.people.staff(NEWCOMER) is not None


async def test_a_forged_token_is_refused_and_changes_nothing(harness):
    token = await _invite(harness)
    staff_before = await harness.services.people.all_staff()

    await harness.send(updates.text(NEWCOMER, "/start " + "A" * len(token)))

    assert "无效" in harness.last_text(NEWCOMER)
    assert await harness.services.people.all_staff() == staff_before
    assert await _invite_rows(harness) == [(token, None, None)]


async def test_a_start_parameter_telegram_could_not_send_is_refused_without_a_lookup(harness):
    await harness.send(updates.text(NEWCOMER, "/start ../../etc/passwd"))

    assert "无效" in harness.last_text(NEWCOMER)
    assert await harness.services.people.staff(NEWCOMER) is None


async def test_staff_pressing_another_invite_keep_their_role_and_leave_the_link_unused(harness):
    token = await _invite(harness, role=Role.COMMUNITY, unit="C1")

    await harness.send(updates.text(WORKER_G1, f"/start {token}"))

    assert "您已经是 <b>青山街道 / 春晖社区 / 第一网格</b> 的<b>网格员</b>" in harness.last_text(
        WORKER_G1
    )
    staff = await harness.services.people.staff(WORKER_G1)
    assert staff is not None and (staff.role, staff.unit) == (Role.GRID_WORKER, "G1")
    assert await _invite_rows(harness) == [(token, None, None)]
    # The link still works for the person it was meant for.
    await harness.send(updates.text(NEWCOMER, f"/start {token}"))
    newcomer = await harness.services.people.staff(NEWCOMER)
    assert newcomer is not None and newcomer.role is Role.COMMUNITY


async def test_an_invite_to_a_unit_imported_after_start_up_names_that_unit(harness):
    from bot.domain.units import Unit

    await harness.services.units.tree()  # cached before the import, as in a running bot
    other = type(harness.services.units)(harness.services.store.db)  # the CLI's own repository
    await other.import_units([Unit("G9", "第九网格", "grid", "C1")])
    token = await _invite(harness, unit="G9")

    await harness.send(updates.text(NEWCOMER, f"/start {token}"))

    assert "春晖社区 / 第九网格" in harness.last_text(NEWCOMER)


async def test_the_greeting_waits_in_the_outbox_for_the_sender(harness):
    token = await _invite(harness)

    await harness.send(updates.text(NEWCOMER, f"/start {token}"), deliver=False)

    rows = await harness.services.store.db.fetchall(
        "SELECT method, payload FROM outbox WHERE chat_id = ? AND state = 'pending' ORDER BY id",
        (NEWCOMER,),
    )
    # The greeting, then the staff command menu of their chat, committed with the binding.
    assert [row["method"] for row in rows] == ["sendMessage", "setMyCommands"]
    assert "第二网格" in rows[0]["payload"]
