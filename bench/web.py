"""Benchmark: the web surface of the real `griddesk run` under load while the bot works.

One harness for every web target (issue 10, "Measure"):

- the bot: the real `griddesk run` process (bench.process.BotProcess) on a working copy of the
  bench database (bench.database: 1,000,000 reports built once by bench.populate and reused),
  its clock two days before bench.populate.NOW (GRIDDESK_CLOCK_OFFSET: no deadline is due, the
  sweeps find nothing, Open311's default 90 days cover every report), [web] listen on a free port;
- Telegram: the fake Bot API server (tests/fakebotapi.py) in this process, fed a steady stream of
  residents' updates (`/start` from registered residents, each resident once, RATE per second,
  open loop); `--rate 0` keeps 200 updates waiting instead (the bot's capacity);
- the web client: a second process, wrk (Debian's `wrk`, --latency) if it is on PATH, else a
  Python process with httpx (`--client python`); the figures say which; CONNECTIONS connections,
  as fast as they are answered (a flood), or WEB_RATE requests/s (`--web-rate`, the Python client).

For each target, after the client's 3-second warm-up (not counted), three phases of SECONDS
each, back to back:
  C. the client alone (the bot idle)           → web p50 / p99 latency, requests/s
  A. the stream alone                          → the bot's updates handled/s, per-update latency
  B. the stream and the client at once         → both, and the ratios B/A (bot) and B/C (web).
Per-update latency is measured twice: `reply` = the update queued at the fake → the bot's first
message to that chat arriving at the fake (what a resident waits, the sender's pacing included);
`inbox` = the update stored in the inbox → processed (done_at − received_at, the bot's own stamps).
Then `/metrics` scrape time: SCRAPES sequential GETs, 1.1 s apart (each refreshes its figures).

Targets: `requests` (/open311/v2/requests.json?page_size=100; `requests_open`,
`requests_category`, `requests_page100` are its old variants), `metrics`, `healthz`, `cases` (the
dashboard's case list, behind a login session: `--cookie VALUE` uses a session you made, else the
harness stores one for `--staff` (default: the district's staff member, who sees every report) in
web_sessions, migration 0019 — see create_session; a target that is not served yet is skipped
with the reason).

    python -m bench.web                                   # reuses /tmp/griddesk-bench-1m.sqlite3
    python -m bench.web --db /tmp/griddesk-bench-1m-appraisal.sqlite3 --targets requests,cases
    python -m bench.web --reports 2000 --units 100 --due 20 --db /tmp/b.sqlite3 --seconds 2
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import secrets
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import common, database
from bench.office import DISTRICT_STAFF, office, write_config
from bench.populate import NOW, RESIDENT_BASE, RESIDENTS
from bench.process import BotProcess, fake_server
from bench.sender import cpu_seconds
from storage.db import to_db

TARGETS = {
    "requests": "/open311/v2/requests.json?page_size=100",
    "requests_open": "/open311/v2/requests.json?page_size=100&status=open",
    "requests_category": "/open311/v2/requests.json?page_size=100&service_code=litter",
    "requests_page100": "/open311/v2/requests.json?page_size=100&page=100",
    "metrics": "/metrics",
    "healthz": "/healthz",
    "cases": "/cases",
}
DEFAULT_TARGETS = "requests,cases,metrics"
COOKIE = "griddesk_session"  # handlers/web/login.py's cookie
CLOCK_BEFORE_NOW = timedelta(days=2)  # the bot's clock: nothing due, every report in 90 days
MESSAGE_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup"}
PLANS = {
    "plan_requests": (
        "SELECT id FROM reports WHERE created_at >= ? AND created_at <= ?"
        " ORDER BY created_at DESC, id DESC LIMIT 100 OFFSET 0",
        ("a", "b"),
    ),
    "plan_metrics_state_tier": (
        "SELECT status, tier, COUNT(*) FROM reports GROUP BY status, tier",
        (),
    ),
}


# The web client: a second process ----------------------------------------------------------


def wrk_command(url: str, seconds: float, connections: int, cookie: str | None) -> list[str]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "60s"]  # fmt: skip
    if cookie:
        command += ["-H", f"Cookie: {COOKIE}={cookie}"]
    return [*command, url]


def parse_wrk(out: str) -> dict[str, float]:
    """Returns requests/s, p50 and p99 in ms, non-2xx answers and socket errors from wrk's text."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    figures = {"rps": float(rps.group(1)) if rps else 0.0}
    for name, label in (("p50_ms", "50%"), ("p99_ms", "99%")):
        found = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)\b", out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        figures[name] = float(found.group(1)) * scale[found.group(2)] if found else float("nan")
    requests = re.search(r"(\d+) requests in", out)
    figures["requests"] = float(requests.group(1)) if requests else 0.0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non_2xx"] = float(non_2xx.group(1)) if non_2xx else 0.0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["socket_errors"] = float(sum(map(int, errors.groups()))) if errors else 0.0
    return figures


async def python_client(
    url: str, seconds: float, connections: int, cookie: str | None, rate: float = 0
) -> dict[str, float]:
    """The fallback client (run in its own process): CONNECTIONS loops of GETs for SECONDS; with
    RATE, one GET every 1/RATE s instead (open loop, at most CONNECTIONS in flight)."""
    latencies: list[float] = []
    bad = 0
    stop = time.perf_counter() + seconds
    cookies = {COOKIE: cookie} if cookie else None

    async def get(http: httpx.AsyncClient) -> None:
        nonlocal bad
        started = time.perf_counter()
        answer = await http.get(url)
        latencies.append((time.perf_counter() - started) * 1000)
        bad += answer.status_code != 200

    async def loop(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop:
            await get(http)

    async def paced(http: httpx.AsyncClient) -> None:
        tasks = []
        sent = 0
        begun = time.perf_counter()
        while time.perf_counter() < stop:
            tasks.append(asyncio.create_task(get(http)))
            sent += 1
            await asyncio.sleep(max(0.0, begun + sent / rate - time.perf_counter()))
        await asyncio.gather(*tasks)

    started = time.perf_counter()
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(timeout=60, cookies=cookies, limits=limits) as http:
        if rate > 0:
            await paced(http)
        else:
            await asyncio.gather(*(loop(http) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": common.percentile(latencies, 0.5),
        "p99_ms": common.percentile(latencies, 0.99),
        "requests": float(len(latencies)),
        "non_2xx": float(bad),
        "socket_errors": 0.0,
    }


async def load(
    client: str, url: str, seconds: float, connections: int, cookie: str | None, rate: float = 0
) -> dict[str, float]:
    """Runs the client process against URL for SECONDS (RATE requests/s, or as fast as it is
    answered); returns its figures."""
    if client == "wrk":
        command = wrk_command(url, seconds, connections, cookie)
    else:
        command = [sys.executable, "-m", "bench.web", "--client-url", url, "--seconds",
                   str(seconds), "--connections", str(connections),
                   "--web-rate", str(rate)]  # fmt: skip
        if cookie:
            command += ["--cookie", cookie]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"{command[0]} exited {process.returncode}: {err.decode()[-500:]}")
    text = out.decode()
    if client == "wrk":
        return parse_wrk(text)
    figures: dict[str, float] = json.loads(text.strip().splitlines()[-1])
    return figures


# The resident stream: updates through the fake Bot API -------------------------------------


class Stream:
    """Queues `/start` from registered residents at the fake, each resident once per run."""

    def __init__(self, fake: Any, rate: float):
        self.fake = fake
        self.rate = rate
        self.next_resident = 0
        self.pushed: dict[int, tuple[int, float]] = {}  # chat id → (update id, queued at)

    def _push(self) -> None:
        if self.next_resident >= RESIDENTS:
            raise RuntimeError(f"the stream used all {RESIDENTS} residents: shorten the phases")
        chat = RESIDENT_BASE + self.next_resident
        self.next_resident += 1
        update = self.fake.user(chat).send_text("/start")
        self.pushed[chat] = (update["update_id"], time.monotonic())

    async def run(self, seconds: float) -> list[int]:
        """Queues updates for SECONDS; returns the chats written to."""
        first = self.next_resident
        started = time.monotonic()
        sent = 0
        while (now := time.monotonic()) - started < seconds:
            if self.rate <= 0:  # capacity: keep a backlog waiting
                while len(self.fake.pending_updates()) < 200:
                    self._push()
                await asyncio.sleep(0.01)
                continue
            due = int((now - started) * self.rate) + 1
            while sent < due:
                self._push()
                sent += 1
            await asyncio.sleep(max(0.0, started + sent / self.rate - time.monotonic()))
        return [RESIDENT_BASE + n for n in range(first, self.next_resident)]


def replies(fake: Any, pushed: dict[int, tuple[int, float]], chats: list[int]) -> dict[int, float]:
    """Returns, per chat of CHATS that was answered, the seconds from its update being queued to
    the bot's first message to it arriving at the fake."""
    wanted = {chat: pushed[chat][1] for chat in chats}
    first: dict[int, float] = {}
    for call in list(fake.calls):
        chat = call.chat_id
        if chat not in wanted or chat in first or call.method not in MESSAGE_METHODS:
            continue
        if call.ok and call.at >= wanted[chat]:
            first[chat] = call.at - wanted[chat]
    return first


def inbox_rows(db: Path, update_ids: list[int]) -> list[tuple[int, str, str | None]]:
    if not update_ids:
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        rows = conn.execute(
            "SELECT update_id, received_at, done_at FROM inbox WHERE update_id BETWEEN ? AND ?",
            (min(update_ids), max(update_ids)),
        ).fetchall()
    finally:
        conn.close()
    return [row for row in rows if row[0] in set(update_ids)]


async def drain(bot: BotProcess, db: Path, update_ids: list[int], timeout: float) -> None:
    """Waits until every one of UPDATE_IDS is processed (or TIMEOUT)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not bot.alive():
            raise RuntimeError(f"griddesk exited:\n{bot.tail()}")
        rows = inbox_rows(db, update_ids)
        if len(rows) == len(update_ids) and all(done for _, _, done in rows):
            return
        await asyncio.sleep(0.2)


def bot_figures(
    stream: Stream,
    chats: list[int],
    db: Path,
    seconds: float,
    ended_bot_time: datetime,
    answered: dict[int, float],
    offset: int,
) -> dict[str, float]:
    """The bot's figures for one phase: updates queued, handled within the phase per second,
    and the two latencies (ms)."""
    ids = [stream.pushed[chat][0] for chat in chats]
    spans = [
        processed(received, done, offset)
        for _, received, done in inbox_rows(db, ids)
        if done is not None
    ]
    inbox = [1000 * (done - received).total_seconds() for received, done in spans]
    reply = [1000 * seconds_ for seconds_ in answered.values()]
    return {
        "updates_queued": float(len(ids)),
        "updates_handled_per_s": sum(1 for _, done in spans if done <= ended_bot_time) / seconds,
        "inbox_p50_ms": common.percentile(inbox, 0.5),
        "inbox_p99_ms": common.percentile(inbox, 0.99),
        "reply_p50_ms": common.percentile(reply, 0.5),
        "reply_p99_ms": common.percentile(reply, 0.99),
        "unanswered": float(len(chats) - len(answered)),
    }


def processed(received: str, done: str, offset: int) -> tuple[datetime, datetime]:
    """Returns an inbox row's (received_at, done_at) on the bot's clock. received_at is written
    with the bot's clock (GRIDDESK_CLOCK_OFFSET included), but done_at, when the handler's own
    transaction marks the update done (storage/db.py), with the system clock: shifted back here
    (the true span is seconds, the offset days)."""
    received_at, done_at = datetime.fromisoformat(received), datetime.fromisoformat(done)
    shifted = done_at + timedelta(seconds=offset)
    if abs(shifted - received_at) < abs(done_at - received_at):
        done_at = shifted
    return received_at, done_at


# The login session for /cases --------------------------------------------------------------


def create_session(db: Path, user_id: int, at: datetime) -> str:
    """Stores a dashboard session for USER_ID as handlers/web/login.py does and returns the
    cookie's value. The shape assumed is migration 0019's web_sessions: the SHA-256 (hex) of the
    cookie value, user_id, csrf, via ('link'), created_at, seen_at (ISO UTC, as storage.db.to_db
    writes), as storage/weblogin.py add_session writes them on main. The
    columns are matched by name so a renamed key column still works; a table of another shape
    stops here with what it has."""
    cookie = secrets.token_urlsafe(32)
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        columns = conn.execute("PRAGMA table_info(web_sessions)").fetchall()
        if not columns:
            raise LookupError("no web_sessions table (migration 0019, the login, is not merged)")
        values: dict[str, Any] = {}
        for _, name, kind, notnull, default, _ in columns:
            if "hash" in name or (name == "id" and "TEXT" in kind.upper()):
                values[name] = hashlib.sha256(cookie.encode()).hexdigest()
            elif name == "user_id":
                values[name] = user_id
            elif name == "csrf":
                values[name] = secrets.token_urlsafe(32)
            elif name == "via":  # main's 0019: 'link' or 'miniapp'
                values[name] = "link"
            elif name.endswith("_at") and notnull and default is None:
                values[name] = to_db(at)
            elif notnull and default is None and name != "id":
                raise LookupError(f"web_sessions has a column the harness cannot fill: {name}")
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        conn.execute(f"INSERT INTO web_sessions ({names}) VALUES ({marks})", tuple(values.values()))
    finally:
        conn.close()
    return cookie


# The run -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_web(base: str, bot: BotProcess, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            if not bot.alive():
                raise RuntimeError(f"griddesk exited:\n{bot.tail()}")
            try:
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("the web app did not answer /healthz in time")


async def check_target(base: str, name: str, cookie: str | None) -> str | None:
    """GETs the target once; returns why it cannot be measured, or None."""
    cookies = {COOKIE: cookie} if cookie else None
    async with httpx.AsyncClient(timeout=120, cookies=cookies) as http:
        answer = await http.get(base + TARGETS[name])
        for _ in range(3):  # held back by the guard (a flood just emptied this client's bucket)
            if answer.status_code not in (429, 503):
                break
            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
            answer = await http.get(base + TARGETS[name])
    if name == "cases" and answer.status_code == 404:
        return "no /cases route yet (the dashboard's case list is not merged)"
    if name == "cases" and answer.status_code in (302, 303):
        return "the session was not accepted (the login middleware is not merged, or 0019 differs)"
    if answer.status_code != 200:
        return f"answered {answer.status_code}: {answer.text[:200]}"
    if name.startswith("requests") and len(answer.json()) != 100:
        return f"a page of {len(answer.json())}, not 100"
    return None


async def scrape_times(base: str, count: int) -> list[float]:
    """COUNT GETs of /metrics, 1.1 s apart, so each refreshes its figures from the store."""
    timings = []
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(count):
            started = time.perf_counter()
            answer = await http.get(f"{base}/metrics")
            while answer.status_code == 429:  # a /metrics flood emptied this client's bucket
                await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
                started = time.perf_counter()
                answer = await http.get(f"{base}/metrics")
            timings.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise RuntimeError(f"/metrics answered {answer.status_code}")
            await asyncio.sleep(1.1)
    return timings


def plans(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return {
            name: " | ".join(str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
            for name, (sql, args) in PLANS.items()
        }
    finally:
        conn.close()


async def run(source: Path, args: argparse.Namespace, client: str) -> dict[str, Any]:
    targets = [name.strip() for name in args.targets.split(",") if name.strip()]
    unknown = [name for name in targets if name not in TARGETS]
    if unknown:
        raise SystemExit(f"unknown targets {unknown}; known: {', '.join(TARGETS)}")
    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-web-"))
    try:
        started = time.perf_counter()
        copied = database.working_copy(source, folder)
        figures: dict[str, Any] = {
            "database": str(source),
            "copy_s": time.perf_counter() - started,
            "client": "wrk" if client == "wrk" else "python httpx process",
            "connections": args.connections,
            "web_rate_per_s": args.web_rate or "flood (as fast as answered)",
            "seconds_per_phase": args.seconds,
            "stream_rate_per_s": args.rate or "capacity (200 waiting)",
        }
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        extra = f'[web]\nlisten = "127.0.0.1:{port}"\npublic_url = "{base}"\n'
        extra += "".join(f"{line}\n" for line in args.web_setting)
        figures["web_settings"] = args.web_setting or "defaults"
        config = write_config(folder, office(args.units), database=copied, extra=extra)
        offset = round((NOW - CLOCK_BEFORE_NOW - datetime.now(UTC)).total_seconds())
        async with fake_server() as fake:
            for user_id, _, _, _ in office(args.units).staff:  # the staff have pressed Start
                fake.user(user_id).chat.started = True
            bot = BotProcess(fake, config, folder / "griddesk.log")
            await bot.start(env={"GRIDDESK_CLOCK_OFFSET": str(offset)})
            try:
                figures["start_to_first_poll_s"] = await bot.wait_polling(timeout=900)
                await wait_web(base, bot)
                conn = sqlite3.connect(copied, timeout=30)
                figures["reports"] = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
                conn.close()
                figures.update(plans(copied))
                cookie = args.cookie
                if "cases" in targets and not cookie:
                    try:
                        bot_now = datetime.now(UTC) + timedelta(seconds=offset)
                        cookie = create_session(copied, args.staff, bot_now)
                    except LookupError as exc:
                        figures["cases_skipped"] = str(exc)
                        targets.remove("cases")
                stream = Stream(fake, args.rate)
                warm = await stream.run(1.0)  # the bot's first updates load its caches
                await drain(bot, copied, [stream.pushed[c][0] for c in warm], 60)
                for name in targets:
                    use = cookie if name == "cases" else None
                    why = await check_target(base, name, use)
                    if why:
                        figures[f"{name}_skipped"] = why
                        continue
                    figures.update(await measure(name, base + TARGETS[name], use, bot, copied,
                                                 fake, stream, client, args, offset))  # fmt: skip
                    # wrk counts a 3xx as an answer: a session lost midway would pass unseen
                    why = await check_target(base, name, use)
                    if why:
                        figures[f"{name}_invalid"] = f"after the phases: {why}"
                timings = await scrape_times(base, args.scrapes)
                figures["metrics_scrape_p50_ms"] = 1000 * common.percentile(timings, 0.5)
                figures["metrics_scrape_max_ms"] = 1000 * max(timings)
            finally:
                await bot.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures


async def measure(
    name: str,
    url: str,
    cookie: str | None,
    bot: BotProcess,
    db: Path,
    fake: Any,
    stream: Stream,
    client: str,
    args: argparse.Namespace,
    offset: int,
) -> dict[str, Any]:
    """Phases C (web alone), A (bot alone) and B (both) for one target; returns their figures."""
    seconds = args.seconds
    rate = args.web_rate
    await load(client, url, min(seconds, 3), args.connections, cookie, rate)  # warm: not counted
    await settle(bot)
    web_alone = await load(client, url, seconds, args.connections, cookie, rate)

    async def bot_phase(with_load: bool) -> tuple[dict[str, float], dict[str, float] | None]:
        await settle(bot)
        cpu = cpu_seconds(bot.pid)
        loading = None
        if with_load:
            loading = asyncio.create_task(
                load(client, url, seconds, args.connections, cookie, rate)
            )
        chats = await stream.run(seconds)
        ended = datetime.now(UTC) + timedelta(seconds=offset)
        web = await loading if loading else None
        used = cpu_seconds(bot.pid) - cpu
        await drain(bot, db, [stream.pushed[c][0] for c in chats], args.drain)
        answered = await wait_replies(fake, stream, chats, args.drain)
        figures = bot_figures(stream, chats, db, seconds, ended, answered, offset)
        figures["bot_cpu_percent"] = 100 * used / seconds
        return figures, web

    alone, _ = await bot_phase(False)
    both, web_both = await bot_phase(True)
    assert web_both is not None
    out: dict[str, Any] = {}
    for phase, values in (("web_alone", web_alone), ("bot_alone", alone), ("bot_with_web", both),
                          ("web_with_bot", web_both)):  # fmt: skip
        out.update({f"{name}_{phase}_{key}": value for key, value in values.items()})
    for key in ("reply_p50_ms", "reply_p99_ms", "inbox_p50_ms", "inbox_p99_ms"):
        out[f"{name}_bot_slowdown_{key}"] = ratio(both[key], alone[key])
    out[f"{name}_bot_handled_ratio"] = ratio(
        both["updates_handled_per_s"], alone["updates_handled_per_s"]
    )
    for key in ("p50_ms", "p99_ms", "rps"):
        out[f"{name}_web_ratio_{key}"] = ratio(web_both[key], web_alone[key])
    return out


async def wait_replies(
    fake: Any, stream: Stream, chats: list[int], timeout: float
) -> dict[int, float]:
    deadline = time.monotonic() + timeout
    while True:
        answered = replies(fake, stream.pushed, chats)
        if len(answered) == len(chats) or time.monotonic() > deadline:
            return answered
        await asyncio.sleep(0.2)


async def settle(bot: BotProcess, timeout: float = 300) -> None:
    """Waits until the bot is idle (under 5 % of a core for a second): start-up work, a sweep
    pass or the last phase's replies do not land in the next phase."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(bot.pid)
        await asyncio.sleep(1.0)
        if cpu_seconds(bot.pid) - before < 0.05:
            return


def ratio(after: float, before: float) -> float:
    return after / before if before else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", type=Path, default=database.DEFAULT)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--targets", default=DEFAULT_TARGETS, help=f"of {', '.join(TARGETS)}")
    parser.add_argument("--seconds", type=float, default=10, help="per phase")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10, help="updates/s; 0: capacity")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--web-rate", type=float, default=0, help="web requests/s (the Python client); 0: flood"
    )
    parser.add_argument("--cookie", help=f"a live {COOKIE} value for /cases (else one is made)")
    parser.add_argument("--staff", type=int, default=DISTRICT_STAFF, help="whose /cases session")
    parser.add_argument("--scrapes", type=int, default=10, help="/metrics scrapes, 1.1 s apart")
    parser.add_argument("--drain", type=float, default=120, help="max wait after a phase (s)")
    parser.add_argument(
        "--web-setting",
        action="append",
        default=[],
        metavar="'KEY = VALUE'",
        help="a line added to the bot's [web] (TOML), e.g. 'public_rate = 0'; repeatable",
    )
    parser.add_argument("--client-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client_url:  # the fallback client process
        result = asyncio.run(
            python_client(
                args.client_url, args.seconds, args.connections, args.cookie, args.web_rate
            )
        )
        print(json.dumps(result))
        return
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") and not args.web_rate else "python"
    if client == "wrk" and args.web_rate:
        raise SystemExit("wrk cannot hold a rate: --web-rate needs --client python")
    common.show("machine", common.machine())
    source = database.ensure(args.db, args.reports, args.units, args.due)
    common.show("web under load", asyncio.run(run(source, args, client)))


if __name__ == "__main__":
    main()
