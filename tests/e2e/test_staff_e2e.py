"""Staff who leave, on the real `griddesk run` process: /staff in chat re-routes a leaver's
case to the grid head and refuses their old button; a worker removed from the config file is
deactivated at the next start."""

from __future__ import annotations

import re

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

RESIDENT = 5001
WORKER_G1 = 101  # 李网格, grid worker of 第一网格 (tests/data/config.toml)
WORKER_G2 = 102  # 王网格, grid worker of 第二网格
HEAD_G1 = 103
ADMIN = 901


async def test_a_leavers_case_goes_to_the_grid_head_and_the_config_file_retires_staff(
    fake: FakeBotApi, griddesk: Griddesk
):
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    head = Player(fake, fake.user(HEAD_G1, "赵网格长"))
    admin = Player(fake, fake.user(ADMIN, "管理员"))
    await griddesk.start()
    for person in (worker, head, admin, resident):
        person.send(person.user.send_text, "/start")

    await resident.tap("place:pick:", label="第一网格")
    await resident.tap("place:pick:", label="1栋")
    resident.send(resident.user.send_album, 2)
    await resident.wait_text("2")
    resident.send(resident.user.send_text, "楼道里堆满了杂物，影响通行")
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE assignee_id = ?", (WORKER_G1,)),
        what="the report routed to the grid worker",
    )
    number = f"R{report_id:06d}"
    await worker.wait_text(number)

    # The admin deactivates the grid worker in chat.
    admin.send(admin.user.send_text, "/staff")
    await admin.tap(f"staff:show:{WORKER_G1}")
    await admin.tap(f"staff:off:{WORKER_G1}")
    await admin.tap(f"staff:offok:{WORKER_G1}")
    await griddesk.wait_db(
        lambda g: (
            g.scalar(
                "SELECT action FROM report_events WHERE report_id = ? ORDER BY id DESC LIMIT 1",
                (report_id,),
            )
            == "reassign"
        ),
        what="the report re-routed",
    )
    assert griddesk.scalar("SELECT active FROM staff WHERE user_id = ?", (WORKER_G1,)) == 0
    report = griddesk.rows("SELECT * FROM reports WHERE id = ?", (report_id,))[0]
    assert (report["status"], report["assignee_id"], report["holder_unit"]) == ("open", None, "G1")
    await resident.wait_text("调离")
    await head.tap(f"report:accept:{report_id}")  # the grid head's new card
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT assignee_id FROM reports WHERE id = ?", (report_id,)) == HEAD_G1,
        what="the grid head took the case",
    )

    # The leaver's old card lost its buttons; a forged press of one changes nothing.
    card = max(fake.chat(WORKER_G1).messages)
    worker.send(worker.user.press_on, card, f"report:resolve:{report_id}")
    await worker.wait_text("无权")
    assert griddesk.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == "accepted"

    # WORKER_G2 is taken out of the config file: the next start deactivates them.
    await griddesk.stop()
    text = griddesk.config.read_text(encoding="utf-8")
    text, removed = re.subn(
        r"\[\[staff\]\]\ntelegram_id = 102\n(?:[a-z_]+ = .*\n)+", "", text, count=1
    )
    assert removed == 1
    griddesk.config.write_text(text, encoding="utf-8")
    await griddesk.start()
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT active FROM staff WHERE user_id = ?", (WORKER_G2,)) == 0,
        what="the removed worker deactivated",
    )
    events = griddesk.rows(
        "SELECT action, actor_id, data FROM staff_events WHERE user_id = ? ORDER BY id",
        (WORKER_G2,),
    )
    assert [(e["action"], e["actor_id"], e["data"]) for e in events] == [
        ("deactivate", None, '{"reason": "config"}')
    ]
    assert fake.violations == []
