"""/dualreport [YYYY-MM]: staff (community and above) preview the 双报告 of the party members
living in their area, as the work units' contacts get it, 10 members a page
(callback "dualrep:page:<YYYY-MM>:<page>", re-authorised on every press)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain.care import parse_month
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard, pattern
from bot.notices.dualreport import preview_text
from bot.usecases.dualreport import preview
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.presses import press_of
from handlers.kit.reply import say, say_refused

NOUN = "dualrep"


async def show(update: Update, ctx: GridContext) -> None:
    """Shows the first page for the month asked (this month so far by default)."""
    me = await person_of(update, ctx)
    if ctx.args:
        asked = parse_month(ctx.args[0])
        if asked is None:
            await say(ctx, me, "dualreport.bad_month")
            return
        month = f"{asked[0]:04d}-{asked[1]:02d}"
    else:
        month = ctx.now().astimezone(ctx.services.tz).strftime("%Y-%m")
    await show_page(ctx, me, month, 0)


async def on_page(update: Update, ctx: GridContext) -> None:
    """◀️ / ▶️ on the preview card: that page, re-authorised."""
    found = await press_of(update, ctx, noun=NOUN, verbs=("page",))
    if found is None:
        return
    me, press, _ = found
    month, page = (*press.args, "", "")[:2]
    if parse_month(month) is None or not page.isdigit():
        await say(ctx, me, "common.stale_button")
        return
    await show_page(ctx, me, month, int(page))


async def show_page(ctx: GridContext, me: Person, month: str, page: int) -> None:
    done = await preview(ctx.services, month, by=me.user_id, at=ctx.now(), page=page)
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)
        return
    got, tree = done.value, await ctx.units.tree()
    place = tree.place_name(got.unit) if got.unit in tree else "—"
    text = preview_text(ctx.services, me.lang, got.month, place, got.rows, got.page, got.pages)
    nav = []
    if got.page > 0:
        nav.append(button("◀️", NOUN, "page", got.month, got.page - 1))
    if got.page + 1 < got.pages:
        nav.append(button("▶️", NOUN, "page", got.month, got.page + 1))
    markup = keyboard([nav]) or None  # {} is no keyboard to Telegram: a card without buttons
    card = outgoing.card(me.user_id, f"dualrep:{me.user_id}", text, markup=markup)
    await ctx.outbox.send([card], ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("dualreport", show, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_page, pattern=pattern(NOUN)))
