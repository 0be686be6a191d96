"""Staff login to the web dashboard: /web sends a single-use link, the Mini App's initData is
checked as Telegram documents, and each request finds its session again (handlers/web/login.py).

Only SHA-256 hashes of link tokens and session cookies are stored. Nothing here logs a token, a
cookie or a name.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import access
from bot.domain import weblogin as domain
from bot.domain.people import Staff
from bot.notices import outgoing
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from storage.weblogin import LinkState, Session

log = logging.getLogger(__name__)

# What secrets.token_urlsafe(32) makes; anything else is not one of our tokens.
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class NewSession:
    cookie: str  # the cookie value (only its hash is stored)
    csrf: str
    staff: Staff
    via: domain.Via


@dataclass(frozen=True, slots=True)
class Live:
    """A session that still holds, with its member as stored now."""

    session: Session
    staff: Staff
    lang: str


def configured(services: Services) -> str | None:
    """Returns the web app's public URL (no trailing slash) if it is served, else None."""
    web = services.settings.web
    if not web.listen or not web.public_url:
        return None
    return web.public_url.rstrip("/")


def lifetime(services: Services) -> domain.Lifetime:
    web = services.settings.web
    return domain.Lifetime(
        timedelta(hours=web.session_idle_hours), timedelta(hours=web.session_max_hours)
    )


async def _lang(services: Services, user_id: int) -> str:
    langs = await services.people.languages([user_id])
    return langs.get(user_id) or services.settings.default_language


async def issue_link(services: Services, *, by: int, at: datetime) -> Done[str] | Refused:
    """Sends staff member BY a single-use login link to the dashboard (and, when the app is on
    https, a Mini App button) in one commit with the link's hash; returns the link.

    Of BY's unused links only the newest domain.MAX_LINKS stay alive. Refused:
    "weblogin.not_configured" (no [web] listen or public_url), "weblogin.staff_only" (rule
    web_login: recorded).
    """
    base = configured(services)
    if base is None:
        return Refused("weblogin.not_configured")
    staff = await services.people.staff(by)
    if (rule := access.web_login(staff)) is not None:
        return await refuse(services, by, rule, None, "/web", at=at, key="weblogin.staff_only")
    minutes = services.settings.web.login_link_minutes
    token = secrets.token_urlsafe(32)
    link = f"{base}/login?t={token}"
    lang = await _lang(services, by)
    texts = services.texts
    markup = None
    if base.startswith("https://"):  # Telegram accepts only HTTPS Web App URLs
        button = {"text": texts("weblogin.open_app", lang), "web_app": {"url": f"{base}/app"}}
        markup = {"inline_keyboard": [[button]]}
    message = outgoing.message(
        by, texts("weblogin.link", lang, link=link, minutes=minutes), markup=markup
    )
    message.params["link_preview_options"] = {"is_disabled": True}
    async with services.store.transaction() as tx:
        await tx.weblogin.add_link(
            domain.digest(token),
            by,
            at,
            at + timedelta(minutes=minutes),
            keep=domain.MAX_LINKS,
        )
        await tx.outbox.send([message], at)
    log.info("web login link issued to a staff member")
    return Done(link)


async def link_problem(services: Services, token: str, *, at: datetime) -> str | None:
    """Returns why TOKEN cannot log in (a catalog key), or None if it still can; uses nothing
    up (link-preview fetchers GET the link too)."""
    if not TOKEN.fullmatch(token):
        return f"weblogin.link_{LinkState.UNKNOWN}"
    state = await services.store.weblogin.link_state(domain.digest(token), at)
    return None if state is None else f"weblogin.link_{state}"


async def login_with_link(
    services: Services, token: str, *, at: datetime
) -> Done[NewSession] | Refused:
    """Consumes the link TOKEN (compare-and-set: unused and unexpired) and opens a session for
    its member, in one commit. Refused: "weblogin.link_unknown" (forged), "weblogin.link_used",
    "weblogin.link_expired", "weblogin.staff_only" (left meanwhile: rule web_login, recorded);
    nothing is stored then."""
    if not TOKEN.fullmatch(token):
        return Refused(f"weblogin.link_{LinkState.UNKNOWN}")
    async with services.store.transaction(completes_update=False) as tx:
        found = await tx.weblogin.consume_link(domain.digest(token), at)
        if isinstance(found, int):
            staff = await tx.people.staff(found)
            if staff is not None:
                return Done(await _open(services, staff, domain.Via.LINK, at))
    if isinstance(found, str):
        log.info("web login link refused: %s", found)
        return Refused(f"weblogin.link_{found}")
    # The member left after the link was sent: the link is spent, no session opens.
    return await refuse(
        services, found, access.Rule.WEB_LOGIN, None, "web:login", at=at, key="weblogin.staff_only"
    )


async def login_with_init_data(
    services: Services, raw: str, *, at: datetime
) -> Done[NewSession] | Refused:
    """Opens a session for the active staff member a Mini App's initData RAW vouches for.
    Refused: "weblogin.miniapp_forged", "weblogin.miniapp_stale", "weblogin.staff_only" (rule
    web_login, recorded); nothing is stored then."""
    checked = domain.check_init_data(
        raw,
        bot_token=services.settings.telegram.token,
        now=at,
        max_age=timedelta(minutes=services.settings.web.login_link_minutes),
    )
    if isinstance(checked, domain.InitDataError):
        log.info("Mini App login refused: %s", checked.value)
        return Refused(f"weblogin.miniapp_{checked.value}")
    staff = await services.people.staff(checked)
    if (rule := access.web_login(staff)) is not None:
        return await refuse(
            services, checked, rule, None, "web:miniapp", at=at, key="weblogin.staff_only"
        )
    assert staff is not None
    async with services.store.transaction(completes_update=False):
        return Done(await _open(services, staff, domain.Via.MINIAPP, at))


async def _open(services: Services, staff: Staff, via: domain.Via, at: datetime) -> NewSession:
    """Stores a new session for STAFF inside the caller's transaction (with a staff event, so
    the login shows in the member's history)."""
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await services.store.weblogin.add_session(
        domain.digest(cookie), staff.user_id, csrf, via.value, at
    )
    log.info("web session opened (%s)", via.value)
    return NewSession(cookie, csrf, staff, via)


async def session_of(services: Services, cookie: str, *, at: datetime) -> Live | None:
    """Returns the live session behind the cookie value COOKIE with its member as stored now,
    or None. A session past its idle or total lifetime, or whose member is no longer staff, is
    deleted. Its seen_at is written at most once a minute."""
    if not TOKEN.fullmatch(cookie):
        return None
    store = services.store.weblogin
    session = await store.session(domain.digest(cookie))
    if session is None:
        return None
    staff = await services.people.staff(session.user_id)
    if staff is None or not domain.alive(
        lifetime(services), session.created_at, session.seen_at, at
    ):
        await store.end_session(session.hash)
        return None
    if domain.seen_due(session.seen_at, at):
        await store.seen(session.hash, at)
    return Live(session, staff, await _lang(services, staff.user_id))


async def logout(services: Services, session: str) -> bool:
    """Ends the session stored under the hash SESSION; False if it had already ended."""
    return await services.store.weblogin.end_session(session)
