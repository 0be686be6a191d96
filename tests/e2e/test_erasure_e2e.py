"""Issue 7's erasure, end to end on the real process: a resident who consented to share their
location, gave a phone and filed a report erases everything through the chat; afterwards no
table of the database and no line of the log holds their id, name, phone or text."""

from __future__ import annotations

import re

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

RESIDENT = 5001
WORKER_G1 = 101
NAME = "王秀英"
PHONE = "13812345678"
DESCRIPTION = "小区北门的井盖松动了很危险"


def leftovers(griddesk: Griddesk, strings: tuple[str, ...]) -> list[str]:
    """Returns every row of every table that holds RESIDENT's id as a number or a string."""
    found = []
    for table in griddesk.tables():
        for row in griddesk.rows(f'SELECT * FROM "{table}"'):
            text = "|".join("" if isinstance(v, bytes) else str(v) for v in tuple(row))
            if re.search(rf"(?<!\d){RESIDENT}(?!\d)", text) or any(s in text for s in strings):
                found.append(f"{table}: {text}")
    return found


async def test_a_resident_erases_their_data_through_the_chat(fake: FakeBotApi, griddesk: Griddesk):
    resident = Player(fake, fake.user(RESIDENT, NAME))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")
    resident.send(resident.user.send_text, "/start")
    await resident.wait_text("/delete_my_data")  # the privacy notice comes with the greeting

    # Registration by location, after its own consent; then a phone.
    await resident.tap("place:gps:")
    await resident.tap("consent:yes:")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT given_at FROM consents WHERE user_id = ?", (RESIDENT,)),
        what="the location consent recorded",
    )
    resident.send(resident.user.send_location, 30.6011, 114.3009)
    await resident.tap("place:yes:")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT unit FROM people WHERE user_id = ?", (RESIDENT,)) == "B2",
        what="the resident registered at 2栋",
    )
    resident.send(resident.user.send_text, "/me")
    await resident.tap("me:phone")
    resident.send(resident.user.send_contact, PHONE)
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT phone FROM people WHERE user_id = ?", (RESIDENT,)) == PHONE,
        what="the phone saved",
    )

    # A report with a photo; its worker card (with name and phone) goes to the grid worker.
    resident.send(resident.user.send_photo, DESCRIPTION)
    await resident.tap("newreport:cat:", suffix=":road")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (RESIDENT,)),
        what="the report stored",
    )
    await worker.wait_text(PHONE)
    photo = griddesk.scalar("SELECT file_id FROM report_photos WHERE report_id = ?", (report_id,))
    strings = (NAME, PHONE, DESCRIPTION, photo)
    assert len(leftovers(griddesk, strings)) > 10

    # Erasure through the chat: asked, confirmed, answered.
    resident.send(resident.user.send_text, "/delete_my_data")
    await resident.wait_text("确认后将删除")
    query = resident.user.press("privacy:erase:")
    query_id = query["callback_query"]["id"]
    answer = await fake.wait_for(
        lambda: fake.callback_queries[query_id].get("answer"), what="the erasure answered"
    )
    assert "已全部删除" in answer

    assert leftovers(griddesk, strings) == []
    report = griddesk.rows("SELECT * FROM reports WHERE id = ?", (report_id,))[0]
    assert (report["category"], report["unit"], report["status"]) == ("road", "B2", "open")
    log = griddesk.log_path.read_text(errors="replace")
    assert PHONE not in log and DESCRIPTION not in log and NAME not in log
    assert fake.violations == []
