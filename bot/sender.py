"""The sender: drains the outbox within Telegram's limits and records what was delivered.

Limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages a second overall, 1 a second to one private chat, 20 a minute to one group.
Order is kept per chat because only the oldest row of each chat is ever in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, InputMediaPhoto
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.services import Services
from storage.outbox import CARD, OutboxRow

log = logging.getLogger(__name__)

GLOBAL_PER_SECOND = 30
PRIVATE_INTERVAL = 1.0  # seconds between two messages to one private chat
GROUP_INTERVAL = 3.0  # 20 a minute
MAX_ATTEMPTS = 8  # for timeouts and server errors, with backoff


def chat_interval(chat_id: int) -> float:
    return PRIVATE_INTERVAL if chat_id > 0 else GROUP_INTERVAL


class Sender:
    def __init__(
        self,
        bot: Bot,
        services: Services,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        on_unreachable: Callable[[int, str], Any] | None = None,
    ):
        self.bot = bot
        self.services = services
        self.monotonic = monotonic
        self.wake = asyncio.Event()
        self._next_for_chat: dict[int, float] = {}
        self._sent_times: list[float] = []
        self._paused_until = 0.0
        self.on_unreachable = on_unreachable
        services.db.on_commit.append(self.wake.set)

    async def run(self) -> None:
        """Sends forever; woken by each commit, otherwise polls twice a second."""
        while True:
            try:
                sent = await self.drain_once()
            except Exception:
                log.exception("sender pass failed")
                sent = 0
            if not sent:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=0.5)

    async def drain_once(self) -> int:
        """Sends what may be sent now; returns how many rows were attempted."""
        now_mono = self.monotonic()
        if now_mono < self._paused_until:
            return 0
        rows = await self.services.outbox.due(self.services.clock())
        ready = [r for r in rows if self._next_for_chat.get(r.chat_id, 0.0) <= now_mono]
        attempted = 0
        for batch_start in range(0, len(ready), GLOBAL_PER_SECOND):
            batch = ready[batch_start : batch_start + GLOBAL_PER_SECOND]
            for row in batch:
                await self._wait_global_slot()
                if self.monotonic() < self._paused_until:
                    return attempted
                self._next_for_chat[row.chat_id] = self.monotonic() + chat_interval(row.chat_id)
                await self.deliver(row)
                attempted += 1
        return attempted

    async def drain_all(self, max_passes: int = 1000) -> None:
        """Sends until the outbox has nothing due (tests and the CLI), ignoring pacing waits."""
        for _ in range(max_passes):
            rows = await self.services.outbox.due(self.services.clock())
            if not rows:
                return
            self._next_for_chat.clear()
            self._paused_until = 0.0
            for row in rows:
                await self.deliver(row)

    async def _wait_global_slot(self) -> None:
        while True:
            now = self.monotonic()
            self._sent_times = [t for t in self._sent_times if now - t < 1.0]
            if len(self._sent_times) < GLOBAL_PER_SECOND:
                self._sent_times.append(now)
                return
            await asyncio.sleep(1.0 - (now - self._sent_times[0]) + 0.001)

    async def deliver(self, row: OutboxRow) -> None:
        """Makes one Bot API call for ROW and records the outcome."""
        outbox = self.services.outbox
        await outbox.mark_sending(row.id)
        try:
            result = await self._call(row)
        except RetryAfter as exc:
            wait = (
                exc.retry_after
                if isinstance(exc.retry_after, int | float)
                else exc.retry_after.total_seconds()
            )
            log.warning("429 from Telegram: pausing %.0f s", wait)
            self._paused_until = self.monotonic() + float(wait)
            await outbox.retry_later(
                row, self.services.clock() + timedelta(seconds=float(wait)), "429"
            )
            return
        except Forbidden as exc:
            log.warning("chat %s unreachable: %s", row.chat_id, exc.message)
            await outbox.mark_failed(row, f"forbidden: {exc.message}")
            await self.services.outbox.mark_chat_unreachable(
                row.chat_id, exc.message, self.services.clock()
            )
            if self.on_unreachable is not None:
                await self.on_unreachable(row.chat_id, exc.message)
            return
        except ChatMigrated as exc:
            log.info("chat %s migrated to %s", row.chat_id, exc.new_chat_id)
            await outbox.migrate_chat(row.chat_id, exc.new_chat_id, self.services.clock())
            return
        except BadRequest as exc:
            log.warning("outbox row %s refused: %s", row.id, exc.message)
            await outbox.mark_failed(row, f"bad request: {exc.message}")
            return
        except (TimedOut, NetworkError) as exc:
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                log.error("outbox row %s failed after %s attempts: %s", row.id, attempts, exc)
                await outbox.mark_failed(row, f"network: {exc}")
                return
            backoff = min(2**attempts, 300)
            log.warning("outbox row %s: %s; retry in %s s", row.id, exc, backoff)
            self._next_for_chat[row.chat_id] = self.monotonic() + backoff
            await outbox.retry_later(
                row, self.services.clock() + timedelta(seconds=backoff), f"network: {exc}"
            )
            return
        await outbox.mark_sent(row, self.services.clock(), _message_id(result))

    async def _call(self, row: OutboxRow) -> Any:
        if row.method != CARD:
            return await self.bot.do_api_request(
                row.method, api_kwargs={"chat_id": row.chat_id, **_telegram_objects(row.params)}
            )
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


def _message_id(result: Any) -> int | None:
    if isinstance(result, dict):
        return result.get("message_id")
    if isinstance(result, list) and result and isinstance(result[0], dict):
        return result[0].get("message_id")
    return None
