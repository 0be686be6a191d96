"""Who is looking at a staff page: the session middleware (handlers/web/login.py) sets
`request.state.viewer` on every request from the session cookie, re-reading the staff row each
time (a deactivated or moved member loses the old scope at once). Pages only read it here."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.domain.people import Staff

Endpoint = Callable[[Request], Awaitable[Response]]

LOGIN_PATH = "/login"  # where a request without a live session is sent (handlers/web/login.py)


@dataclass(frozen=True, slots=True)
class Viewer:
    staff: Staff  # as stored now: role and unit decide what every page shows
    lang: str  # the member's language in the bot ("zh" or "en")
    csrf: str  # the session's token: every POST form carries it as the field `csrf`
    session: str  # the session's id as stored (a hash of the cookie), for logout


def viewer_of(request: Request) -> Viewer | None:
    """Returns the logged-in staff member behind REQUEST, or None."""
    viewer = getattr(request.state, "viewer", None)
    return viewer if isinstance(viewer, Viewer) else None


def csrf_ok(viewer: Viewer, submitted: object) -> bool:
    """Tells whether SUBMITTED (a form field or header) is VIEWER's session token."""
    return isinstance(submitted, str) and hmac.compare_digest(submitted, viewer.csrf)


class Forbidden(Exception):
    """Raised by a page for a request its viewer may not make; answered 403 with a page."""

    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.key = key
        self.params = params


def staff_only(endpoint: Endpoint) -> Endpoint:
    """Wraps a page: no session → 303 to the login page; a POST without the session's CSRF
    token (form field `csrf` or header X-CSRF-Token) → 403 and the endpoint never runs."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        viewer = viewer_of(request)
        if viewer is None:
            return RedirectResponse(LOGIN_PATH, status_code=303)
        if request.method not in ("GET", "HEAD"):
            submitted: object = request.headers.get("x-csrf-token")
            if submitted is None:
                submitted = (await request.form()).get("csrf")
            if not csrf_ok(viewer, submitted):
                raise Forbidden("web.csrf")
        return await endpoint(request)

    return guarded
