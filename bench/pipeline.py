"""Benchmark 1: the whole 随手拍 pipeline in one process, the network stubbed.

griddesk runs as `griddesk run` does (bot.runner.run: the inbox poller storing getUpdates
batches, the processor feeding the real Application and handlers, the real Sender) against
bench.common.StubBotApi, an in-memory Bot API. Simulated residents (pre-registered at a grid)
hold the whole conversation — photo → description → category → place (their home) → confirm,
5 updates per report — each sending the next update once the bot's prompt arrived and tapping
the buttons it carried. The ack is the "案件编号 R…" message that follows the confirmation.

Two runs, alternated and repeated (medians reported):
- throughput: CONCURRENCY residents converse back to back (closed loop, no think time, no
  pacing in the sender) until REPORTS reports are acknowledged; the same driver then plays the
  same updates to a bare python-telegram-bot echo bot (Updater polling the same stub class,
  Application.process_update, one reply per update, callback queries answered): the ratio of
  CPU seconds per update is griddesk's cost relative to PTB alone.
- latency: reports start at RATE per second (open loop, Poisson arrivals) for SECONDS; each
  resident takes THINK seconds to read a prompt; the sender keeps Telegram's per-chat limits
  (1/s per private chat, 20/min per group) but not the 30/s bot-wide one (that one alone caps
  a bot at ~30 / messages-per-report reports/s, printed separately). Latency = confirm update
  stored in the inbox → ack handed to the Bot API.

    python -m bench.pipeline                    # defaults below, about 5 minutes
    python -m bench.pipeline --quick            # one short round of each, about 40 s
    python -m bench.pipeline --postgresql       # each round also on PostgreSQL, side by side
    python -m bench.pipeline --db-url postgresql://…   # the same on a server of yours

With `--postgresql` (a throwaway durable cluster, bench.common.Postgres) or `--db-url`, every
round runs griddesk a second time on a fresh PostgreSQL database with the same residents, after
the SQLite run and against the same echo run: the `pg_…` figures, the server's CPU per update
(its processes, read from /proc: only for the cluster the bench started) added to the bot's in
`pg_ms_cpu_per_update_total`, and `pg_vs_sqlite_…` the ratios within the round. The SQLite
figures keep their names and meaning.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench import common
from bench.office import TOKEN, Office, office, write_config

DESCRIPTION = "楼下垃圾桶满了三天没人清理，气味很大"
RESIDENT_BASE = 10_000_000
# (kind, button prefix): the whole resident conversation, one update each.
SCRIPT = [
    ("photo", ""),
    ("text", ""),
    ("press", "newreport:cat:"),
    ("press", "newreport:home:"),
    ("offer", "newreport:new:"),  # 并单: "mine is new", when open reports like it are offered
    ("press", "newreport:send:"),
]
STEP_TIMEOUT = 120.0  # seconds one resident waits for the bot's answer before giving up


# The simulated residents -------------------------------------------------------------------


@dataclass
class Figures:
    reports: int = 0
    updates: int = 0
    failed: int = 0
    acks: list[float] = field(default_factory=list)  # confirm stored → ack sent
    arrival_acks: list[float] = field(default_factory=list)  # confirm handed over → ack sent
    failures: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)


class Residents:
    """Plays residents against STUB; STORED maps update_id → when the bot stored it."""

    def __init__(
        self,
        stub: common.StubBotApi,
        is_ack: Callable[[dict[str, Any]], bool],
        think: float = 0.0,
    ):
        self.stub = stub
        self.is_ack = is_ack
        self.think = think
        self.stored: dict[int, float] = {}
        self.figures = Figures()
        self._query_ids = 0

    async def report(self, user_id: int) -> None:
        """Holds one whole report conversation as USER_ID; records the ack latency."""
        got: asyncio.Queue[tuple[dict[str, Any], float]] = asyncio.Queue()

        def heard(method: str, params: dict[str, Any], at: float) -> None:
            if method != "editMessageReplyMarkup":  # an answered prompt losing its buttons
                got.put_nowait((params, at))

        self.stub.listeners[user_id] = heard
        last: dict[str, Any] = {}
        try:
            for number, (kind, prefix) in enumerate(SCRIPT):
                while not got.empty():  # a second message answering the step before
                    last = got.get_nowait()[0]
                if kind == "offer":
                    if common.button_data(last, prefix) is None:
                        continue  # nothing was offered: the summary is already there
                    kind = "press"
                if number and self.think:
                    await asyncio.sleep(self.think)
                handed = time.perf_counter()
                update_id = self.send(user_id, kind, prefix, last, number)
                self.figures.updates += 1
                final = number == len(SCRIPT) - 1
                while True:
                    last, at = await asyncio.wait_for(got.get(), STEP_TIMEOUT)
                    if not final or self.is_ack(last):
                        break
            self.figures.reports += 1
            self.figures.acks.append(at - self.stored.get(update_id, handed))
            self.figures.arrival_acks.append(at - handed)
        except TimeoutError:
            self.figures.failed += 1
            self.figures.failures.append((user_id, number, last))
        finally:
            del self.stub.listeners[user_id]

    def send(self, user_id: int, kind: str, prefix: str, last: dict[str, Any], step: int) -> int:
        if kind == "photo":
            fields: dict[str, Any] = {"photo": common.photo_sizes(f"p{user_id}")}
            return self.stub.push("message", common.message(user_id, step + 1, **fields))
        if kind == "text":
            return self.stub.push("message", common.message(user_id, step + 1, text=DESCRIPTION))
        self._query_ids += 1
        data = common.button_data(last, prefix) or f"{prefix}x"
        query = common.callback_query(user_id, str(self._query_ids), data, step)
        return self.stub.push("callback_query", query)

    async def closed_loop(self, first_user: int, reports: int, concurrency: int) -> float:
        """Runs REPORTS conversations, CONCURRENCY at a time; returns the seconds taken."""
        users = iter(range(first_user, first_user + reports))

        async def worker() -> None:
            for user_id in users:
                await self.report(user_id)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started

    async def open_loop(self, first_user: int, rate: float, seconds: float, seed: int) -> int:
        """Starts conversations at RATE per second (Poisson) for SECONDS; waits for them all."""
        rng = random.Random(seed)
        tasks = []
        started = time.perf_counter()
        at = 0.0
        user_id = first_user
        while True:
            at += rng.expovariate(rate)
            if at > seconds:
                break
            delay = started + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.report(user_id)))
            user_id += 1
        await asyncio.gather(*tasks)
        return len(tasks)


def is_report_ack(params: dict[str, Any]) -> bool:
    return "案件编号" in str(params.get("text") or "")


# griddesk ------------------------------------------------------------------------------------


async def register_residents(services: Any, first: int, count: int, grids: list[str]) -> None:
    """Stores COUNT residents registered at a grid (the bench's shortcut past /start)."""
    now = services.clock()
    stamp = now.isoformat(timespec="microseconds")
    rows = [
        (user_id, "居民", "zh", grids[user_id % len(grids)], stamp, stamp)
        for user_id in range(first, first + count)
    ]
    async with services.store.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO people (user_id, name, lang, unit, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )


def unpaced(pacer: Any, *, keep_chat_limits: bool) -> None:
    """Lifts the sender's bot-wide 30/s limit (and, unless KEEP_CHAT_LIMITS, the per-chat ones)."""

    def global_delay(amount: int, now: float) -> float:
        return max(0.0, pacer.paused_until - now)

    pacer.global_delay = global_delay
    # No bot-wide limit: a pass fetches as many rows as the sender fetched before it asked
    # the pacer (4 × 30), so the figures stay comparable with the earlier runs.
    if hasattr(pacer, "room"):
        pacer.room = lambda now: 0 if now < pacer.paused_until else 120
    if not keep_chat_limits:
        pacer.chat_delay = lambda chat_id, amount, now: 0.0
        pacer.record = lambda chat_id, amount, now: None
    else:
        chat_record = pacer.record

        def record(chat_id: int, amount: int, now: float) -> None:
            chat_record(chat_id, amount, now)
            pacer._recent.clear()  # only the bot-wide window uses it

        pacer.record = record


async def griddesk_run(
    the_office: Office,
    folder: Path,
    play: Callable[[Residents], Any],
    residents: int,
    *,
    think: float,
    keep_chat_limits: bool,
    postgres: common.Postgres | None = None,
) -> tuple[Residents, dict[str, float]]:
    """Runs bot.runner.run against the stub while PLAY(residents) drives it; returns figures.

    On a fresh database of POSTGRES when given (else an SQLite file in FOLDER); figures["cpu"]
    is this process's CPU, figures["server_cpu"] the PostgreSQL server's meanwhile (NaN when
    not measurable: a server of --db-url)."""
    from bot import settings as settings_module
    from bot.app import build_application
    from bot.clock import system_clock
    from bot.runner import run

    config = write_config(folder, the_office, database=folder / "pipeline.sqlite3")
    url = postgres.fresh() if postgres is not None else ""
    saved = os.environ.pop("GRIDDESK_DB_URL", None)
    try:
        if url:
            os.environ["GRIDDESK_DB_URL"] = url  # what an operator sets ([storage] url)
        settings = settings_module.load(config)
    finally:
        os.environ.pop("GRIDDESK_DB_URL", None)
        if saved is not None:
            os.environ["GRIDDESK_DB_URL"] = saved
    assert settings.database_location() == (url or folder / "pipeline.sqlite3")
    stub = common.StubBotApi()
    app = build_application(settings, token=TOKEN, request=stub)
    players = Residents(stub, is_report_ack, think)
    measured: dict[str, float] = {}

    async def on_start(application: Application) -> None:
        services = application.bot_data["services"]
        await register_residents(services, RESIDENT_BASE, residents, the_office.grids)
        unpaced(application.bot_data["sender"].pacer, keep_chat_limits=keep_chat_limits)
        store = services.inbox.store

        async def stored(updates: list[dict[str, Any]], at: Any) -> int:
            new = await store(updates, at)
            now = time.perf_counter()
            for update in updates:
                players.stored.setdefault(update["update_id"], now)
            return new

        services.inbox.store = stored

        async def drive() -> None:
            cpu = time.process_time()
            server = postgres.server_cpu() if postgres is not None else 0.0
            try:
                measured["played"] = float(await play(players))
            finally:
                measured["cpu"] = time.process_time() - cpu
                after = postgres.server_cpu() if postgres is not None else 0.0
                measured["server_cpu"] = (
                    after - server if after is not None and server is not None else float("nan")
                )
                measured["messages"] = float(sum(stub.calls[m] for m in common.MESSAGE_METHODS))
                measured["reports_stored"] = float(await _count(services, "reports"))
                measured["events_stored"] = float(await _count(services, "report_events"))
                os.kill(os.getpid(), signal.SIGINT)

        application.bot_data["bench_driver"] = asyncio.create_task(drive())

    app.bot_data.setdefault("on_start", []).append(on_start)
    try:
        await run(app, system_clock)
    finally:
        if url:
            assert postgres is not None
            postgres.drop(url)
    return players, measured


async def _count(services: Any, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    return int(row[0])


# The bare python-telegram-bot echo bot --------------------------------------------------------


async def echo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(message.text or "photo")


async def echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await context.bot.send_message(query.from_user.id, query.data or "?")


async def echo_run(play: Callable[[Residents], Any]) -> tuple[Residents, dict[str, float]]:
    """Runs PTB's own polling Updater + Application with an echo handler against the stub."""
    stub = common.StubBotApi()
    app = ApplicationBuilder().token(TOKEN).request(stub).get_updates_request(stub).build()
    app.add_handler(CallbackQueryHandler(echo_press))
    app.add_handler(MessageHandler(filters.ALL, echo_message))
    players = Residents(stub, lambda params: True)
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=10)
    await app.start()
    cpu = time.process_time()
    try:
        seconds = float(await play(players))
    finally:
        cpu = time.process_time() - cpu
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    return players, {"seconds": seconds, "cpu": cpu}


# Rounds ----------------------------------------------------------------------------------------


def throughput_round(
    the_office: Office, reports: int, concurrency: int, postgres: common.Postgres | None = None
) -> dict[str, float]:
    """One echo run and one griddesk run on the same update script; returns their figures.

    With POSTGRES, a third run of griddesk on a fresh PostgreSQL database: its figures are the
    `pg_…` ones, its CPU counts the bot process AND the server's processes (`pg_…_total`), and
    `pg_vs_sqlite_…` compares it with the SQLite run of the same round."""

    def play(players: Residents) -> Any:
        return players.closed_loop(RESIDENT_BASE, reports, concurrency)

    echo, echo_figures = asyncio.run(echo_run(play))
    echo_cpu = echo_figures["cpu"] / echo.figures.updates
    echo_wall = echo_figures["seconds"] / echo.figures.updates
    found: dict[str, float] = {}
    for backend in ("sqlite", "postgresql") if postgres is not None else ("sqlite",):
        folder = Path(tempfile.mkdtemp(prefix="griddesk-pipeline-"))
        try:
            grid, grid_figures = asyncio.run(
                griddesk_run(the_office, folder, play, reports, think=0.0, keep_chat_limits=False,
                             postgres=postgres if backend == "postgresql" else None)
            )  # fmt: skip
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        assert echo.figures.failed == 0 and grid.figures.failed == 0, "a conversation timed out"
        assert grid_figures["reports_stored"] == reports, grid_figures
        updates = grid.figures.updates
        grid_cpu = grid_figures["cpu"] / updates
        wall = grid_figures["played"] / updates
        figures = {
            "reports_per_s": grid.figures.reports / grid_figures["played"],
            "updates_per_s": updates / grid_figures["played"],
            "ms_cpu_per_update": 1000 * grid_cpu,
            "ms_wall_per_update": 1000 * wall,
            "cost_ratio_cpu": grid_cpu / echo_cpu,
            "cost_ratio_wall": wall / echo_wall,
            "messages_per_report": grid_figures["messages"] / reports,
        }
        if backend == "sqlite":
            found.update(figures)
            found["echo_updates_per_s"] = echo.figures.updates / echo_figures["seconds"]
            found["echo_ms_cpu_per_update"] = 1000 * echo_cpu
            continue
        total = grid_cpu + grid_figures["server_cpu"] / updates  # NaN: server not seen
        figures["server_ms_cpu_per_update"] = 1000 * grid_figures["server_cpu"] / updates
        figures["ms_cpu_per_update_total"] = 1000 * total
        figures["cost_ratio_cpu_total"] = total / echo_cpu
        found.update({f"pg_{key}": value for key, value in figures.items()})
        found["pg_vs_sqlite_updates_per_s"] = figures["updates_per_s"] / found["updates_per_s"]
        found["pg_vs_sqlite_cpu_total"] = 1000 * total / found["ms_cpu_per_update"]
    return found


def latency_round(
    the_office: Office,
    rate: float,
    seconds: float,
    think: float,
    seed: int,
    postgres: common.Postgres | None = None,
) -> dict[str, float]:
    """One open-loop griddesk run at RATE reports/s; returns the ack latencies (`pg_…`: the
    same arrivals on a fresh PostgreSQL database, when POSTGRES is given)."""
    expected = int(rate * seconds * 1.5) + 100

    def play(players: Residents) -> Any:
        return players.open_loop(RESIDENT_BASE, rate, seconds, seed)

    found: dict[str, float] = {}
    for backend in ("sqlite", "postgresql") if postgres is not None else ("sqlite",):
        folder = Path(tempfile.mkdtemp(prefix="griddesk-latency-"))
        try:
            grid, figures = asyncio.run(
                griddesk_run(the_office, folder, play, expected, think=think,
                             keep_chat_limits=True,
                             postgres=postgres if backend == "postgresql" else None)
            )  # fmt: skip
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        acks = grid.figures.acks
        prefix = "pg_" if backend == "postgresql" else ""
        found.update({
            f"{prefix}offered_reports": figures["played"],
            f"{prefix}acked": grid.figures.reports,
            f"{prefix}timed_out": grid.figures.failed,
            f"{prefix}ack_p50_ms": 1000 * common.percentile(acks, 0.50),
            f"{prefix}ack_p99_ms": 1000 * common.percentile(acks, 0.99),
            f"{prefix}ack_max_ms": 1000 * max(acks, default=float("nan")),
            f"{prefix}sent_to_ack_p50_ms":
                1000 * common.percentile(grid.figures.arrival_acks, 0.50),
            f"{prefix}messages_per_report": figures["messages"] / max(1, grid.figures.reports),
        })  # fmt: skip
    return found


def medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: common.median([r[key] for r in rounds]) for key in rounds[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--reports", type=int, default=400, help="per throughput round")
    parser.add_argument("--concurrency", type=int, default=50, help="residents at a time")
    parser.add_argument("--rounds", type=int, default=3, help="throughput and latency rounds")
    parser.add_argument("--rate", type=float, default=200.0, help="offered reports per second")
    parser.add_argument("--seconds", type=float, default=5.0, help="of open-loop arrivals")
    parser.add_argument("--think", type=float, default=1.0, help="resident's reading time, s")
    parser.add_argument("--quick", action="store_true", help="one short round of each")
    parser.add_argument("--latency-only", action="store_true", help="skip the throughput runs")
    parser.add_argument("--throughput-only", action="store_true", help="skip the latency runs")
    common.add_postgres_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.reports, args.seconds = 1, 150, 2.0
    the_office = office(args.units)
    common.show("machine", common.machine())
    postgres = common.postgres_from(args)
    try:
        throughput, latency = rounds(the_office, args, postgres)
    finally:
        if postgres is not None:
            postgres.close()
    summary = {f"throughput_{k}": v for k, v in medians(throughput).items()} if throughput else {}
    summary.update({f"latency_{k}": v for k, v in medians(latency).items()} if latency else {})
    if latency:
        summary["latency_offered_per_s"] = args.rate
    summary["postgresql"] = (
        "" if postgres is None else "started, durable" if postgres.folder else "--db-url server"
    )
    per_report = summary.get("throughput_messages_per_report")
    per_report = per_report or summary["latency_messages_per_report"]
    summary["telegram_cap_reports_per_s"] = 30 / per_report
    summary["updates_per_report"] = (  # 5, or 6 where 并单 offered open reports like it
        summary["throughput_updates_per_s"] / summary["throughput_reports_per_s"]
        if throughput
        else len(SCRIPT) - 1
    )
    summary["rounds"] = args.rounds
    common.show("pipeline (medians)", summary)


def rounds(
    the_office: Office, args: argparse.Namespace, postgres: common.Postgres | None
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Runs ARGS.rounds rounds of throughput and latency (each on both backends with POSTGRES)."""
    throughput: list[dict[str, float]] = []
    latency: list[dict[str, float]] = []
    for number in range(args.rounds):
        if not args.latency_only:
            throughput.append(
                throughput_round(the_office, args.reports, args.concurrency, postgres)
            )
            common.show(f"pipeline throughput round {number + 1}", throughput[-1])
        if not args.throughput_only:
            latency.append(
                latency_round(the_office, args.rate, args.seconds, args.think, number, postgres)
            )
            common.show(f"pipeline latency round {number + 1} at {args.rate:g}/s", latency[-1])
    return throughput, latency


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
