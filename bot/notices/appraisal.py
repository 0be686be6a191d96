"""Who is told what about appraisal: the monthly 通报 (text, chart, XLSX), the 红黄榜 and the
/appraisal answer, rendered from the catalogs (bot/locales/*/appraisal.toml).

Only unit names and figures go to groups; worker figures are rendered for /appraisal only,
which answers in the viewer's private chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.appraisal_chart import Group, cjk_family, render
from bot.domain.appraisal import RATES, Figures, Standing
from bot.domain.categories import Category
from bot.domain.units import UnitTree
from bot.services import Services
from bot.texts import Raw, Texts
from bot.usecases.appraisal import Shown, UnitReport
from bot.xlsx import Sheet, workbook
from storage.outbox import Outgoing

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
RANKING_LINES = 20


def percent(value: float | None, texts: Texts, lang: str) -> str:
    if value is None:
        return texts("appraisal.none", lang)
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _stars(services: Services, lang: str, stars: int | None) -> str:
    if stars is None:
        return services.texts("appraisal.no_stars", lang)
    return "★" * stars + "☆" * (5 - stars)


def _score(services: Services, lang: str, score: float | None) -> str:
    return services.texts("appraisal.none", lang) if score is None else f"{score:g}"


def _moment(services: Services, when: datetime) -> str:
    return when.astimezone(services.tz).strftime("%Y-%m-%d %H:%M")


def category_name(categories: dict[str, Category], code: str, lang: str) -> str:
    category = categories.get(code)
    if category is None:
        return code
    return category.zh if lang == "zh" else category.en


def figure_lines(services: Services, lang: str, f: Figures) -> list[str]:
    """Returns the lines every appraisal message shares: counts, rates, 三率."""
    t = services.texts

    def p(value: float | None) -> str:
        return percent(value, t, lang)

    lines = [
        t(
            "appraisal.counts",
            lang,
            received=f.received,
            due=f.due,
            closed=f.closed,
            concluded=f.concluded,
            rejected=f.rejected,
            overdue=f.overdue,
        ),
        t(
            "appraisal.rates",
            lang,
            closing=p(f.closing_rate),
            on_time=p(f.on_time_rate),
            completion=p(f.completion_rate),
        ),
        t(
            "appraisal.three_rates",
            lang,
            response=p(f.response_rate),
            resolution=p(f.resolution_rate),
            satisfaction=p(f.satisfaction_rate),
        ),
    ]
    if f.revisit_yes or f.revisit_no or f.revisit_pending:  # 回访: only where there are any
        lines.append(
            t(
                "revisit.figures",
                lang,
                yes=f.revisit_yes,
                no=f.revisit_no,
                waiting=f.revisit_pending,
            )
        )
    return lines


def _standing_line(services: Services, lang: str, s: Standing) -> str:
    return services.texts(
        "appraisal.standing_line",
        lang,
        place=s.place,
        unit=s.unit.name,
        score=_score(services, lang, s.score),
        stars=_stars(services, lang, s.stars),
        received=s.figures.received,
    )


def report_text(
    services: Services,
    report: UnitReport,
    lang: str,
    categories: Sequence[Category],
    tree: UnitTree,
) -> str:
    """Returns the 通报 of REPORT (HTML, ≤ 4096 characters): unit names and figures only."""
    t = services.texts
    by_code = {c.code: c for c in categories}
    lines = [
        t("appraisal.report_title", lang, unit=report.unit.name, month=report.month),
        "",
        *figure_lines(services, lang, report.figures),
        t(
            "appraisal.score",
            lang,
            score=_score(services, lang, report.score),
            stars=_stars(services, lang, report.stars),
        ),
    ]
    if report.top:
        items = t("appraisal.separator", lang).join(
            t("appraisal.category_item", lang, name=category_name(by_code, c, lang), count=n)
            for c, n in report.top
        )
        lines.append(t("appraisal.top", lang, items=Raw(items)))
    else:
        lines.append(t("appraisal.top_none", lang))
    if report.hot_spots:
        lines.append(t("appraisal.hot_title", lang))
        lines += [
            t(
                "appraisal.hot_line",
                lang,
                place=tree.get(h.place).name if h.place in tree else h.place,
                category=category_name(by_code, h.category, lang),
                count=h.reports,
                days=h.days,
            )
            for h in report.hot_spots
        ]
    else:
        lines.append(t("appraisal.hot_none", lang))
    if report.league.yellow:
        names = t("appraisal.separator", lang).join(s.unit.name for s in report.league.yellow)
        lines.append(t("appraisal.weakest", lang, units=names))
    lines += ["", t("appraisal.as_of", lang, at=_moment(services, report.as_of))]
    return "\n".join(lines)[:TEXT_LIMIT]


def league_text(services: Services, report: UnitReport, lang: str) -> str | None:
    """Returns the 红黄榜 of REPORT's sub-units (HTML), or None when none had reports."""
    t = services.texts
    if not report.league.red:
        return None
    lines = [t("appraisal.league_title", lang, unit=report.unit.name, month=report.month), ""]
    lines.append(t("appraisal.red", lang))
    lines += [_standing_line(services, lang, s) for s in report.league.red]
    if report.league.yellow:
        lines += ["", t("appraisal.yellow", lang)]
        lines += [_standing_line(services, lang, s) for s in report.league.yellow]
    lines += ["", t("appraisal.league_note", lang, at=_moment(services, report.as_of))]
    return "\n".join(lines)[:TEXT_LIMIT]


def shown_text(services: Services, shown: Shown, lang: str, categories: Sequence[Category],
               tree: UnitTree) -> str:  # fmt: skip
    """Returns /appraisal's answer: the unit's 通报 text, its sub-units and the workers' lines."""
    t = services.texts
    report = shown.report
    parts = [report_text(services, report, lang, categories, tree)]
    if report.ranking:
        ranking = [t("appraisal.ranking_title", lang)]
        ranking += [
            _standing_line(services, lang, s) if s.place else
            t("appraisal.unranked_line", lang, unit=s.unit.name)
            for s in report.ranking[:RANKING_LINES]
        ]  # fmt: skip
        parts.append("\n".join(ranking))
    if shown.workers:
        workers = [t("appraisal.workers_title", lang)]
        for w in shown.workers[:RANKING_LINES]:
            f = w.figures
            workers.append(
                t(
                    "appraisal.worker_line",
                    lang,
                    name=w.staff.name,
                    score=_score(services, lang, w.score),
                    stars=_stars(services, lang, w.stars),
                    received=f.received,
                    response=percent(f.response_rate, t, lang),
                    on_time=percent(f.on_time_rate, t, lang),
                    satisfaction=percent(f.satisfaction_rate, t, lang),
                )
            )
        parts.append("\n".join(workers))
    text = "\n\n".join(parts)
    return text if len(text) <= TEXT_LIMIT else parts[0]


def chart_png(services: Services, report: UnitReport, lang: str) -> bytes:
    """Returns the chart of REPORT's 三率, per sub-unit (or for the unit alone)."""
    t = services.texts
    family = cjk_family(services.settings.summaries.font)
    chinese = lang == "zh" and family is not None
    label_lang = lang if chinese else "en"
    entries = [(s.unit, s.figures) for s in report.ranking if s.figures.received] or [
        (report.unit, report.figures)
    ]
    groups = [
        Group(
            unit.name if chinese else unit.code,
            (f.response_rate, f.resolution_rate, f.satisfaction_rate),
        )
        for unit, f in entries
    ]
    title = t(
        "appraisal.chart_title",
        label_lang,
        unit=report.unit.name if chinese else report.unit.code,
        month=report.month,
    )
    series = [t(f"appraisal.rate_{name}", label_lang) for name in RATES[:3]]
    return render(groups, title, series, family=family if chinese else None)


def chart_caption(services: Services, report: UnitReport, lang: str) -> str:
    return services.texts(
        "appraisal.chart_caption", lang, unit=report.unit.name, month=report.month
    )[:CAPTION_LIMIT]


def xlsx(
    services: Services, report: UnitReport, lang: str, categories: Sequence[Category],
    tree: UnitTree,
) -> bytes:  # fmt: skip
    """Returns the 通报's workbook: 概况 (each figure with its numerator and denominator),
    下级单位 (each sub-unit's figures, score and stars), 类别 and 每月一题."""
    t = services.texts
    by_code = {c.code: c for c in categories}
    f = report.figures

    def h(key: str) -> str:
        return t(f"appraisal.x_{key}", lang)

    overview = [
        (h("received"), f.received, None, None),
        (h("due"), f.due, None, None),
        (h("closed"), f.closed, None, None),
        (h("concluded"), f.concluded, None, None),
        (h("overdue"), f.overdue, None, None),
        (h("closing_rate"), f.closed, f.due, f.closing_rate),
        (h("on_time_rate"), f.on_time, f.due, f.on_time_rate),
        (h("completion_rate"), f.concluded, f.received, f.completion_rate),
        (h("response_rate"), f.responded, f.respond_due, f.response_rate),
        (h("resolution_rate"), f.closed, f.received, f.resolution_rate),
        (h("satisfaction_rate"), f.satisfied, f.rated, f.satisfaction_rate),
        (h("score"), report.score, None, None),
        (h("stars"), report.stars, None, None),
    ]
    units = [
        (
            s.place or None,
            s.unit.code,
            s.unit.name,
            s.figures.received,
            s.figures.due,
            s.figures.closed,
            s.figures.closing_rate,
            s.figures.on_time_rate,
            s.figures.response_rate,
            s.figures.resolution_rate,
            s.figures.satisfaction_rate,
            s.figures.completion_rate,
            s.figures.overdue,
            s.score,
            s.stars,
        )
        for s in report.ranking
    ]
    unit_headers = [
        "place", "code", "unit", "received", "due", "closed", "closing_rate", "on_time_rate",
        "response_rate", "resolution_rate", "satisfaction_rate", "completion_rate", "overdue",
        "score", "stars",
    ]  # fmt: skip
    hot = [
        (
            tree.get(x.place).name if x.place in tree else x.place,
            category_name(by_code, x.category, lang),
            x.reports,
            x.days,
        )
        for x in report.hot_spots
    ]
    return workbook(
        [
            Sheet(
                h("sheet_overview"),
                [h("figure"), h("numerator"), h("denominator"), h("rate")],
                overview,
                widths=(16, 10, 10, 10),
                percent=(3,),
            ),
            Sheet(h("sheet_units"), [h(k) for k in unit_headers], units, percent=range(6, 12)),
            Sheet(
                h("sheet_categories"),
                [h("category"), h("received")],
                [
                    (category_name(by_code, c, lang), n)
                    for c, n in f.top_categories(len(f.categories))
                ],
            ),
            Sheet(h("sheet_hot"), [h("unit"), h("category"), h("reports"), h("days")], hot),
        ]
    )


def report_messages(
    chat_id: int,
    text: str,
    caption: str,
    refs: list[dict[str, int]],
    document_caption: str,
) -> list[Outgoing]:
    """Returns the 通报 for CHAT_ID: the text, the chart (REFS[0]) and the XLSX (REFS[1])."""
    messages = [Outgoing(chat_id, "sendMessage", {"text": text, "parse_mode": "HTML"})]
    if refs:
        messages.append(
            Outgoing(
                chat_id, "sendPhoto", {"photo": refs[0], "caption": caption, "parse_mode": "HTML"}
            )
        )
    if len(refs) > 1:
        messages.append(
            Outgoing(
                chat_id,
                "sendDocument",
                {"document": refs[1], "caption": document_caption, "parse_mode": "HTML"},
            )
        )
    return messages
