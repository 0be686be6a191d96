"""Builds the Starlette app from route groups (bot/app.py WEB_ROUTES lists them, in order)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from handlers.web.context import Web

RouteGroup = Callable[[Web], list[BaseRoute]]


def build(web: Web, groups: Iterable[RouteGroup]) -> Starlette:
    """Returns the app serving every route of GROUPS; `app.state.web` is WEB."""
    routes: list[BaseRoute] = []
    for group in groups:
        routes.extend(group(web))
    app = Starlette(routes=routes)
    app.state.web = web
    return app
