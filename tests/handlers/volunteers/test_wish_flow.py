"""微心愿 end to end through the handlers: post, review, announce, claim race, proof, confirm."""

from __future__ import annotations

import asyncio

from bot.domain.wishes import WishStatus
from bot.jobs.volunteers import nag_wishes
from tests import updates
from tests.conftest import COMMUNITY, HEAD_G1, RESIDENT, RESIDENT_2, WORKER_G1
from tests.handlers.kit.picking import stands_at, walk
from tests.handlers.volunteers.support import (
    GROUP,
    VOLUNTEER_A,
    VOLUNTEER_B,
    VOLUNTEER_C,
    all_text,
    answers,
    bind_group,
    button_data,
    person,
    volunteer,
)

PHONE = "13700001111"
WISH_TEXT = "家里水龙头漏水，想请人帮忙修一下"


async def setting(harness) -> None:
    await person(harness, RESIDENT, "王奶奶", unit="B1", phone=PHONE)
    await person(harness, RESIDENT_2, "李四", unit="B2", phone="13600002222")
    await volunteer(harness, VOLUNTEER_A, "志愿者甲", "B1", skills=("repair",))
    await volunteer(harness, VOLUNTEER_B, "志愿者乙", "B2", skills=("repair", "cleaning"))
    await volunteer(harness, VOLUNTEER_C, "志愿者丙", "B3", skills=("medical",))
    await bind_group(harness)


async def posted_and_approved(harness) -> int:
    """The resident posts a repair wish with a photo; the grid worker approves it."""
    await setting(harness)
    await harness.send(updates.text(RESIDENT, "/wish"))
    await harness.send(updates.text(RESIDENT, WISH_TEXT))
    await harness.send(updates.photo(RESIDENT, "wish-photo"))
    await harness.send(updates.press(RESIDENT, "wishnew:kind:repair"))
    await harness.send(updates.press(RESIDENT, "wishnew:post"))
    [wish] = await harness.services.store.wishes.mine(RESIDENT)
    assert wish.status is WishStatus.PENDING
    # One message, naming who really reviews it: the grid, the nearest unit with staff.
    told = [t for t in harness.texts_to(RESIDENT) if wish.number in t]
    assert told == [f"📨 微心愿 {wish.number} 已提交，等待第一网格工作人员审核。"]
    # The staff of the nearest staffed unit (the grid) review it, with the contact.
    assert PHONE in harness.last_text(WORKER_G1) and PHONE in harness.last_text(HEAD_G1)
    await harness.send(updates.press(WORKER_G1, f"wish:ok:{wish.id}"))
    return wish.id


async def test_an_approved_wish_reaches_the_group_without_personal_data_and_matching_volunteers(
    harness,
):
    wish_id = await posted_and_approved(harness)
    wish = await harness.services.store.wishes.get(wish_id)
    assert wish.status is WishStatus.OPEN
    group = all_text(harness, GROUP)
    assert wish.number in group and "第一网格" in group
    for private in (PHONE, "王奶奶", WISH_TEXT, "1栋", "水龙头"):
        assert private not in group
    # Repair volunteers near B1 get the text privately, without the contact; C (medical) nothing.
    for chat in (VOLUNTEER_A, VOLUNTEER_B):
        assert WISH_TEXT in all_text(harness, chat)
        assert PHONE not in all_text(harness, chat)
    assert harness.texts_to(VOLUNTEER_C) == []
    assert "已通知 2 位志愿者" in harness.last_text(RESIDENT)


async def test_two_volunteers_pressing_claim_at_the_same_moment_exactly_one_wins(harness):
    wish_id = await posted_and_approved(harness)
    claim = f"wish:claim:{wish_id}"
    await asyncio.gather(
        harness.send(updates.press(VOLUNTEER_A, claim), deliver=False),
        harness.send(updates.press(VOLUNTEER_B, claim), deliver=False),
    )
    await harness.deliver()
    wish = await harness.services.store.wishes.get(wish_id)
    assert wish.status is WishStatus.CLAIMED
    assert wish.claimer_id in (VOLUNTEER_A, VOLUNTEER_B)
    loser = VOLUNTEER_B if wish.claimer_id == VOLUNTEER_A else VOLUNTEER_A
    claims = [e for e in await harness.services.store.wishes.events(wish_id) if e.action == "claim"]
    assert len(claims) == 1
    # Only the winner sees the resident's contact and photo; the loser is told it is taken.
    assert PHONE in all_text(harness, wish.claimer_id)
    assert harness.request.sent("sendPhoto", wish.claimer_id)
    assert PHONE not in all_text(harness, loser)
    assert not harness.request.sent("sendPhoto", loser)
    assert "已被其他志愿者认领" in all_text(harness, loser) or "刚刚被其他志愿者认领" in all_text(
        harness, loser
    )
    # The resident learns who claimed it, with the volunteer's phone.
    assert "13900000000" in harness.last_text(RESIDENT)
    assert PHONE not in all_text(harness, GROUP)


async def test_a_later_claim_is_refused_and_shows_no_contact(harness):
    wish_id = await posted_and_approved(harness)
    await harness.send(updates.press(VOLUNTEER_A, f"wish:claim:{wish_id}"))
    await harness.send(updates.press(VOLUNTEER_B, f"wish:claim:{wish_id}"))
    assert answers(harness)[-1] == "这个心愿已经被认领了。"
    assert PHONE not in all_text(harness, VOLUNTEER_B)
    # A resident who is not a volunteer can neither claim nor view it from the group.
    await harness.send(updates.press(RESIDENT_2, f"wish:view:{wish_id}", chat_id=GROUP))
    await harness.send(updates.press(RESIDENT_2, f"wish:claim:{wish_id}"))
    assert answers(harness)[-1].startswith("只有审核通过的志愿者")
    assert PHONE not in all_text(harness, RESIDENT_2)


async def test_points_only_after_the_resident_confirms_the_proof(harness):
    wish_id = await posted_and_approved(harness)
    points = harness.services.store.points
    await harness.send(updates.press(VOLUNTEER_A, f"wish:claim:{wish_id}"))
    await harness.send(updates.press(VOLUNTEER_A, f"wish:done:{wish_id}"))
    await harness.send(updates.text(VOLUNTEER_A, "修好了"))  # a photo is required
    assert "需要一张照片" in harness.last_text(VOLUNTEER_A)
    assert (await harness.services.store.wishes.get(wish_id)).status is WishStatus.CLAIMED
    await harness.send(updates.photo(VOLUNTEER_A, "proof-1", caption="换了新龙头"))
    wish = await harness.services.store.wishes.get(wish_id)
    assert (wish.status, wish.proof_photo) == (WishStatus.DONE, "proof-1")
    [proof] = [
        c for c in harness.request.sent("sendPhoto", RESIDENT) if c.params["photo"] == "proof-1"
    ]
    assert "换了新龙头" in proof.params["caption"]
    assert await points.balance(VOLUNTEER_A) == 0

    # Nobody but the resident can confirm: not the volunteer, not another resident.
    for other in (VOLUNTEER_A, RESIDENT_2, WORKER_G1):
        await harness.send(updates.press(other, f"wish:confirm:{wish_id}"))
        assert answers(harness)[-1] == "您没有权限进行此操作。"
    assert await points.balance(VOLUNTEER_A) == 0

    await harness.send(updates.press(RESIDENT, f"wish:confirm:{wish_id}"))
    assert (await harness.services.store.wishes.get(wish_id)).status is WishStatus.CLOSED
    assert await points.balance(VOLUNTEER_A) == 10
    assert "获得 10 积分" in all_text(harness, VOLUNTEER_A)
    await harness.send(updates.press(RESIDENT, f"wish:confirm:{wish_id}"))  # a second press
    assert await points.balance(VOLUNTEER_A) == 10

    await harness.send(updates.press(RESIDENT, button_data(harness, RESIDENT, "wish:thank:")))
    await harness.send(updates.text(RESIDENT, "谢谢小伙子！"))
    assert "谢谢小伙子！" in harness.last_text(VOLUNTEER_A)
    assert "已完成" in all_text(harness, GROUP)


async def test_not_done_sends_it_back_and_a_release_offers_it_again(harness):
    wish_id = await posted_and_approved(harness)
    await harness.send(updates.press(VOLUNTEER_A, f"wish:claim:{wish_id}"))
    await harness.send(updates.press(VOLUNTEER_A, f"wish:done:{wish_id}"))
    await harness.send(updates.photo(VOLUNTEER_A, "proof-1"))
    await harness.send(updates.press(RESIDENT, f"wish:redo:{wish_id}"))
    assert (await harness.services.store.wishes.get(wish_id)).status is WishStatus.CLAIMED
    assert "还没有完成" in all_text(harness, VOLUNTEER_A)
    await harness.send(updates.press(VOLUNTEER_A, f"wish:release:{wish_id}"))
    wish = await harness.services.store.wishes.get(wish_id)
    assert (wish.status, wish.claimer_id) == (WishStatus.OPEN, None)
    assert harness.button(VOLUNTEER_B, f"wish:claim:{wish_id}")
    await harness.send(updates.press(VOLUNTEER_B, f"wish:claim:{wish_id}"))
    assert (await harness.services.store.wishes.get(wish_id)).claimer_id == VOLUNTEER_B


async def test_staff_post_for_a_resident_without_telegram_and_it_is_announced_at_once(harness):
    await setting(harness)
    await harness.send(updates.text(COMMUNITY, "/wish"))
    await harness.send(updates.text(COMMUNITY, "赵爷爷"))
    await harness.send(updates.text(COMMUNITY, "13500003333"))
    await walk(harness, COMMUNITY, "第二网格", "3栋")
    await harness.send(updates.text(COMMUNITY, "想请人陪我去医院复查"))
    await harness.send(updates.text(COMMUNITY, "跳过"))
    await harness.send(updates.press(COMMUNITY, "wishnew:kind:medical"))
    await harness.send(updates.press(COMMUNITY, "wishnew:post"))
    [wish] = await harness.services.store.wishes.mine(COMMUNITY)
    assert (wish.status, wish.resident_id, wish.unit) == (WishStatus.OPEN, None, "B3")
    assert "想请人陪我去医院复查" in all_text(harness, VOLUNTEER_C)
    assert "13500003333" not in all_text(harness, VOLUNTEER_C)
    await harness.send(updates.press(VOLUNTEER_C, f"wish:claim:{wish.id}"))
    assert "13500003333" in all_text(harness, VOLUNTEER_C)
    # The staff member who posted confirms for the resident.
    await harness.send(updates.press(VOLUNTEER_C, f"wish:done:{wish.id}"))
    await harness.send(updates.photo(VOLUNTEER_C, "proof-2"))
    await harness.send(updates.press(COMMUNITY, f"wish:confirm:{wish.id}"))
    assert await harness.services.store.points.balance(VOLUNTEER_C) == 10


async def test_staff_cannot_walk_outside_their_area_when_posting(harness):
    await setting(harness)
    await harness.send(updates.text(WORKER_G1, "/wish"))
    await harness.send(updates.text(WORKER_G1, "赵爷爷"))
    await harness.send(updates.text(WORKER_G1, "跳过"))
    assert await stands_at(harness, WORKER_G1) == "G1"
    assert [label for label, _ in harness.buttons(WORKER_G1)][:2] == ["1栋", "2栋"]
    n = (await harness.services.drafts.get(WORKER_G1)).data["n"]
    await harness.send(updates.press(WORKER_G1, f"place:up:{n}"))  # above their grid (forged)
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    await harness.send(updates.press(WORKER_G1, "wishnew:pick:B3"))  # B3 lies in G2 (old button)
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    assert await stands_at(harness, WORKER_G1) == "G1"


async def test_an_unclaimed_wish_nags_the_grid_staff_once_per_window(harness):
    wish_id = await posted_and_approved(harness)
    services = harness.services
    assert await nag_wishes(services, harness.clock()) == 0
    harness.clock.advance(hours=49)
    assert await nag_wishes(services, harness.clock()) == 1
    assert await nag_wishes(services, harness.clock()) == 0  # compare-and-set: once
    await harness.deliver()
    wish = await services.store.wishes.get(wish_id)
    assert wish.number in harness.last_text(WORKER_G1) and "无人认领" in harness.last_text(
        WORKER_G1
    )
    harness.clock.advance(hours=49)
    assert await nag_wishes(services, harness.clock()) == 1
    harness.clock.advance(hours=49)
    assert await nag_wishes(services, harness.clock()) == 1
    harness.clock.advance(hours=49)
    assert await nag_wishes(services, harness.clock()) == 0  # three nags at most


async def test_a_wish_can_be_declined_by_staff_and_the_resident_is_told(harness):
    await setting(harness)
    await harness.send(updates.text(RESIDENT, "/wish"))
    await harness.send(updates.text(RESIDENT, WISH_TEXT))
    await harness.send(updates.text(RESIDENT, "跳过"))
    await harness.send(updates.press(RESIDENT, "wishnew:kind:other"))
    await harness.send(updates.press(RESIDENT, "wishnew:post"))
    [wish] = await harness.services.store.wishes.mine(RESIDENT)
    await harness.send(updates.press(RESIDENT, f"wish:ok:{wish.id}"))  # a resident cannot
    assert answers(harness)[-1] == "您没有权限进行此操作。"
    await harness.send(updates.press(HEAD_G1, f"wish:no:{wish.id}"))
    assert (await harness.services.store.wishes.get(wish.id)).status is WishStatus.DECLINED
    assert "未通过审核" in harness.last_text(RESIDENT)
    assert all_text(harness, GROUP) == ""
