"""The unit figures page `/figures` (and `/figures.xlsx`, the monthly 通报's workbook for the same
period): parse the period and unit → bot/usecases/figures.py → the page with its bar charts
drawn here as SVG geometry (no chart library, no script)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.notices.appraisal import percent
from bot.services import Services
from bot.usecases import figures
from bot.usecases.results import Refused
from handlers.web import pages
from handlers.web.context import Web
from handlers.web.viewer import Forbidden, staff_only, viewer_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_WIDTH = 640
ROW = 26  # a horizontal bar's height with its gap
LABEL = 200  # room for the labels left of the bars


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of an SVG chart, in the chart's own coordinates."""

    label: str
    value: str  # as shown at the bar's end and in its tooltip
    x: float
    y: float
    width: float
    height: float
    kind: str = ""  # a CSS class: "" or "closed"
    note: str = ""  # a week's bar: its days in the period, 12/1–12/6


def across(rows: list[tuple[str, float, str]], top: float | None = None) -> tuple[list[Bar], int]:
    """Horizontal bars for (label, value, shown) ROWS, TOP (default: the largest value) the
    full width; returns the bars and the chart's height."""
    top = top or max((value for _, value, _ in rows), default=0) or 1
    room = CHART_WIDTH - LABEL - 60
    bars = [
        Bar(label, shown, LABEL, i * ROW + 4, room * value / top, ROW - 8)
        for i, (label, value, shown) in enumerate(rows)
    ]
    return bars, max(1, len(rows)) * ROW + 8


def weekly(weeks: list[figures.WeekBar]) -> tuple[list[Bar], int]:
    """Pairs of vertical bars (created, closed) per week; returns the bars and the height."""
    height, base = 220, 180
    top = max((max(w.new, w.closed) for w in weeks), default=0) or 1
    slot = (CHART_WIDTH - 40) / max(1, len(weeks))
    width = max(4.0, slot / 2 - 4)
    bars = []
    for i, w in enumerate(weeks):
        label, note = f"W{w.week.week:02d}", f"{_day(w.first)}–{_day(w.last)}"
        for j, (count, kind) in enumerate(((w.new, ""), (w.closed, "closed"))):
            tall = (base - 20) * count / top
            x = 30 + i * slot + j * (width + 2)
            bars.append(Bar(label, str(count), x, base - tall, width, tall, kind, note))
    return bars, height


def _day(day: date) -> str:
    return f"{day.month}/{day.day}"


def duration(services: Services, lang: str, hours: float | None) -> str:
    """HOURS as the weekly summary writes a time (summary.minutes / hours / days)."""
    texts = services.texts
    if hours is None:
        return texts("summary.none", lang)
    minutes = round(hours * 60)
    if minutes < 60:
        return texts("summary.minutes", lang, n=max(1, minutes))
    if hours < 48:
        return texts("summary.hours", lang, n=f"{hours:.1f}".removesuffix(".0"))
    return texts("summary.days", lang, n=f"{hours / 24:.1f}".removesuffix(".0"))


def stars(services: Services, lang: str, average: float | None) -> str:
    return services.texts("summary.none", lang) if average is None else f"{average:.1f} ★"


def routes(web: Web) -> list[BaseRoute]:
    services = web.services

    def asked(request: Request) -> tuple[int, str, str | None, figures.Period | None]:
        """(viewer, language, unit asked or None, period or None when it is not one we know)."""
        viewer = viewer_of(request)
        assert viewer is not None  # staff_only
        text = request.query_params.get("period", figures.Period.MONTH.value)
        period = figures.Period(text) if text in set(figures.Period) else None
        unit = request.query_params.get("unit") or None
        return viewer.staff.user_id, viewer.lang, unit, period

    def bad_period(request: Request) -> Response:
        return pages.render(
            web, request, "error.html", status=400, key="overview.bad_period", params={}
        )

    @staff_only
    async def page(request: Request) -> Response:
        by, lang, unit, period = asked(request)
        if period is None:
            return bad_period(request)
        result = await figures.figures(
            services, by=by, unit=unit, period=period, at=services.clock()
        )
        if isinstance(result, Refused):
            raise Forbidden(result.key, **result.params)
        found = result.value
        names = {c.code: c.name(lang) for c in await services.units.categories()}
        t = services.texts

        def p(value: float | None) -> str:
            return percent(value, t, lang)

        rates, rates_height = across(
            [
                (u.unit.name, u.figures.completion_rate or 0.0, p(u.figures.completion_rate))
                for u in found.below
            ],
            top=1.0,
        )
        kinds, kinds_height = across(
            [(names.get(code, code), n, str(n)) for code, n in found.categories]
        )
        weeks, weeks_height = weekly(found.weeks)
        tz = services.tz
        return pages.render(
            web,
            request,
            "figures.html",
            page=found,
            periods=[p.value for p in figures.Period],
            period=period.value,
            start=found.span.start.astimezone(tz),
            end=found.span.as_of.astimezone(tz),
            pct=p,
            duration=lambda hours: duration(services, lang, hours),
            stars=lambda average: stars(services, lang, average),
            names=names,
            width=CHART_WIDTH,
            label_width=LABEL,
            rates=rates,
            rates_height=rates_height,
            kinds=kinds,
            kinds_height=kinds_height,
            weeks=weeks,
            weeks_height=weeks_height,
        )

    @staff_only
    async def download(request: Request) -> Response:
        by, lang, unit, period = asked(request)
        if period is None:
            return bad_period(request)
        result = await figures.workbook(
            services, by=by, unit=unit, period=period, at=services.clock(), lang=lang
        )
        if isinstance(result, Refused):
            raise Forbidden(result.key, **result.params)
        name, body = result.value
        name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
        return Response(
            body,
            media_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return [Route("/figures", page, name="figures"), Route("/figures.xlsx", download)]
