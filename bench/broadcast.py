"""Benchmark: a broadcast (政策宣传) to 10,000 residents through the real sender over HTTP.

A community worker's broadcast is made by the real use case (bot/usecases/broadcasts.py
`send`: one outbox row per resident, priority -1, in one commit) on a database holding
RESIDENTS residents of the community; then `griddesk run` (the real sender and sweeps) delivers
it to the fake Bot API (tests/fakebotapi.py) **with Telegram's limits enforced**: a message
that would break 30/s overall or 1/s per chat gets a 429, so every 429 counted is a breach.
The arrival times are also checked strictly (bench/sender.py `strict_violations`). While the
broadcast is going out, a case notice is queued (priority 0) to show it does not wait behind
the broadcast. Figures: the use case's commit time, messages/s achieved against 30/s, 429s,
strict breaches, the case notice's wait, the progress line's edits and the end report.

    python -m bench.broadcast                      # 10,000 residents: about 6 minutes
    python -m bench.broadcast --residents 600      # scaled down: about 30 s
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common
from bench.office import COMMUNITY_BASE, office, write_config
from bench.process import BotProcess, fake_server
from bench.sender import GLOBAL_LIMIT, cpu_seconds, strict_violations
from bot import settings as settings_module
from bot.app import open_services
from bot.domain.broadcasts import Audience, Content, Kind
from bot.usecases import broadcasts
from bot.usecases.results import Done
from storage.db import Database, to_db
from storage.outbox import Outbox, Outgoing
from tests.fakebotapi import Call

RESIDENT_BASE = 30_000_000
STAFF = COMMUNITY_BASE  # 社区0, the office's first community (C0)
NOTICE_CHAT = STAFF + 1  # another community's worker, told of a case meanwhile
STAFF_CHATS = (STAFF, NOTICE_CHAT)
BODY = "【消防演练】本周六上午9点在社区广场开展消防演练，请居民积极参加。"


async def prepare(config: Path, residents: int) -> tuple[float, int]:
    """Registers RESIDENTS residents in C0's grids and sends the broadcast through the use case;
    returns (seconds the use case took, broadcast id)."""
    settings = settings_module.load(config)
    services = await open_services(settings, lambda: datetime.now(UTC))
    try:
        now = to_db(datetime.now(UTC))
        grids = [u.code for u in await services.units.tree() if u.parent == "C0"]
        async with services.store.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO people (user_id, name, lang, unit, created_at, updated_at)"
                " VALUES (?, '居民', ?, ?, ?, ?)",
                [
                    (RESIDENT_BASE + n, "en" if n % 10 == 0 else "zh", grids[n % len(grids)], now,
                     now)
                    for n in range(residents)
                ],
            )  # fmt: skip
            await conn.executemany(
                "INSERT INTO people (user_id, name, lang, created_at, updated_at)"
                " VALUES (?, '社区', 'zh', ?, ?)",
                [(STAFF, now, now), (NOTICE_CHAT, now, now)],
            )
        started = time.perf_counter()
        result = await broadcasts.send(
            services,
            by=STAFF,
            lang="zh",
            unit="C0",
            audience=Audience.RESIDENTS,
            content=Content(Kind.TEXT, BODY),
            at=datetime.now(UTC),
        )
        took = time.perf_counter() - started
        assert isinstance(result, Done), result
        assert result.value.id is not None and result.value.residents == residents
        return took, result.value.id
    finally:
        await services.store.close()


async def queue_notice(database: Path) -> float:
    """Queues a case notice (priority 0) as a report's move would; returns when it committed."""
    db = await Database(database).open()
    try:
        text = "案件 R000123 已转派给您，请及时处理。"
        await Outbox(db).send([Outgoing(NOTICE_CHAT, "sendMessage", {"text": text})],
                              datetime.now(UTC))  # fmt: skip
        return time.monotonic()
    finally:
        await db.close()


def deliveries(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage" and c.ok and c.chat_id is not None
            and c.chat_id >= RESIDENT_BASE]  # fmt: skip


def broadcast_state(database: Path) -> tuple[str, int, int, int] | None:
    import sqlite3

    conn = sqlite3.connect(database, timeout=10)
    try:
        row = conn.execute("SELECT state, delivered, blocked, failed FROM broadcasts").fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]
    finally:
        conn.close()


async def run_once(residents: int, timeout: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-broadcast-"))
    try:
        database = folder / "broadcast.sqlite3"
        config = write_config(folder, office(10), database=database, sweep_interval=2)
        use_case_s, broadcast_id = await prepare(config, residents)
        async with fake_server(enforce_limits=True) as fake:
            for n in range(residents):
                fake.user(RESIDENT_BASE + n).chat.started = True
            for chat in (STAFF, NOTICE_CHAT):
                fake.user(chat).chat.started = True
            bot = BotProcess(fake, config, folder / "griddesk.log")
            await bot.start()
            notice_wait = math.nan
            try:
                await bot.wait_polling()
                cpu_before = cpu_seconds(bot.pid)
                gc.collect()  # as bench/sender.py: no collection delays the fake's stamps
                gc.freeze()
                gc.disable()
                deadline = time.monotonic() + timeout
                notice_queued: float | None = None
                seen = count = 0
                while time.monotonic() < deadline:
                    if not bot.alive():
                        raise RuntimeError(f"griddesk exited:\n{bot.tail()}")
                    await asyncio.sleep(0.5)
                    count += len(deliveries(fake.calls[seen:]))
                    seen += len(fake.calls[seen:])
                    if notice_queued is None and count >= min(300, residents // 3):
                        notice_queued = await queue_notice(database)
                    if notice_queued is not None and math.isnan(notice_wait):
                        arrived = fake.calls_of("sendMessage", NOTICE_CHAT, ok=True)
                        if arrived:
                            notice_wait = arrived[0].at - notice_queued
                    reported = any("发送报告" in t for t in fake.texts(STAFF))
                    if reported and not math.isnan(notice_wait):
                        break
                cpu = cpu_seconds(bot.pid) - cpu_before
            finally:
                gc.enable()
                gc.unfreeze()
                await bot.stop()
            calls = deliveries(fake.calls)
            first, last = calls[0].at, calls[-1].at
            minimum = math.ceil(len(calls) / GLOBAL_LIMIT) - 1
            message_calls = [
                c for c in fake.calls if c.method in ("sendMessage", "editMessageText")
            ]
            paced = [c for c in message_calls if c.ok]  # every call the limits count
            refused = [c for c in fake.calls if c.status == 429]
            edits = fake.calls_of("editMessageText", STAFF, ok=True)
            state = broadcast_state(database)
            report = [t for t in fake.texts(STAFF) if "发送报告" in t]
            return {
                "residents": residents,
                "broadcast_id": broadcast_id,
                "use_case_commit_s": use_case_s,
                "delivered": len(calls),
                "distinct_residents": len({c.chat_id for c in calls}),
                "responses_429": sum(1 for c in fake.calls if c.status == 429),
                "other_refused_calls": sum(
                    1 for c in message_calls if not c.ok and c.status != 429
                ),
                "achieved_per_s": len(calls) / (last - first),
                "allowed_per_s": GLOBAL_LIMIT,
                "fraction_of_allowed": minimum / (last - first),
                "seconds_first_to_last": last - first,
                **{f"violations_strict_{k}": v for k, v in strict_violations(paced).items()},
                "responses_429_detail": "; ".join(
                    f"{c.method} to {c.chat_id if c.chat_id in STAFF_CHATS else 'a resident'}"
                    f" {c.at - first:.1f} s in"
                    for c in refused
                ),
                "case_notice_wait_s": notice_wait,
                "progress_edits": len(edits),
                "broadcast_row": "/".join(str(v) for v in state) if state else "missing",
                "end_report": report[-1].replace("\n", " | ") if report else "missing",
                "bot_cpu_ms_per_message": 1000 * cpu / max(1, len(calls)),
            }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=10_000)
    args = parser.parse_args()
    common.show("machine", common.machine())
    timeout = 1.5 * args.residents / GLOBAL_LIMIT + 120
    common.show("broadcast", asyncio.run(run_once(args.residents, timeout)))


if __name__ == "__main__":
    main()
