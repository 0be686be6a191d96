"""Helpers for the web login tests (not a test module): a config with the web app on, an app
built from the login routes and a staff_only test page, and a link issued as /web does."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.testclient import TestClient

from bot.metrics import Prometheus
from bot.services import Services
from bot.usecases.weblogin import issue_link
from handlers.web import login, pages, server
from handlers.web.context import Web
from handlers.web.viewer import staff_only, viewer_of

PUBLIC_URL = "http://127.0.0.1:8080"


def web_on(config_path: Path, public_url: str = PUBLIC_URL, **keys: object) -> Path:
    """Adds a [web] section (listen, public_url, KEYS) to the test config."""
    lines = ["", "[web]", 'listen = "127.0.0.1:8080"', f'public_url = "{public_url}"']
    lines += [f"{key} = {value}" for key, value in keys.items()]
    with config_path.open("a", encoding="utf-8") as config:
        config.write("\n".join(lines) + "\n")
    return config_path


class Actions:
    """What the test page's POST did (it must not run without the session's CSRF token)."""

    def __init__(self) -> None:
        self.done: list[int] = []

    def routes(self, web: Web) -> list[BaseRoute]:
        @staff_only
        async def secret(request: Request) -> Response:
            viewer = viewer_of(request)
            assert viewer is not None
            if request.method == "POST":
                self.done.append(viewer.staff.user_id)
            return PlainTextResponse(f"{viewer.staff.user_id} {viewer.lang} {viewer.csrf}")

        return [Route("/secret", secret, methods=["GET", "POST"])]


def app_client(services: Services, actions: Actions) -> TestClient:
    """A TestClient on the app build() makes from the login routes and the test page."""
    web = Web(services, None, Prometheus(), services.clock())  # type: ignore[arg-type]
    app = server.build(web, [pages.routes, login.routes, actions.routes])
    return TestClient(app, follow_redirects=False)


LINK = re.compile(r"/login\?t=([A-Za-z0-9_-]+)")


async def link_token(services: Services, user_id: int) -> str:
    """Issues a login link to USER_ID as /web does; returns its token."""
    done = await issue_link(services, by=user_id, at=services.clock())
    match = LINK.search(getattr(done, "value", ""))
    assert match, done
    return match.group(1)


async def count(services: Services, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])
