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

from bot.faults import Faults
from bot.services import Services
from storage.faults import fault_kind

log = logging.getLogger(__name__)

Sweep = Callable[[Services, datetime], Awaitable[int]]
SWEEPS: dict[str, Sweep] = {}


def sweep(name: str) -> Callable[[Sweep], Sweep]:
    """Registers a sweep under NAME (run in registration order on every pass)."""

    def register(function: Sweep) -> Sweep:
        SWEEPS[name] = function
        return function

    return register


async def run_sweeps(services: Services, faults: Faults | None = None) -> dict[str, int]:
    """Runs every sweep once; one failing sweep is logged and does not stop the others.

    A sweep stopped by a storage fault (locked database, full disk) is told to FAULTS and left
    for the next pass: its work is still due in the database, so nothing is lost.
    """
    now = services.clock()
    results: dict[str, int] = {}
    for name, function in SWEEPS.items():
        try:
            results[name] = await function(services, now)
        except Exception as exc:
            if (kind := fault_kind(exc)) is None:
                log.exception("sweep %s failed", name)
            else:
                log.warning("sweep %s waits for the next pass: storage fault (%s)", name, kind)
                if faults is not None:
                    await faults.hit(exc, f"sweep {name}")
            results[name] = -1
    return results


async def _tick(context: object) -> None:
    app: Application = context.application  # type: ignore[attr-defined]
    await run_sweeps(app.bot_data["services"], app.bot_data.get("faults"))


def schedule(app: Application, interval_seconds: float) -> None:
    """Schedules the sweeps on PTB's JobQueue (first pass right after start-up)."""
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    app.job_queue.run_repeating(_tick, interval=interval_seconds, first=1.0, name="sweeps")
