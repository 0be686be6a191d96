"""Issue 12 item 11 on the real process: a delivery rider registers in chat as a volunteer of the
mobile team (流动网格员), the community approves the card, the rider reports a problem on their
round, the grid worker resolves it, and the rider's /points shows the report points — once."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

RIDER = 5101
WORKER_G1 = 101  # 李网格, grid worker of 第一网格 (tests/data/config.toml)
COMMUNITY = 201  # 陈社区, staff of 春晖社区
MOBILE = """
[volunteers]
mobile_team = "mobile"
teams = [
    { code = "red", zh = "红色先锋", en = "Red Vanguard" },
    { code = "mobile", zh = "流动网格员", en = "Mobile grid members" },
]

[volunteers.points]
report = 4
"""


async def test_a_rider_registers_reports_and_earns_points_when_it_is_resolved(
    fake: FakeBotApi, tmp_path: Path
):
    griddesk = Griddesk(fake, tmp_path)
    griddesk.config.write_text(griddesk.config.read_text("utf-8") + MOBILE, "utf-8")
    rider = Player(fake, fake.user(RIDER, "王骑手"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    community = Player(fake, fake.user(COMMUNITY, "陈社区"))
    await griddesk.start()
    try:
        worker.send(worker.user.send_text, "/start")
        community.send(community.user.send_text, "/start")
        rider.send(rider.user.send_text, "/start")
        await rider.tap("place:pick:", label="第一网格")
        await rider.tap("place:pick:", label="1栋")

        rider.send(rider.user.send_text, "/volunteer")
        await rider.wait_text("姓名")
        rider.send(rider.user.send_text, "王骑手")
        await rider.wait_text("联系电话")
        rider.send(rider.user.send_text, "13700001111")
        await rider.tap("volreg:skill:errands")  # 跑腿代办
        await rider.tap("volreg:skills_done")
        await rider.tap("volreg:team:mobile", label="流动网格员")
        await rider.tap("volreg:avail:evening")
        await rider.tap("volreg:avail_done")
        await rider.tap("place:home:")
        await rider.tap("volreg:party:0")
        await rider.tap("volreg:submit")
        await community.tap(f"vol:ok:{RIDER}")
        await rider.wait_text("已通过")

        rider.send(rider.user.send_photo)
        await rider.wait_text("1")
        rider.send(rider.user.send_text, "送餐路上看到二号路口井盖松动了")
        await rider.tap("newreport:cat:", suffix=":road")
        await rider.tap("newreport:home:")
        await rider.tap("newreport:send:")
        report_id = await griddesk.wait_db(
            lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (RIDER,)),
            what="the rider's report stored",
        )
        await worker.tap(f"report:accept:{report_id}")
        await worker.tap(f"report:resolve:{report_id}")
        await worker.wait_text("照片")
        worker.send(worker.user.send_photo, "井盖已固定")
        await griddesk.wait_db(
            lambda g: (
                g.scalar(
                    "SELECT points FROM points_ledger WHERE volunteer_id = ? AND kind = 'report'",
                    (RIDER,),
                )
                == 4
            ),
            what="the rider's report points",
        )

        rider.send(rider.user.send_text, "/points")
        shown = await rider.wait_text("随手拍（流动网格员）")
        assert "+4" in shown
        assert (
            griddesk.scalar("SELECT COUNT(*) FROM points_ledger WHERE volunteer_id = ?", (RIDER,))
            == 1
        )
    finally:
        await griddesk.stop()
