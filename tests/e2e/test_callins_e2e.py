"""吹哨报到 on the real process, through chat: the holder calls in 城管 and 物业, they 报到 and
finish (a note, a photo), the holder resolves, the reporter verifies; and an overdue call-in
nags its party after the bot was down."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.callin_office import CITY, PROPERTY_CO, add_parties
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.e2e.test_downtime import sweeps_since_last_start
from tests.fakebotapi import FakeBotApi

RESIDENT = 5001
WORKER_G1 = 101  # 李网格, grid worker of 第一网格


async def a_report_held_by_the_worker(
    fake: FakeBotApi, griddesk: Griddesk, resident: Player, worker: Player
) -> int:
    """Registers the resident, files a report and has the grid worker accept it."""
    await register(resident)
    resident.send(resident.user.send_photo, "3号楼东侧垃圾桶满了三天没人清理")
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id: int = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (RESIDENT,)),
        what="the report stored",
    )
    await worker.tap(f"report:accept:{report_id}")
    await worker.wait_text("处置中")
    return report_id


async def test_two_parties_called_in_acknowledge_and_finish_then_the_case_closes(
    fake: FakeBotApi, tmp_path: Path
):
    griddesk = Griddesk(fake, tmp_path)
    add_parties(griddesk.config)
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    city = Player(fake, fake.user(CITY, "城管队员"))
    prop = Player(fake, fake.user(PROPERTY_CO, "物业管家"))
    try:
        await griddesk.start()
        for player in (worker, city, prop):
            player.send(player.user.send_text, "/start")
        report_id = await a_report_held_by_the_worker(fake, griddesk, resident, worker)

        # The holder opens the picker on the card, chooses 城管 and 物业, sends.
        await worker.tap(f"callin:pick:{report_id}")
        await worker.tap(f"callin:tog:{report_id}:cg")
        await worker.tap(f"callin:tog:{report_id}:wy")
        await worker.tap(f"callin:send:{report_id}")
        await worker.wait_text("城管、物业")
        await resident.wait_text("已吹哨：城管、物业")

        # Resolving now is refused: the parties have not finished.
        await worker.tap(f"report:resolve:{report_id}")
        await worker.wait_text("还有吹哨部门未完成")

        # Each party acknowledges on its card, then reports its part: a note, a photo.
        await city.tap("callin:ack:")
        await prop.tap("callin:ack:")
        await worker.wait_text("已就案件")
        await city.tap("callin:done:")
        await city.wait_text("照片")
        city.send(city.user.send_text, "垃圾已清运")
        await prop.tap("callin:done:")
        await prop.wait_text("照片")
        prop.send(prop.user.send_photo, "垃圾桶已更换")
        await griddesk.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM callins WHERE state = 'done'") == 2,
            what="both parts done",
        )
        await worker.wait_text("所有吹哨部门均已完成")

        # The holder resolves with an after-photo; the reporter confirms with five stars.
        await worker.tap(f"report:resolve:{report_id}")
        await worker.wait_text("照片")
        worker.send(worker.user.send_photo, "已清运，垃圾桶已更换")
        await resident.tap(f"report:solved:{report_id}")
        await resident.tap(f"report:stars:{report_id}:5")
        await griddesk.wait_db(
            lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == "closed",
            what="the report closed",
        )
    finally:
        await griddesk.close()
        print(griddesk.log_tail(200))

    kinds = [r["kind"] for r in griddesk.rows("SELECT kind FROM callin_events ORDER BY id")]
    assert sorted(kinds) == sorted(["called", "called", "acked", "acked", "done", "done"])
    # 首问责任制: the worker held the case throughout.
    assert griddesk.scalar("SELECT assignee_id FROM reports WHERE id = ?", (report_id,)) == 101


async def test_an_overdue_call_in_nags_its_party_once_after_the_bot_was_down(
    fake: FakeBotApi, tmp_path: Path
):
    griddesk = Griddesk(fake, tmp_path, sweep_interval=1)
    add_parties(griddesk.config)
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    city = Player(fake, fake.user(CITY, "城管队员"))
    try:
        await griddesk.start()
        for player in (worker, city):
            player.send(player.user.send_text, "/start")
        report_id = await a_report_held_by_the_worker(fake, griddesk, resident, worker)
        await worker.tap(f"callin:pick:{report_id}")
        await worker.tap(f"callin:tog:{report_id}:cg")
        await worker.tap(f"callin:send:{report_id}")
        await city.wait_text("报到")
        due_text = await griddesk.wait_db(
            lambda g: g.scalar("SELECT due_at FROM callins WHERE party = 'cg'"),
            what="the call-in stored",
        )
        # Down until just past the 报到 deadline (before the next step, 2 working hours on).
        offset = (datetime.fromisoformat(due_text) - datetime.now(UTC)).total_seconds() + 60
        await griddesk.stop()
        await griddesk.start(GRIDDESK_CLOCK_OFFSET=str(int(offset)))
        await city.wait_text("已超时", timeout=30)
        # More sweeps pass over (almost) the same moment: still one nag.
        await griddesk.wait_db(lambda g: sweeps_since_last_start(g) >= 3, what="more sweeps")
    finally:
        await griddesk.close()
        print(griddesk.log_tail(200))

    kinds = [r["kind"] for r in griddesk.rows("SELECT kind FROM callin_events ORDER BY id")]
    assert kinds == ["called", "nagged"]
