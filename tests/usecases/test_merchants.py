"""bot/usecases/merchants.py on a real SQLite file, no Application: registering (a place outside
every grid refused), the grid's staff deciding, the cadence sweep (checklist, reminders, missed
checks told once in one message), and a submitted check whose failed items become reports routed
the usual way, in one commit, once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.merchants import Answer, Merchant, Stage
from bot.services import Services
from bot.usecases import merchants
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1, WORKER_G2
from tests.merchants_config import add_merchants
from tests.usecases.support import refusals, sent_to

HEAD_G1 = 103


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return add_merchants(config_path)


async def count(services: Services, sql: str) -> int:
    row = await services.store.db.fetchone(sql)
    assert row is not None
    return int(row[0])


async def registered(services: Services, owner: int, name: str, unit: str = "B1") -> Merchant:
    await services.people.touch(owner, "店主", "zh", services.clock())
    shop = Merchant(owner_id=owner, name=name, kind="food", unit=unit, phone="13800000000")
    done = await merchants.register(
        services, shop, by=owner, at=services.clock(), card=f"mreg:{owner}"
    )
    assert isinstance(done, Done)
    return done.value


async def approved(services: Services, owner: int, name: str) -> Merchant:
    shop = await registered(services, owner, name)
    done = await merchants.decide(
        services, shop.id, by=WORKER_G1, at=services.clock(), approve=True
    )
    assert isinstance(done, Done)
    return done.value


async def test_a_shop_outside_every_grid_is_refused_and_nothing_is_stored(services: Services):
    shop = Merchant(owner_id=RESIDENT, name="老王面馆", kind="food", unit="C1")
    refused = await merchants.register(services, shop, by=RESIDENT, at=services.clock(), card="c")
    assert refused == Refused("merchant.outside")
    assert await count(services, "SELECT COUNT(*) FROM merchants") == 0
    assert await sent_to(services, WORKER_G1) == []


async def test_the_grid_decides_once_and_approval_sends_the_checklist_on_the_next_sweep(
    services: Services,
):
    await services.store.drafts.put(Draft(RESIDENT, "merchant", "confirm", {}), services.clock())
    shop = await registered(services, RESIDENT, "老王面馆")
    assert await services.store.drafts.get(RESIDENT) is None
    keys = [row[0] for row in await services.store.db.fetchall("SELECT key FROM cards")]
    assert keys.count("merchant:1:decide") == 2
    for staff in (WORKER_G1, HEAD_G1):
        assert "merch:ok:1" in (await sent_to(services, staff))[-1]
    assert await sent_to(services, COMMUNITY) == []  # the grid has staff of its own

    other = await merchants.decide(
        services, shop.id, by=WORKER_G2, at=services.clock(), approve=True
    )
    assert other == Refused("common.not_allowed", rule=other.rule)  # type: ignore[union-attr]
    assert (WORKER_G2, "merch:ok", "merchant_manage", "merchant:1") in await refusals(services)

    assert isinstance(
        await merchants.decide(services, 1, by=WORKER_G1, at=services.clock(), approve=True), Done
    )
    again = await merchants.decide(services, 1, by=HEAD_G1, at=services.clock(), approve=False)
    assert again == Refused("merchant.already_decided")
    assert "通过审核" in (await sent_to(services, RESIDENT))[-1]

    assert await merchants.sweep(services, services.clock()) == 1
    assert "mchk:go:1:2026-11-23" in (await sent_to(services, RESIDENT))[-1]
    assert await merchants.sweep(services, services.clock()) == 0  # once


async def test_a_registration_may_be_redone_while_pending_but_not_once_approved(
    services: Services,
):
    await registered(services, RESIDENT, "老王面馆")
    again = await registered(services, RESIDENT, "老王面馆（新店）")
    assert again.id == 1 and again.name == "老王面馆（新店）"
    await merchants.decide(services, 1, by=WORKER_G1, at=services.clock(), approve=True)
    shop = Merchant(owner_id=RESIDENT, name="第三次", kind="food", unit="B1")
    refused = await merchants.register(services, shop, by=RESIDENT, at=services.clock(), card="c")
    assert refused == Refused("merchant.already_registered")
    assert (await services.store.merchants.get(1)).name == "老王面馆（新店）"  # type: ignore[union-attr]


ANSWERS = [
    Answer("exits", False, note="后门被纸箱堵住"),
    Answer("extinguisher", True, photo="photo-ext"),
    Answer("gas", False, note="闻到燃气味"),
]


async def test_a_check_opens_one_report_per_failed_item_routed_to_the_grid_in_one_commit_once(
    services: Services,
):
    await approved(services, RESIDENT, "老王面馆")
    await merchants.sweep(services, services.clock())
    done = await merchants.submit_check(
        services, 1, "2026-11-23", ANSWERS, by=RESIDENT, at=services.clock()
    )
    assert isinstance(done, Done)
    assert done.value.numbers == ["R000001", "R000002"]
    rows = await services.store.db.fetchall(
        "SELECT category, unit, holder_unit, reporter_id, description FROM reports ORDER BY id"
    )
    assert [tuple(r)[:4] for r in rows] == [("safety", "B1", "G1", RESIDENT)] * 2
    assert "老王面馆" in rows[0][4] and "后门被纸箱堵住" in rows[0][4]
    items = await services.store.merchants.check_items(1, "2026-11-23")
    assert [(a.code, a.ok, a.report_id) for a in items] == [
        ("exits", False, 1),
        ("extinguisher", True, None),
        ("gas", False, 2),
    ]
    shop = await services.store.merchants.get(1)
    assert shop is not None and shop.stage is Stage.DONE and shop.last_failed == 2
    assert "R000001、R000002" in (await sent_to(services, RESIDENT))[-1]
    assert any("R000001" in text for text in await sent_to(services, WORKER_G1))  # routed

    twice = await merchants.submit_check(
        services, 1, "2026-11-23", ANSWERS, by=RESIDENT, at=services.clock()
    )
    assert twice == Refused("merchant.already_submitted")
    assert await count(services, "SELECT COUNT(*) FROM reports") == 2
    assert await count(services, "SELECT COUNT(*) FROM merchant_checks") == 1


async def test_an_incomplete_check_or_someone_elses_is_refused_and_leaves_nothing(
    services: Services,
):
    await approved(services, RESIDENT, "老王面馆")
    await merchants.sweep(services, services.clock())
    no_photo = [ANSWERS[0], Answer("extinguisher", True), ANSWERS[2]]
    refused = await merchants.submit_check(
        services, 1, "2026-11-23", no_photo, by=RESIDENT, at=services.clock()
    )
    assert refused == Refused("merchant.check_changed")
    forged = await merchants.submit_check(
        services, 1, "2026-11-23", ANSWERS, by=WORKER_G2, at=services.clock()
    )
    assert isinstance(forged, Refused) and forged.key == "common.not_allowed"
    old = await merchants.submit_check(
        services, 1, "2026-11-16", ANSWERS, by=RESIDENT, at=services.clock()
    )
    assert old == Refused("merchant.check_expired")
    assert await count(services, "SELECT COUNT(*) FROM reports") == 0
    assert await count(services, "SELECT COUNT(*) FROM merchant_checks") == 0


async def test_missed_checks_are_reminded_then_listed_to_the_grid_worker_once(
    services: Services,
):
    for owner, name in ((5101, "甲便利店"), (5102, "乙面馆"), (5103, "丙五金")):
        await approved(services, owner, name)
    start = services.clock()
    assert await merchants.sweep(services, start) == 3  # the checklists
    assert await merchants.sweep(services, start + timedelta(hours=25)) == 3  # reminder 1
    assert "提醒" in (await sent_to(services, 5101))[-1]
    before = len(await sent_to(services, WORKER_G1))
    # down from the second day: reminder 2 and the grace pass unseen; one step each, once
    assert await merchants.sweep(services, start + timedelta(hours=80)) == 3
    told = (await sent_to(services, WORKER_G1))[before:]
    assert len(told) == 1 and all(name in told[0] for name in ("甲便利店", "乙面馆", "丙五金"))
    assert "13800000000" in told[0]  # staff see the contact phone
    assert not any("逾期" in text for text in await sent_to(services, HEAD_G1))  # one message
    assert len(await sent_to(services, 5101)) == 4  # card, approval, checklist, one reminder
    assert await merchants.sweep(services, start + timedelta(hours=90)) == 0
    assert len(await sent_to(services, WORKER_G1)) == before + 1
    shop = await services.store.merchants.get(1)
    assert shop is not None and shop.stage is Stage.MISSED
    # a late check still counts
    late = await merchants.submit_check(
        services,
        1,
        "2026-11-23",
        ANSWERS[1:2] and [Answer("exits", True), *ANSWERS[1:2], Answer("gas", True)],
        by=5101,
        at=start + timedelta(hours=91),
    )
    assert isinstance(late, Done) and late.value.numbers == []


async def test_staff_list_their_area_pending_first_and_deactivate_once(services: Services):
    await approved(services, 5101, "甲便利店")
    await registered(services, 5102, "乙面馆")
    page = await merchants.listing(services, by=WORKER_G1, at=services.clock(), page=0)
    assert isinstance(page, Done)
    assert [m.name for m in page.value.merchants] == ["乙面馆", "甲便利店"]
    elsewhere = await merchants.listing(services, by=WORKER_G2, at=services.clock(), page=0)
    assert isinstance(elsewhere, Done) and elsewhere.value.total == 0
    resident = await merchants.listing(services, by=RESIDENT, at=services.clock(), page=0)
    assert isinstance(resident, Refused) and resident.key == "merchant.staff_only"

    assert isinstance(
        await merchants.deactivate(services, 1, by=WORKER_G1, at=services.clock()), Done
    )
    again = await merchants.deactivate(services, 1, by=WORKER_G1, at=services.clock())
    assert again == Refused("merchant.already_inactive", {"name": "甲便利店"})
    assert "停用" in (await sent_to(services, 5101))[-1]
    assert await merchants.sweep(services, services.clock()) == 0  # no checklist once stopped


async def test_a_long_list_of_missed_checks_names_fifteen_and_counts_the_rest(services: Services):
    from bot.domain.people import Role, Staff
    from bot.notices.merchants import missed_message

    shops = [
        Merchant(owner_id=i, name=f"店{i:02d}", kind="food", unit="B1", id=i) for i in range(17)
    ]
    worker = Staff(WORKER_G1, "李网格", Role.GRID_WORKER, "G1")
    message = missed_message(services, worker, "zh", shops, await services.units.tree())
    text = message.params["text"]
    assert "店14" in text and "店15" not in text and "另有 2 家" in text
    assert len(text) < 4096


async def test_a_reminder_landing_mid_submission_rolls_the_attempt_back_and_it_is_retried(
    services: Services, monkeypatch: pytest.MonkeyPatch
):
    from dataclasses import replace as changed

    await approved(services, RESIDENT, "老王面馆")
    await merchants.sweep(services, services.clock())
    store_check = merchants._store_check
    calls = []

    async def reminded_first(services, before, *args):  # type: ignore[no-untyped-def]
        calls.append(before.version)
        if len(calls) == 1:  # the sweep moves the shop on between the read and the write
            await services.store.merchants.save(
                before, changed(before, reminders=1), services.clock()
            )
        return await store_check(services, before, *args)

    monkeypatch.setattr(merchants, "_store_check", reminded_first)
    done = await merchants.submit_check(
        services, 1, "2026-11-23", ANSWERS, by=RESIDENT, at=services.clock()
    )
    assert isinstance(done, Done) and len(done.value.numbers) == 2
    assert len(calls) == 2 and calls[1] == calls[0] + 1
    assert await count(services, "SELECT COUNT(*) FROM reports") == 2  # the first try left none
    assert await count(services, "SELECT COUNT(*) FROM merchant_checks") == 1
