"""A graceful stop (SIGTERM) lets the call in flight be answered and recorded: exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

from storage.outbox import OutboxRow, Outgoing
from tests.conftest import RESIDENT, RESIDENT_2
from tests.delivery.conftest import Live
from tests.fakebotapi import Fault


async def states(live: Live) -> dict[int, str]:
    rows = await live.services.store.db.fetchall("SELECT chat_id, state FROM outbox")
    return {row["chat_id"]: row["state"] for row in rows}


async def queue_two(live: Live) -> None:
    for chat_id in (RESIDENT, RESIDENT_2):
        live.fake.user(chat_id).send_text("/start")
    await live.services.outbox.send(
        [
            Outgoing(RESIDENT, "sendMessage", {"text": "一"}),
            Outgoing(RESIDENT_2, "sendMessage", {"text": "二"}),
        ],
        live.clock(),
    )


async def test_a_stop_during_a_call_records_it_as_sent_and_starts_no_other(live: Live):
    # Telegram carries the first message out at once and answers it late: the stop comes between.
    live.fake.inject(Fault.slow(0.3, process_first=True), chat_id=RESIDENT)
    await queue_two(live)
    task = asyncio.create_task(live.sender.run())
    try:
        await live.fake.wait_for(lambda: live.fake.texts(RESIDENT) == ["一"], what="the call")
        await asyncio.wait_for(live.sender.stop(task), timeout=10)
        assert task.done() and not task.cancelled() and task.exception() is None
    finally:
        task.cancel()
    assert await states(live) == {RESIDENT: "sent", RESIDENT_2: "pending"}
    assert live.fake.texts(RESIDENT_2) == []


async def test_a_call_that_hangs_past_the_grace_is_cut_and_its_message_sent_again(live: Live):
    sender = live.sender
    real_call = sender._call

    async def carried_out_but_never_answered(row: OutboxRow) -> Any:
        await real_call(row)
        await asyncio.Event().wait()

    sender._call = carried_out_but_never_answered  # type: ignore[method-assign]
    await queue_two(live)
    task = asyncio.create_task(sender.run())
    try:
        await live.fake.wait_for(lambda: live.fake.texts(RESIDENT) == ["一"], what="the call")
        await sender.stop(task, grace=0.05)
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
    finally:
        task.cancel()
    # Not known to be sent: the next start sends it again (at least once, as after a kill).
    assert await states(live) == {RESIDENT: "sending", RESIDENT_2: "pending"}
