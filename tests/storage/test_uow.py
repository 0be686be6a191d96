"""The unit of work: repository writes inside store.transaction() commit or roll back together."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.domain.points import PointKind
from storage.db import Database
from storage.outbox import Outgoing
from storage.uow import Store

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
VOLUNTEER = 7001


def note(text: str) -> Outgoing:
    return Outgoing(5001, "sendMessage", {"text": text})


async def queued(store: Store) -> int:
    row = await store.db.fetchone("SELECT COUNT(*) FROM outbox")
    assert row is not None
    return int(row[0])


@pytest.fixture
def store(db: Database) -> Store:
    return Store(db)


async def test_writes_of_several_repositories_commit_together(store: Store):
    commits: list[str] = []
    store.on_commit.append(lambda: commits.append("commit"))

    async def unit() -> None:
        async with store.transaction() as tx:
            assert await tx.points.award(VOLUNTEER, PointKind.WISH, 1, 5, AT)
            await tx.outbox.send([note("谢谢")], AT)

    # bounded: a repository call that did not join would wait for the lock this task holds
    await asyncio.wait_for(unit(), timeout=10)
    assert await store.points.balance(VOLUNTEER) == 5
    assert await queued(store) == 1
    assert commits == ["commit"]  # one commit for the whole unit, not one per repository call


async def test_an_error_in_the_unit_rolls_back_every_write(store: Store):
    async def unit() -> None:
        async with store.transaction() as tx:
            await tx.points.award(VOLUNTEER, PointKind.WISH, 1, 5, AT)
            await tx.outbox.send([note("谢谢")], AT)
            raise RuntimeError("the use case changed its mind")

    with pytest.raises(RuntimeError):
        await asyncio.wait_for(unit(), timeout=10)
    assert await store.points.balance(VOLUNTEER) == 0
    assert await queued(store) == 0


async def test_reads_inside_the_unit_see_its_own_writes(store: Store):
    async def unit() -> None:
        async with store.transaction() as tx:
            await tx.points.award(VOLUNTEER, PointKind.WISH, 1, 5, AT)
            assert await tx.points.balance(VOLUNTEER) == 5
            assert not await tx.points.award(VOLUNTEER, PointKind.WISH, 1, 5, AT)  # once per ref

    await asyncio.wait_for(unit(), timeout=10)
    assert await store.points.balance(VOLUNTEER) == 5


async def test_a_task_started_inside_a_unit_waits_for_it_instead_of_joining(store: Store):
    async def later() -> None:
        await store.outbox.send([note("稍后")], AT)

    async def unit() -> asyncio.Task[None]:
        async with store.transaction() as tx:
            await tx.outbox.send([note("先")], AT)
            task = asyncio.create_task(later())
            for _ in range(20):
                await asyncio.sleep(0)
            assert not task.done()  # it waits for the lock this unit holds
        return task

    task = await asyncio.wait_for(unit(), timeout=10)
    await asyncio.wait_for(task, timeout=10)
    assert await queued(store) == 2
