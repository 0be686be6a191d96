"""并单 end to end on the real process: two residents report the same problem — the second taps
"me too" — the worker resolves and both are told and asked to verify; a staff merge; a 退单 that
needs the tier above's approval."""

from __future__ import annotations

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.fakebotapi import FakeBotApi

RESIDENT, NEIGHBOUR = 5001, 5002
WORKER_G1, COMMUNITY = 101, 201  # 李网格 of 第一网格, 陈社区 of 春晖社区 (tests/data/config.toml)


async def report(player: Player, text: str, category: str, *, expect_offer: bool = False) -> None:
    """Photo, description, category, the registered place; stops at the offer or the summary."""
    player.send(player.user.send_photo)
    await player.wait_text("描述")
    player.send(player.user.send_text, text)
    await player.tap("newreport:cat:", suffix=f":{category}")
    await player.tap("newreport:home:")
    await player.wait_text("是其中之一吗" if expect_offer else "请核对")


async def test_me_too_a_staff_merge_and_a_reject_that_needs_approval(
    fake: FakeBotApi, griddesk: Griddesk
):
    config = griddesk.config.read_text(encoding="utf-8")
    griddesk.config.write_text(  # 道路设施: its 退单 needs the tier above
        config.replace(
            'en = "Roads and facilities"\n',
            'en = "Roads and facilities"\nreject_needs_approval = true\n',
        ),
        encoding="utf-8",
    )
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    neighbour = Player(fake, fake.user(NEIGHBOUR, "李四"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    community = Player(fake, fake.user(COMMUNITY, "陈社区"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")
    community.send(community.user.send_text, "/start")
    await register(resident)
    await register(neighbour)
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT COUNT(*) FROM people WHERE unit = 'B1'") == 2,
        what="both residents registered at 1栋",
    )

    # The first resident reports; the second reports the same and is offered it: 👍 me too.
    await report(resident, "1栋门口垃圾堆了三天", "litter")
    await resident.tap("newreport:send:")
    first = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (RESIDENT,)),
        what="the first report stored",
    )
    number = f"R{first:06d}"
    await report(neighbour, "门口垃圾没人清", "litter", expect_offer=True)
    offer = fake.chat(NEIGHBOUR).messages
    assert not any("1栋门口垃圾堆了三天" in str(m.get("text")) for m in offer.values())
    await neighbour.tap("newreport:metoo:", suffix=f":{first}")
    await neighbour.wait_text("已关注案件")
    assert griddesk.scalar("SELECT COUNT(*) FROM reports") == 1
    assert griddesk.rows("SELECT user_id, via FROM report_followers")[0][:] == (NEIGHBOUR, "me_too")

    # The worker accepts and resolves; both are told and asked to verify.
    await worker.tap(f"report:accept:{first}")
    await neighbour.wait_text("接单")
    await worker.tap(f"report:resolve:{first}")
    await worker.wait_text(number)
    worker.send(worker.user.send_photo, "已清运，地面已冲洗")
    await neighbour.tap(f"follow:solved:{first}")
    await neighbour.tap(f"follow:stars:{first}:4")
    await resident.tap(f"report:solved:{first}")
    await resident.tap(f"report:stars:{first}:5")
    await neighbour.wait_text("您关注的案件")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (first,)) == "closed",
        what="the report closed by its reporter",
    )
    assert griddesk.scalar("SELECT stars FROM report_followers WHERE report_id = ?", (first,)) == 4

    # Two new reports of the same problem (nothing open to offer): the worker merges them.
    await report(resident, "路灯下又有垃圾", "litter")
    await resident.tap("newreport:send:")
    await report(neighbour, "路灯旁边有垃圾", "litter", expect_offer=True)
    await neighbour.tap("newreport:new:")
    await neighbour.tap("newreport:send:")
    survivor, duplicate = await griddesk.wait_db(
        lambda g: (
            tuple(r[0] for r in g.rows("SELECT id FROM reports WHERE id > ?", (first,)))
            if g.scalar("SELECT COUNT(*) FROM reports") == 3
            else None
        ),
        what="two more reports",
    )
    await worker.tap(f"merge:pick:{duplicate}")
    await worker.tap(f"merge:into:{duplicate}:{survivor}")
    await neighbour.wait_text("合并办理")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (duplicate,)) == "merged",
        what="the duplicate merged",
    )
    assert (
        griddesk.scalar(
            "SELECT via FROM report_followers WHERE report_id = ? AND user_id = ?",
            (survivor, NEIGHBOUR),
        )
        == "merge"
    )

    # A 退单 of a marked category goes to the community, who approves it.
    await report(resident, "人行道砖松动", "road")
    await resident.tap("newreport:send:")
    road = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE category = 'road'"), what="road report"
    )
    await worker.tap(f"report:reject:{road}")
    await worker.tap(f"report:reject_reason:{road}:not_ours")
    await worker.wait_text("上级批准")
    worker.send(worker.user.send_text, "人行道归市政管")
    await community.tap(f"rejreq:ok:{road}:1")
    await resident.wait_text("已退回")
    events = griddesk.rows(
        "SELECT action, actor_id FROM report_events WHERE report_id = ? ORDER BY id", (road,)
    )
    assert [(e["action"], e["actor_id"]) for e in events] == [
        ("submit", RESIDENT),
        ("ask_reject", WORKER_G1),
        ("reject", COMMUNITY),
    ]
    assert griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE state != 'done'") == 0
    assert fake.violations == []
