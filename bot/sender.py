"""The sender: drains the outbox within Telegram's limits and records what was delivered.

Limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages a second overall, 1 a second to one chat, 20 a minute to one group. Order is
kept per chat because only the oldest row of each chat is ever in flight, and a row waiting for
a retry holds back the rows behind it.

What each answer does:
- 429: that chat waits retry_after (the row keeps its place, no attempt counted); a second chat
  hit while the first waits means a bot-wide flood, and every chat waits.
- 403 (blocked, kicked, never started): the chat is marked unreachable, its queue is dropped and
  the responsible staff are told (the reporter's handlers, or the admin chat for a group).
- 400 with migrate_to_chat_id: the chat's queue and cards move to the supergroup (with
  storage.outbox.MIGRATION_HOOKS for other tables) and are sent there.
- timeouts, 5xx, refused connections: the row is retried with backoff, at most MAX_ATTEMPTS
  times; while several chats fail in a row (an outage) attempts are not counted and the whole
  sender backs off, so an outage of minutes loses nothing and the outbox drains in order after.

A message whose call succeeded but whose success was not yet recorded when the process died is
sent again after the restart (at least once): Telegram has no idempotency key. Only the one row
in flight can be affected, as rows are sent one at a time. A graceful stop
(SIGTERM, SIGINT: `stop`) is exactly once: it lets the call in flight be answered and recorded
before the sender ends, and sends nothing after it; only a call still unanswered after
STOP_GRACE seconds is cut.

A storage fault (a locked database, a full disk) stops the pass and the sender retries after a
backoff. A row whose call succeeded but whose "sent" mark could not be committed is kept in
memory and its mark is retried before anything else is sent, so the fault never sends it twice
(only a kill during the fault can, which is the one row in flight above).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram import Bot, InputFile, InputMediaPhoto
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.before_after import Pictures
from bot.faults import Backoff, Faults
from bot.services import Services
from storage.faults import fault_kind
from storage.outbox import CARD, OutboxRow, Outgoing
from storage.outbox_files import MissingFile, file_id

log = logging.getLogger(__name__)

GLOBAL_PER_SECOND = 30
CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
# Telegram counts a message when it arrives, the pacer when its call starts; calls take
# different times on the way (tens of ms on a loaded machine, more through a proxy). So the
# second of the global limit is this much longer: at full speed 31 calls that start 1.000 s
# apart can arrive closer; bench/broadcast.py saw 8 answers 429 in a 10,000-resident broadcast
# without it (31 arrivals within 0.955 s). A chat's one a second is a softer limit (Telegram:
# "avoid sending more than one message per second") and keeps its exact second.
MARGIN = 0.1
WINDOW = 1.0 + MARGIN  # seconds in which at most GLOBAL_PER_SECOND messages start
GROUP_PER_MINUTE = 20
MAX_ATTEMPTS = 8  # for timeouts and server errors, with backoff
MAX_BACKOFF = 300.0  # seconds before one row is tried again
MAX_PAUSE = 30.0  # seconds the whole sender waits while the Bot API is down
IDLE_POLL = 0.5  # seconds between looks at the outbox when nothing woke the sender
# seconds a stop waits for the call in flight to be answered and recorded (the Bot API answers
# within a second; a call that hangs longer is cut, and its message may be sent again)
STOP_GRACE = 10.0


def is_group(chat_id: int) -> bool:
    return chat_id < 0


def weight(row: OutboxRow) -> int:
    """Returns how many messages ROW makes (an album counts each photo)."""
    media = row.params.get("media")
    return len(media) if row.method == "sendMediaGroup" and isinstance(media, list) else 1


class Pacer:
    """Telegram's limits as a schedule over a monotonic clock; it never sleeps itself."""

    def __init__(self) -> None:
        self._recent: deque[tuple[float, int]] = deque()  # (sent at, weight), last WINDOW
        self._last: dict[int, float] = {}  # chat → last message
        self._group_minute: dict[int, deque[tuple[float, int]]] = {}
        self._held: dict[int, float] = {}  # chat → not before (a 429 for that chat)
        self.paused_until = 0.0  # every chat (bot-wide 429, outage)

    def global_delay(self, amount: int, now: float) -> float:
        """Returns the seconds until AMOUNT more messages fit in the overall limit."""
        while self._recent and now - self._recent[0][0] >= WINDOW:
            self._recent.popleft()
        total = sum(w for _, w in self._recent) + amount
        if total <= GLOBAL_PER_SECOND:
            return max(0.0, self.paused_until - now)
        for sent_at, w in self._recent:
            total -= w
            if total <= GLOBAL_PER_SECOND:
                return max(sent_at + WINDOW - now, self.paused_until - now)
        return 1.0  # cannot happen: an album has at most 10 photos

    def chat_delay(self, chat_id: int, amount: int, now: float) -> float:
        """Returns the seconds until CHAT_ID may get AMOUNT more messages."""
        delay = max(0.0, self._held.get(chat_id, 0.0) - now)
        last = self._last.get(chat_id)
        if last is not None:
            delay = max(delay, last + CHAT_INTERVAL - now)
        if is_group(chat_id):
            window = self._group_minute.get(chat_id)
            if window:
                while window and now - window[0][0] >= 60.0:
                    window.popleft()
                total = sum(w for _, w in window) + amount
                for sent_at, w in window:
                    if total <= GROUP_PER_MINUTE:
                        break
                    total -= w
                    delay = max(delay, sent_at + 60.0 - now)
        return delay

    def room(self, now: float) -> int:
        """Returns how many messages the overall limit lets start now (the sender fetches no
        more rows than this)."""
        if now < self.paused_until:
            return 0
        while self._recent and now - self._recent[0][0] >= WINDOW:
            self._recent.popleft()
        return max(0, GLOBAL_PER_SECOND - sum(w for _, w in self._recent))

    def delay(self, chat_id: int, amount: int, now: float) -> float:
        return max(self.global_delay(amount, now), self.chat_delay(chat_id, amount, now))

    def record(self, chat_id: int, amount: int, now: float) -> None:
        """Counts AMOUNT messages sent to CHAT_ID at NOW."""
        self._recent.append((now, amount))
        self._last[chat_id] = now
        if is_group(chat_id):
            self._group_minute.setdefault(chat_id, deque()).append((now, amount))

    def restamp(self, chat_id: int, now: float) -> None:
        """Moves the message just counted for CHAT_ID to NOW, when its call really starts.

        A slow commit between counting and calling (fsync), or the calls of a pass made one
        after another after all were counted, would otherwise let the messages counted after it
        arrive less than a second after it.
        """
        last = self._last.get(chat_id)
        if last is None or now <= last:
            return
        for at in range(len(self._recent) - 1, -1, -1):
            if self._recent[at][0] == last:
                amount = self._recent[at][1]
                del self._recent[at]
                break
        else:
            return
        # kept in time order (global_delay reads it oldest first)
        place = len(self._recent)
        while place > 0 and self._recent[place - 1][0] > now:
            place -= 1
        self._recent.insert(place, (now, amount))
        self._last[chat_id] = now
        window = self._group_minute.get(chat_id)
        if window and window[-1][0] == last:
            window[-1] = (now, window[-1][1])

    def hold(self, chat_id: int, until: float) -> None:
        self._held[chat_id] = max(self._held.get(chat_id, 0.0), until)

    def pause(self, until: float) -> None:
        self.paused_until = max(self.paused_until, until)

    def held(self, now: float) -> list[int]:
        """Returns the chats that cannot take a message now (and forgets old history)."""
        for chat_id, until in list(self._held.items()):
            if until <= now:
                del self._held[chat_id]
        for chat_id, at in list(self._last.items()):
            if now - at >= 60.0:
                del self._last[chat_id]
                self._group_minute.pop(chat_id, None)
        chats = set(self._held) | set(self._last)
        return sorted(c for c in chats if self.chat_delay(c, 1, now) > 0)


class Sender:
    def __init__(
        self,
        bot: Bot,
        services: Services,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        faults: Faults | None = None,
    ):
        self.bot = bot
        self.services = services
        self.monotonic = monotonic
        self.faults = faults or Faults(bot, services)
        self.pictures = Pictures(bot, services)  # before/after photos composed when sent
        # Rows delivered whose "sent" mark is not committed yet (a storage fault): row id →
        # (row, sent at, message id, result ref). Recorded before anything else is sent.
        self._unrecorded: dict[int, tuple[OutboxRow, datetime, int | None, str | None]] = {}
        self.pacer = Pacer()
        self.wake = asyncio.Event()
        self._failed_chats: set[int] = set()  # chats whose last call failed, since a success
        self._streak = 0  # calls failed in a row
        self._flooded: dict[int, float] = {}  # chat → until, for 429s
        self._stopping = asyncio.Event()  # set by stop(): no call is started after it
        services.store.on_commit.append(self.wake.set)

    async def run(self) -> None:
        """Sends until stop(); woken by each commit, otherwise looks twice a second."""
        backoff = Backoff()
        while not self._stopping.is_set():
            try:
                wait = await self.drain_once()
                backoff.reset()
            except Exception as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # stopping: an error raised while cancelled must not keep us alive
                if fault_kind(exc) is None:
                    log.exception("sender pass failed")
                    wait = 1.0
                else:
                    await self.faults.hit(exc, "sender")
                    # A commit (woken below) does not mean the fault is over: sleep it out.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), backoff.next(exc))
                    continue
            if wait > 0:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=min(wait, IDLE_POLL))
        if self._unrecorded:  # a storage fault held marks back: one last try before the exit
            try:
                await self.record_unrecorded()
            except Exception as exc:
                log.warning(
                    "stopping with %s delivered message(s) not marked sent (%s): they are sent"
                    " again after the restart",
                    len(self._unrecorded),
                    type(exc).__name__,
                )

    async def stop(self, task: asyncio.Task[None], grace: float = STOP_GRACE) -> None:
        """Ends TASK (running run()) once the call in flight is answered and recorded.

        Cancelling run() at any await would cut a call Telegram already carried out before its
        "sent" mark commits, and the message would go out again after the restart. So the
        sender starts no new call and TASK ends between two rows; after GRACE seconds (a call
        that hangs) it is cancelled.
        """
        self._stopping.set()
        self.wake.set()
        if not task.done():
            await asyncio.wait({task}, timeout=grace)
        if not task.done():
            log.warning("the sender did not finish its call within %.0f s; cutting it", grace)
            task.cancel()

    async def drain_once(self) -> float:
        """Sends every row that may go now; returns the seconds until the next one may.

        One pass: the rows the pacing allows now are fetched (no more) and sent one at a time;
        each row's "sent" mark commits with the next row's "sending" (one commit per message,
        and a kill leaves only the one row in flight to be sent again), the last with the pass.
        """
        await self.record_unrecorded()
        now = self.monotonic()
        if now < self.pacer.paused_until:
            return self.pacer.paused_until - now
        room = self.pacer.room(now)
        if room <= 0:
            return min(IDLE_POLL, max(self.pacer.global_delay(1, now), 0.01))
        rows = await self.services.outbox.due(
            self.services.clock(), limit=room, exclude=self.pacer.held(now)
        )
        next_look = IDLE_POLL
        going: list[OutboxRow] = []
        for row in rows:
            if row.unreachable:
                await self.services.outbox.mark_failed(row, "chat unreachable")
                continue
            amount = weight(row)
            wait = self.pacer.delay(row.chat_id, amount, now)
            if wait > 0:
                next_look = min(next_look, wait)
                if self.pacer.global_delay(amount, now) > 0:
                    break
                continue
            self.pacer.record(row.chat_id, amount, now)
            going.append(row)
        if not going:
            return next_look
        for row in going:
            if self._stopping.is_set() or self.monotonic() < self.pacer.paused_until:
                break  # a stop, a bot-wide 429, an outage: the rest wait as they were
            # One row in flight at a time: a kill may send again only that one
            # (tests/e2e/test_crash.py).
            await self.deliver(row)
        await self.record_unrecorded()
        return 0.0

    async def drain_all(self, max_passes: int = 1000) -> None:
        """Sends until nothing is due, ignoring the pacing (tests and one-off commands)."""
        for _ in range(max_passes):
            await self.record_unrecorded()
            rows = await self.services.outbox.due(self.services.clock())
            if not rows:
                return
            for row in rows:
                if row.unreachable:
                    await self.services.outbox.mark_failed(row, "chat unreachable")
                else:
                    await self.deliver(row)
            await self.record_unrecorded()

    async def record_unrecorded(self) -> None:
        """Commits the "sent" marks held back (this pass's, or a storage fault's; raises while
        the fault lasts), all in one commit."""
        if not self._unrecorded:
            return
        await self.services.outbox.mark_sent_many(list(self._unrecorded.values()))
        self._unrecorded.clear()

    async def _mark_sent(
        self, row: OutboxRow, message_id: int | None, result_ref: str | None = None
    ) -> None:
        """Records ROW as delivered: kept in memory until the mark commits, with the next row's
        'sending' (deliver) or at the end of the pass (record_unrecorded)."""
        self._unrecorded[row.id] = (row, self.services.clock(), message_id, result_ref)

    async def deliver(self, row: OutboxRow) -> None:
        """Makes one Bot API call for ROW and records the outcome."""
        outbox = self.services.outbox
        current = await outbox.mark_sending(row.id, list(self._unrecorded.values()))
        self._unrecorded.clear()  # committed with this row's 'sending'
        if current is not None:  # a newer card version may have collapsed in since `due`
            row = replace(row, params=current)
        self.pacer.restamp(row.chat_id, self.monotonic())
        metrics = self.services.metrics
        try:
            try:
                result = await self._call(row)
            finally:
                # Counted again from when Telegram answered: a call that took long to arrive
                # (a slow network, a busy server) must not let the next one to the chat arrive
                # less than a second after it.
                self.pacer.restamp(row.chat_id, self.monotonic())
        except RetryAfter as exc:
            metrics.sent(row.method, "429")
            await self._flood(row, _seconds(exc.retry_after))
        except Forbidden as exc:
            metrics.sent(row.method, "403")
            await self._unreachable(row, exc.message)
        except ChatMigrated as exc:
            metrics.sent(row.method, "error")
            log.info("outbox row %s: group migrated to a supergroup; moving its queue", row.id)
            await outbox.migrate_chat(row.chat_id, exc.new_chat_id, self.services.clock())
            self._failed_chats.discard(row.chat_id)
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                metrics.sent(row.method, "ok")
                await self._mark_sent(row, None)
                return
            metrics.sent(row.method, "error")
            log.warning("outbox row %s refused: %s", row.id, exc.message)
            await outbox.mark_failed(row, f"bad request: {exc.message}")
        except NetworkError as exc:  # timeouts, 5xx, refused connections
            metrics.sent(row.method, "error")
            await self._network_failure(row, exc)
        except TelegramError as exc:  # 401/404 (token), 409 …: nothing a retry soon would fix
            metrics.sent(row.method, "error")
            await self._network_failure(row, exc)
        else:
            metrics.sent(row.method, "ok")
            self._failed_chats.clear()
            self._streak = 0
            await self._mark_sent(row, _message_id(result), _poll_id(result))

    async def _flood(self, row: OutboxRow, wait: float) -> None:
        """A 429: that chat waits; a second chat hit meanwhile means every chat waits."""
        now = self.monotonic()
        self._flooded = {c: t for c, t in self._flooded.items() if t > now}
        bot_wide = any(chat != row.chat_id for chat in self._flooded)
        self._flooded[row.chat_id] = now + wait
        self.pacer.hold(row.chat_id, now + wait)
        if bot_wide:
            self.pacer.pause(now + wait)
        log.warning(
            "429 from Telegram: %s waits %.0f s (outbox row %s)",
            "every chat" if bot_wide else "one chat",
            wait,
            row.id,
        )
        await self.services.outbox.retry_later(
            row, self.services.clock() + timedelta(seconds=wait), "429", count_attempt=False
        )

    async def _network_failure(self, row: OutboxRow, exc: TelegramError) -> None:
        self._failed_chats.add(row.chat_id)
        self._streak += 1
        # Several chats failing in a row, or a connection that never opened, is the Bot API
        # being down, not this message being bad: wait it out without using up attempts.
        outage = len(self._failed_chats) >= 2 or _never_arrived(exc)
        pause = min(MAX_PAUSE, 2.0 ** (self._streak - 1))
        self.pacer.pause(self.monotonic() + pause)
        attempts = row.attempts + (0 if outage else 1)
        if attempts >= MAX_ATTEMPTS:
            log.error("outbox row %s failed after %s attempts: %s", row.id, attempts, exc)
            await self.services.outbox.mark_failed(row, f"network: {exc}")
            return
        backoff = min(MAX_BACKOFF, 2.0**attempts)
        log.warning(
            "outbox row %s: %s; retry in %.0f s%s",
            row.id,
            exc,
            backoff,
            " (Bot API unreachable: not counted)" if outage else "",
        )
        await self.services.outbox.retry_later(
            row,
            self.services.clock() + timedelta(seconds=backoff),
            f"network: {exc}",
            count_attempt=not outage,
        )

    async def _unreachable(self, row: OutboxRow, why: str) -> None:
        """Stops writing to a chat that blocked or removed the bot, and tells whoever must know."""
        kind = "group" if is_group(row.chat_id) else "private chat"
        log.warning("outbox row %s: %s unreachable (%s)", row.id, kind, why)
        now = self.services.clock()
        await self.services.outbox.mark_failed(row, f"forbidden: {why}")
        await self.services.outbox.mark_chat_unreachable(row.chat_id, why, now)
        notices = await unreachable_notices(self.services, row.chat_id)
        if notices:
            await self.services.outbox.send(notices, now)

    async def _call(self, row: OutboxRow) -> Any:
        if row.method != CARD:
            params, picture = await self.pictures.prepare(row.params)
            result = await self.bot.do_api_request(
                row.method,
                api_kwargs={
                    "chat_id": row.chat_id,
                    **_telegram_objects(await _with_files(self.services, params)),
                },
            )
            self.pictures.remember(picture, result)
            return result
        if row.card_message_id is not None:
            try:
                return await self.bot.do_api_request(
                    "editMessageText",
                    api_kwargs={
                        "chat_id": row.chat_id,
                        "message_id": row.card_message_id,
                        **row.params,
                    },
                )
            except BadRequest as exc:
                text = exc.message.lower()
                if "not modified" in text:
                    return {"message_id": row.card_message_id}
                if "not found" not in text and "can't be edited" not in text:
                    raise
                # The user deleted the card: send it anew and edit that one from now on.
        return await self.bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": row.chat_id, **row.params}
        )


async def unreachable_notices(services: Services, chat_id: int) -> list[Outgoing]:
    """Returns what to tell staff when CHAT_ID can no longer be written to.

    A resident: the staff holding their open reports (report numbers only). A group or a staff
    member: the admin chat. Nobody is told about the admin chat itself.
    """
    admin_chat = services.settings.telegram.admin_chat_id
    texts = services.texts
    if is_group(chat_id) or await services.people.staff(chat_id) is not None:
        if admin_chat is None or admin_chat == chat_id:
            return []
        key = "delivery.group_unreachable" if is_group(chat_id) else "delivery.staff_unreachable"
        text = texts(key, None, chat_id=chat_id)
        return [Outgoing(admin_chat, "sendMessage", {"text": text, "parse_mode": "HTML"})]
    reports = [
        r for r in await services.reports.by_reporter(chat_id, 100) if not r.status.is_closed
    ]
    holders: dict[int, list[str]] = {}
    for report in reports:
        if report.assignee_id is not None:
            staff_ids = [report.assignee_id]
        else:
            staff_ids = [s.user_id for s in await services.people.staff_at([report.holder_unit])]
        for staff_id in staff_ids:
            if staff_id != chat_id:
                holders.setdefault(staff_id, []).append(report.number)
    languages = await services.people.languages(holders)
    notices = []
    for staff_id, report_ids in sorted(holders.items()):
        numbers = ", ".join(sorted(report_ids))
        text = texts("delivery.resident_unreachable", languages.get(staff_id), reports=numbers)
        notices.append(Outgoing(staff_id, "sendMessage", {"text": text, "parse_mode": "HTML"}))
    return notices


def _never_arrived(exc: BaseException) -> bool:
    """Tells whether the request certainly did not reach the Bot API (connection refused)."""
    cause = exc.__cause__
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout) or "ConnectError" in str(
        exc
    )


def _seconds(value: Any) -> float:
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


async def _with_files(services: Services, params: dict[str, Any]) -> dict[str, Any]:
    """Returns PARAMS with each stored-file reference ({"$file": id}) as an InputFile upload."""
    files = {key: ref for key, value in params.items() if (ref := file_id(value)) is not None}
    if not files:
        return params
    loaded = dict(params)
    for key, ref in files.items():
        try:
            filename, data = await services.store.load_file(ref)
        except MissingFile:
            raise BadRequest(f"stored file {ref} is missing") from None
        loaded[key] = InputFile(data, filename=filename)
    return loaded


def _telegram_objects(params: dict[str, Any]) -> dict[str, Any]:
    """Returns PARAMS with album entries as InputMedia objects, which PTB insists on."""
    media = params.get("media")
    if not isinstance(media, list):
        return params
    album = [
        InputMediaPhoto(m["media"], caption=m.get("caption"), parse_mode=m.get("parse_mode"))
        for m in media
    ]
    return {**params, "media": album}


def _poll_id(result: Any) -> str | None:
    """Returns the Telegram poll id of a sent poll (poll updates name only that id)."""
    poll = result.get("poll") if isinstance(result, dict) else None
    return str(poll["id"]) if isinstance(poll, dict) and "id" in poll else None


def _message_id(result: Any) -> int | None:
    if isinstance(result, dict):
        return result.get("message_id")
    if isinstance(result, list) and result and isinstance(result[0], dict):
        return result[0].get("message_id")
    return None
