"""Inbox-first polling: store each update before confirming it, then process from the database.

PTB's own Updater confirms an update (advances the offset) before handlers run, so a crash
loses it. Here getUpdates is called with offset = last stored + 1 only after the commit, and a
processor works through the stored updates; an update whose effects committed is marked done in
that same commit (storage.db.current_update), so it is never processed twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.services import Services
from storage.db import current_update

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


class Poller:
    def __init__(self, application: Application, services: Services, *, timeout: int = 30):
        self.application = application
        self.services = services
        self.timeout = timeout
        self.wake = asyncio.Event()
        # Update ids whose handler raised; filled by the error handler (handlers/common.py).
        self.failed: set[int] = application.bot_data.setdefault("failed_updates", set())

    async def fetch_forever(self) -> None:
        """Long-polls Telegram and stores every update; never drops pending updates."""
        last = await self.services.inbox.last_update_id()
        offset = last + 1 if last is not None else None
        backoff = 1.0
        while True:
            try:
                updates = await self.fetch(offset)
                backoff = 1.0
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(float(_seconds(exc.retry_after)))
                continue
            except (TimedOut, NetworkError, Conflict) as exc:
                log.warning("getUpdates failed: %s; retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            if updates:
                await self.services.inbox.store(updates, self.services.clock())
                offset = max(u["update_id"] for u in updates) + 1
                self.wake.set()

    async def fetch(self, offset: int | None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"timeout": self.timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            kwargs["offset"] = offset
        result = await self.application.bot.do_api_request(
            "getUpdates", api_kwargs=kwargs, read_timeout=self.timeout + 10
        )
        return list(result or [])

    async def process_forever(self) -> None:
        while True:
            done = await self.process_pending()
            if not done:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=1.0)

    async def process_pending(self) -> int:
        """Processes the stored updates in order; returns how many were handled."""
        rows = await self.services.inbox.pending()
        for row in rows:
            await self.process_one(row.update_id, row.payload)
        return len(rows)

    async def process_one(self, update_id: int, payload: dict[str, Any]) -> None:
        token = current_update.set(update_id)
        try:
            self.failed.discard(update_id)
            update = Update.de_json(payload, self.application.bot)
            await self.application.process_update(update)
        except Exception as exc:  # de_json of a malformed update; handlers' errors go below
            log.exception("update %s could not be processed", update_id)
            self.failed.add(update_id)
            self.application.bot_data.setdefault("failed_errors", {})[update_id] = repr(exc)
        finally:
            current_update.reset(token)
        if update_id in self.failed:
            self.failed.discard(update_id)
            error = self.application.bot_data.get("failed_errors", {}).pop(update_id, "error")
            parked = await self.services.inbox.mark_failed(update_id, error, MAX_ATTEMPTS)
            if parked:
                log.error("update %s parked after %s attempts", update_id, MAX_ATTEMPTS)
                await report_parked(self.services, update_id)
        else:
            await self.services.inbox.mark_done(update_id, self.services.clock())


async def report_parked(services: Services, update_id: int) -> None:
    """Tells the admin chat that an update was parked (its id only: no personal data)."""
    chat = services.settings.telegram.admin_chat_id
    if chat is None:
        return
    from storage.outbox import Outgoing

    text = services.texts("admin.update_parked", None, update_id=update_id)
    await services.outbox.send(
        [Outgoing(chat, "sendMessage", {"text": text, "parse_mode": "HTML"})], services.clock()
    )


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
