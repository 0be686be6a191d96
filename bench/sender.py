"""Benchmark 5: the sender's achieved rate against the fake Bot API server over real HTTP.

A `griddesk run` process (the real sender) drains a broadcast of MESSAGES messages to CHATS
private chats, queued in its outbox in one commit (round-robin over the chats, as a broadcast
is). The fake server (tests/fakebotapi.py, in this process; limits recorded, not enforced) keeps
the arrival time of every call; from those times the benchmark counts breaches of Telegram's
limits — the fake's own check (`FakeBotApi.violations`, which allows 5 % for network jitter)
and a strict one (no 1.000 s window with more than 30 messages, no two messages to one chat
less than 1.000 s apart) — and the achieved rate as a fraction of the allowed one: 30/s
overall, or CHATS/s if that is lower (1/s per private chat).

    python -m bench.sender                          # 10,000 × 500: about 6 minutes
    python -m bench.sender --messages 900 --chats 60   # scaled down: about 35 s
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import math
import os
import shutil
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common
from bench.office import office, write_config
from bench.process import BotProcess, fake_server
from storage.db import Database
from storage.outbox import Outbox, Outgoing
from tests.fakebotapi import Call

CHAT_BASE = 20_000_000
GLOBAL_LIMIT = 30  # messages per second, bot-wide
CHAT_INTERVAL = 1.0  # seconds between two messages to one private chat


def cpu_seconds(pid: int) -> float:
    """Returns the user + system CPU seconds PID has used (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def strict_violations(calls: list[Call]) -> dict[str, float]:
    """Counts breaches of the limits in the arrival times, without any allowance.

    Also returns the tightest span of 31 consecutive messages and of two messages to one chat:
    a breach by a millisecond is network jitter, not pacing.
    """
    times = sorted(c.at for c in calls)
    spans = [b - a for a, b in zip(times, times[GLOBAL_LIMIT:], strict=False)]
    gaps: list[float] = []
    per_chat: dict[int | None, list[float]] = defaultdict(list)
    for call in calls:
        per_chat[call.chat_id].append(call.at)
    for stamps in per_chat.values():
        stamps.sort()
        gaps += [b - a for a, b in itertools.pairwise(stamps)]
    return {
        "over_30_per_s": sum(1 for span in spans if span < 1.0),
        "under_1_s_per_chat": sum(1 for gap in gaps if gap < CHAT_INTERVAL),
        "tightest_31_message_span_s": min(spans, default=float("nan")),
        "tightest_chat_gap_s": min(gaps, default=float("nan")),
    }


def order_kept(calls: list[Call]) -> bool:
    """Tells whether each chat got its messages in the order they were queued."""
    last: dict[int | None, int] = {}
    for call in sorted(calls, key=lambda c: c.at):
        number = int(str(call.params.get("text", "")).split("#", 1)[1].split(" ", 1)[0])
        if number < last.get(call.chat_id, -1):
            return False
        last[call.chat_id] = number
    return True


async def queue_broadcast(database: Path, messages: int, chats: int) -> float:
    """Queues the broadcast in the bot's outbox in one commit; returns when it committed."""
    db = await Database(database).open()
    try:
        outgoing = [
            Outgoing(CHAT_BASE + n % chats, "sendMessage", {"text": f"通知 #{n} 社区活动提醒"})
            for n in range(messages)
        ]
        await Outbox(db).send(outgoing, datetime.now(UTC))
        return time.monotonic()
    finally:
        await db.close()


def delivered(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage" and c.ok and c.chat_id is not None
            and c.chat_id >= CHAT_BASE]  # fmt: skip


async def run_once(messages: int, chats: int, timeout: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-sender-"))
    try:
        async with fake_server() as fake:
            for n in range(chats):
                fake.user(CHAT_BASE + n).chat.started = True  # each pressed Start once
            database = folder / "sender.sqlite3"
            config = write_config(folder, office(100), database=database)
            bot = BotProcess(fake, config, folder / "griddesk.log")
            await bot.start()
            try:
                await bot.wait_polling()
                cpu_before = cpu_seconds(bot.pid)
                # The fake stamps arrivals on this process's event loop: a collection of its
                # growing call record would delay a stamp and fake a breach, so none run now.
                gc.collect()
                gc.freeze()
                gc.disable()
                queued = await queue_broadcast(database, messages, chats)
                deadline = time.monotonic() + timeout
                seen = count = 0
                while count < messages and time.monotonic() < deadline:
                    if not bot.alive():
                        raise RuntimeError(f"griddesk exited:\n{bot.tail()}")
                    await asyncio.sleep(0.5)
                    count += len(delivered(fake.calls[seen:]))  # little work on the fake's loop
                    seen += len(fake.calls[seen:])
                cpu = cpu_seconds(bot.pid) - cpu_before
            finally:
                gc.enable()
                gc.unfreeze()
                await bot.stop()
            calls = delivered(fake.calls)
            texts = [str(c.params.get("text")) for c in calls]
            first, last = calls[0].at, calls[-1].at
            allowed = min(GLOBAL_LIMIT, chats / CHAT_INTERVAL)
            # The shortest first-to-last span the limits allow: 30 at once, then 30 a second
            # later …; and each chat's messages 1 s apart.
            minimum = max(
                math.ceil(messages / GLOBAL_LIMIT) - 1,
                (math.ceil(messages / chats) - 1) * CHAT_INTERVAL,
            )
            message_calls = [c for c in fake.calls if c.method == "sendMessage"]
            return {
                "messages": messages,
                "chats": chats,
                "delivered": len(calls),
                "duplicates": len(texts) - len(set(texts)),
                "refused_calls": sum(1 for c in message_calls if not c.ok),
                "order_kept_per_chat": order_kept(calls),
                "allowed_per_s": allowed,
                "achieved_per_s": len(calls) / (last - first),
                "seconds_first_to_last": last - first,
                "seconds_first_to_last_allowed": minimum,
                "fraction_of_allowed": minimum / (last - first),
                "seconds_queued_to_last": last - queued,
                "violations_fake_record": len(fake.violations),
                "violations_fake_detail": "; ".join(
                    f"{why} (chat {chat}, {at - first:.2f} s in)"
                    for why, chat, at in fake.violations
                ),
                **{f"violations_strict_{k}": v for k, v in strict_violations(calls).items()},
                "bot_cpu_ms_per_message": 1000 * cpu / max(1, len(calls)),
            }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    common.show("machine", common.machine())
    timeout = 1.5 * args.messages / min(GLOBAL_LIMIT, args.chats) + 120
    results = []
    for number in range(args.rounds):
        results.append(asyncio.run(run_once(args.messages, args.chats, timeout)))
        common.show(f"sender round {number + 1}", results[-1])
    if args.rounds > 1:
        numeric = [k for k, v in results[0].items() if isinstance(v, int | float)]
        medians = {k: common.median([r[k] for r in results]) for k in numeric}
        common.show("sender (medians)", medians)


if __name__ == "__main__":
    main()
