"""The monthly 通报 to the tier above and the 红黄榜 to each unit's own groups.

Once [appraisal] day and hour of a month have passed (in the office's time zone), last month is
due: each community's 通报 goes to its street's bound summary groups and staff (private), each
street's to its district; each unit with sub-units posts its 红黄榜 to its own summary groups.
A claim row per (unit, month, kind) is written in the transaction that queues the messages and
files, so each goes out once, across restarts and with two instances; after a long downtime
only the latest month is sent. Figures are judged as of the month's end.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.domain.groups import Purpose
from bot.domain.people import Role
from bot.domain.points import leaderboard_month, month_bounds
from bot.notices import appraisal as notices
from bot.services import Services
from bot.texts import LANGUAGES
from bot.usecases.appraisal import MonthData, month_figures, unit_report
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

REPORTING_LEVELS = ("community", "street")  # whose 通报 goes to the tier above
KEEP_FILES = timedelta(days=35)


def due_month(services: Services, now: datetime) -> str | None:
    config = services.settings.appraisal
    return leaderboard_month(now, services.tz, config.day, config.hour)


async def monthly_posts(services: Services, now: datetime) -> int:
    """Queues last month's 通报 and 红黄榜 still owed; returns how many were queued."""
    if not services.settings.appraisal.enabled:
        return 0
    month = due_month(services, now)
    if month is None:
        return 0
    tree = await services.units.tree()
    claimed = await services.store.appraisals.claimed(month)
    owed = [
        (unit.code, kind)
        for unit in tree
        for kind in ("report", "league")
        if (unit.code, kind) not in claimed
        and (
            (kind == "report" and unit.level in REPORTING_LEVELS and unit.parent in tree)
            or (kind == "league" and tree.children(unit.code))
        )
    ]
    if not owed:
        return 0
    data: MonthData | None = None
    queued = 0
    for code, kind in owed:
        if data is None:
            _, end = month_bounds(month, services.tz)
            data = await month_figures(services, month, at=end, reuse=True)
        if kind == "report":
            queued += await _queue_report(services, data, code, now)
        else:
            queued += await _queue_league(services, data, code, now)
    if queued:
        log.info("queued %s monthly appraisal posts for %s", queued, month)
        await services.store.forget_old_files(now, KEEP_FILES)
    return queued


async def _recipients(services: Services, unit: str) -> list[tuple[int, str]]:
    """Returns (chat, language) of UNIT's summary groups and its staff (not partners)."""
    groups = await services.store.groups.bound_to(unit, Purpose.SUMMARY)
    staff = [s for s in await services.people.staff_at([unit]) if s.role is not Role.PARTNER]
    languages = await services.people.languages([s.user_id for s in staff])
    default = services.settings.default_language
    chats = [(g.chat_id, g.lang if g.lang in LANGUAGES else default) for g in groups]
    chats += [(s.user_id, languages.get(s.user_id) or default) for s in staff]
    return chats


async def _queue_report(services: Services, data: MonthData, code: str, now: datetime) -> int:
    """Queues CODE's 通报 to its parent's groups and staff; a month with no reports posts
    nothing but is decided once."""
    tree = data.tree
    parent = tree.get(code).parent
    report = unit_report(services, data, code)
    recipients = await _recipients(services, parent) if parent and report.figures.submitted else []
    categories = await services.units.categories()
    rendered: dict[str, tuple[str, str, str, bytes, bytes]] = {}
    files: dict[int, list[tuple[str, bytes]]] = {}
    for chat_id, lang in recipients:
        if lang not in rendered:
            png = await asyncio.to_thread(notices.chart_png, services, report, lang)
            book = await asyncio.to_thread(notices.xlsx, services, report, lang, categories, tree)
            rendered[lang] = (
                notices.report_text(services, report, lang, categories, tree),
                notices.chart_caption(services, report, lang),
                services.texts("appraisal.xlsx_caption", lang, unit=report.unit.name,
                               month=report.month),
                png,
                book,
            )  # fmt: skip
        _, _, _, png, book = rendered[lang]
        files[chat_id] = [
            (f"appraisal-{code}-{data.month}.png", png),
            (f"通报-{code}-{data.month}.xlsx", book),
        ]
    languages = dict(recipients)

    def messages(refs: dict[int, list[dict[str, int]]]) -> list[Outgoing]:
        out: list[Outgoing] = []
        for chat_id, chat_refs in refs.items():
            text, caption, document_caption, _, _ = rendered[languages[chat_id]]
            out += notices.report_messages(chat_id, text, caption, chat_refs, document_caption)
        return out

    done = await services.store.appraisals.queue(code, data.month, "report", now, files, messages)
    return int(done and bool(recipients))


async def _queue_league(services: Services, data: MonthData, code: str, now: datetime) -> int:
    """Queues CODE's 红黄榜 of its sub-units to its own summary groups (unit names only)."""
    report = unit_report(services, data, code)
    groups = await services.store.groups.bound_to(code, Purpose.SUMMARY)
    default = services.settings.default_language
    out: list[Outgoing] = []
    for group in groups:
        lang = group.lang if group.lang in LANGUAGES else default
        text = notices.league_text(services, report, lang)
        if text is not None:
            out.append(Outgoing(group.chat_id, "sendMessage", {"text": text, "parse_mode": "HTML"}))
    done = await services.store.appraisals.queue(
        code, data.month, "league", now, {}, lambda _refs: out
    )
    return int(done and bool(out))
