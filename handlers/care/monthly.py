"""/monthly [YYYY-MM]: a unit's month for its staff — reports, 五必访 visits, patrols per worker."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain import care as domain
from bot.domain.patrols import PatrolKind
from bot.notices import outgoing
from bot.notices.cadres import month_block
from bot.notices.care import kind_book
from bot.texts import Raw
from bot.usecases import cadres, revisit
from bot.usecases.care import MonthlyFigures, monthly_figures
from bot.usecases.results import Refused
from handlers.care.common import PRIVATE, care_staff
from handlers.kit.flows import person_of
from handlers.kit.reply import say, say_refused


async def show_month(update: Update, ctx: GridContext) -> None:
    """Shows the figures of the staff member's unit and below for the month asked (or this one)."""
    me = await person_of(update, ctx)
    staff = await care_staff(ctx, me, "/monthly")
    if staff is None:
        return
    if ctx.args:
        month = domain.parse_month(ctx.args[0])
        if month is None:
            await say(ctx, me, "monthly.bad_month")
            return
    else:
        local = ctx.now().astimezone(ctx.services.tz)
        month = (local.year, local.month)
    found = await monthly_figures(ctx.services, staff.unit, month, by=me.user_id, at=ctx.now())
    if isinstance(found, Refused):
        await say_refused(ctx, me, found)
        return
    figures, tree = found.value, await ctx.units.tree()
    start, end = domain.month_bounds(*month, ctx.services.tz)
    yes, no, waiting = await revisit.month_counts(ctx.services, figures.unit, start, end)
    revisits = ""  # 回访: only where there are any
    if yes or no or waiting:
        revisits = ctx.texts("revisit.monthly_line", me.lang, yes=yes, no=no, waiting=waiting)
    text = ctx.texts(
        "monthly.figures",
        me.lang,
        place=tree.place_name(figures.unit),
        month=f"{month[0]:04d}-{month[1]:02d}",
        new=figures.new,
        closed=figures.closed,
        revisits=Raw(revisits),
        visits=Raw(visit_lines(ctx, me.lang, figures)),
        patrols=Raw(patrol_lines(ctx, me.lang, figures)),
    )
    if ctx.services.settings.cadres.duties:  # 下沉干部: their quotas' figures (bot/usecases/cadres)
        served = await cadres.month_figures(ctx.services, figures.unit, month)
        text += "\n\n" + month_block(ctx.texts, me.lang, served)
    await ctx.outbox.send([outgoing.message(me.user_id, text)], ctx.now())


def visit_lines(ctx: GridContext, lang: str, figures: MonthlyFigures) -> str:
    kinds = kind_book(ctx.services.settings)
    lines = [
        ctx.texts(
            "monthly.visit_line",
            lang,
            kind=kinds.name(v.kind, lang),
            done=v.done,
            met=v.met,
            missed=v.missed,
        )
        for v in figures.visits
    ]
    return "\n".join(lines) or ctx.texts("monthly.nothing", lang)


def patrol_lines(ctx: GridContext, lang: str, figures: MonthlyFigures) -> str:
    lines = []
    for worker in figures.patrols:
        detail = ctx.texts("monthly.separator", lang).join(
            f"{ctx.texts(f'patrol.kind_{k.value}', lang)} {worker.kinds[k]}"
            for k in PatrolKind
            if k in worker.kinds
        )
        lines.append(
            ctx.texts(
                "monthly.patrol_line", lang, name=worker.name, total=worker.total, detail=detail
            )
        )
    return "\n".join(lines) or ctx.texts("monthly.nothing", lang)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("monthly", show_month, filters=PRIVATE))
