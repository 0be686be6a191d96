"""/healthz (the process answers) and /readyz (the database answers and the bot keeps up)."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.domain.readiness import Limits, readiness
from handlers.web.context import Web

log = logging.getLogger(__name__)


def routes(web: Web) -> list[BaseRoute]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> JSONResponse:
        store = web.services.store
        try:
            inbox, outbox, recorded_sweep = await asyncio.wait_for(
                asyncio.gather(
                    store.web.inbox_backlog(),
                    store.web.outbox_backlog(),
                    store.web.last_sweeps_pass(),
                ),
                timeout=web.read_timeout,
            )
        except Exception as exc:  # locked, gone, unreadable: not ready, whatever it is
            log.warning("/readyz: the database did not answer: %s", type(exc).__name__)
            return JSONResponse(
                {"status": "not ready", "database": "unreachable", "failing": ["database"]},
                status_code=503,
            )
        settings = web.services.settings.web
        ready, body = readiness(
            web.services.clock(),
            inbox=inbox,
            outbox=outbox,
            last_sweep=web.services.metrics.last_sweep,
            recorded_sweep=recorded_sweep,
            started=web.started,
            limits=Limits(
                settings.ready_inbox_age, settings.ready_outbox_age, settings.ready_sweep_age
            ),
        )
        return JSONResponse(body, status_code=200 if ready else 503)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
