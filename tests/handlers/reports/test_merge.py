"""并单 through the real Application: "me too" while reporting, followers told and verifying,
staff merging duplicates, and 退单 that needs the tier above — with forged and stale presses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.reports import Report, Status
from tests import updates
from tests.conftest import (
    COMMUNITY,
    DATA,
    HEAD_G1,
    PROPERTY,
    RESIDENT,
    RESIDENT_2,
    STREET,
    WORKER_G1,
    WORKER_G2,
)
from tests.handlers.reports.test_submit_flow import (
    DESCRIPTION,
    all_reports,
    press,
    registered,
    step_of,
)
from tests.jobs.test_report_deadlines import actions, new_report, stored

RESIDENT_3 = 5003


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The suite's config, with 道路设施 (road) marked: its 退单 needs the tier above."""
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    marked = text.replace(
        'en = "Roads and facilities"\n',
        'en = "Roads and facilities"\nreject_needs_approval = true\n',
    )
    assert marked != text
    path = tmp_path / "config.toml"
    path.write_text(marked, encoding="utf-8")
    return path


async def to_offer(harness, user_id: int = RESIDENT_2, code: str = "litter") -> None:
    """A registered resident's report up to the place: photo, text, category CODE, home (B1)."""
    await registered(harness, user_id)
    await harness.send(updates.photo(user_id, f"p-{user_id}"))
    await harness.send(updates.text(user_id, DESCRIPTION))
    data = next(d for _, d in harness.buttons(user_id) if d.endswith(f":{code}"))
    await press(harness, user_id, data)
    await press(harness, user_id, harness.button(user_id, "newreport:home:"))


async def followers(harness, report: Report) -> list[tuple[int, str, int | None]]:
    rows = await harness.services.store.db.fetchall(
        "SELECT user_id, via, stars FROM report_followers WHERE report_id = ? ORDER BY user_id",
        (report.id,),
    )
    return [(r["user_id"], r["via"], r["stars"]) for r in rows]


async def resolve(harness, report: Report, worker: int = WORKER_G1) -> None:
    await press(harness, worker, f"report:resolve:{report.id}")
    await harness.send(updates.photo(worker, "after-1", caption="已清理干净"))


# Me too --------------------------------------------------------------------------------------


async def test_a_second_resident_is_offered_the_open_report_and_follows_it(harness):
    first = await new_report(harness)
    await to_offer(harness)
    assert await step_of(harness, RESIDENT_2) == "dupes"
    offer = harness.last_text(RESIDENT_2)
    assert first.number in offer and "环境卫生" in offer and "1栋" in offer
    assert "楼道里堆满了杂物" not in offer  # the first resident's words are theirs alone
    assert "分钟前" in offer  # its age, not who reported it
    assert next(d for _, d in harness.buttons(RESIDENT_2)).endswith(f":{first.id}")

    worker_seen = len(harness.texts_to(WORKER_G1))
    await press(harness, RESIDENT_2, harness.button(RESIDENT_2, "newreport:metoo:"))
    assert [r.id for r in await all_reports(harness)] == [first.id]  # no new report
    assert await followers(harness, first) == [(RESIDENT_2, "me_too", None)]
    assert await harness.services.drafts.get(RESIDENT_2) is None
    told = harness.texts_to(RESIDENT_2)
    assert any("已关注案件" in t and "照片未保存" in t for t in told)
    assert any(first.number in t and "待接单" in t for t in told)  # their own status card
    assert any("共 1 位居民关注" in t for t in harness.texts_to(WORKER_G1)[worker_seen:])
    assert await actions(harness, first) == ["submit", "follow"]


async def test_mine_is_new_goes_on_to_the_summary_and_submits_a_new_report(harness):
    first = await new_report(harness)
    await to_offer(harness)
    await press(harness, RESIDENT_2, harness.button(RESIDENT_2, "newreport:new:"))
    assert await step_of(harness, RESIDENT_2) == "confirm"
    await press(harness, RESIDENT_2, harness.button(RESIDENT_2, "newreport:send:"))
    assert len(await all_reports(harness)) == 2
    assert await followers(harness, first) == []


async def test_nothing_is_offered_for_another_category_far_away_or_one_s_own_report(harness):
    await new_report(harness, unit="B3")  # 1.4 km away
    await new_report(harness, category="road")
    await new_report(harness, reporter=RESIDENT_2)  # their own
    await to_offer(harness)
    assert await step_of(harness, RESIDENT_2) == "confirm"


async def test_a_forged_or_old_me_too_press_changes_nothing(harness):
    first = await new_report(harness)
    other = await new_report(harness, unit="B3")
    await to_offer(harness)
    nonce = harness.button(RESIDENT_2, "newreport:metoo:").split(":")[2]
    await press(harness, RESIDENT_2, f"newreport:metoo:{nonce}:{other.id}")  # not offered
    await press(harness, RESIDENT_2, f"newreport:metoo:oldnonce:{first.id}")  # an old prompt
    assert await followers(harness, first) == [] and await followers(harness, other) == []
    assert await step_of(harness, RESIDENT_2) == "dupes"


async def test_a_report_closed_while_offered_cannot_be_followed_and_the_summary_follows(harness):
    first = await new_report(harness)
    await to_offer(harness)
    await press(harness, WORKER_G1, f"report:reject:{first.id}")
    await press(harness, WORKER_G1, f"report:reject_reason:{first.id}:invalid")
    await harness.send(updates.text(WORKER_G1, "不是问题"))
    await press(harness, RESIDENT_2, harness.button(RESIDENT_2, "newreport:metoo:"))
    assert await followers(harness, first) == []
    assert any("刚刚已结束办理" in t for t in harness.texts_to(RESIDENT_2))
    assert await step_of(harness, RESIDENT_2) == "confirm"


# Followers are told and verify ------------------------------------------------------------------


async def follow(harness, report: Report, user_id: int) -> None:
    await to_offer(harness, user_id)
    await press(harness, user_id, harness.button(user_id, "newreport:metoo:"))


async def test_followers_are_told_of_every_move_and_asked_to_verify(harness):
    first = await new_report(harness)
    await follow(harness, first, RESIDENT_2)
    await press(harness, WORKER_G1, f"report:accept:{first.id}")
    assert "已由" in harness.texts_to(RESIDENT_2)[-2]  # the accepted notice, then the card
    await resolve(harness, first)
    photo = harness.request.sent("sendPhoto", RESIDENT_2)[-1]
    assert photo.params["photo"] == "after-1" and "已清理干净" in photo.params["caption"]
    assert f"follow:solved:{first.id}" in str(photo.params["reply_markup"])
    assert "report:solved" not in str(photo.params["reply_markup"])

    await press(harness, RESIDENT_2, f"follow:solved:{first.id}")
    await press(harness, RESIDENT_2, f"follow:stars:{first.id}:4")
    assert await followers(harness, first) == [(RESIDENT_2, "me_too", 4)]
    assert (await stored(harness, first)).status is Status.RESOLVED  # the reporter closes it
    await press(harness, RESIDENT_2, f"follow:stars:{first.id}:5")  # a second rating
    assert await followers(harness, first) == [(RESIDENT_2, "me_too", 4)]
    assert "已评价过" in harness.last_text(RESIDENT_2)

    await press(harness, RESIDENT, f"report:stars:{first.id}:5")
    assert (await stored(harness, first)).status is Status.CLOSED
    assert "您关注的案件" in harness.texts_to(RESIDENT_2)[-2]
    assert await actions(harness, first) == [
        "submit",
        "follow",
        "accept",
        "resolve",
        "rate",
        "confirm",
    ]


async def test_a_follower_s_not_solved_reopens_the_report(harness):
    first = await new_report(harness)
    await follow(harness, first, RESIDENT_2)
    await resolve(harness, first)
    await press(harness, RESIDENT_2, f"follow:unsolved:{first.id}")
    reopened = await stored(harness, first)
    assert reopened.status is Status.OPEN and reopened.holder_unit == "C1"
    assert any("已重新交办" in t for t in harness.texts_to(RESIDENT_2))
    assert any("已重新交办" in t for t in harness.texts_to(RESIDENT))
    await press(harness, RESIDENT_2, f"follow:unsolved:{first.id}")  # again: nothing more
    assert (await actions(harness, first)).count("reopen") == 1


async def test_when_the_reporter_is_gone_the_first_follower_s_stars_close_it(harness):
    first = await new_report(harness)
    await follow(harness, first, RESIDENT_2)
    await resolve(harness, first)
    await harness.services.privacy.erase(RESIDENT, harness.clock(), "（已删除）")
    assert (await stored(harness, first)).reporter_id is None
    await press(harness, RESIDENT_2, f"follow:stars:{first.id}:3")
    closed = await stored(harness, first)
    assert closed.status is Status.CLOSED and closed.stars == 3


async def test_someone_who_does_not_follow_cannot_answer(harness):
    first = await new_report(harness)
    await follow(harness, first, RESIDENT_2)
    await resolve(harness, first)
    await registered(harness, RESIDENT_3)
    await press(harness, RESIDENT_3, f"follow:unsolved:{first.id}")
    await press(harness, RESIDENT_3, f"follow:stars:{first.id}:1")
    assert (await stored(harness, first)).status is Status.RESOLVED
    assert await followers(harness, first) == [(RESIDENT_2, "me_too", None)]
    refused = await harness.services.store.db.fetchall(
        "SELECT rule FROM refusals WHERE user_id = ?", (RESIDENT_3,)
    )
    assert [r["rule"] for r in refused] == ["follower_verify", "follower_verify"]


# Staff merge ------------------------------------------------------------------------------------


async def test_the_worker_merges_a_duplicate_from_its_card_and_its_reporter_follows(harness):
    first = await new_report(harness)
    duplicate = await new_report(harness, unit="B2", reporter=RESIDENT_2)
    await press(harness, WORKER_G1, f"report:merge:{duplicate.id}")  # not a worker verb
    await press(harness, WORKER_G1, harness.button(WORKER_G1, f"merge:pick:{duplicate.id}"))
    choices = [d for _, d in harness.buttons(WORKER_G1)]
    assert f"merge:into:{duplicate.id}:{first.id}" in choices
    await press(harness, WORKER_G1, f"merge:into:{duplicate.id}:{first.id}")

    assert (await stored(harness, duplicate)).status is Status.MERGED
    assert await followers(harness, first) == [(RESIDENT_2, "merge", None)]
    assert await actions(harness, duplicate) == ["submit", "merge"]
    assert await actions(harness, first) == ["submit", "merged_in"]
    told = harness.texts_to(RESIDENT_2)
    assert any(duplicate.number in t and first.number in t and "合并办理" in t for t in told)
    assert any("已并单" in t for t in told)  # the duplicate's card
    cards = [  # the survivor's status card, sent once into their chat
        c
        for c in harness.request.sent("sendMessage", RESIDENT_2)
        if c.params["text"].startswith(f"📋 <b>案件 {first.number}")
    ]
    assert len(cards) == 1
    assert "1 位居民改为关注" in " ".join(harness.texts_to(WORKER_G1))

    await resolve(harness, first)  # the merged reporter is asked to verify the survivor
    photo = harness.request.sent("sendPhoto", RESIDENT_2)[-1]
    assert f"follow:solved:{first.id}" in str(photo.params["reply_markup"])


@pytest.mark.parametrize(
    ("case", "command", "expected"),
    [
        ("usage", "/merge R000002", "用法"),
        ("nonsense", "/merge abc R000001", "用法"),
        ("into itself", "/merge R000001 R000001", "不能把案件 R000001 并入它自己"),
        ("unknown", "/merge R000002 R000099", "找不到案件 R000099"),
    ],
)
async def test_merge_command_refuses_bad_input_politely(harness, case, command, expected):
    await new_report(harness)
    await new_report(harness, reporter=RESIDENT_2)
    await harness.send(updates.text(WORKER_G1, command))
    assert expected in harness.last_text(WORKER_G1)
    assert [r.status for r in await all_reports(harness)] == [Status.OPEN, Status.OPEN]


async def test_merge_command_refuses_a_closed_survivor_a_merged_duplicate_and_other_grids(harness):
    first = await new_report(harness)
    second = await new_report(harness, reporter=RESIDENT_2)
    far = await new_report(harness, unit="B3", reporter=RESIDENT_2)  # grid G2's
    await harness.send(updates.text(WORKER_G1, f"/merge {second.number} {far.number}"))
    assert "无权同时处理" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, f"/merge {second.number} {first.number}"))
    assert (await stored(harness, second)).status is Status.MERGED
    await harness.send(updates.text(WORKER_G1, f"/merge {second.number} {first.number}"))
    assert "已经并入" in harness.last_text(WORKER_G1)
    await resolve(harness, first)
    third = await new_report(harness, reporter=RESIDENT_3)
    await harness.send(updates.text(WORKER_G1, f"/merge {third.number} {first.number}"))
    assert "只能并入正在办理的案件" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(RESIDENT, f"/merge {third.number} {second.number}"))
    assert (await stored(harness, third)).status is Status.OPEN
    refused = await harness.services.store.db.fetchall("SELECT user_id, rule FROM refusals")
    assert [(r["user_id"], r["rule"]) for r in refused] == [
        (WORKER_G1, "report_merge"),
        (RESIDENT, "staff_only"),
    ]


async def test_the_grid_head_merges_across_buildings_and_a_forged_press_is_refused(harness):
    first = await new_report(harness)
    duplicate = await new_report(harness, unit="B2", reporter=RESIDENT_2)
    await press(harness, WORKER_G2, f"merge:into:{duplicate.id}:{first.id}")  # not theirs
    assert (await stored(harness, duplicate)).status is Status.OPEN
    await press(harness, HEAD_G1, f"merge:into:{duplicate.id}:{first.id}")
    assert (await stored(harness, duplicate)).status is Status.MERGED
    await press(harness, HEAD_G1, f"merge:into:{duplicate.id}:{first.id}")  # a second press
    assert await actions(harness, first) == ["submit", "merged_in"]


# 退单 that needs the tier above --------------------------------------------------------------


async def ask_reject(harness, report: Report, holder: int = WORKER_G1) -> None:
    await press(harness, holder, f"report:reject:{report.id}")
    await press(harness, holder, f"report:reject_reason:{report.id}:not_ours")
    assert "上级批准" in harness.last_text(holder)
    await harness.send(updates.text(holder, "这是供水公司的管道"))


async def test_a_marked_category_s_reject_waits_for_the_tier_above_who_approves(harness):
    report = await new_report(harness, category="road")
    await ask_reject(harness, report)
    assert (await stored(harness, report)).status is Status.OPEN
    assert "春晖社区" in harness.last_text(WORKER_G1)
    card = harness.last_text(COMMUNITY)
    assert "退单申请" in card and "这是供水公司的管道" in card and "李网格" in card
    await press(harness, WORKER_G1, harness.button(COMMUNITY, f"rejreq:ok:{report.id}:"))
    assert (await stored(harness, report)).status is Status.OPEN  # the holder cannot approve
    await press(harness, COMMUNITY, f"rejreq:ok:{report.id}:1")
    rejected = await stored(harness, report)
    assert rejected.status is Status.REJECTED and rejected.reject_reason == "not_ours"
    assert "已由 陈社区 批准" in harness.last_text(WORKER_G1)
    assert any("已退回" in t for t in harness.texts_to(RESIDENT))
    assert await actions(harness, report) == ["submit", "ask_reject", "reject"]
    await press(harness, COMMUNITY, f"rejreq:ok:{report.id}:1")  # a second press
    assert await actions(harness, report) == ["submit", "ask_reject", "reject"]


async def test_a_declined_reject_stays_with_the_holder_who_is_told_why(harness):
    report = await new_report(harness, category="road")
    await ask_reject(harness, report)
    await press(harness, COMMUNITY, f"rejreq:no:{report.id}:1")
    assert "理由" in harness.last_text(COMMUNITY)
    await harness.send(updates.sticker(COMMUNITY))
    assert (await stored(harness, report)).status is Status.OPEN
    await harness.send(updates.text(COMMUNITY, "路面归我们社区管，请继续处理"))
    kept = await stored(harness, report)
    assert kept.status is Status.OPEN and kept.assignee_id == WORKER_G1
    assert "路面归我们社区管" in harness.last_text(WORKER_G1)
    assert await actions(harness, report) == ["submit", "ask_reject", "decline_reject"]
    await ask_reject(harness, report)  # may ask again
    assert "rejreq:ok" in harness.button(COMMUNITY, f"rejreq:ok:{report.id}:2")


async def test_an_unmarked_category_is_rejected_directly(harness):
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:reject:{report.id}")
    await press(harness, WORKER_G1, f"report:reject_reason:{report.id}:invalid")
    assert "上级批准" not in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "不是问题"))
    assert (await stored(harness, report)).status is Status.REJECTED


async def test_a_department_cannot_push_work_back_down_without_the_street(harness):
    report = await new_report(harness, category="property")
    # handed to the 物业 (call-ins do so)
    async with harness.services.store.db.transaction() as conn:
        await conn.execute(
            "UPDATE reports SET holder_unit = 'C1', tier = 'community', assignee_id = ?"
            " WHERE id = ?",
            (PROPERTY, report.id),
        )
    await press(harness, PROPERTY, f"report:accept:{report.id}")
    assert (await stored(harness, report)).assignee_id == PROPERTY
    await ask_reject(harness, report, holder=PROPERTY)
    assert (await stored(harness, report)).status is Status.ACCEPTED
    assert harness.button(STREET, f"rejreq:ok:{report.id}:1")
    await press(harness, COMMUNITY, f"rejreq:ok:{report.id}:1")  # the community is not above
    assert (await stored(harness, report)).status is Status.ACCEPTED
    await press(harness, STREET, f"rejreq:ok:{report.id}:1")
    assert (await stored(harness, report)).status is Status.REJECTED


async def test_an_english_speaking_neighbour_is_offered_and_told_in_english(harness):
    first = await new_report(harness)
    await registered(harness, RESIDENT_2)
    await harness.services.people.update(RESIDENT_2, harness.clock(), lang="en")
    await to_offer(harness)
    offer = harness.last_text(RESIDENT_2)
    assert "Is yours one of them?" in offer and first.number in offer and "min ago" in offer
    labels = [label for label, _ in harness.buttons(RESIDENT_2)]
    assert labels == [f"👍 Me too: {first.number}", "🆕 No, mine is new"]
    await press(harness, RESIDENT_2, harness.button(RESIDENT_2, "newreport:metoo:"))
    assert any("You now follow report" in t for t in harness.texts_to(RESIDENT_2))
