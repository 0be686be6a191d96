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
    python -m bench.backlog --postgresql --instances 1,2 --sqlite-too

`--postgresql` (a throwaway durable cluster, bench.common.Postgres) or `--db-url URL` runs it on
a fresh PostgreSQL database instead; `--instances 1,2` runs one process, then two started
together on one database, in every round (one leads the poller — the only one calling
getUpdates —, every one claims and processes updates from the inbox: bot/poller.py,
storage/inbox.py `Inbox.claim`); `--sqlite-too` adds the SQLite run first. Figures per run:
time to all done, updates/s, the bot's CPU per update (processes summed, and each process's),
the server's CPU per update (the bench's own cluster only), how many updates each process
claimed; then every run's ratios against the earlier runs of the same round.
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
from bench.process import BotProcess, Reader, fake_server
from bench.sender import cpu_seconds

RESIDENT_BASE = 30_000_000
CAPTION = "小区门口路灯坏了一周，晚上很黑"


async def run_once(
    residents: int,
    timeout: float,
    *,
    instances: int = 1,
    postgres: common.Postgres | None = None,
) -> dict[str, Any]:
    """One backlog run: INSTANCES `griddesk run` processes started together on one fresh
    database (PostgreSQL's when POSTGRES is given; several instances need it), timed until
    every update is done; returns the figures."""
    if instances > 1 and postgres is None:
        raise SystemExit("--instances above 1 needs PostgreSQL (--postgresql or --db-url)")
    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-backlog-"))
    url = postgres.fresh() if postgres is not None else ""
    location: Path | str = url or folder / "backlog.sqlite3"
    reader = Reader(location)
    try:
        async with fake_server() as fake:
            for n in range(residents):
                fake.user(RESIDENT_BASE + n).send_photo(CAPTION)
            for n in range(residents):
                fake.user(RESIDENT_BASE + n).send_text("还有，晚上十点以后也很吵")
            updates = len(fake.pending_updates())
            config = write_config(folder, office(1_000), database=folder / "backlog.sqlite3")
            env = {"GRIDDESK_DB_URL": url} if url else None
            bots = [
                BotProcess(fake, config, folder / f"griddesk-{n}.log") for n in range(instances)
            ]
            server_start = postgres.server_cpu() if postgres is not None else None
            for bot in bots:
                await bot.start(env=env)
            started_at = bots[0].started_at
            try:
                first_poll = await bots[0].wait_polling()  # whichever leads the poller
                cpu_start = [cpu_seconds(bot.pid) for bot in bots]
                server_at_poll = postgres.server_cpu() if postgres is not None else None
                fetched_at = None
                deadline = time.monotonic() + timeout
                while True:
                    if fetched_at is None and not fake.pending_updates():
                        fetched_at = time.monotonic()
                    done = reader.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'")
                    if done == updates or time.monotonic() > deadline:
                        break
                    for bot in bots:
                        if not bot.alive():
                            raise RuntimeError(f"griddesk exited:\n{bot.tail()}")
                    await asyncio.sleep(0.2)
                finished = time.monotonic()
                cpu = [cpu_seconds(bot.pid) - at for bot, at in zip(bots, cpu_start, strict=True)]
                server_end = postgres.server_cpu() if postgres is not None else None
                sent_meanwhile = len([c for c in fake.calls if c.method == "sendMessage"])
                by_instance = reader.rows(
                    "SELECT claimed_by, COUNT(*) FROM inbox GROUP BY claimed_by"
                    if instances > 1 else "SELECT 'one', COUNT(*) FROM inbox"
                )  # fmt: skip
            finally:
                await asyncio.gather(*(bot.stop() for bot in bots))
            total = reader.scalar("SELECT COUNT(*) FROM outbox")
            busiest = reader.scalar(
                "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM outbox GROUP BY chat_id) AS c"
            )
            states = ",".join(
                f"{state}={n}"
                for state, n in reader.rows("SELECT state, COUNT(*) FROM inbox GROUP BY state")
            )
            elapsed = finished - started_at
            figures: dict[str, Any] = {
                "backend": "postgresql" if url else "sqlite",
                "instances": instances,
                "updates": updates,
                "inbox": states,
                "seconds_start_to_first_poll": first_poll,
                "seconds_start_to_all_fetched": (fetched_at or finished) - started_at,
                "seconds_start_to_all_done": elapsed,
                "seconds_first_poll_to_all_done": elapsed - first_poll,
                "updates_per_s": updates / (elapsed - first_poll),
                "bot_cpu_ms_per_update": 1000 * sum(cpu) / updates,
                "bot_cpu_ms_per_update_per_process": ",".join(
                    f"{1000 * c / updates:.3g}" for c in cpu
                ),
                "replies_queued": total,
                "replies_sent_meanwhile": sent_meanwhile,
                "drain_seconds_at_telegram_limits": max(
                    math.ceil((total or 0) / 30) - 1, (busiest or 1) - 1
                ),
            }
            if instances > 1:
                figures["updates_claimed_per_process"] = ",".join(
                    str(n) for _, n in sorted(by_instance, key=lambda r: str(r[0]))
                )
            if postgres is not None:
                seen = None not in (server_start, server_at_poll, server_end)
                figures["server_cpu_ms_per_update"] = (
                    1000 * (server_end - server_at_poll) / updates  # type: ignore[operator]
                    if seen else float("nan")
                )  # fmt: skip
                figures["cpu_ms_per_update_total"] = (
                    figures["bot_cpu_ms_per_update"] + figures["server_cpu_ms_per_update"]
                )
            return figures
    finally:
        reader.close()
        if url:
            assert postgres is not None
            postgres.drop(url)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=5_000, help="2 updates each")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--instances", default="1",
        help="processes on one database, e.g. 1,2: each count in every round, ratios vs the first",
    )  # fmt: skip
    parser.add_argument(
        "--sqlite-too", action="store_true",
        help="with PostgreSQL: also one SQLite instance per round (the first in each round)",
    )  # fmt: skip
    common.add_postgres_options(parser)
    args = parser.parse_args()
    counts = [int(n) for n in args.instances.split(",")]
    common.show("machine", common.machine())
    postgres = common.postgres_from(args)
    plan: list[tuple[str, int]] = [("sqlite", 1)] if postgres is None or args.sqlite_too else []
    if postgres is not None:
        plan += [("postgresql", n) for n in counts]
    results: dict[str, list[dict[str, Any]]] = {}
    try:
        for number in range(args.rounds):
            for backend, count in plan:
                name = f"{backend}_{count}"
                figures = asyncio.run(
                    run_once(args.residents, args.timeout, instances=count,
                             postgres=postgres if backend == "postgresql" else None)
                )  # fmt: skip
                results.setdefault(name, []).append(figures)
                common.show(f"backlog round {number + 1} {name}", figures)
            if len(plan) > 1:
                common.show(f"backlog round {number + 1} ratios", ratios(results, plan, -1))
    finally:
        if postgres is not None:
            postgres.close()
    if args.rounds > 1:
        for name, rounds in results.items():
            numeric = [k for k, v in rounds[0].items() if isinstance(v, int | float)]
            medians = {k: common.median([r[k] for r in rounds]) for k in numeric}
            common.show(f"backlog {name} (medians)", medians)
        if len(plan) > 1:
            per_round = [ratios(results, plan, n) for n in range(args.rounds)]
            common.show(
                "backlog ratios (medians of the rounds' ratios)",
                {k: common.median([r[k] for r in per_round]) for k in per_round[0]},
            )


def ratios(
    results: dict[str, list[dict[str, Any]]], plan: list[tuple[str, int]], index: int
) -> dict[str, float]:
    """Each run of round INDEX against every earlier run of the plan in the same round (e.g.
    postgresql_2 vs postgresql_1): how much sooner all was done (`_speed`: the earlier run's
    first getUpdates → all done over this run's), and the CPU per update (bot processes
    summed; `_total`: with the PostgreSQL server's)."""
    names = [f"{backend}_{count}" for backend, count in plan]
    found: dict[str, float] = {}
    for later, name in enumerate(names):
        run = results[name][index]
        for base_name in names[:later]:
            base = results[base_name][index]
            versus = f"{name}_vs_{base_name}"
            found[f"{versus}_speed"] = ratio(
                base["seconds_first_poll_to_all_done"], run["seconds_first_poll_to_all_done"]
            )
            found[f"{versus}_bot_cpu_per_update"] = ratio(
                run["bot_cpu_ms_per_update"], base["bot_cpu_ms_per_update"]
            )
            if "cpu_ms_per_update_total" in run and "cpu_ms_per_update_total" in base:
                found[f"{versus}_cpu_per_update_total"] = ratio(
                    run["cpu_ms_per_update_total"], base["cpu_ms_per_update_total"]
                )
    return found


def ratio(top: float, bottom: float) -> float:
    """TOP / BOTTOM; NaN when BOTTOM is 0 (a run too short for the CPU clock's 10 ms ticks)."""
    return top / bottom if bottom else float("nan")


if __name__ == "__main__":
    main()
