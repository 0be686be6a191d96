"""The web app on the real `griddesk run` process: a [web] section for the harness's config, and
the login link a staff member asks the bot for with /web (not a test module)."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

# handlers/web/login.py sends `<public_url>/login?t=<token>`: in the text, a text link or a button
LOGIN_LINK = re.compile(r"https?://[^\s\"'<>]+/login\?t=[^\s\"'<>]+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def web_on(griddesk: Griddesk, **keys: Any) -> str:
    """Adds a [web] section to the bot's config (KEYS as TOML values: strings quoted by the
    caller); returns the app's base URL, which is also its public_url."""
    url = f"http://127.0.0.1:{free_port()}"
    lines = ["", "[web]", f'listen = "{url.removeprefix("http://")}"', f'public_url = "{url}"']
    lines += [f"{key} = {value}" for key, value in keys.items()]
    with griddesk.config.open("a", encoding="utf-8") as config:
        config.write("\n".join(lines) + "\n")
    return url


def links_in(message: dict[str, Any]) -> list[str]:
    """Every URL a person could open from MESSAGE: in its text, its text links, its buttons."""
    found = [str(message.get("text") or message.get("caption") or "")]
    found += [str(e.get("url", "")) for e in message.get("entities") or []]
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            found += [str(button.get("url", ""))]
            found += [str((button.get(kind) or {}).get("url", "")) for kind in ("login_url",)]
    return [link for text in found for link in LOGIN_LINK.findall(text)]


async def login_link(fake: FakeBotApi, chat_id: int, *, timeout: float = 30.0) -> str:
    """Sends /web as staff member CHAT_ID through the fake Bot API and returns the login link
    from the bot's reply (the first one that arrived after the command)."""
    before = fake.seq
    fake.user(chat_id).send_text("/web")

    def arrived() -> str | None:
        for message in fake.bot_messages(chat_id):
            if message.get("_seq", 0) > before:
                links = links_in(message)
                if links:
                    return links[0]
        return None

    link: str = await fake.wait_for(arrived, timeout=timeout, what=f"a login link for {chat_id}")
    return link


@dataclass
class Site:
    """The real bot with its web app, polling a fake Bot API of its own."""

    fake: FakeBotApi
    griddesk: Griddesk
    base: str  # the web app's address (and public_url), e.g. http://127.0.0.1:40123


@asynccontextmanager
async def serving(
    folder: Path,
    *,
    config: Callable[[Path], object] = lambda _: None,
    show_log: bool = True,
    **web: Any,
) -> AsyncIterator[Site]:
    """Starts `griddesk run` in FOLDER with a [web] section (WEB: more of its keys, as TOML
    values) after CONFIG(config path) has edited the test office's config; stops it on exit and,
    with SHOW_LOG, prints its log (pytest shows it when a test fails)."""
    async with FakeBotApi() as fake:
        griddesk = Griddesk(fake, folder)
        config(griddesk.config)
        base = web_on(griddesk, **web)
        try:
            await griddesk.start()
            yield Site(fake, griddesk, base)
        finally:
            await griddesk.close()
            if show_log:
                print(f"----- griddesk log ({griddesk.log_path}) -----")
                print(griddesk.log_tail(200))


async def file_with_pin(
    site: Site, resident: Player, lat: float, lon: float, *, text: str, category: str = "road"
) -> int:
    """RESIDENT (registered: people.register) files a photo report captioned TEXT whose place is
    their shared location (LAT, LON), the pin the map and Open311 show; returns its id."""
    user_id = resident.user.id
    before = site.griddesk.scalar("SELECT COALESCE(MAX(id), 0) FROM reports")
    consented = site.griddesk.scalar("SELECT 1 FROM consents WHERE user_id = ?", (user_id,))
    resident.send(resident.user.send_photo, text)
    await resident.tap("newreport:cat:", suffix=f":{category}")
    await resident.tap("newreport:else:")
    await resident.tap("place:gps:")
    if not consented:  # asked once: a precise location is sensitive personal data
        await resident.tap("consent:yes:")
        await site.griddesk.wait_db(
            lambda g: g.scalar("SELECT 1 FROM consents WHERE user_id = ?", (user_id,)),
            what="the location consent recorded",
        )
    resident.send(resident.user.send_location, lat, lon)
    await resident.tap("place:yes:")
    offered = await site.fake.wait_for(
        lambda: new_button(resident, ("newreport:new:", "newreport:send:")),
        what="the confirmation (or 并单's similar reports)",
    )
    if offered.startswith("newreport:new:"):  # similar open reports offered first: mine is new
        await resident.tap("newreport:new:")
    await resident.tap("newreport:send:")
    report_id: int = await site.griddesk.wait_db(
        lambda g: g.scalar(
            "SELECT id FROM reports WHERE id > ? AND reporter_id = ?", (before, user_id)
        ),
        what="the report with a pin stored",
    )
    return report_id


def new_button(player: Player, prefixes: tuple[str, ...]) -> str | None:
    """Returns the data of a button starting with one of PREFIXES on a message PLAYER has not
    seen yet (new or edited since their last tap), newest first."""
    for message in reversed(player.fake.chat(player.user.id).messages.values()):
        if message.get("_seq", 0) <= player.seen or message.get("_deleted"):
            continue
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = str(button.get("callback_data", ""))
                if data.startswith(prefixes):
                    return data
    return None
