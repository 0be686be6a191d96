"""Weekly summaries to bound group chats: figures, text, chart, and the sweep that sends them.

The sweep (registered with bot.jobs) derives everything from the database: the latest week whose
send time ([summaries] weekday, ISO 1 = Monday, and time, in settings.timezone) has passed, and
the summary groups with no summaries_sent row for it. Each group's claim row, chart file and
messages are written in one transaction, so a group gets exactly one summary per ISO week,
across restarts and with two instances. Figures are judged as of the week's send time, so
`griddesk summary` prints the same text later.

Only unit names and counts go to a group: no names, phones, addresses or descriptions.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time, timedelta

from bot import chart
from bot.domain.categories import Category
from bot.domain.groups import Binding
from bot.domain.summary import (
    IsoWeek,
    Tally,
    WeekSummary,
    due_week,
    roll_up,
    roll_up_counts,
    send_time,
    summarise,
)
from bot.services import Services
from bot.texts import LANGUAGES, Raw, Texts
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

GROUPS_PER_PASS = 50  # charts are rendered one by one; other sweeps should not wait long
RANKING_LINES = 15
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
KEEP_FILES = timedelta(days=35)


def as_of(services: Services, week: IsoWeek, now: datetime) -> datetime:
    """Returns the moment WEEK's figures are judged at: its send time, or NOW if that is earlier."""
    config = services.settings.summaries
    due = send_time(week, config.weekday, time.fromisoformat(config.time), services.tz)
    return min(due, now)


async def build_summaries(
    services: Services, units: Iterable[str], week: IsoWeek, at: datetime
) -> dict[str, WeekSummary]:
    """Returns the summary of each of UNITS for WEEK, judged at AT (one pass for all units)."""
    tz = services.tz
    repo = services.store.summaries
    tree = await services.units.tree()
    raw = await repo.week_tallies(week.start(tz), week.end(tz), at)
    rolled = roll_up(raw, tree)
    history = {}
    for past in week.back(services.settings.summaries.chart_weeks):
        counts = await repo.week_counts(past.start(tz), past.end(tz))
        history[past] = roll_up_counts(counts, tree)
    return {
        unit: summarise(unit, week, at, rolled, history, tree) for unit in units if unit in tree
    }


def _duration(texts: Texts, lang: str, hours: float | None) -> str:
    if hours is None:
        return texts("summary.none", lang)
    minutes = round(hours * 60)  # julianday arithmetic leaves 59.99…
    if minutes < 60:
        return texts("summary.minutes", lang, n=max(1, minutes))
    if hours < 48:
        return texts("summary.hours", lang, n=f"{hours:.1f}".removesuffix(".0"))
    return texts("summary.days", lang, n=f"{hours / 24:.1f}".removesuffix(".0"))


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}".removesuffix(".0") + "%"


def _day(services: Services, lang: str, when: datetime) -> str:
    local = when.astimezone(services.tz)
    return f"{local.month}月{local.day}日" if lang == "zh" else f"{local.month}/{local.day}"


def _category_name(categories: dict[str, Category], code: str, lang: str) -> str:
    category = categories.get(code)
    if category is None:
        return code
    return category.zh if lang == "zh" else category.en


def summary_text(
    services: Services, summary: WeekSummary, lang: str, categories: Sequence[Category]
) -> str:
    """Returns the group message (HTML, ≤ 4096 characters) for SUMMARY in LANG."""
    texts, tz = services.texts, services.tz
    t: Tally = summary.tally
    by_code = {c.code: c for c in categories}
    lines = [
        texts(
            "summary.title",
            lang,
            unit=summary.unit.name,
            week=str(summary.week),
            start=_day(services, lang, summary.week.start(tz)),
            end=_day(services, lang, summary.week.end(tz) - timedelta(seconds=1)),
        ),
        "",
        texts("summary.counts", lang, new=t.new, resolved=t.resolved, rejected=t.rejected),
        texts(
            "summary.closed",
            lang,
            total=t.closed_total,
            verified=t.closed,
            unverified=t.closed_unverified,
        ),
        texts("summary.overdue", lang, overdue=t.overdue),
    ]
    rate = t.completion_rate
    if rate is None:
        lines.append(texts("summary.rate_none", lang))
    else:
        lines.append(
            texts(
                "summary.rate",
                lang,
                rate=_percent(rate),
                received=t.received,
                concluded=t.concluded,
            )
        )
    lines.append(
        texts(
            "summary.times",
            lang,
            accept=Raw(_duration(texts, lang, t.median_accept_hours)),
            resolve=Raw(_duration(texts, lang, t.median_resolve_hours)),
        )
    )
    stars = t.average_stars
    if stars is None:
        lines.append(texts("summary.stars_none", lang))
    else:
        lines.append(texts("summary.stars", lang, stars=f"{stars:.1f}", count=len(t.stars)))
    top = t.top_categories(services.settings.summaries.top_categories)
    if top:
        items = texts("summary.separator", lang).join(
            texts(
                "summary.category_item",
                lang,
                name=_category_name(by_code, code, lang),
                count=count,
            )
            for code, count in top
        )
        lines.append(texts("summary.categories", lang, items=Raw(items)))
    else:
        lines.append(texts("summary.categories_none", lang))
    footer = texts("summary.note", lang, at=_moment(services, lang, summary.as_of))
    ranking = _ranking_lines(texts, lang, summary)
    text = "\n".join([*lines, "", *ranking, "", footer] if ranking else [*lines, "", footer])
    if len(text) > TEXT_LIMIT:  # only with very long unit names: the ranking goes first
        text = "\n".join([*lines, "", footer])[:TEXT_LIMIT]
    return text


def _moment(services: Services, lang: str, when: datetime) -> str:
    local = when.astimezone(services.tz)
    return f"{_day(services, lang, when)} {local:%H:%M}"


def _ranking_lines(texts: Texts, lang: str, summary: WeekSummary) -> list[str]:
    if not summary.ranking:
        return []
    lines = [texts("summary.ranking_title", lang)]
    for entry in summary.ranking[:RANKING_LINES]:
        rate = entry.tally.completion_rate
        if rate is None:
            lines.append(texts("summary.ranking_unrated", lang, unit=entry.unit.name))
        else:
            lines.append(
                texts(
                    "summary.ranking_line",
                    lang,
                    place=entry.place,
                    unit=entry.unit.name,
                    rate=_percent(rate),
                    received=entry.tally.received,
                    concluded=entry.tally.concluded,
                )
            )
    hidden = len(summary.ranking) - RANKING_LINES
    if hidden > 0:
        lines.append(texts("summary.ranking_more", lang, count=hidden))
    return lines


def chart_caption(services: Services, summary: WeekSummary, lang: str) -> str:
    """Returns the chart's caption (HTML, ≤ 1024 characters)."""
    first, last = summary.history[0].week, summary.history[-1].week
    return services.texts(
        "summary.chart_caption",
        lang,
        unit=summary.unit.name,
        weeks=len(summary.history),
        first=str(first),
        last=str(last),
    )[:CAPTION_LIMIT]


def chart_png(services: Services, summary: WeekSummary, lang: str) -> bytes:
    """Returns the chart of SUMMARY's last weeks; Chinese labels only with a CJK font installed."""
    family = chart.cjk_font(services.settings.summaries.font)
    label_lang = lang if family is not None else "en"
    unit = summary.unit.name if family is not None or summary.unit.name.isascii() else None
    texts = services.texts
    bars = [
        chart.Bar(f"W{count.week.week:02d}\n{count.week.monday:%m-%d}", count.new, count.closed)
        for count in summary.history
    ]
    labels = chart.Labels(
        title=texts(
            "summary.chart_title",
            label_lang,
            unit=Raw(unit or summary.unit.code),
            weeks=len(bars),
        ),
        new=texts("summary.chart_new", label_lang),
        closed=texts("summary.chart_closed", label_lang),
    )
    return chart.render(bars, labels, family=family)


def plain(text: str) -> str:
    """Returns the HTML message as plain text for a terminal."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", text))


def _messages(
    binding: Binding, text: str, caption: str
) -> Callable[[dict[str, int] | None], list[Outgoing]]:
    def build(chart_file: dict[str, int] | None) -> list[Outgoing]:
        messages = [Outgoing(binding.chat_id, "sendMessage", {"text": text, "parse_mode": "HTML"})]
        if chart_file is not None:
            messages.append(
                Outgoing(
                    binding.chat_id,
                    "sendPhoto",
                    {"photo": chart_file, "caption": caption, "parse_mode": "HTML"},
                )
            )
        return messages

    return build


async def send_weekly_summaries(services: Services, now: datetime) -> int:
    """Queues the week's summary for each bound group still owed it; returns how many."""
    config = services.settings.summaries
    if not config.enabled:
        return 0
    at = time.fromisoformat(config.time)
    week = due_week(now, config.weekday, at, services.tz)
    send_at = send_time(week, config.weekday, at, services.tz)
    repo = services.store.summaries
    due = await repo.due_groups(week, send_at, GROUPS_PER_PASS)
    if not due:
        return 0
    summaries = await build_summaries(services, {b.unit for b in due}, week, send_at)
    categories = await services.units.categories()
    rendered: dict[tuple[str, str], tuple[str, str, bytes]] = {}
    queued = 0
    for binding in due:
        summary = summaries.get(binding.unit)
        if summary is None:
            log.warning("group %s is bound to unknown unit %s", binding.chat_id, binding.unit)
            continue
        lang = binding.lang if binding.lang in LANGUAGES else services.settings.default_language
        key = (binding.unit, lang)
        if key not in rendered:
            png = await asyncio.to_thread(chart_png, services, summary, lang)
            rendered[key] = (
                summary_text(services, summary, lang, categories),
                chart_caption(services, summary, lang),
                png,
            )
        text, caption, png = rendered[key]
        if await repo.queue(binding, week, now, _messages(binding, text, caption), png):
            queued += 1
    if queued:
        log.info("queued %s weekly summaries for %s", queued, week)
        await services.store.forget_old_files(now, KEEP_FILES)
    return queued


async def local_summary(
    services: Services, unit: str, week: IsoWeek, lang: str, now: datetime
) -> tuple[str, bytes]:
    """Returns (plain text, chart PNG) of UNIT's summary for WEEK, as the group would get it."""
    summaries = await build_summaries(services, [unit], week, as_of(services, week, now))
    summary = summaries[unit]
    categories = await services.units.categories()
    text = summary_text(services, summary, lang, categories)
    return plain(text), chart_png(services, summary, lang)


def summary_command(
    config: str, unit: str, week: IsoWeek | None, png: str | None, lang: str | None
) -> int:
    """Prints UNIT's summary for WEEK (default: the last complete week) and writes the chart."""
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from bot import settings as settings_module
    from bot.clock import clock_from_env
    from bot.settings import ConfigError
    from storage.uow import open_store

    settings = settings_module.load(config)
    path = settings.database_location()
    if not settings.uses_postgres() and not settings.database_path().exists():
        raise ConfigError(f"{config}: storage.path: no database at {path}")
    clock = clock_from_env()

    async def run() -> tuple[str, bytes]:
        store = await open_store(path)
        try:
            services = Services(
                settings=settings,
                store=store,
                texts=Texts(settings.default_language),
                clock=clock,
                tz=ZoneInfo(settings.timezone),
            )
            if unit not in await services.units.tree():
                raise ConfigError(f"{config}: unit {unit!r} is not in the database {path}")
            now = clock()
            wanted = week or IsoWeek.containing(now, services.tz).previous()
            return await local_summary(
                services, unit, wanted, lang or settings.default_language, now
            )
        finally:
            await store.close()

    text, chart_bytes = asyncio.run(run())
    print(text)
    if png:
        Path(png).write_bytes(chart_bytes)
        print(f"\n→ {png}")
    return 0
