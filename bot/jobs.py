"""Sweeps: one periodic job asks each registered sweep what is due in the database and acts.

Deadlines live in the database, not in JobQueue jobs (which are forgotten on restart). A sweep
is `async def sweep(services, now) -> int` (how many things it acted on); it must find its work
through an index and act with compare-and-set, so a restart, a slow pass or a second instance
never acts twice. Register sweeps with @sweep; bot/app.py schedules them all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram.ext import Application

from bot.services import Services

log = logging.getLogger(__name__)

Sweep = Callable[[Services, datetime], Awaitable[int]]
SWEEPS: dict[str, Sweep] = {}


def sweep(name: str) -> Callable[[Sweep], Sweep]:
    """Registers a sweep under NAME (run in registration order on every pass)."""

    def register(function: Sweep) -> Sweep:
        SWEEPS[name] = function
        return function

    return register


async def run_sweeps(services: Services) -> dict[str, int]:
    """Runs every sweep once; one failing sweep is logged and does not stop the others."""
    now = services.clock()
    results: dict[str, int] = {}
    for name, function in SWEEPS.items():
        try:
            results[name] = await function(services, now)
        except Exception:
            log.exception("sweep %s failed", name)
            results[name] = -1
    return results


async def _tick(context: object) -> None:
    app: Application = context.application  # type: ignore[attr-defined]
    await run_sweeps(app.bot_data["services"])


def schedule(app: Application, interval_seconds: float) -> None:
    """Schedules the sweeps on PTB's JobQueue (first pass right after start-up)."""
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    app.job_queue.run_repeating(_tick, interval=interval_seconds, first=1.0, name="sweeps")
