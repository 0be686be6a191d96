"""`griddesk run`: the application, the inbox poller and processor, the sender, until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import warnings

from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot import jobs
from bot.app import initialize, shutdown
from bot.clock import Clock
from bot.faults import Faults
from bot.poller import Poller
from bot.sender import Sender
from bot.services import Services

log = logging.getLogger(__name__)


async def run(app: Application, clock: Clock) -> int:
    """Runs until SIGINT/SIGTERM; pending updates and messages wait in the database meanwhile.

    Returns the exit status: 0 after a signal, 1 when a task died (a bad token, a bug), so a
    supervisor restarts the bot or an operator sees why. A locked database or a full disk does
    not end a task: they wait and retry (bot/faults.py). Nor does it end start-up: opening the
    database, its migrations and the config sync are retried until the fault clears or a
    signal arrives (then 0). A bug at start-up, or a restore in progress, is raised as before.
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
        sender = Sender(app.bot, services, faults=faults)
        app.bot_data["faults"] = faults
        app.bot_data["poller"] = poller
        app.bot_data["sender"] = sender
        await app.start()  # the JobQueue starts here
        jobs.schedule(app, services.settings.sweep_interval)
        for start_hook in app.bot_data.get("on_start", []):
            await start_hook(app)
        tasks = [
            asyncio.create_task(poller.fetch_forever(), name="fetch"),
            asyncio.create_task(poller.process_forever(), name="process"),
            asyncio.create_task(sender.run(), name="send"),
            asyncio.create_task(faults.watch(), name="faults"),
        ]
        stopper = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in [stopper, *tasks]:
            task.cancel()
        for task in done:
            if task is not stopper and not task.cancelled() and task.exception():
                log.error("%s stopped: %r", task.get_name(), task.exception())
                status = 1
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        await app.stop()
    finally:
        await shutdown(app)
    log.info("griddesk stopped")
    return status
