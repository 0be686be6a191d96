"""核实 and 复查 end to end on the real process: a category requiring both is checked on site by
the grid worker, resolved, failed and then passed on review by the grid head (the worker's own
forged review refused), and closed by the resident; a second report is "not a problem"; a third,
left unchecked while the bot is down, is dispatched unverified exactly once after the restart."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.fakebotapi import FakeBotApi

RESIDENT = 5001
WORKER_G1, HEAD_G1 = 101, 103  # 第一网格's grid worker and grid head (tests/data/config.toml)
THREE_DAYS = str(3 * 24 * 3600)


async def report(griddesk: Griddesk, player: Player, text: str, after: int) -> int:
    """Photo, description, 环境卫生, the registered place, send; returns the new report's id."""
    player.send(player.user.send_photo)
    await player.wait_text("描述")
    player.send(player.user.send_text, text)
    await player.tap("newreport:cat:", suffix=":litter")
    await player.tap("newreport:home:")
    await player.wait_text("请核对")
    await player.tap("newreport:send:")
    found: int = await griddesk.wait_db(
        lambda g: g.scalar("SELECT MAX(id) FROM reports WHERE id > ?", (after,)),
        what="the report stored",
    )
    return found


def status(griddesk: Griddesk, report_id: int) -> str:
    return str(griddesk.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)))


async def test_check_review_not_a_problem_and_a_lapsed_check_through_chat(
    fake: FakeBotApi, tmp_path: Path
):
    griddesk = Griddesk(fake, tmp_path, sweep_interval=1)
    config = griddesk.config.read_text(encoding="utf-8")
    marked = config.replace(
        'en = "Litter and sanitation"\n',
        'en = "Litter and sanitation"\nverify = true\nreview = true\n',
    )
    assert marked != config
    griddesk.config.write_text(marked + '\n[deadlines]\ncheck_within = "1h"\n', encoding="utf-8")
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    head = Player(fake, fake.user(HEAD_G1, "王网格长"))
    try:
        await griddesk.start()
        worker.send(worker.user.send_text, "/start")
        head.send(head.user.send_text, "/start")
        await register(resident)

        # 核实: the report waits; the grid worker confirms it on site and it is dispatched.
        first = await report(griddesk, resident, "楼道里堆满了杂物", 0)
        await resident.wait_text("现场核实")
        assert status(griddesk, first) == "checking"
        await worker.tap(f"check:ok:{first}")
        await resident.wait_text("现场核实属实")
        await worker.tap(f"report:accept:{first}")
        await worker.tap(f"report:resolve:{first}")
        worker.send(worker.user.send_photo, "已清理")
        await worker.wait_text("待复查通过后")
        assert status(griddesk, first) == "reviewing"

        # 复查: the grid head fails it with a note; the worker handles it again.
        await head.tap(f"review:no:{first}")
        await head.wait_text("复查意见")
        head.send(head.user.send_text, "楼梯口还有杂物")
        await worker.wait_text("楼梯口还有杂物")
        await worker.tap(f"report:resolve:{first}")
        worker.send(worker.user.send_photo, "都清走了")
        await worker.wait_text("待复查通过后")
        # The worker's own review, forged on their card, is refused; the head passes it.
        card = max(m for m in fake.chat(WORKER_G1).messages)
        worker.send(worker.user.press_on, card, f"review:ok:{first}")
        await worker.wait_text("复查须由其他人员进行")
        # The head's card shows the review buttons again; when its text is the same as the first
        # review's (the same due minute) the edit is "not modified", so no newer button appears.
        await fake.wait_for(
            lambda: f"review:ok:{first}" in head.user.buttons(), what="the review card again"
        )
        head.send(head.user.press, f"review:ok:{first}")
        await resident.tap(f"report:solved:{first}")
        await resident.tap(f"report:stars:{first}:5")
        await griddesk.wait_db(lambda g: status(g, first) == "closed", what="closed")
        events = griddesk.rows(
            "SELECT action, actor_id FROM report_events WHERE report_id = ? ORDER BY id", (first,)
        )
        assert [(e["action"], e["actor_id"]) for e in events] == [
            ("submit", RESIDENT),
            ("check_confirm", WORKER_G1),
            ("accept", WORKER_G1),
            ("resolve", WORKER_G1),
            ("review_fail", HEAD_G1),
            ("resolve", WORKER_G1),
            ("review_pass", HEAD_G1),
            ("confirm", RESIDENT),
        ]

        # Not a problem: the worker says why; the resident is thanked and told.
        second = await report(griddesk, resident, "门口有纸箱", first)
        await worker.tap(f"check:no:{second}")
        await worker.wait_text("为什么不是问题")
        worker.send(worker.user.send_text, "纸箱是住户搬家暂放，已搬走")
        await resident.wait_text("感谢您的反映")
        assert status(griddesk, second) == "rejected"

        # Nobody checks the third before the bot goes down for three days: dispatched once.
        third = await report(griddesk, resident, "花坛里有碎玻璃", second)
        await resident.wait_text("现场核实")
        await griddesk.stop()
        await griddesk.start(GRIDDESK_CLOCK_OFFSET=THREE_DAYS)
        await worker.wait_text("未经核实直接派单")
        await griddesk.wait_db(lambda g: status(g, third) == "open", what="dispatched")
        await griddesk.wait_db(
            lambda g: (
                g.log_path.read_text(errors="replace")
                .rsplit("===== start", 1)[-1]
                .count('Job "sweeps')
                >= 2
            ),
            what="two more sweeps",
        )
        actions = griddesk.rows(
            "SELECT action FROM report_events WHERE report_id = ? ORDER BY id", (third,)
        )
        assert [a["action"] for a in actions] == ["submit", "check_lapse"]
        assert griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE state != 'done'") == 0
        assert fake.violations == []
    finally:
        await griddesk.close()
