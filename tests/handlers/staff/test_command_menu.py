"""Staff see their commands in the menu of their own chat, kept up to date through the outbox;
residents keep the default menu. And staff /help tells how to bind a volunteer group."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.people import Role
from bot.notices.staff import COMMANDS
from tests import updates
from tests.conftest import ADMIN, HEAD_G1, PROPERTY, RESIDENT, STREET, WORKER_G1
from tests.handlers.kit.picking import choose_here, walk
from tests.handlers.staff.test_staff_admin import NEWCOMER, enrol, press


def _value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def menus(harness, chat_id: int) -> list[tuple[dict, list[str]]]:
    """Returns (scope, command names) of every setMyCommands call made for CHAT_ID."""
    out = []
    for call in harness.request.sent("setMyCommands", chat_id=chat_id):
        names = [c["command"] for c in _value(call.params["commands"])]
        out.append((_value(call.params.get("scope")), names))
    return out


def descriptions(harness, chat_id: int) -> dict[str, str]:
    call = harness.request.sent("setMyCommands", chat_id=chat_id)[-1]
    return {c["command"]: c["description"] for c in _value(call.params["commands"])}


async def test_a_redeemed_invite_gives_the_new_staff_member_the_staff_menu(harness):
    await harness.send(updates.text(ADMIN, "/invite grid_worker G1"))
    token = harness.last_text(ADMIN).split("?start=")[1].split()[0]
    await harness.send(updates.text(NEWCOMER, f"/start {token}"))

    [(scope, names)] = menus(harness, NEWCOMER)
    assert scope == {"type": "chat", "chat_id": NEWCOMER}
    assert {"tasks", "callin", "broadcast", "report", "grid", "mute", "help"} <= set(names)
    assert not {"staff", "invite", "audit", "contact"} & set(names)  # a grid worker's menu
    assert descriptions(harness, NEWCOMER)["tasks"] == "我的待办（工作人员）"
    assert menus(harness, ADMIN) == []  # the inviter's menu does not change


async def test_a_deactivated_staff_member_gets_the_resident_menu_back(harness):
    await harness.send(updates.text(WORKER_G1, "/lang zh"))
    [(_, names)] = menus(harness, WORKER_G1)
    assert "tasks" in names
    await harness.send(updates.text(ADMIN, "/staff"))
    await press(harness, ADMIN, f"staff:show:{WORKER_G1}")
    await press(harness, ADMIN, f"staff:off:{WORKER_G1}")
    assert len(menus(harness, WORKER_G1)) == 1  # only asked so far
    await press(harness, ADMIN, f"staff:offok:{WORKER_G1}")

    [_, (scope, names)] = menus(harness, WORKER_G1)
    assert scope == {"type": "chat", "chat_id": WORKER_G1}
    assert "tasks" not in names and "staff" not in names
    assert {"report", "my", "help", "lang"} <= set(names)


async def test_a_moved_staff_member_gets_the_menu_refreshed(harness):
    await enrol(harness, Role.GRID_WORKER, "G1")
    await harness.send(updates.text(NEWCOMER, "/help"))  # a private chat the menu can go to
    await press(harness, STREET, f"staff:move:{NEWCOMER}")
    await walk(harness, STREET, "春晖社区", "第二网格")
    await choose_here(harness, STREET)

    assert (await harness.services.people.staff(NEWCOMER)).unit == "G2"
    [(scope, names)] = menus(harness, NEWCOMER)
    assert scope == {"type": "chat", "chat_id": NEWCOMER} and "tasks" in names


async def test_staff_switching_language_get_their_menu_in_that_language(harness):
    await harness.send(updates.text(WORKER_G1, "/lang en"))

    [(scope, names)] = menus(harness, WORKER_G1)
    assert scope == {"type": "chat", "chat_id": WORKER_G1} and "tasks" in names
    assert descriptions(harness, WORKER_G1)["help"] == "Help"


async def test_residents_keep_the_default_menu_when_switching_language(harness):
    await harness.send(updates.text(RESIDENT, "/lang en"))
    assert harness.last_text(RESIDENT) == "Language set to English."
    assert harness.request.sent("setMyCommands") == []


async def test_staff_help_tells_how_to_bind_a_volunteer_group_in_both_languages(harness):
    await harness.send(updates.text(WORKER_G1, "/help"))
    assert "/bind volunteers" in harness.last_text(WORKER_G1)
    assert "志愿者群" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "/lang en"))
    await harness.send(updates.text(WORKER_G1, "/help"))
    assert "/bind volunteers" in harness.last_text(WORKER_G1)
    assert "volunteer group" in harness.last_text(WORKER_G1)


async def test_residents_help_does_not_mention_binding(harness):
    await harness.send(updates.text(RESIDENT, "/help"))
    assert "/bind" not in harness.last_text(RESIDENT)


# Each role's menu lists the staff commands it may use and none it would be refused.
ROLE_MENUS = [
    (PROPERTY, {"tasks", "callin", "merge"}, {"broadcast", "poll", "appraisal", "visits", "staff"}),
    (WORKER_G1, {"tasks", "callin", "broadcast", "poll", "appraisal"}, {"staff", "contact"}),
    (HEAD_G1, {"tasks", "broadcast", "contact", "appraisal"}, {"staff", "invite", "audit"}),
    (STREET, {"staff", "invite", "contact", "broadcast"}, {"audit"}),
    (ADMIN, {"staff", "invite", "audit", "contact", "broadcast", "callin"}, set()),
]


@pytest.mark.parametrize(
    ("user", "has", "lacks"), ROLE_MENUS, ids=lambda v: str(sorted(v) if isinstance(v, set) else v)
)
async def test_each_role_gets_the_commands_it_may_use(harness, user, has, lacks):
    await harness.send(updates.text(user, "/lang zh"))

    [(_, names)] = menus(harness, user)
    assert has <= set(names)
    assert not lacks & set(names)
    assert {"report", "grid", "mute", "unmute", "help"} <= set(names)  # a resident's, too


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_staff_help_names_every_staff_command_of_the_menu(harness, lang):
    await harness.send(updates.text(ADMIN, f"/lang {lang}"))
    await harness.send(updates.text(ADMIN, "/help"))
    shown = harness.last_text(ADMIN)
    missing = [f"/{name}" for name, _, who in COMMANDS if who and f"/{name}" not in shown]
    assert missing == []


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_department_s_help_names_its_own_commands_and_none_it_would_be_refused(
    harness, lang
):
    await harness.send(updates.text(PROPERTY, f"/lang {lang}"))
    await harness.send(updates.text(PROPERTY, "/help"))
    shown = harness.last_text(PROPERTY)
    partner = Role.PARTNER
    assert [f"/{n}" for n, _, who in COMMANDS if partner in who and f"/{n}" not in shown] == []
    refused = [f"/{n} " for n, _, who in COMMANDS if who and partner not in who]
    assert [name for name in refused if name in shown] == []
