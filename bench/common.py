"""Shared by the benchmarks: an in-memory Bot API, the machine description, medians."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import platform
import resource
import sqlite3
import statistics
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT = {"id": BOT_ID, "is_bot": True, "first_name": "griddesk", "username": "griddesk_bench_bot"}
Listener = Callable[[str, dict[str, Any], float], None]
ANSWERED_TRUE = {
    "setMyCommands",
    "answerCallbackQuery",
    "deleteMessage",
    "sendChatAction",
    "deleteWebhook",
}
MESSAGE_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendMediaGroup",
    "sendDocument",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
}


class StubBotApi(BaseRequest):
    """Answers the Bot API in memory as Telegram would; getUpdates long-polls a queue.

    The same class serves griddesk and the bare PTB echo baseline, so both pay the same
    request encoding (PTB's json_parameters) and answer parsing. LISTENERS[chat_id] is called
    with (method, params, perf_counter()) for every message-producing call to that chat.
    """

    def __init__(self) -> None:
        self.updates: deque[dict[str, Any]] = deque()
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)
        self.calls: Counter[str] = Counter()
        self.listeners: dict[int, Listener] = {}
        self._arrived = asyncio.Event()

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queues an update for getUpdates; returns its update_id."""
        update_id = next(self.update_ids)
        self.updates.append({"update_id": update_id, kind: payload})
        self._arrived.set()
        return update_id

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        self.calls[endpoint] += 1
        params: dict[str, Any] = {}
        if request_data is not None:
            request_data.json_parameters  # noqa: B018  (the encoding a real request pays)
            params = request_data.parameters
        if endpoint == "getUpdates":
            result: Any = await self._get_updates(params)
        else:
            result = self._answer(endpoint, params)
            if result is None:
                body = {"ok": False, "error_code": 404, "description": "Not Found"}
                return 404, json.dumps(body).encode()
            chat_id = params.get("chat_id")
            if endpoint in MESSAGE_METHODS and chat_id is not None:
                listener = self.listeners.get(int(chat_id))
                if listener is not None:
                    listener(endpoint, params, time.perf_counter())
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()
        timeout = float(params.get("timeout") or 0)
        if not self.updates and timeout > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except TimeoutError:
                return []
        limit = int(params.get("limit") or 100)
        return list(itertools.islice(self.updates, min(limit, 100)))

    def _answer(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return {**BOT, "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}  # fmt: skip
        if endpoint in ANSWERED_TRUE:
            return True
        if endpoint in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            return self.message(params, text=params.get("text") or "…")
        if endpoint in ("sendPhoto", "sendDocument", "editMessageCaption"):
            photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
            return self.message(params, photo=photo, caption=params.get("caption"))
        if endpoint == "sendMediaGroup":
            photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
            return [self.message(params, photo=photo) for _ in params.get("media") or []]
        if endpoint == "getFile":
            return {"file_id": params.get("file_id"), "file_unique_id": "u", "file_size": 1,
                    "file_path": "photos/f.jpg"}  # fmt: skip
        return None

    def message(self, params: dict[str, Any], **fields: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id") or 0)
        chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        chat.update({"first_name": "x"} if chat_id > 0 else {"title": "group"})
        message_id = params.get("message_id") or next(self.message_ids)
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT}
        message.update({k: v for k, v in fields.items() if v is not None})
        return message


# Updates as residents send them ------------------------------------------------------------


def user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "居民", "language_code": "zh-hans"}


def private_chat(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "居民"}


def message(user_id: int, message_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": private_chat(user_id),
        "from": user(user_id),
        **fields,
    }


def photo_sizes(file_id: str) -> list[dict[str, Any]]:
    return [
        {"file_id": f"{file_id}-s", "file_unique_id": f"{file_id}-su", "width": 90,
         "height": 68, "file_size": 2_000},
        {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 1280, "height": 960,
         "file_size": 180_000},
    ]  # fmt: skip


def callback_query(user_id: int, query_id: str, data: str, on_message: int) -> dict[str, Any]:
    shown = {"message_id": on_message, "date": int(time.time()), "chat": private_chat(user_id),
             "from": BOT, "text": "…"}  # fmt: skip
    return {"id": query_id, "from": user(user_id), "chat_instance": f"ci{user_id}",
            "data": data, "message": shown}  # fmt: skip


def button_data(params: dict[str, Any], prefix: str) -> str | None:
    """Returns the callback_data of the first inline button in PARAMS starting with PREFIX."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data") or ""
            if data.startswith(prefix):
                return str(data)
    return None


# Figures -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Returns the FRACTION quantile of VALUES (nearest rank); NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def peak_rss_mb() -> float:
    """Returns this process's peak resident set size in MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status(pid: int) -> dict[str, float]:
    """Returns VmRSS and VmHWM (peak) of PID in MiB from /proc."""
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found


def machine() -> dict[str, Any]:
    """Returns what the figures depend on: cores, memory, CPU model, Python, SQLite, load."""
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    import telegram

    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(total_kib / 2**20, 1),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "python-telegram-bot": telegram.__version__,
        "loadavg_at_start": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
    }


def show(title: str, figures: dict[str, Any]) -> None:
    """Prints FIGURES under TITLE, one per line, and as one JSON line for bench.all."""
    print(f"== {title}")
    for key, value in figures.items():
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"  {key}: {text}")
    print("JSON " + json.dumps({"benchmark": title, **figures}, ensure_ascii=False, default=str))


# PostgreSQL for the benchmarks that compare backends ----------------------------------------


class Postgres:
    """A PostgreSQL server the benchmarks make fresh databases on (`fresh()`, `drop()`).

    `--postgresql`: a throwaway cluster started in a temporary folder by tests/pgserver.py
    `ensure` and restarted DURABLE (fsync, synchronous_commit and full_page_writes on: the
    test cluster runs with them off, which would compare a durable SQLite commit with one that
    never reaches the disk); `server_cpu()` then reads the CPU seconds of all its processes
    (/proc: the postmaster with its reaped backends, and the live ones), which the figures add
    to the bot's. `--db-url URL`: a server of yours (a role allowed CREATE DATABASE); its CPU
    is not seen from here and the figures say so (`server_cpu()` is None).
    """

    def __init__(self, admin: str, folder: Any = None):
        self.admin = admin
        self.folder = folder
        self.made: list[str] = []

    @classmethod
    def start(cls, *, durable: bool = True) -> Postgres:
        import subprocess
        import tempfile
        from pathlib import Path

        from tests import pgserver

        folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-pg-"))
        admin = pgserver.ensure(folder)
        if not (folder / "started").exists():  # GRIDDESK_TEST_PG_URL named a server instead
            folder.rmdir()
            return cls(admin)
        if durable:
            bindir = (folder / "started").read_text()
            options = (
                f"-c listen_addresses='' -c unix_socket_directories='{folder / 'socket'}' "
                "-c port=5432 -c fsync=on -c synchronous_commit=on -c full_page_writes=on "
                "-c max_connections=300 -c shared_buffers=64MB"
            )
            subprocess.run(
                pgserver._as_owner([f"{bindir}/pg_ctl", "-D", str(folder / "data"), "-l",
                                    str(folder / "log"), "-o", options, "-w", "restart"]),
                check=True, capture_output=True,
            )  # fmt: skip
        return cls(admin, folder)

    def fresh(self) -> str:
        """Creates an empty database (griddesk migrates it at start); returns its URL."""
        from tests import pgserver

        url = pgserver.create_database(self.admin, name=f"bench_{len(self.made)}_{os.getpid()}")
        self.made.append(url)
        return url

    def drop(self, url: str) -> None:
        from tests import pgserver

        pgserver.drop_database(self.admin, url)

    def server_cpu(self) -> float | None:
        """CPU seconds used so far by every process of the cluster this bench started."""
        if self.folder is None:
            return None
        pid_file = self.folder / "data" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            pid, parent = int(entry), int(fields[1])
            if pid == postmaster:  # its own time and that of its children it reaped
                total += sum(int(f) for f in fields[11:15])
            elif parent == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def close(self) -> None:
        from tests import pgserver

        for url in self.made:
            with contextlib.suppress(Exception):
                pgserver.drop_database(self.admin, url)
        if self.folder is not None:
            pgserver.stop(self.folder)


def add_postgres_options(parser: Any) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--postgresql", action="store_true",
        help="also on PostgreSQL: a throwaway durable cluster (tests/pgserver.py) in a temp folder",
    )  # fmt: skip
    group.add_argument(
        "--db-url", default="",
        help="also on PostgreSQL: the server at this postgresql:// URL (fresh databases on it)",
    )  # fmt: skip


def postgres_from(args: Any) -> Postgres | None:
    """The PostgreSQL server the options name, started if asked; None for SQLite alone."""
    if args.db_url:
        if not args.db_url.startswith(("postgresql://", "postgres://")):
            raise SystemExit("--db-url must start with postgresql://")
        return Postgres(args.db_url)
    if args.postgresql:
        return Postgres.start()
    return None
