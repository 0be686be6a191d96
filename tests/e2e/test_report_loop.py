"""Issue A's "done when", end to end on the real process: register, report with an album, accept,
resolve with an after-photo, confirm with five stars; the database holds the whole history."""

from __future__ import annotations

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

RESIDENT = 5001
WORKER_G1 = 101  # 李网格, grid worker of 第一网格 (tests/data/config.toml)
DESCRIPTION = "3号楼东侧垃圾桶满了三天没人清理"


async def test_a_resident_report_is_resolved_confirmed_and_closed_with_its_full_history(
    fake: FakeBotApi, griddesk: Griddesk
):
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")  # staff must have started the bot
    resident.send(resident.user.send_text, "/start")

    # Registration: walk the tree down to 1栋 (single-child levels are skipped).
    await resident.tap("place:pick:", label="第一网格")
    await resident.tap("place:pick:", label="1栋")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT unit FROM people WHERE user_id = ?", (RESIDENT,)) == "B1",
        what="the resident registered at 1栋",
    )

    # 随手拍: an album of two photos, a description, the category, the registered place, submit.
    resident.send(resident.user.send_album, 2)
    await resident.wait_text("2")  # one prompt for the album once it has settled
    resident.send(resident.user.send_text, DESCRIPTION)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (RESIDENT,)),
        what="the report stored",
    )
    number = f"R{report_id:06d}"
    await resident.wait_text(number)  # the case number and status card reach the resident

    # The grid worker accepts, then resolves with an after-photo whose caption is the note.
    await worker.tap(f"report:accept:{report_id}")
    card = await worker.wait_text("处置中")  # the worker's own card, edited in place
    assert number in card and "待接单" not in card
    await worker.tap(f"report:resolve:{report_id}")
    await worker.wait_text(number)
    worker.send(worker.user.send_photo, "已清运，垃圾桶已清洗")

    # The reporter confirms it is solved and gives five stars.
    await resident.tap(f"report:solved:{report_id}")
    await resident.tap(f"report:stars:{report_id}:5")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == "closed",
        what="the report closed",
    )
    await resident.tap(f"report:nocomment:{report_id}")

    report = griddesk.rows("SELECT * FROM reports WHERE id = ?", (report_id,))[0]
    assert (report["status"], report["stars"], report["unit"]) == ("closed", 5, "B1")
    assert report["assignee_id"] == WORKER_G1
    assert report["resolution_photo"]
    assert griddesk.scalar("SELECT COUNT(*) FROM report_photos WHERE report_id = ?", (report_id,))
    photos = griddesk.rows("SELECT file_id FROM report_photos WHERE report_id = ?", (report_id,))
    assert len(photos) == 2 and all(p["file_id"] in fake.files for p in photos)
    events = griddesk.rows(
        "SELECT action, old, new, actor_id FROM report_events WHERE report_id = ? ORDER BY id",
        (report_id,),
    )
    assert [(e["action"], e["old"], e["new"], e["actor_id"]) for e in events] == [
        ("submit", None, "open", RESIDENT),
        ("accept", "open", "accepted", WORKER_G1),
        ("resolve", "accepted", "resolved", WORKER_G1),
        ("confirm", "resolved", "closed", RESIDENT),
    ]
    assert griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE state != 'done'") == 0
    assert fake.violations == []
