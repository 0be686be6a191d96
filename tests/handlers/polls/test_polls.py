"""/poll through the real Application: question, options (one is refused), unit, closing time,
preview, confirm; residents vote once on their cards, the bound group gets a native poll whose
counts come from poll updates; the close sweep stops it and posts the results."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.jobs.broadcasts import poll_close
from tests import updates
from tests.conftest import ADMIN, COMMUNITY, PROPERTY, RESIDENT, RESIDENT_2, WORKER_G1
from tests.handlers.broadcasts.support import (
    GROUP_C1,
    STALE,
    bind_group,
    last_answer,
    pick_unit,
    resident,
)
from tests.handlers.kit.picking import labelled, stands_at

STRANGER = 5009
QUESTION = "是否同意在3栋加装电梯？"


async def press(harness, user_id, data):
    await harness.send(updates.press(user_id, data))


async def create(harness, staff=COMMUNITY, *, options=("同意", "不同意"), days=3, path=()):
    await harness.send(updates.text(staff, "/poll"))
    await harness.send(updates.text(staff, QUESTION))
    for option in options:
        await harness.send(updates.text(staff, option))
    await press(harness, staff, "pollnew:done")
    await pick_unit(harness, staff, *path)
    await press(harness, staff, f"pollnew:days:{days}")


async def poll_id(harness) -> int:
    row = await harness.services.store.db.fetchone("SELECT id FROM polls ORDER BY id DESC LIMIT 1")
    assert row is not None
    return int(row[0])


def poll_update(poll_id: str, counts, *, closed=False) -> dict:
    options = [
        {"text": t, "voter_count": n, "persistent_id": str(i)}
        for i, (t, n) in enumerate(zip(("同意", "不同意"), counts, strict=True))
    ]
    poll = {
        "id": poll_id,
        "question": QUESTION,
        "options": options,
        "total_voter_count": sum(counts),
        "is_closed": closed,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": True,
        "members_only": False,
    }
    return updates.update(poll=poll)


async def test_residents_vote_once_and_the_results_count_people_and_groups_apart(harness):
    await resident(harness, RESIDENT, "B1")
    await resident(harness, RESIDENT_2, "B3")
    await bind_group(harness)
    await create(harness)
    preview = harness.last_text(COMMUNITY)
    assert QUESTION in preview and "居民 2 人" in preview and "群 1 个" in preview
    await press(harness, COMMUNITY, "pollnew:ok")
    pid = await poll_id(harness)
    assert f"投票 #{pid} 已发起" in harness.last_text(COMMUNITY)
    assert ("同意", f"poll:vote:{pid}:0") in harness.buttons(RESIDENT)
    [native] = harness.request.sent("sendPoll")
    assert int(native.params["chat_id"]) == GROUP_C1 and native.params["question"] == QUESTION

    await press(harness, RESIDENT, f"poll:vote:{pid}:0")
    assert "您投了：同意" in harness.last_text(RESIDENT)
    priorities = await harness.services.store.db.fetchall(
        "SELECT priority FROM outbox WHERE chat_id = ? AND method = 'card' ORDER BY id",
        (RESIDENT,),
    )
    assert [p[0] for p in priorities] == [-1, 0]  # the new poll's card; the answer to a press
    await press(harness, RESIDENT, f"poll:vote:{pid}:1")  # a second vote
    assert "已经投过票了（同意）" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, harness.button(RESIDENT, f"poll:notify:{pid}"))
    await press(harness, RESIDENT_2, f"poll:vote:{pid}:1")
    await press(harness, STRANGER, f"poll:vote:{pid}:1")  # never asked: forged
    votes = await harness.services.store.db.fetchall(
        "SELECT user_id, option, wants_result FROM poll_votes ORDER BY user_id"
    )
    assert [tuple(v) for v in votes] == [(RESIDENT, 0, 1), (RESIDENT_2, 1, 0)]
    refusal = await harness.services.store.db.fetchone("SELECT user_id, rule FROM refusals")
    assert tuple(refusal) == (STRANGER, "poll_vote")

    telegram_poll = json.loads(json.dumps(native.params))  # what the group's members see
    assert telegram_poll["options"] == [{"text": "同意"}, {"text": "不同意"}]
    sent = await harness.services.store.db.fetchone(
        "SELECT result_ref FROM outbox WHERE method = 'sendPoll'"
    )
    await harness.send(poll_update(sent[0], [3, 1]))  # group members voted

    harness.clock.advance(days=3, seconds=1)
    assert await poll_close(harness.services, harness.clock()) == 1  # stops the native poll
    await harness.deliver()
    assert harness.request.sent("stopPoll")
    await press(harness, RESIDENT_2, f"poll:vote:{pid}:0")
    assert "已经投过票了" in harness.last_text(RESIDENT_2)
    await harness.send(poll_update(sent[0], [4, 1], closed=True))  # the final counts
    assert await poll_close(harness.services, harness.clock()) == 1  # posts the results
    await harness.deliver()
    for chat in (COMMUNITY, RESIDENT, GROUP_C1):
        results = harness.last_text(chat)
        assert "• 同意：1" in results and "• 不同意：1" in results, chat
        assert "共 2 人投票，发出 2 份，参与率 100%" in results
        assert "• 同意：4" in results and "共 5 人。" in results  # the group, apart
    assert not any("结果" in t for t in harness.texts_to(RESIDENT_2))  # did not ask
    assert await poll_close(harness.services, harness.clock()) == 0
    state = await harness.services.store.db.fetchone("SELECT state FROM polls")
    assert state[0] == "closed"


async def test_a_poll_with_one_option_is_refused_politely_until_a_second_is_added(harness):
    await harness.send(updates.text(COMMUNITY, "/poll"))
    await harness.send(updates.text(COMMUNITY, QUESTION))
    await harness.send(updates.text(COMMUNITY, "同意"))
    await press(harness, COMMUNITY, "pollnew:done")
    assert "至少需要 2 个选项" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "同意"))
    assert "已经有了" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "不同意"))
    await press(harness, COMMUNITY, "pollnew:rm:0")
    assert "1. 不同意" in harness.last_text(COMMUNITY)
    for n in range(10):
        await harness.send(updates.text(COMMUNITY, f"方案{n}"))
    assert "最多只能有 10 个选项" in harness.last_text(COMMUNITY)
    draft = await harness.services.drafts.get(COMMUNITY)
    assert draft is not None and len(draft.data["options"]) == 10
    assert await harness.services.store.db.fetchone("SELECT 1 FROM polls") is None


async def test_a_typed_closing_date_is_checked_and_a_poll_nobody_gets_is_refused(harness):
    await create(harness, WORKER_G1, days=0)  # a forged preset
    assert "已失效" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "下周吧"))
    assert "没看懂这个日期" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "2026-01-01"))
    assert "必须在将来" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "2026-12-01 18:00"))  # nobody lives in G1 yet
    assert "没有人能参加" in harness.last_text(WORKER_G1)
    assert await harness.services.drafts.get(WORKER_G1) is None
    assert await harness.services.store.db.fetchone("SELECT 1 FROM polls") is None


async def test_a_partner_cannot_poll_and_a_worker_cannot_poll_another_grid(harness):
    await harness.send(updates.text(PROPERTY, "/poll"))
    assert "仅限" in harness.last_text(PROPERTY)
    await resident(harness, RESIDENT, "B1")
    await create(harness, WORKER_G1, path=("1栋",))  # 1栋, inside G1
    assert "居民 1 人" in harness.last_text(WORKER_G1)
    nonce = (await harness.services.drafts.get(WORKER_G1)).data["n"]
    await press(harness, WORKER_G1, f"place:pick:{nonce}:0")  # the walk is over: stale
    assert last_answer(harness) == STALE
    await press(harness, WORKER_G1, "pollnew:up")  # the second picker's button, gone
    assert "已失效" in harness.last_text(WORKER_G1)
    await press(harness, WORKER_G1, "pollnew:ok")
    await press(harness, WORKER_G1, "pollnew:ok")  # a second press
    rows = await harness.services.store.db.fetchall("SELECT unit, residents FROM polls")
    assert [tuple(r) for r in rows] == [("B1", 1)]


async def test_a_forged_press_for_a_unit_outside_the_pollsters_own_is_stale(harness):
    await resident(harness, RESIDENT, "B1")
    await harness.send(updates.text(WORKER_G1, "/poll"))
    await harness.send(updates.text(WORKER_G1, QUESTION))
    for option in ("同意", "不同意"):
        await harness.send(updates.text(WORKER_G1, option))
    await press(harness, WORKER_G1, "pollnew:done")
    assert await stands_at(harness, WORKER_G1) == "G1"  # the walk starts at their own grid
    assert not any(data.startswith("place:up:") for _, data in harness.buttons(WORKER_G1))
    nonce = (await harness.services.drafts.get(WORKER_G1)).data["n"]
    await press(harness, WORKER_G1, f"place:up:{nonce}")  # forged: up to 春晖社区
    assert last_answer(harness) == STALE
    await press(harness, WORKER_G1, f"place:pick:{nonce}:7")  # forged: no such building
    assert last_answer(harness) == STALE
    assert await stands_at(harness, WORKER_G1) == "G1"
    # Moved to the other grid meanwhile: G1 and its buildings are out of their reach now.
    worker = await harness.services.people.staff(WORKER_G1)
    await harness.services.people.change(worker, replace(worker, unit="G2"), ADMIN, harness.clock())
    for data in (harness.button(WORKER_G1, "place:here:"), labelled(harness, WORKER_G1, "1栋")):
        await press(harness, WORKER_G1, data)
        assert last_answer(harness) == STALE
    assert await stands_at(harness, WORKER_G1) == "G1"
    assert not any(data.startswith("pollnew:days:") for _, data in harness.buttons(WORKER_G1))
    assert await harness.services.store.db.fetchone("SELECT 1 FROM polls") is None
