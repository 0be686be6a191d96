"""bot/usecases/staff.py: each staff member's command menu is queued once per change, through
the outbox, on a real SQLite file (no Application)."""

from __future__ import annotations

import json

from bot.jobs.staff import staff_menus
from bot.services import Services
from bot.usecases.staff import refresh_menu, refresh_menus
from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2


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
    assert {"tasks", "staff", "help"} <= set(names)


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
