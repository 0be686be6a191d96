"""bot/usecases/residents.py on a real SQLite file, no Application: a resident's place, phone and
language change with their confirmation (and the end of their draft) in one commit; a refused
change leaves everything as it was."""

from __future__ import annotations

import json

from bot.services import Services
from bot.usecases.residents import remove_phone, save_phone, set_language, set_place
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from tests.conftest import RESIDENT, RESIDENT_2, WORKER_G1


async def sent(services: Services, chat_id: int) -> list[dict]:
    rows = await services.store.db.fetchall(
        "SELECT method, payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [{"method": row["method"], **json.loads(row["payload"])} for row in rows]


async def resident(services: Services, user_id: int = RESIDENT, lang: str = "zh") -> None:
    """Makes USER_ID known, in the middle of the place walk."""
    at = services.clock()
    await services.people.touch(user_id, "居民", lang, at)
    await services.drafts.put(Draft(user_id, "register", "walk", {"n": "ab12cd"}), at)


async def test_a_resident_registers_a_place_with_its_thanks_and_the_walk_ends(services: Services):
    await resident(services)

    done = await set_place(services, RESIDENT, "B1", at=services.clock())

    assert done == Done("B1")
    me = await services.people.get(RESIDENT)
    assert me is not None and me.unit == "B1"
    assert await services.drafts.get(RESIDENT) is None
    [thanks] = await sent(services, RESIDENT)
    assert "1栋" in thanks["text"] and thanks["reply_markup"]["is_persistent"]


async def test_a_place_gone_from_the_tree_is_refused_and_nothing_changes(services: Services):
    await resident(services)

    refused = await set_place(services, RESIDENT, "B99", at=services.clock(), changing=True)

    assert refused == Refused("common.stale_button")
    me = await services.people.get(RESIDENT)
    assert me is not None and me.unit is None
    assert await services.drafts.get(RESIDENT) is not None
    assert await sent(services, RESIDENT) == []


async def test_someone_the_bot_does_not_know_is_refused(services: Services):
    at = services.clock()
    assert await set_place(services, RESIDENT, "B1", at=at) == Refused("common.not_allowed")
    assert await remove_phone(services, RESIDENT, at=at) == Refused("common.not_allowed")
    assert await set_language(services, RESIDENT, "en", at=at) == Refused("common.not_allowed")
    assert await services.people.get(RESIDENT) is None


async def test_only_ones_own_contact_is_taken_as_ones_phone(services: Services):
    await resident(services)
    at = services.clock()

    refused = await save_phone(services, RESIDENT, "139 0000 0000", owner=RESIDENT_2, at=at)
    assert refused == Refused("me.not_own_contact")
    me = await services.people.get(RESIDENT)
    assert me is not None and me.phone is None

    assert await save_phone(services, RESIDENT, "139 0000 0000", owner=RESIDENT, at=at) == Done(
        "13900000000"
    )
    me = await services.people.get(RESIDENT)
    assert me is not None and me.phone == "13900000000"
    assert await services.drafts.get(RESIDENT) is None
    [saved] = await sent(services, RESIDENT)
    assert "13900000000" in saved["text"]


async def test_a_removed_phone_is_forgotten_and_said(services: Services):
    await resident(services)
    at = services.clock()
    await save_phone(services, RESIDENT, "13900000000", owner=RESIDENT, at=at)

    assert await remove_phone(services, RESIDENT, at=at) == Done(None)

    me = await services.people.get(RESIDENT)
    assert me is not None and me.phone is None
    assert len(await sent(services, RESIDENT)) == 2


async def test_a_language_is_switched_and_a_staff_menu_follows_in_the_same_commit(
    services: Services,
):
    at = services.clock()
    await services.people.touch(WORKER_G1, "小王", "zh", at)

    assert await set_language(services, WORKER_G1, "en", at=at) == Done("en")
    [said, menu] = await sent(services, WORKER_G1)
    assert said["method"] == "sendMessage" and said["text"].startswith("Language")
    assert menu["method"] == "setMyCommands" and menu["commands"][0]["description"].isascii()

    assert await set_language(services, WORKER_G1, "xx", at=at) == Done("zh")  # toggles
    menus = [m for m in await sent(services, WORKER_G1) if m["method"] == "setMyCommands"]
    assert not menus[-1]["commands"][0]["description"].isascii()  # the pending one, in zh
    me = await services.people.get(WORKER_G1)
    assert me is not None and me.lang == "zh"
