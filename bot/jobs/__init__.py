"""Sweeps: one periodic job asks each registered sweep what is due in the database and acts.

Deadlines live in the database, not in JobQueue jobs (which are forgotten on restart). A sweep
is `async def sweep(services, now) -> int` (how many things it acted on); it must find its work
through an index and act with compare-and-set, so a restart, a slow pass or a second instance
never acts twice. bot/app.py lists the sweeps, in order (SWEEPS), and schedules them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from telegram.ext import Application

from bot.faults import Faults
from bot.services import Services
from storage.faults import fault_kind

log = logging.getLogger(__name__)

Sweep = Callable[[Services, datetime], Awaitable[int]]
Sweeps = Sequence[tuple[str, Sweep]]


async def run_sweeps(
    services: Services, sweeps: Sweeps, faults: Faults | None = None
) -> dict[str, int]:
    """Runs every sweep of SWEEPS once, in order; one failing sweep is logged and does not stop
    the others.

    A storage fault (locked database, full disk) is told to FAULTS and ends the pass: the
    sweeps after it would meet it too (each waiting out busy_timeout on a lock), and their work
    is still due in the database for the next pass, so nothing is lost.
    """
    now = services.clock()
    results: dict[str, int] = {}
    metrics = services.metrics
    for name, function in sweeps:
        started = time.perf_counter()
        try:
            results[name] = await function(services, now)
            metrics.swept(name, time.perf_counter() - started)
        except Exception as exc:
            results[name] = -1
            if (kind := fault_kind(exc)) is None:
                log.exception("sweep %s failed", name)
                continue
            log.warning("sweeps wait for the next pass: storage fault (%s) in %s", kind, name)
            if faults is not None:
                await faults.hit(exc, f"sweep {name}")
            results.update({other: -1 for other, _ in sweeps if other not in results})
            break
    else:
        ended = services.clock()
        metrics.pass_ended(ended)  # /readyz: a pass that a fault cut short does not count
        if services.settings.uses_postgres():
            await _record_pass(services, ended, faults)
    return results


async def _record_pass(services: Services, ended: datetime, faults: Faults | None) -> None:
    """Records the pass in the database: the /readyz of the instances that do not lead
    "sweeps" (several on one PostgreSQL) judges the sweeps by it."""
    try:
        await services.store.web.sweeps_passed(ended)
    except Exception as exc:
        if fault_kind(exc) is None:
            raise
        if faults is not None:  # the next pass records it
            await faults.hit(exc, "sweeps")


async def _tick(context: object) -> None:
    app: Application = context.application  # type: ignore[attr-defined]
    await run_sweeps(app.bot_data["services"], app.bot_data["sweeps"], app.bot_data.get("faults"))


def schedule(app: Application, interval_seconds: float) -> None:
    """Schedules the sweeps of app.bot_data["sweeps"] (set by bot/app.py) on PTB's JobQueue (first
    pass right after start-up)."""
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    app.job_queue.run_repeating(_tick, interval=interval_seconds, first=1.0, name="sweeps")
