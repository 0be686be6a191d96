"""/metrics: the counters of bot/metrics.py and gauges read from the store at scrape time."""

from __future__ import annotations

import asyncio
import logging
import time

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from handlers.web.context import Web

log = logging.getLogger(__name__)


def routes(web: Web) -> list[BaseRoute]:
    async def metrics(request: Request) -> Response:
        await refresh(web)
        return Response(web.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics, methods=["GET"])]


# Scrapes within this many seconds of the last refresh share its figures (several Prometheus
# servers, or a burst of scrapes, cost one set of reads).
FRESH_SECONDS = 1.0


async def refresh(web: Web) -> None:
    """Sets the gauges from the store, one refresh at a time and at most once a FRESH_SECONDS.

    A few indexed counts (about 0.1 s at 1,000,000 reports: bench/web.py); a store that does not
    answer leaves them as they were and sets griddesk_database_up to 0.
    """
    async with web.metrics.refreshing:
        now = time.monotonic()
        if now - web.metrics.refreshed_at < FRESH_SECONDS:
            return
        await _read(web)
        web.metrics.refreshed_at = time.monotonic()


async def _read(web: Web) -> None:
    m = web.metrics
    store = web.services.store
    now = web.services.clock()
    try:
        inbox, outbox, reports, overdue = await asyncio.wait_for(
            asyncio.gather(
                store.web.inbox_backlog(),
                store.web.outbox_backlog(),
                store.web.reports_by_state_tier(),
                store.web.overdue(now),
            ),
            timeout=web.read_timeout,
        )
    except Exception as exc:
        log.warning("/metrics: the database did not answer: %s", type(exc).__name__)
        m.database_up.set(0)
        return
    m.database_up.set(1)
    m.inbox_backlog.set(inbox.count)
    m.inbox_age.set((now - inbox.oldest).total_seconds() if inbox.oldest else 0)
    m.outbox_backlog.set(outbox.count)
    m.outbox_age.set((now - outbox.oldest).total_seconds() if outbox.oldest else 0)
    m.reports.clear()
    for (state, tier), count in reports.items():
        m.reports.labels(state, tier).set(count)
    m.overdue.set(overdue)
    last = web.services.metrics.last_sweep or web.started
    m.last_sweep_age.set(max(0.0, (now - last).total_seconds()))
