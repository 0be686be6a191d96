"""bot/usecases/staff.py: each staff member's command menu is queued once per change, through
the outbox, on a real SQLite file (no Application)."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.domain.access import Rule
from bot.domain.people import Role
from bot.jobs.staff import staff_menus
from bot.services import Services
from bot.usecases.results import Done, Refused
from bot.usecases.staff import (
    change_staff,
    deactivate_staff,
    redeem_invite,
    refresh_menu,
    refresh_menus,
)
from tests.conftest import RESIDENT, STREET, WORKER_G1, WORKER_G2


async def queued_menus(services: Services) -> list[tuple[int, str, list[str]]]:
    """Returns (chat, scope type, command names) of every setMyCommands row, oldest first."""
    rows = await services.store.db.fetchall(
        "SELECT chat_id, payload FROM outbox WHERE method = 'setMyCommands' ORDER BY id"
    )
    out = []
    for row in rows:
        params = json.loads(row["payload"])
        names = [c["command"] for c in params["commands"]]
        assert params["scope"] == {"type": "chat", "chat_id": row["chat_id"]}
        out.append((row["chat_id"], params["commands"][0]["description"], names))
    return out


async def test_staff_who_talked_to_the_bot_get_their_menu_once(services: Services):
    at = services.clock()
    await services.people.touch(WORKER_G1, "小王", "zh", at)
    await services.people.touch(RESIDENT, "居民", "zh", at)

    assert await staff_menus(services, at) == 1  # WORKER_G2 never wrote: no chat to scope
    assert await refresh_menus(services, at=at) == 0  # unchanged: nothing queued again
    [(chat, first, names)] = await queued_menus(services)
    assert chat == WORKER_G1 and first == "开始 / 注册住址"
    assert {"tasks", "callin", "help"} <= set(names) and "staff" not in names  # a grid worker


async def test_a_new_language_and_a_deactivation_each_queue_a_new_menu(services: Services):
    at = services.clock()
    await services.people.touch(WORKER_G1, "小王", "zh", at)
    assert await refresh_menu(services, WORKER_G1, at=at)

    await services.people.update(WORKER_G1, at, lang="en")
    assert await refresh_menu(services, WORKER_G1, at=at)
    assert not await refresh_menu(services, WORKER_G1, at=at)
    await services.people.deactivate(WORKER_G1, None, at)
    assert await refresh_menu(services, WORKER_G1, at=at)

    menus = await queued_menus(services)
    # Three menus were queued while none was sent: the collapse key kept only the newest.
    assert [(chat, first, "tasks" in names) for chat, first, names in menus] == [
        (WORKER_G1, "Start / register your address", False)
    ]


async def test_former_staff_who_never_had_a_menu_and_residents_are_left_alone(
    services: Services,
):
    at = services.clock()
    await services.people.touch(WORKER_G2, "小李", "zh", at)
    await services.people.deactivate(WORKER_G2, None, at)
    assert not await refresh_menu(services, WORKER_G2, at=at)
    assert not await refresh_menu(services, RESIDENT, at=at)
    assert await queued_menus(services) == []


async def test_erasing_a_person_forgets_their_menu_fingerprint(services: Services):
    at = services.clock()
    await services.people.touch(WORKER_G1, "小王", "zh", at)
    assert await refresh_menu(services, WORKER_G1, at=at)
    key = f"staff_menu:{WORKER_G1}"
    assert await services.store.db.fetchone("SELECT 1 FROM meta WHERE key = ?", (key,))
    await services.privacy.erase(WORKER_G1, at, "已删除")
    assert await services.store.db.fetchone("SELECT 1 FROM meta WHERE key = ?", (key,)) is None
    assert await services.store.db.fetchone("SELECT 1 FROM meta WHERE key = 'units_version'")


# Enrolment, deactivation, moves (bot/usecases/staff.py) ----------------------------------------

NEWCOMER = 7301


async def invited(services: Services, role: Role = Role.GRID_WORKER, unit: str = "G1") -> str:
    return await services.people.create_invite(
        role, unit, "新网格员", services.clock(), timedelta(days=1)
    )


async def test_an_invite_enrols_once_with_its_greeting_and_menu_in_one_commit(services: Services):
    at = services.clock()
    await services.people.touch(NEWCOMER, "tg name", "zh", at)
    token = await invited(services)

    done = await redeem_invite(services, token, by=NEWCOMER, name="tg name", lang="zh", at=at)

    assert isinstance(done, Done) and (done.value.role, done.value.unit) == (Role.GRID_WORKER, "G1")
    staff = await services.people.staff(NEWCOMER)
    assert staff is not None and staff.name == "新网格员"
    methods = [
        row[0]
        for row in await services.store.db.fetchall(
            "SELECT method FROM outbox WHERE chat_id = ? ORDER BY id", (NEWCOMER,)
        )
    ]
    assert methods == ["sendMessage", "setMyCommands"]
    again = await redeem_invite(services, token, by=RESIDENT, name="r", lang="zh", at=at)
    assert again == Refused("invite.used")
    assert await services.people.staff(RESIDENT) is None


async def test_staff_bad_and_expired_links_are_refused_and_change_nothing(services: Services):
    at = services.clock()
    token = await invited(services, Role.COMMUNITY, "C1")

    already = await redeem_invite(services, token, by=WORKER_G1, name="x", lang="en", at=at)
    assert isinstance(already, Refused) and already.key == "invite.already_staff"
    assert already.params["unit"].endswith("第一网格")
    bad = await redeem_invite(services, "not a token!", by=NEWCOMER, name="x", lang="zh", at=at)
    assert bad == Refused("invite.unknown")
    late = at + timedelta(days=2)
    expired = await redeem_invite(services, token, by=NEWCOMER, name="x", lang="zh", at=late)
    assert expired == Refused("invite.expired")
    assert await services.people.staff(NEWCOMER) is None
    worker = await services.people.staff(WORKER_G1)
    assert worker is not None and worker.role is Role.GRID_WORKER
    assert await services.store.db.fetchall("SELECT 1 FROM outbox") == []


async def test_a_manager_deactivates_staff_once_and_both_are_told(services: Services):
    at = services.clock()

    done = await deactivate_staff(services, WORKER_G1, by=STREET, at=at)

    assert done == Done(0)
    assert await services.people.staff(WORKER_G1) is None
    rows = await services.store.db.fetchall("SELECT chat_id FROM outbox")
    assert {row[0] for row in rows} == {STREET, WORKER_G1}
    assert await deactivate_staff(services, WORKER_G1, by=STREET, at=at) == Refused("staff.gone")


async def test_staff_outside_ones_scope_are_not_deactivated_and_the_refusal_is_recorded(
    services: Services,
):
    at = services.clock()

    refused = await deactivate_staff(services, WORKER_G2, by=WORKER_G1, at=at)

    assert refused == Refused("staff.not_allowed", {}, Rule.STAFF_MANAGE)
    assert await services.people.staff(WORKER_G2) is not None
    [refusal] = await services.store.refusals.latest()
    assert (refusal.user_id, refusal.action, refusal.target) == (
        WORKER_G1,
        "staff:offok",
        f"staff:{WORKER_G2}",
    )


async def test_a_move_is_stored_told_and_refused_where_the_manager_may_not_place(
    services: Services,
):
    at = services.clock()
    await services.people.touch(NEWCOMER, "tg name", "zh", at)
    token = await invited(services)
    await redeem_invite(services, token, by=NEWCOMER, name="tg name", lang="zh", at=at)

    moved = await change_staff(services, NEWCOMER, by=STREET, at=at, unit="G2")
    assert isinstance(moved, Done) and moved.value[0].unit == "G2"
    staff = await services.people.staff(NEWCOMER)
    assert staff is not None and staff.unit == "G2"

    too_high = await change_staff(services, NEWCOMER, by=STREET, at=at, role=Role.STREET)
    assert isinstance(too_high, Refused) and too_high.key == "staff.role_not_allowed"
    staff = await services.people.staff(NEWCOMER)
    assert staff is not None and staff.role is Role.GRID_WORKER


async def test_staff_from_the_config_file_are_moved_there_not_in_chat(services: Services):
    refused = await change_staff(services, WORKER_G1, by=STREET, at=services.clock(), unit="G2")

    assert refused == Refused("staff.config_note")
    staff = await services.people.staff(WORKER_G1)
    assert staff is not None and staff.unit == "G1"
