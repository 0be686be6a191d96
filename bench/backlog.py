"""Benchmark 2: a backlog of updates waiting in the fake Bot API server when the bot starts.

While the bot was down, RESIDENTS residents each sent a photo with a caption (a 随手拍: the bot
asks for the category) and then a text (the bot answers that the buttons are needed): 2 updates
each, 10,000 by default, held by the fake server (tests/fakebotapi.py) over real HTTP. Then the
real `griddesk run` process starts on a fresh database of the bench office (1,000 units). The
figure is the time until every update is stored and processed (inbox all 'done'), from the
process start and from its first getUpdates.

The sender starts pacing the replies meanwhile (Telegram's limits); how long the whole output
would take to drain at those limits is computed from the outbox (30/s overall, 1/s per chat) and
printed separately — the benchmark does not wait for it.

    python -m bench.backlog                       # 10,000 updates: about 2–3 minutes
    python -m bench.backlog --residents 1000      # 2,000 updates: about 40 s
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common
from bench.office import office, write_config
from bench.process import BotProcess, fake_server, scalar
from bench.sender import cpu_seconds

RESIDENT_BASE = 30_000_000
CAPTION = "小区门口路灯坏了一周，晚上很黑"


async def run_once(residents: int, timeout: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-backlog-"))
    try:
        async with fake_server() as fake:
            for n in range(residents):
                fake.user(RESIDENT_BASE + n).send_photo(CAPTION)
            for n in range(residents):
                fake.user(RESIDENT_BASE + n).send_text("还有，晚上十点以后也很吵")
            updates = len(fake.pending_updates())
            database = folder / "backlog.sqlite3"
            config = write_config(folder, office(1_000), database=database)
            bot = BotProcess(fake, config, folder / "griddesk.log")
            await bot.start()
            try:
                first_poll = await bot.wait_polling()
                cpu_start = cpu_seconds(bot.pid)
                fetched_at = None
                deadline = time.monotonic() + timeout
                while True:
                    if fetched_at is None and not fake.pending_updates():
                        fetched_at = time.monotonic()
                    done = scalar(database, "SELECT COUNT(*) FROM inbox WHERE state = 'done'")
                    if done == updates or time.monotonic() > deadline:
                        break
                    if not bot.alive():
                        raise RuntimeError(f"griddesk exited:\n{bot.tail()}")
                    await asyncio.sleep(0.2)
                finished = time.monotonic()
                cpu = cpu_seconds(bot.pid) - cpu_start
                sent_meanwhile = len([c for c in fake.calls if c.method == "sendMessage"])
            finally:
                await bot.stop()
            total = scalar(database, "SELECT COUNT(*) FROM outbox")
            busiest = scalar(
                database, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM outbox GROUP BY chat_id)"
            )
            states = scalar(
                database, "SELECT group_concat(state || '=' || n) FROM"
                " (SELECT state, COUNT(*) AS n FROM inbox GROUP BY state)",
            )  # fmt: skip
            elapsed = finished - bot.started_at
            return {
                "updates": updates,
                "inbox": states,
                "seconds_start_to_first_poll": first_poll,
                "seconds_start_to_all_fetched": (fetched_at or finished) - bot.started_at,
                "seconds_start_to_all_done": elapsed,
                "seconds_first_poll_to_all_done": elapsed - first_poll,
                "updates_per_s": updates / (elapsed - first_poll),
                "bot_cpu_ms_per_update": 1000 * cpu / updates,
                "replies_queued": total,
                "replies_sent_meanwhile": sent_meanwhile,
                "drain_seconds_at_telegram_limits": max(
                    math.ceil(total / 30) - 1, (busiest or 1) - 1
                ),
            }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=5_000, help="2 updates each")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    common.show("machine", common.machine())
    results = []
    for number in range(args.rounds):
        results.append(asyncio.run(run_once(args.residents, args.timeout)))
        common.show(f"backlog round {number + 1}", results[-1])
    if args.rounds > 1:
        numeric = [k for k, v in results[0].items() if isinstance(v, int | float)]
        medians = {k: common.median([r[k] for r in results]) for k in numeric}
        common.show("backlog (medians)", medians)


if __name__ == "__main__":
    main()
