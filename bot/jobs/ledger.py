"""The ledger sweep: builds the 台账 exports asked for in chat and sends each as a document.

An export asked for with /export waits in ledger_exports with a due time. Each pass takes the
due ones in turn with compare-and-set (its due time moves a lease ahead, so a crash mid-way
hands it to a pass after the lease, and a second instance never builds it twice), builds the
workbook in a worker thread (updates keep being answered meanwhile) and queues the file in the
commit that ends the export. After MAX_ATTEMPTS it gives up and says so.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.services import Services
from bot.usecases import ledger

log = logging.getLogger(__name__)


async def exports(services: Services, now: datetime) -> int:
    """Builds every export due at NOW; returns how many ended (sent, empty, refused, failed)."""
    ended = 0
    for job in await services.store.ledgers.due(now):
        if job.attempts >= ledger.MAX_ATTEMPTS:
            await ledger.give_up(services, job, at=now)
            ended += 1
            continue
        if not await services.store.ledgers.claim(job, now, ledger.LEASE):
            continue
        try:
            outcome = await ledger.run(services, job, at=services.clock())
        except Exception:
            # Ids only: the export is tried again when its lease ends.
            log.exception("ledger export %s failed (attempt %s)", job.id, job.attempts + 1)
            continue
        log.info("ledger export %s: %s", job.id, outcome)
        ended += 1
    return ended
