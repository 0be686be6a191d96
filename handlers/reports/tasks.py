"""/tasks: a worker's open reports, oldest first, each with a button that shows its card again."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.reports import Report
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.notices.reports import TIER_ICON, Cards
from bot.texts import Texts
from bot.usecases import checks, reports
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.refusals import deny
from handlers.kit.reply import say

SHOWN = 25  # lines in one message: 25 lines of ~120 characters stay under Telegram's 4096
PER_ROW = 4  # card buttons per keyboard row


def age(delta: timedelta, lang: str, texts: Texts) -> str:
    """Returns how long ago, in the largest whole unit: '3天', '5 h', '12 min'."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes >= 24 * 60:
        return texts("tasks.age_days", lang, n=minutes // (24 * 60))
    if minutes >= 60:
        return texts("tasks.age_hours", lang, n=minutes // 60)
    return texts("tasks.age_minutes", lang, n=minutes)


def line(cards: Cards, report: Report, lang: str, ctx: GridContext) -> str:
    status = cards.status_name(report, lang)
    if report.assignee_id is None:
        status += ctx.texts("tasks.unassigned", lang)
    return ctx.texts(
        "tasks.line",
        lang,
        number=report.number,
        status=status,
        tier=TIER_ICON[report.tier.value],
        category=cards.category_name(report.category, lang),
        place=cards.place(report),
        age=age(ctx.now() - report.created_at, lang, ctx.texts),
    )


async def tasks(update: Update, ctx: GridContext) -> None:
    """Lists the staff member's open reports: theirs, and unassigned ones they may take."""
    me = await person_of(update, ctx)
    if (refused := access.staff_only(me.staff)) is not None:
        await deny(update, ctx, me, refused, None, "tasks.staff_only")
        return
    mine = await reports.open_reports_of(ctx.services, me.user_id)
    waiting = await checks.waiting_for(ctx.services, me.user_id)  # 核实 / 复查 for them to make
    mine = sorted({r.id: r for r in [*mine, *waiting]}.values(), key=lambda r: r.id or 0)
    if not mine:
        await say(ctx, me, "tasks.none")
        return
    cards, shown = await Cards.load(ctx.services), mine[:SHOWN]
    lines = [line(cards, report, me.lang, ctx) for report in shown]
    if len(mine) > SHOWN:
        lines.append(ctx.texts("tasks.more", me.lang, n=len(mine) - SHOWN))
    text = ctx.texts("tasks.header", me.lang, n=len(mine)) + "\n" + "\n".join(lines)
    links = [button(r.number, "report", "card", r.id) for r in shown]
    markup = keyboard([links[i : i + PER_ROW] for i in range(0, len(links), PER_ROW)])
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=markup)], ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("tasks", tasks, filters=NEW_PRIVATE))
