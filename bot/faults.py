"""Storage faults seen by the running bot: back off, retry, and tell the admin chat.

A locked database or a full disk is not a bug of the update or message being worked on: the
poller, the processor, the sender and the sweeps wait and retry the same work (see Backoff),
and none of them stops. The admin chat is told once when a fault starts and once when it ends.

The start notice goes straight to the Bot API: the outbox cannot be written during the fault.
It names the kind of fault only (no personal data). The end notice is an ordinary outbox row,
written once a commit has succeeded and no fault followed it within SETTLE seconds, so a disk
that is just on the edge of full does not send a notice for every write that squeezes in.

A fault already present at start-up (opening the database, migrations, the config sync) is
waited out the same way (Faults.wait_out, before the services exist; attach() once they do):
`griddesk run` retries until it clears or a signal arrives, then starts normally.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot

from bot.services import Services
from bot.settings import Settings
from bot.texts import Texts
from storage.faults import fault_kind
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

T = TypeVar("T")

SETTLE = 2.0  # seconds without a new fault after a successful commit before the fault is over


class Backoff:
    """Seconds to wait before retrying work that hit a fault: FIRST, doubling, at most MOST.

    Kept short: an operation blocked on a lock already waits busy_timeout inside SQLite, and a
    freed disk should be noticed within seconds.
    """

    def __init__(self, first: float = 0.5, most: float = 5.0):
        self.first = first
        self.most = most
        self._next = first

    def next(self, exc: BaseException | None = None) -> float:
        """Returns the seconds to wait after EXC; a lock was already waited for in SQLite."""
        if fault_kind(exc) == "locked":
            return self.first  # busy_timeout spent seconds in SQLite: the lock may be gone now
        wait = self._next
        self._next = min(self.most, self._next * 2)
        return wait

    def reset(self) -> None:
        self._next = self.first


class Faults:
    """Whether the database is in a fault now, and the admin chat's two notices about it."""

    def __init__(
        self,
        bot: Bot,
        services: Services | None = None,
        *,
        settings: Settings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        settle: float = SETTLE,
    ):
        """Watches SERVICES' database; before it is open (start-up), give SETTINGS instead."""
        self.bot = bot
        self.services: Services | None = None
        if services is not None:
            settings = services.settings
        assert settings is not None, "Faults needs the services or the settings"
        self.settings = settings
        self.texts = services.texts if services is not None else Texts(settings.default_language)
        self.monotonic = monotonic
        self.settle = settle
        self.kind: str | None = None  # the fault in progress, if any
        self.since = 0.0
        self.last_hit = 0.0
        self.last_commit = 0.0
        self.started_told = False  # the start notice reached the admin chat: an end one is owed
        self._committed = asyncio.Event()
        self._telling = asyncio.Lock()
        if services is not None:
            self.attach(services)

    def attach(self, services: Services) -> None:
        """Watches the commits of SERVICES' database, opened after a fault at start-up maybe.

        Opening it committed the migrations and the config sync: a fault met on the way may be
        over, which watch() decides once no new fault follows within the settle time.
        """
        self.services = services
        services.store.on_commit.append(self._on_commit)
        if self.kind is not None:
            self._on_commit()

    async def wait_out(self, attempt: Callable[[], Awaitable[T]], where: str) -> T:
        """Returns ATTEMPT()'s result, calling it again after each storage fault it meets.

        Any other error is raised. Cancelling (a signal) stops the wait at once, or once SQLite
        gives up on a lock it is waiting for (busy_timeout).
        """
        backoff = Backoff()
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if fault_kind(exc) is None:
                    raise
                await self.hit(exc, where)
                await asyncio.sleep(backoff.next(exc))

    def _on_commit(self) -> None:
        if self.kind is not None:
            self.last_commit = self.monotonic()
            self._committed.set()

    async def hit(self, exc: BaseException, where: str) -> None:
        """Records that WHERE met the fault EXC; tells the admin chat if this starts one."""
        kind = fault_kind(exc) or "io"
        self.last_hit = self.monotonic()
        if self.kind is None:
            self.kind = kind
            self.since = self.last_hit
            self._committed.clear()
            # The message of an sqlite3 error carries no data (e.g. "database is locked").
            log.warning("storage fault (%s) in %s: %s; waiting and retrying", kind, where, exc)
        else:
            log.debug("storage fault (%s) in %s continues: %s", kind, where, exc)
        if not self.started_told:
            await self._tell_start(kind)

    async def _tell_start(self, kind: str) -> None:
        chat = self.settings.telegram.admin_chat_id
        if chat is None:
            return
        async with self._telling:
            if self.started_told or self.kind is None:
                return
            texts = self.texts
            text = texts("faults.started", None, kind=texts(f"faults.kind_{kind}", None))
            try:
                await self.bot.do_api_request(
                    "sendMessage",
                    api_kwargs={"chat_id": chat, "text": text, "parse_mode": "HTML"},
                )
            except Exception as exc:  # the Bot API may be down too: tried again at the next hit
                log.warning("could not tell the admin chat about the storage fault: %s", exc)
                return
            self.started_told = True

    async def watch(self) -> None:
        """Ends the fault once commits succeed again; runs until cancelled."""
        while True:
            await self._committed.wait()
            self._committed.clear()  # a commit during the pause below sets it again
            await asyncio.sleep(self.settle)
            if self.kind is None or self.last_hit >= self.last_commit:
                continue  # already over, or failing again since the latest commit
            try:
                await self.end()
            except Exception as exc:
                if fault_kind(exc) is None:
                    log.exception("could not record the end of the storage fault")
                else:
                    await self.hit(exc, "faults")

    async def end(self) -> None:
        """Declares the fault over: logs it and queues the admin chat's end notice."""
        if self.kind is None or self.services is None:
            return  # no fault, or the database is not open yet: it is not over
        seconds = max(0, round(self.monotonic() - self.since))
        chat = self.settings.telegram.admin_chat_id
        if self.started_told and chat is not None:
            texts = self.texts
            text = texts(
                "faults.ended", None, kind=texts(f"faults.kind_{self.kind}", None), seconds=seconds
            )
            await self.services.outbox.send(
                [Outgoing(chat, "sendMessage", {"text": text, "parse_mode": "HTML"})],
                self.services.clock(),
            )
        log.warning("storage fault (%s) over after %s s", self.kind, seconds)
        self.kind = None
        self.started_told = False
