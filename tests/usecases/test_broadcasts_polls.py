"""Broadcast and poll use cases on a real SQLite file, without Telegram: refusals leave nothing
written, the progress sweep acts once per due time, a poll closes once."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.broadcasts import Audience, Content, Kind
from bot.domain.people import Person
from bot.usecases import broadcasts, polls
from bot.usecases.results import Done, Refused
from tests.conftest import COMMUNITY, PROPERTY, RESIDENT, WORKER_G1

TEXT = Content(Kind.TEXT, "停水通知：明天9点至12点停水。")


async def count(services, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    return int(row[0])


async def resident(services, user_id: int, unit: str) -> None:
    now = services.clock()
    await services.people.touch(user_id, "居民", "zh", now)
    await services.people.update(user_id, now, unit=unit)


async def test_a_broadcast_out_of_reach_or_to_nobody_is_refused_and_writes_nothing(services):
    now = services.clock()
    await resident(services, RESIDENT, "B3")
    outside = await broadcasts.send(
        services, by=WORKER_G1, lang="zh", unit="G2", audience=Audience.RESIDENTS, content=TEXT,
        at=now,
    )  # fmt: skip
    assert isinstance(outside, Refused) and outside.key == "broadcast.not_allowed"
    partner = await broadcasts.send(
        services, by=PROPERTY, lang="zh", unit="C1", audience=Audience.BOTH, content=TEXT, at=now
    )
    assert isinstance(partner, Refused) and partner.rule is not None
    nobody = await broadcasts.send(
        services, by=WORKER_G1, lang="zh", unit="G1", audience=Audience.BOTH, content=TEXT, at=now
    )
    assert isinstance(nobody, Refused) and nobody.key == "broadcast.no_recipients"
    assert await count(services, "broadcasts") == 0
    assert await count(services, "outbox") == 0
    assert await count(services, "refusals") == 2  # the two named-rule refusals


async def test_the_progress_line_moves_on_each_due_time_and_the_report_comes_once(services, clock):
    await resident(services, RESIDENT, "B1")
    sent = await broadcasts.send(
        services, by=COMMUNITY, lang="zh", unit="C1", audience=Audience.RESIDENTS, content=TEXT,
        at=clock(),
    )  # fmt: skip
    assert isinstance(sent, Done) and sent.value.residents == 1
    assert await broadcasts.advance(services, clock()) == 1  # the line: 0/1
    assert await broadcasts.advance(services, clock()) == 0  # not due again yet
    [row] = [r for r in await services.outbox.due(clock()) if r.chat_id == RESIDENT]
    await services.outbox.mark_sent(row, clock(), 5)
    clock.advance(seconds=services.settings.broadcasts.progress_seconds)
    assert await broadcasts.advance(services, clock()) == 1  # done: the end report
    clock.advance(minutes=5)
    assert await broadcasts.advance(services, clock()) == 0
    reports = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? AND payload LIKE '%发送报告%'", (COMMUNITY,)
    )
    assert len(reports) == 1


async def test_a_poll_with_one_option_or_nobody_to_ask_is_refused_and_writes_nothing(services):
    now = services.clock()
    staff = Person(COMMUNITY, "陈社区", "zh")
    one = await polls.create(
        services, by=staff, unit="C1", question="装电梯吗？", options=["装"],
        closes_at=now + timedelta(days=1), at=now,
    )  # fmt: skip
    assert isinstance(one, Refused) and one.key == "poll.too_few_options"
    nobody = await polls.create(
        services, by=staff, unit="C1", question="装电梯吗？", options=["装", "不装"],
        closes_at=now + timedelta(days=1), at=now,
    )  # fmt: skip
    assert isinstance(nobody, Refused) and nobody.key == "poll.no_voters"
    assert await count(services, "polls") == 0 and await count(services, "outbox") == 0


async def test_a_poll_closes_once_and_refuses_votes_after(services, clock):
    await resident(services, RESIDENT, "B1")
    await services.people.touch(COMMUNITY, "陈社区", "zh", clock())  # the creator wrote to the bot
    staff = Person(COMMUNITY, "陈社区", "zh")
    created = await polls.create(
        services, by=staff, unit="C1", question="装电梯吗？", options=["装", "不装"],
        closes_at=clock() + timedelta(days=1), at=clock(),
    )  # fmt: skip
    assert isinstance(created, Done) and created.value.id is not None
    poll_id = created.value.id
    voter = Person(RESIDENT, "居民", "zh")
    early = await polls.notify_me(services, poll_id, by=voter, at=clock())
    assert isinstance(early, Refused) and early.key == "poll.vote_first"
    clock.advance(days=1)
    late = await polls.vote(services, poll_id, 0, by=voter, at=clock())
    assert isinstance(late, Refused) and late.key == "poll.closed"
    assert await polls.close_due(services, clock()) == 1  # closing (no group poll to stop)
    assert await polls.close_due(services, clock()) == 1  # results
    assert await polls.close_due(services, clock()) == 0
    results = await services.store.db.fetchall(
        "SELECT chat_id FROM outbox WHERE payload LIKE '%投票结果%'"
    )
    assert [r["chat_id"] for r in results] == [COMMUNITY]
