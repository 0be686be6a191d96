"""Sweeps for broadcasts and polls (registered on bot/jobs/__init__.py's one periodic pass).

- broadcast_progress: edits each sending broadcast's progress line (at most every
  [broadcasts] progress_seconds) and, when nothing is left to deliver, sends the end report.
- poll_close: stops the groups' native polls of polls past their closing time, then posts the
  results. Each finds its work through a partial index and acts with compare-and-set.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases import broadcasts, polls


async def broadcast_progress(services: Services, now: datetime) -> int:
    return await broadcasts.advance(services, now)


async def poll_close(services: Services, now: datetime) -> int:
    return await polls.close_due(services, now)
