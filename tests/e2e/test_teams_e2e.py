"""1+1+1+N grid teams on the real `griddesk run` process: a report placed in an entrance is shown
to its building and entrance heads (without the reporter), the monthly report is reminded, sent
in chat through the reminder's button, and after the grace the grid head gets the missing list
once; /building shows the team. The process runs at a chosen moment (GRIDDESK_CLOCK_OFFSET)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi
from tests.usecases.test_teams import BUILDING_HEAD, ENTRANCE_HEAD, PART_TIMER, TEAM

RESIDENT = 5001
WORKER_G1 = 101
HEAD_G1 = 103  # 赵网格长
COMMUNITY = 201
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTHLY = "\n[teams]\nreport_day = 10\nreport_hour = 9\ngrace_days = 2\n"


def offset_to(day: int, hour: int, minute: int) -> str:
    """Returns the GRIDDESK_CLOCK_OFFSET (seconds) that puts the bot at DAY HOUR:MINUTE (local)
    of next month."""
    now = datetime.now(UTC)
    local = now.astimezone(SHANGHAI)
    first = (local.replace(day=1) + timedelta(days=32)).replace(day=day)
    target = first.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return str((target - now).total_seconds())


async def test_heads_are_told_the_monthly_report_is_sent_and_the_missing_go_to_the_grid_head(
    fake: FakeBotApi, griddesk: Griddesk
):
    config = griddesk.config
    text = config.read_text(encoding="utf-8").replace("sweep_interval = 30", "sweep_interval = 1")
    config.write_text(text + TEAM + MONTHLY, encoding="utf-8")
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    building = Player(fake, fake.user(BUILDING_HEAD, "楼长钱"))
    entrance = Player(fake, fake.user(ENTRANCE_HEAD, "单元长孙"))
    part_timer = Player(fake, fake.user(PART_TIMER, "兼职周"))
    head = Player(fake, fake.user(HEAD_G1, "赵网格长"))
    community = Player(fake, fake.user(COMMUNITY, "陈社区"))
    await griddesk.start(GRIDDESK_CLOCK_OFFSET=offset_to(10, 9, 1))
    for person in (worker, building, entrance, part_timer, head, community, resident):
        person.send(person.user.send_text, "/start")

    # The reminder of the monthly report reaches every helper once (report_day 9:00).
    for helper in (building, entrance, part_timer):
        await helper.wait_text("工作月汇报")

    # A resident of 1栋 1单元 reports: the heads get a card without the reporter's name.
    await resident.tap("place:pick:", label="第一网格")
    await resident.tap("place:pick:", label="1栋")
    await resident.tap("place:pick:", label="1单元")
    resident.send(resident.user.send_album, 1)
    await resident.wait_text("1")
    resident.send(resident.user.send_text, "楼道里堆满了杂物，影响通行")
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE assignee_id = ?", (WORKER_G1,)),
        what="the report routed to the full-time grid worker",
    )
    number = f"R{report_id:06d}"
    for informed in (building, entrance):
        card = await informed.wait_text(number)
        assert "楼道里堆满了杂物" in card and "张三" not in card
    await worker.wait_text(number)

    # The building head answers through the reminder's button; a bad number is asked again.
    await building.tap("teamrep:start")
    await building.wait_text("1/4")
    building.send(building.user.send_text, "十二")
    await building.wait_text("整数")
    building.send(building.user.send_text, "12")
    await building.wait_text("2/4")
    building.send(building.user.send_text, "楼道堆物一处，已上报")
    await building.wait_text("3/4")
    building.send(building.user.send_text, "0")
    await building.wait_text("4/4")
    building.send(building.user.send_text, "无")
    await building.wait_text("已提交")
    await griddesk.wait_db(
        lambda g: (
            g.scalar(
                "SELECT COUNT(*) FROM team_reports WHERE user_id = ? AND sent_at IS NOT NULL",
                (BUILDING_HEAD,),
            )
            == 1
        ),
        what="the monthly report stored",
    )

    # Community staff see the building's team.
    community.send(community.user.send_text, "/building B1")
    team = await community.wait_text("楼栋长")
    assert "楼长钱" in team and "单元长孙" in team and "兼职周" in team
    await griddesk.stop()

    # Two days later (the grace): the grid head gets one list of who is still missing.
    await griddesk.start(GRIDDESK_CLOCK_OFFSET=offset_to(12, 9, 1))
    listed = await head.wait_text("未提交")
    assert "单元长孙" in listed and "兼职周" in listed and "楼长钱" not in listed
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT COUNT(*) FROM team_digests") == 1, what="the list claimed"
    )
    head.send(head.user.send_text, "/teamreports")
    reports = await head.wait_text("工作月汇报")
    assert "楼长钱" in reports and "楼道堆物一处" in reports
    assert await griddesk.stop() == 0
    assert (
        griddesk.scalar(
            "SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND payload LIKE '%teamrep:start%'",
            (PART_TIMER,),
        )
        == 1
    )  # reminded once, across the restart
