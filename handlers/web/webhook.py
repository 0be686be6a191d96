"""Webhook mode: Telegram POSTs each update to /telegram/<secret path> with the secret token.

An update is committed to the inbox (the same one the poller fills) before the 200 is answered,
so a crash after the 200 loses nothing; a duplicate delivery (same update_id) is stored once.
Processing then runs from the inbox exactly as in polling mode (bot/poller.py process_forever).
A missing or wrong X-Telegram-Bot-Api-Secret-Token gets 403 and nothing is stored; a storage
fault gets 503, so Telegram delivers the update again later.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from handlers.web.context import Web
from storage.faults import fault_kind

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # an update is a few KB; Telegram's largest are far below this


def routes(web: Web) -> list[BaseRoute]:
    hook = web.webhook
    if hook is None:  # polling mode: no webhook route at all
        return []
    expected = hook.secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook delivery with a missing or wrong secret token refused")
            return JSONResponse({"ok": False, "error": "forbidden"}, status_code=403)
        body = await request.body()
        update = _update(body)
        if update is None:
            return JSONResponse({"ok": False, "error": "not an update"}, status_code=400)
        services = web.services
        try:
            new = await services.inbox.store([update], services.clock())
        except Exception as exc:
            if fault_kind(exc) is None:
                raise
            log.warning(
                "webhook update %s not stored (%s); Telegram retries",
                update["update_id"],
                fault_kind(exc),
            )
            return JSONResponse({"ok": False, "error": "storage"}, status_code=503)
        services.metrics.received(new)
        web.wake()
        return JSONResponse({"ok": True})

    return [Route(f"/telegram/{hook.path}", receive, methods=["POST"])]


def _update(body: bytes) -> dict[str, Any] | None:
    """Returns the update in BODY, or None if it is not a JSON object with an integer update_id."""
    if len(body) > MAX_BODY:
        return None
    try:
        update = json.loads(body)
    except ValueError:
        return None
    if not isinstance(update, dict):
        return None
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return None
    return update
