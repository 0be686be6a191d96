"""Inbox-first polling: store each update before confirming it, then process from the database.

PTB's own Updater confirms an update (advances the offset) before handlers run, so a crash
loses it. Here getUpdates is called with offset = last stored + 1 only after the commit, and a
processor works through the stored updates in order; an update whose effects committed is
marked done in that same commit (storage.db.current_update), so it is never processed twice.

An update whose processing fails is tried again at once (before any later update), at most
MAX_ATTEMPTS times, then parked and reported to telegram.admin_chat_id. A crash of the whole
process counts too: on start the oldest pending update (the one in progress, if any) is charged
an attempt, so an update that kills the process is parked after MAX_ATTEMPTS restarts instead of
killing every restart.

A storage fault (a locked database, a full disk: storage.faults) is not a failed attempt: the
fetcher does not confirm updates it could not store (Telegram sends them again), and the
processor retries the same update after a backoff without counting an attempt or parking it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from bot.faults import Backoff, Faults
from bot.services import Services
from storage.db import Batch, current_update
from storage.faults import StorageFault, fault_kind
from storage.inbox import InboxRow
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BATCH = 100  # updates processed together in one batch (one commit) at most
# How long a claim on pending updates holds (storage Inbox.claim): a batch takes well under a
# second; after a crash another process (or this one restarted) takes the updates over then.
LEASE = timedelta(seconds=15)
# This process's name in the inbox's claims (several processes may share one PostgreSQL).
PROCESS_OWNER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
# The claims' owner on an SQLite file: one process owns the file, so a restarted process takes
# its predecessor's claims as its own at once instead of waiting out their LEASE.
FILE_OWNER = "file"
MAX_BACKOFF = 30.0
# "poll": the counts of the native polls the bot sends to groups (议事会 polls).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "poll"]


class Poller:
    def __init__(
        self,
        application: Application,
        services: Services,
        *,
        timeout: int = 30,
        faults: Faults | None = None,
        owner: str | None = None,
    ):
        self.application = application
        self.services = services
        self.timeout = timeout
        shared = services.settings.uses_postgres()
        self.owner = owner or (PROCESS_OWNER if shared else FILE_OWNER)
        self.faults = faults or Faults(application.bot, services)
        self.wake = asyncio.Event()
        # Update ids whose handler raised; filled by the error handler
        # (handlers/residents/basics.py).
        self.failed: set[int] = application.bot_data.setdefault("failed_updates", set())
        # Update ids whose handler met a storage fault, with its kind (not failures).
        self.faulted: dict[int, str] = application.bot_data.setdefault("faulted_updates", {})
        # Parked updates the admin chat is still to be told about (a fault stopped the notice).
        self.unreported: list[int] = []
        self._deferred: set[asyncio.Task[None]] = set()  # button answers after a commit

    async def fetch_forever(self) -> None:
        """Long-polls Telegram and stores every update; never drops pending updates.

        The first call asks without an offset (Telegram's earliest unconfirmed update): what
        was stored but not yet confirmed before a restart comes again and is ignored as a
        duplicate, and nothing is confirmed that was not stored.
        """
        offset: int | None = None
        backoff = 1.0
        storing = Backoff()
        while True:
            try:
                updates = await self.fetch(offset)
                backoff = 1.0
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except Conflict as exc:
                if "webhook" in exc.message.lower():
                    # Back to polling after webhook mode (griddesk run --webhook): Telegram keeps
                    # the webhook, and pending updates, until told; they come by getUpdates next.
                    log.info("a webhook is set; deleting it to poll (pending updates are kept)")
                    with contextlib.suppress(NetworkError, Conflict):
                        await self.application.bot.do_api_request(
                            "deleteWebhook", api_kwargs={"drop_pending_updates": False}
                        )
                        continue
                log.warning("getUpdates failed: %s; retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except NetworkError as exc:  # TimedOut is a NetworkError
                log.warning("getUpdates failed: %s; retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if updates:
                try:
                    new = await self.services.inbox.store(updates, self.services.clock())
                except Exception as exc:
                    if fault_kind(exc) is None:
                        raise
                    # The offset stays: these updates are not confirmed and come again.
                    await self.faults.hit(exc, "poller")
                    await asyncio.sleep(storing.next(exc))
                    continue
                storing.reset()
                self.services.metrics.received(new)
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

    async def recover(self) -> None:
        """Charges the update that was in progress when the process last stopped an attempt."""
        parked = await self.services.inbox.charge_oldest(
            MAX_ATTEMPTS, self.owner, self.services.clock()
        )
        if parked is not None:
            log.error("update %s parked: the process stopped %s times on it", parked, MAX_ATTEMPTS)
            self.unreported.append(parked)
            await self.report_unreported()

    async def report_unreported(self) -> None:
        """Tells the admin chat about parked updates a storage fault kept it from hearing of."""
        while self.unreported:
            await report_parked(self.services, self.unreported[0])
            self.unreported.pop(0)

    async def process_forever(self) -> None:
        backoff = Backoff()
        while True:
            try:
                await self.recover()
                break
            except Exception as exc:
                await self._fault(exc, backoff)
        while True:
            try:
                done = await self.process_pending()
            except Exception as exc:
                await self._fault(exc, backoff)
                continue
            backoff.reset()
            if not done:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):  # not wait_for: see storage/leader.py
                    async with asyncio.timeout(1.0):
                        await self.wake.wait()

    async def _fault(self, exc: Exception, backoff: Backoff) -> None:
        """Waits before retrying after a storage fault; re-raises anything else."""
        if fault_kind(exc) is None:
            raise exc
        await self.faults.hit(exc, "processor")
        await asyncio.sleep(backoff.next(exc))

    async def process_pending(self) -> int:
        """Processes the stored updates in order, in batches; returns how many were tried.

        The updates pending together are processed in one batch (storage Batch: one write
        transaction, one fsync'd commit, each update in a SAVEPOINT of its own). An update that
        needs the network while it is processed (an image sent as a file: getFile, download,
        upload) ends the batch before it and is processed alone, as its own transactions commit.
        Stops at a failure, so the failed update is tried again before any later one.
        """
        await self.report_unreported()
        try:
            rows = await self.services.inbox.claim(self.owner, BATCH, LEASE, self.services.clock())
        except Exception as exc:
            if (kind := fault_kind(exc)) is not None:
                raise StorageFault(kind, str(exc)) from exc
            raise
        tried = 0
        at = 0
        while at < len(rows):
            if needs_network(rows[at].payload):
                tried += 1
                if not await self.process_one(rows[at].update_id, rows[at].payload):
                    return tried
                at += 1
                continue
            run = []
            while at < len(rows) and not needs_network(rows[at].payload):
                run.append(rows[at])
                at += 1
            done, ok = await self.process_batch(run)
            tried += done
            if not ok:
                return tried
        return tried

    async def process_batch(self, rows: list[InboxRow]) -> tuple[int, bool]:
        """Processes ROWS in one batch; returns (how many were tried, False if one failed).

        A failed update is counted in the batch, which then commits and ends, so it is tried
        again first. A storage fault rolls the whole batch back and raises StorageFault:
        nothing is counted, and the same updates are processed again once it clears.
        """
        tried = 0
        completed = 0
        parked: int | None = None
        failed = False
        try:
            async with self.services.store.batch() as batch:
                ids = [row.update_id for row in rows]
                held = await self.services.inbox.hold(
                    batch.conn, self.owner, ids, LEASE, self.services.clock()
                )
                if len(held) < len(rows):  # a claim lapsed and another process took it over:
                    # only the updates before the first lost one (each chat's order holds)
                    lost = next(i for i, row in enumerate(rows) if row.update_id not in held)
                    log.warning("%s updates claimed by another process meanwhile", len(rows) - lost)
                    rows = rows[:lost]
                for row in rows:
                    tried += 1
                    ok, parked_now = await self._in_batch(batch, row.update_id, row.payload)
                    if not ok:
                        failed = True
                        parked = row.update_id if parked_now else None
                        break
                    completed += 1
                deferred = list(batch.deferred)
        except StorageFault:
            raise
        except Exception as exc:
            if (kind := fault_kind(exc)) is not None:
                raise StorageFault(kind, str(exc)) from exc
            raise
        for _ in range(completed):
            self.services.metrics.processed()
        if failed:
            self.services.metrics.failed()
        if deferred:
            self._after_commit(deferred)
        if parked is not None:
            log.error("update %s parked after %s attempts", parked, MAX_ATTEMPTS)
            self.unreported.append(parked)
            await self.report_unreported()
        return tried, not failed

    def _after_commit(self, calls: list[Callable[[], Awaitable[None]]]) -> None:
        """Makes the network calls the batch's handlers deferred (button answers), beside the
        next batch: they never hold the processor up."""

        async def make() -> None:
            for result in await asyncio.gather(*(c() for c in calls), return_exceptions=True):
                if isinstance(result, Exception):
                    log.warning("a deferred Bot API call failed: %s", type(result).__name__)

        task = asyncio.create_task(make())
        self._deferred.add(task)
        task.add_done_callback(self._deferred.discard)

    async def _in_batch(
        self, batch: Batch, update_id: int, payload: dict[str, Any]
    ) -> tuple[bool, bool]:
        """Processes one update inside BATCH, in its own savepoint; returns (ok, parked)."""
        token = current_update.set(update_id)
        try:
            self.failed.discard(update_id)
            self.faulted.pop(update_id, None)
            async with batch.savepoint():
                try:
                    update = Update.de_json(payload, self.application.bot)
                    await self.application.process_update(update)
                except Exception as exc:  # de_json of a malformed update
                    if (kind := fault_kind(exc)) is not None:
                        raise StorageFault(kind, str(exc)) from exc
                    log.exception("update %s could not be processed", update_id)
                    self.failed.add(update_id)
                    self.application.bot_data.setdefault("failed_errors", {})[update_id] = repr(exc)
                if (kind := self.faulted.pop(update_id, None)) is not None:
                    self.failed.discard(update_id)
                    raise StorageFault(kind, f"update {update_id} waits for the storage")
                if update_id not in self.failed:
                    await batch.complete(update_id)
                    return True, False
                self.failed.discard(update_id)
                error = self.application.bot_data.get("failed_errors", {}).pop(update_id, "error")
                parked = await self.services.inbox.mark_failed(update_id, error, MAX_ATTEMPTS)
                return False, parked
        finally:
            current_update.reset(token)

    async def process_one(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Processes one stored update outside a batch; returns False if it failed (and was
        counted).

        Raises StorageFault when a storage fault stopped it: nothing is counted, and the same
        update is to be processed again once the fault clears.
        """
        token = current_update.set(update_id)
        try:
            self.failed.discard(update_id)
            self.faulted.pop(update_id, None)
            update = Update.de_json(payload, self.application.bot)
            await self.application.process_update(update)
        except Exception as exc:  # de_json of a malformed update; handlers' errors go below
            if (kind := fault_kind(exc)) is not None:
                raise StorageFault(kind, str(exc)) from exc
            log.exception("update %s could not be processed", update_id)
            self.failed.add(update_id)
            self.application.bot_data.setdefault("failed_errors", {})[update_id] = repr(exc)
        finally:
            current_update.reset(token)
        if (kind := self.faulted.pop(update_id, None)) is not None:
            self.failed.discard(update_id)
            raise StorageFault(kind, f"update {update_id} waits for the storage")
        if update_id not in self.failed:
            await self.services.inbox.mark_done(update_id, self.services.clock())
            self.services.metrics.processed()
            return True
        self.failed.discard(update_id)
        self.services.metrics.failed()
        error = self.application.bot_data.get("failed_errors", {}).pop(update_id, "error")
        parked = await self.services.inbox.mark_failed(update_id, error, MAX_ATTEMPTS)
        if parked:
            log.error("update %s parked after %s attempts", update_id, MAX_ATTEMPTS)
            self.unreported.append(update_id)
            await self.report_unreported()
        return False


def needs_network(payload: dict[str, Any]) -> bool:
    """True for an update whose handler calls the Bot API while it runs: an image sent as a
    file (handlers/kit/image_files.py downloads it and uploads a stripped copy, whose file_id
    the draft keeps). It is processed alone, outside a batch's open transaction."""
    message = payload.get("message") or payload.get("edited_message")
    if not isinstance(message, dict):
        return False
    document = message.get("document")
    if not isinstance(document, dict) or "animation" in message:
        return False
    return str(document.get("mime_type") or "").startswith("image/")


async def report_parked(services: Services, update_id: int) -> None:
    """Tells the admin chat that an update was parked (its id only: no personal data)."""
    chat = services.settings.telegram.admin_chat_id
    if chat is None:
        return
    text = services.texts("admin.update_parked", None, update_id=update_id)
    await services.outbox.send(
        [Outgoing(chat, "sendMessage", {"text": text, "parse_mode": "HTML"})], services.clock()
    )


def _seconds(value: Any) -> float:
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)
