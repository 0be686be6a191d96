"""Builds the Starlette app from route groups (bot/app.py WEB_ROUTES lists them, in order)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from handlers.web import pages
from handlers.web.context import Web
from handlers.web.guard import Guard
from handlers.web.login import Sessions
from handlers.web.viewer import Forbidden

RouteGroup = Callable[[Web], list[BaseRoute]]


def build(web: Web, groups: Iterable[RouteGroup]) -> Starlette:
    """Returns the app serving every route of GROUPS, each request held to the guard's bounds
    (handlers/web/guard.py) and with its viewer (the session middleware); `app.state.web` is
    WEB."""
    routes: list[BaseRoute] = []
    for group in groups:
        routes.extend(group(web))

    async def forbidden(request: Request, exc: Exception) -> Response:
        return pages.forbidden(web, request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        return pages.http_error(web, request, exc)

    app = Starlette(
        routes=routes,
        exception_handlers={Forbidden: forbidden, HTTPException: http_error},
        # every request: its session, if any, as request.state.viewer (handlers/web/login.py)
        middleware=[*_proxies(web), Middleware(Guard, web=web), Middleware(Sessions, web=web)],
    )
    app.state.web = web
    return app


def _proxies(web: Web) -> list[Middleware]:
    """Behind the [web] trusted_proxies only: the client (and scheme) X-Forwarded-For (and
    X-Forwarded-Proto) name, before the guard counts requests by client."""
    proxies = web.services.settings.web.trusted_proxies
    if not proxies:
        return []
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware  # with uvicorn, rarely

    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=[str(p) for p in proxies])]
