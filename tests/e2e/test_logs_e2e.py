"""Issue 7.10 end to end: the real process at --log-level DEBUG logs no token, phone, name or
message text, while a resident registers with a phone and files a report."""

from __future__ import annotations

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.fakebotapi import FakeBotApi

RESIDENT = 5001
WORKER_G1 = 101
TOKEN = "123456:TEST-TOKEN"  # tests/data/config.toml
NAME = "Zebediah 欧阳娜娜"
PHONE = "13987654321"
DESCRIPTION = "Quixotic streetlamp 北门路灯闪烁不停 near Flat 7"


async def test_a_debug_log_holds_no_token_phone_name_or_text(fake: FakeBotApi, griddesk: Griddesk):
    griddesk.extra_args = ["--log-level", "DEBUG"]
    resident = Player(fake, fake.user(RESIDENT, NAME))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")
    await register(resident)
    resident.send(resident.user.send_text, "/me")
    await resident.tap("me:phone")
    resident.send(resident.user.send_contact, PHONE)
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT phone FROM people WHERE user_id = ?", (RESIDENT,)),
        what="the phone stored",
    )

    resident.send(resident.user.send_photo, DESCRIPTION)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT description FROM reports") == DESCRIPTION,
        what="the report stored",
    )
    await fake.wait_for(
        lambda: any(DESCRIPTION in str(m.get("text")) for m in fake.bot_messages(WORKER_G1)),
        what="the worker's card",
    )
    assert await griddesk.stop() == 0

    log = griddesk.log_path.read_text(encoding="utf-8")
    # DEBUG was really on, for the libraries that dump content at DEBUG
    signs = ["DEBUG telegram", "httpx: HTTP Request", "Calling Bot API endpoint"]
    if not griddesk.url:  # SQLite's driver logs statements at DEBUG; psycopg logs none
        signs.append("DEBUG aiosqlite")
    for sign in signs:
        assert sign in log, sign
    # the phone's head and tail too (a masked or cut phone still leaks); not 4 digits alone,
    # which a port, a pid or a timing in a DEBUG line can hold by chance
    secrets = [TOKEN, "TEST-TOKEN", PHONE, PHONE[:7], PHONE[-7:], "Zebediah", "欧阳", "娜娜"]
    secrets += ["Quixotic", "streetlamp", "路灯", "闪烁", "Flat 7"]
    assert [s for s in secrets if s in log] == []
