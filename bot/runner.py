"""`griddesk run`: the application, the inbox poller and processor, the sender, until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import warnings
from collections.abc import Awaitable, Callable, Generator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot import jobs
from bot.app import build_web, initialize, shutdown, webhook_secrets
from bot.clock import Clock
from bot.faults import Faults
from bot.metrics import Prometheus
from bot.poller import ALLOWED_UPDATES, Poller
from bot.sender import Sender
from bot.services import Services
from storage.leader import Leadership

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)

TAKEOVER_PAUSE = 1.2  # seconds a new sender waits on a shared database (> sender.WINDOW)


async def run(app: Application, clock: Clock, *, webhook: bool = False) -> int:
    """Runs until SIGINT/SIGTERM; pending updates and messages wait in the database meanwhile.

    Returns the exit status: 0 after a signal, 1 when a task died (a bad token, a bug), so a
    supervisor restarts the bot or an operator sees why. A locked database or a full disk does
    not end a task: they wait and retry (bot/faults.py). Nor does it end start-up: opening the
    database, its migrations and the config sync are retried until the fault clears or a
    signal arrives (then 0). A bug at start-up, or a restore in progress, is raised as before.

    With [web] listen, the web app (handlers/web) is served in this event loop beside them; with
    WEBHOOK, Telegram POSTs updates to it (setWebhook) instead of the poller fetching them.
    """
    # The poller and sender call do_api_request on purpose (raw dicts in, raw dicts out); PTB
    # would warn about that on every first call of each method.
    warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    faults = Faults(app.bot, settings=app.bot_data["settings"])
    starting = asyncio.create_task(initialize(app, faults), name="start")
    stopper = asyncio.create_task(stop.wait(), name="stop")
    await asyncio.wait([starting, stopper], return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():  # a signal while a storage fault holds start-up back
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        await shutdown(app)
        log.info("griddesk stopped while starting")
        return 0
    stopper.cancel()
    services: Services = starting.result()  # a bug (or a restore in progress) is raised here
    status = 0
    try:
        me = app.bot.username
        log.info("griddesk started as @%s", me)
        poller = Poller(
            app, services, timeout=services.settings.telegram.poll_timeout, faults=faults
        )
        app.bot_data["faults"] = faults
        app.bot_data["poller"] = poller
        leadership = Leadership(services.settings.database_location())
        sending = SenderRole(app, services, faults)
        try:
            web = await start_web(app, services, poller, clock(), webhook=webhook)
        except OSError as exc:  # the port is taken, the address is not this machine's
            log.error("the web app cannot listen on %s: %s", services.settings.web.listen, exc)
            return 1
        await app.start()  # the JobQueue starts here
        for start_hook in app.bot_data.get("on_start", []):
            await start_hook(app)
        roles = [
            Role("send", "sender", leadership, sending.start, sending.stop),
            Role("sweeps", "sweeps", leadership, *_sweeps(app, services)),
        ]
        if not webhook:  # with a webhook every instance receives updates (stored once each)
            roles.append(Role("fetch", "poller", leadership, *_fetching(poller)))
        tasks = [
            asyncio.create_task(poller.process_forever(), name="process"),
            asyncio.create_task(faults.watch(), name="faults"),
            asyncio.create_task(leadership.run(), name="leadership"),
            *(asyncio.create_task(role.run(), name=role.name) for role in roles),
        ]
        if webhook:
            tasks.append(asyncio.create_task(set_webhook(app, services), name="setWebhook"))
        if web is not None:
            tasks.append(web.task)
        stopper = asyncio.create_task(stop.wait(), name="stop")
        waiting = {stopper, *tasks}
        while True:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if not all(_webhook_set(task) for task in done):
                break  # a signal, or a task that ended (a bug, a bad token)
        # The web app finishes the requests in flight (an update being stored); the sender the
        # call in flight, recorded as sent, so a graceful stop never sends a message twice.
        await asyncio.gather(
            *([web.stop()] if web is not None else []), *(role.end() for role in roles)
        )
        for task in [stopper, *tasks]:
            task.cancel()
        for task in done:
            if task is not stopper and not task.cancelled() and task.exception():
                log.error("%s stopped: %r", task.get_name(), task.exception())
                status = 1
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        if services.settings.uses_postgres():  # another instance takes them at once, not after
            with contextlib.suppress(Exception):  # the lease (a fault: the lease then)
                await services.inbox.release(poller.owner)
        await leadership.close()  # the roles go to another instance at once
        await app.stop()
    finally:
        await shutdown(app)
    log.info("griddesk stopped")
    return status


class Role:
    """Runs a piece of work only while this process leads ROLE (storage/leader.py).

    START begins the work as a task; STOP ends it (gracefully: the sender finishes its call in
    flight and starts no other). When the role is lost (the lock connection dropped: another
    instance may take it within seconds) the work is stopped at once and the role waited for
    again. A term that raises ends run() with its exception, so the process exits as before
    (a bad token, a bug); one that ends by itself ends run().
    """

    def __init__(
        self,
        name: str,
        role: str,
        leadership: Leadership,
        start: Callable[[], asyncio.Task[None]],
        stop: Callable[[asyncio.Task[None]], Awaitable[None]],
    ):
        self.name, self.role, self.leadership = name, role, leadership
        self._start, self._stop = start, stop
        self.term: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            await self.leadership.acquire(self.role)
            self.term = self._start()
            lost = asyncio.create_task(self.leadership.lost(self.role))
            try:
                await asyncio.wait({self.term, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                lost.cancel()
            if self.term.done():
                if not self.term.cancelled():
                    self.term.result()  # raises what ended it
                return
            log.warning("no longer leading %s: stopping it", self.role)
            await self._stop(self.term)
            self.term = None

    async def end(self) -> None:
        """Stops the current term gracefully (a signal): run() then returns."""
        if self.term is not None and not self.term.done():
            await self._stop(self.term)


class SenderRole:
    """A Sender per term of leadership, in app.bot_data["sender"] (the handlers' uploads take
    their turn in its pacing)."""

    def __init__(self, app: Application, services: Services, faults: Faults):
        self.app, self.services, self.faults = app, services, faults
        self.sender = self._new()
        self._terms = 0

    def _new(self) -> Sender:
        sender = Sender(self.app.bot, self.services, faults=self.faults)
        self.app.bot_data["sender"] = sender
        return sender

    def start(self) -> asyncio.Task[None]:
        self._terms += 1
        if self._terms > 1:  # a stopped Sender stays stopped: the next term starts afresh
            with contextlib.suppress(ValueError):
                self.services.store.on_commit.remove(self.sender.wake.set)
            self.sender = self._new()
        return asyncio.create_task(self._run(), name="sender")

    async def _run(self) -> None:
        if self.services.settings.uses_postgres():
            # Another instance may have sent until a moment ago: its last second of messages
            # (Telegram's per-chat and bot-wide windows) is over before this one sends.
            await asyncio.sleep(TAKEOVER_PAUSE)
        await self.sender.run()

    async def stop(self, task: asyncio.Task[None]) -> None:
        await self.sender.stop(task)
        with contextlib.suppress(BaseException):
            await task


def _fetching(
    poller: Poller,
) -> tuple[Callable[[], asyncio.Task[None]], Callable[[asyncio.Task[None]], Awaitable[None]]]:
    """getUpdates while leading "poller"; stopping cuts the long poll (what was stored stays;
    what was not is not confirmed and comes again to the next leader)."""

    def start() -> asyncio.Task[None]:
        return asyncio.create_task(poller.fetch_forever(), name="getUpdates")

    async def stop(task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task

    return start, stop


def _sweeps(
    app: Application, services: Services
) -> tuple[Callable[[], asyncio.Task[None]], Callable[[asyncio.Task[None]], Awaitable[None]]]:
    """The sweeps on PTB's JobQueue while leading "sweeps" (a pass under way finishes: its
    actions are compare-and-set)."""

    def start() -> asyncio.Task[None]:
        jobs.schedule(app, services.settings.sweep_interval)
        return asyncio.create_task(_forever(), name="sweeping")

    async def stop(task: asyncio.Task[None]) -> None:
        assert app.job_queue is not None
        for job in app.job_queue.get_jobs_by_name("sweeps"):
            job.schedule_removal()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task

    return start, stop


async def _forever() -> None:
    await asyncio.Event().wait()


def _webhook_set(task: asyncio.Task[Any]) -> bool:
    """True for the setWebhook task once it succeeded: the web task receives the updates now."""
    return task.get_name() == "setWebhook" and not task.cancelled() and not task.exception()


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn without its own signal handlers: run() above owns SIGINT/SIGTERM and stops it."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield

    return Server(config)


class WebTask:
    """The web app served by uvicorn in this event loop."""

    def __init__(self, server: uvicorn.Server, sock: socket.socket):
        self.server = server
        self.task = asyncio.create_task(server.serve(sockets=[sock]), name="web")
        self.sock = sock

    async def stop(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(self.task), timeout=10)
        self.sock.close()


async def start_web(
    app: Application, services: Services, poller: Poller, started: datetime, *, webhook: bool
) -> WebTask | None:
    """Serves the web app when [web] listen is set; binds first, so a taken port fails here."""
    settings = services.settings.web
    if not settings.listen:
        return None
    host, _, port = settings.listen.rpartition(":")
    metrics = Prometheus()
    services.metrics = metrics
    hook = await webhook_secrets(services) if webhook else None
    asgi = build_web(app, services, metrics, started=started, webhook=hook, wake=poller.wake.set)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP (else
    # every response waits out the client's delayed ACK, ~40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), int(port)))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    import uvicorn  # here: a bot without [web] listen never loads it (tests/test_imports.py)

    config = uvicorn.Config(
        asgi,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        # X-Forwarded-For is honoured from [web] trusted_proxies only (handlers/web/server.py),
        # never from whoever connects from 127.0.0.1 (uvicorn's default)
        proxy_headers=False,
    )
    log.info("web app listening on http://%s", settings.listen)
    return WebTask(_server(config), sock)


async def set_webhook(app: Application, services: Services) -> None:
    """Tells Telegram to POST updates to the webhook URL with the secret token; retries until it
    answers (a bad token ends the process)."""
    hook = await webhook_secrets(services)
    public = services.settings.web.public_url
    assert public is not None  # bot/cli.py refuses --webhook without it
    url = f"{public.rstrip('/')}/telegram/{hook.path}"
    backoff = 1.0
    while True:
        try:
            await app.bot.do_api_request(
                "setWebhook",
                api_kwargs={
                    "url": url,
                    "secret_token": hook.secret,
                    "allowed_updates": ALLOWED_UPDATES,
                },
            )
        except InvalidToken:
            raise
        except RetryAfter as exc:
            wait = exc.retry_after
            await asyncio.sleep(wait.total_seconds() if isinstance(wait, timedelta) else wait)
            continue
        except NetworkError as exc:
            log.warning("setWebhook failed: %s; retrying in %.0f s", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        log.info("webhook set: Telegram delivers updates to the web app")  # not the URL: a secret
        return
