"""Staff side of 码上安全: /merchants lists the shops of one's area (pending first, with the
last check's date and result, 8 a page); approve or decline a registration, deactivate a shop.

Callbacks: "merchs:l:<page>" pages the list; "merch:ok|no:<shop>" decide; "merch:off:<shop>"
asks to confirm and "merch:offok:<shop>" deactivates. Every press is re-authorised by the use
case (bot/domain/access.py manage_merchant).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain.merchants import MerchantStatus
from bot.domain.people import Person
from bot.notices import buttons, outgoing
from bot.notices.buttons import Press, button
from bot.notices.merchants import NOUN, describe
from bot.texts import Raw
from bot.usecases.merchants import PAGE, Page, deactivate, decide, listing, shop_to_manage
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.presses import answer, press_of
from handlers.kit.reply import say_refused, tell
from storage.outbox import Outgoing

LIST = "merchs"


def list_key(user_id: int) -> str:
    return f"merchants:list:{user_id}"


async def list_card(ctx: GridContext, me: Person, page: Page) -> Outgoing:
    """Returns one page of the list, with a decide or deactivate row per shop and page buttons."""
    tree, t, lang = await ctx.units.tree(), ctx.texts, me.lang
    lines = [describe(ctx.services, m, lang, tree, staff=True) for m in page.merchants]
    text = t(
        "merchant.list",
        lang,
        place=tree.place_name(page.unit) if page.unit in tree else "—",
        total=page.total,
        page=page.page + 1,
        pages=max(1, -(-page.total // PAGE)),
        lines=Raw("\n\n".join(lines) or t("merchant.none_listed", lang)),
    )
    rows = []
    for m in page.merchants:
        if m.status is MerchantStatus.PENDING:
            rows.append(
                [
                    button(t("merchant.approve_n", lang, id=m.id), NOUN, "ok", m.id),
                    button(t("merchant.decline_n", lang, id=m.id), NOUN, "no", m.id),
                ]
            )
        elif m.status is MerchantStatus.APPROVED:
            rows.append([button(t("merchant.off_n", lang, id=m.id), NOUN, "off", m.id)])
    nav = []
    if page.page > 0:
        nav.append(button("◀️", LIST, "l", page.page - 1))
    if (page.page + 1) * PAGE < page.total:
        nav.append(button("▶️", LIST, "l", page.page + 1))
    markup = buttons.keyboard([*rows, nav])
    return outgoing.card(me.user_id, list_key(me.user_id), text, markup=markup)


async def list_command(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    found = await listing(ctx.services, by=me.user_id, at=ctx.now(), page=0)
    if isinstance(found, Refused):
        await say_refused(ctx, me, found)
        return
    await ctx.outbox.send([await list_card(ctx, me, found.value)], ctx.now())


async def on_list(update: Update, ctx: GridContext) -> None:
    found = await press_of(update, ctx, noun=LIST, verbs=("l",), answer_first=False)
    if found is None:
        return
    me, press, _ = found
    page = press.int_arg(0)
    if page is None or page < 0:
        await tell(update, ctx, me, "common.stale_button")
        return
    result = await listing(ctx.services, by=me.user_id, at=ctx.now(), page=page)
    if isinstance(result, Refused):
        await tell(update, ctx, me, result.key, **result.params)
        return
    await answer(update)
    await ctx.outbox.send([await list_card(ctx, me, result.value)], ctx.now())


async def on_shop(update: Update, ctx: GridContext) -> None:
    """merch:ok|no|off|offok:<shop> — decide, ask to deactivate, deactivate."""
    found = await press_of(
        update, ctx, noun=NOUN, verbs=("ok", "no", "off", "offok"), answer_first=False
    )
    if found is None:
        return
    me, press, _ = found
    merchant_id = press.int_arg(0)
    if press.verb == "off":
        await confirm_off(update, ctx, me, press)
        return
    if press.verb == "offok":
        result = await deactivate(ctx.services, merchant_id, by=me.user_id, at=ctx.now())
    else:
        result = await decide(
            ctx.services, merchant_id, by=me.user_id, at=ctx.now(), approve=press.verb == "ok"
        )
    if isinstance(result, Refused):
        await tell(update, ctx, me, result.key, **result.params)
        return
    await answer(update)  # the notices carry the news


async def confirm_off(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    found = await shop_to_manage(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), action="merch:off"
    )
    if isinstance(found, Refused):
        await tell(update, ctx, me, found.key, **found.params)
        return
    merchant = found[0]
    if merchant.status is not MerchantStatus.APPROVED:
        await tell(update, ctx, me, "common.stale_button")
        return
    await answer(update)  # the confirming press is authorised again by the use case
    markup = buttons.keyboard(
        [[button(ctx.texts("merchant.off_confirm", me.lang), NOUN, "offok", merchant.id)]]
    )
    text = ctx.texts("merchant.off_ask", me.lang, id=merchant.id, name=merchant.name)
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=markup)], ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("merchants", list_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_list, pattern=rf"^{LIST}:"))
    app.add_handler(CallbackQueryHandler(on_shop, pattern=rf"^{NOUN}:"))
