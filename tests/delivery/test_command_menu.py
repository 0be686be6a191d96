"""A staff member's command menu goes through the outbox and the sender to the Bot API (the fake
server over HTTP), scoped to their private chat; the default menu stays the residents'."""

from __future__ import annotations

import json

from bot.domain.people import Role
from bot.notices.staff import command_menu

STAFF_CHAT = 7001


def chat_scope(chat_id: int) -> str:
    return json.dumps({"type": "chat", "chat_id": chat_id}, sort_keys=True)


async def test_a_staff_menu_is_delivered_for_their_chat_only_and_the_newest_wins(live):
    default = dict(live.fake.commands)
    assert [c["command"] for c in default[('{"type": "default"}', "")]].count("tasks") == 0
    texts = live.services.texts
    at = live.clock()
    await live.services.outbox.send([command_menu(texts, STAFF_CHAT, "zh", role=Role.ADMIN)], at)
    await live.services.outbox.send([command_menu(texts, STAFF_CHAT, "en", role=Role.ADMIN)], at)
    await live.sender.drain_all()

    calls = [
        c
        for c in live.fake.calls_of("setMyCommands", ok=True)
        if json.loads(c.params.get("scope", "{}")).get("type") == "chat"
    ]
    assert len(calls) == 1  # the pending zh menu was replaced by the en one (collapse key)
    menu = live.fake.commands[(chat_scope(STAFF_CHAT), "")]
    assert {"command": "tasks", "description": texts("commands.tasks", "en")} in menu
    assert {c["command"] for c in menu} >= {"staff", "invite", "report", "help"}
    assert live.fake.commands[('{"type": "default"}', "")] == default[('{"type": "default"}', "")]

    await live.services.outbox.send([command_menu(texts, STAFF_CHAT, "zh", role=None)], at)
    await live.sender.drain_all()
    menu = live.fake.commands[(chat_scope(STAFF_CHAT), "")]
    assert "tasks" not in {c["command"] for c in menu}
    assert {"command": "help", "description": "帮助"} in menu
