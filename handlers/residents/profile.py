"""Residents: the greeting, /me (place and phone), /my (their reports) and the reply keyboard.

Registration lives in handlers/residents/place.py, the 随手拍 flow in
handlers/reports/submit_flow.py, and the solved / not solved loop in handlers/reports/verify.py.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.domain import access
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard, parse
from bot.notices.reports import Cards
from bot.texts import LANGUAGES, load_catalog
from bot.usecases.residents import remove_phone, save_phone
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, StepCallback, person_of
from handlers.kit.refusals import deny
from handlers.kit.reply import say, say_refused
from handlers.reports import submit_flow as report_flow
from handlers.residents import place as registration
from handlers.residents.place import answer, request_keyboard
from storage.drafts import Draft

SHOWN = 20  # reports listed by /my (one button each; Telegram allows 100)


def main_keyboard(ctx: GridContext, me: Person) -> dict:
    """Returns the persistent reply keyboard with the 随手拍 button."""
    return registration.main_keyboard(ctx, me)


async def welcome(update: Update, ctx: GridContext, me: Person) -> None:
    """Greets staff, welcomes back a registered resident, or starts registration."""
    from handlers.residents.privacy import short_notice

    tree, markup = await ctx.units.tree(), main_keyboard(ctx, me)
    # Every /start shows the privacy notice.
    notice = "\n\n" + short_notice(ctx, me.lang, staff=me.staff is not None)
    if me.staff is not None:
        unit = tree.place_name(me.staff.unit)
        text = ctx.texts("resident.welcome_staff", me.lang, name=me.staff.name, unit=unit)
    elif me.unit is not None and me.unit in tree:
        place = tree.place_name(me.unit)
        text = ctx.texts("resident.welcome_back", me.lang, place=place)
    else:
        intro = ctx.texts("resident.welcome", me.lang) + notice + "\n\n"
        await registration.start(ctx, me, intro=intro)
        return
    await ctx.outbox.send([outgoing.message(me.user_id, text + notice, markup=markup)], ctx.now())


# /me -------------------------------------------------------------------------------------


async def show_me(update: Update, ctx: GridContext) -> None:
    """Shows the registered place and phone, with buttons to change them."""
    me = await person_of(update, ctx)
    t, tree = ctx.texts, await ctx.units.tree()
    place = tree.place_name(me.unit) if me.unit else t("me.no_place", me.lang)
    phone = me.phone or t("me.no_phone", me.lang)
    rows = [
        [button(t("me.change_place", me.lang), "me", "place")],
        [button(t("me.change_phone" if me.phone else "me.add_phone", me.lang), "me", "phone")],
    ]
    if me.phone:
        rows.append([button(t("me.remove_phone", me.lang), "me", "unphone")])
    rows.append([button(t("privacy.button_erase", me.lang), "privacy", "ask")])
    await say(ctx, me, "me.show", markup=keyboard(rows), place=place, phone=phone)


async def on_me(update: Update, ctx: GridContext) -> None:
    """me:place / me:phone / me:unphone — pressed in the presser's own chat only."""
    assert update.callback_query is not None
    query, me = update.callback_query, await person_of(update, ctx)
    press = parse(query.data)
    chat_id = query.message.chat.id if query.message is not None else None
    if (refused := access.own_chat(me.user_id, chat_id)) is not None:
        await deny(update, ctx, me, refused, None)
        return
    if press is None or press.verb not in ("place", "phone", "unphone"):
        await answer(update, ctx.texts("common.not_allowed", me.lang))
        return
    await answer(update)
    if press.verb == "place":
        await registration.start(ctx, me, changing=True)
    elif press.verb == "phone":
        label = ctx.texts("me.button_contact", me.lang)
        prompt = outgoing.message(
            me.user_id,
            ctx.texts("me.ask_phone", me.lang),
            markup=request_keyboard(label, "request_contact"),
        )
        await ctx.drafts.put(Draft(me.user_id, "phone", "contact"), ctx.now(), [prompt])
    elif isinstance(done := await remove_phone(ctx.services, me.user_id, at=ctx.now()), Refused):
        await say_refused(ctx, me, done)


async def receive_contact(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the user's own contact (another person's card is refused) as their phone."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    contact = message.contact
    if contact is None:
        await say(ctx, me, "me.use_contact_button")
        return
    done = await save_phone(
        ctx.services, me.user_id, contact.phone_number, owner=contact.user_id, at=ctx.now()
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)


# /my -------------------------------------------------------------------------------------


async def show_my(update: Update, ctx: GridContext) -> None:
    """Lists the user's reports, newest first, with a button per report for its status card."""
    me = await person_of(update, ctx)
    reports = await ctx.reports.by_reporter(me.user_id, limit=SHOWN)
    if not reports:
        await say(ctx, me, "me.no_reports", markup=main_keyboard(ctx, me))
        return
    cards = await Cards.load(ctx.services)
    lines = [
        ctx.texts(
            "me.report_line",
            me.lang,
            number=r.number,
            status=cards.status_name(r, me.lang),
            category=cards.category_name(r.category, me.lang),
            date=r.created_at.astimezone(ctx.services.tz).strftime("%Y-%m-%d"),
        )
        for r in reports
    ]
    picks = [button(r.number, "my", "card", r.id) for r in reports]
    rows = [picks[i : i + 4] for i in range(0, len(picks), 4)]
    await say(ctx, me, "me.my_reports", markup=keyboard(rows), lines="\n".join(lines))


async def on_my(update: Update, ctx: GridContext) -> None:
    """my:card:<id> — the report's status card again, as a new message that is kept current."""
    assert update.callback_query is not None
    me, press = await person_of(update, ctx), parse(update.callback_query.data)
    report_id = press.int_arg(0) if press and press.verb == "card" else None
    report = await ctx.reports.get(report_id) if report_id is not None else None
    if report is None:
        await answer(update, ctx.texts("common.not_allowed", me.lang))
        return
    if (refused := access.verify_report(me.user_id, report)) is not None:
        await deny(update, ctx, me, refused, f"report:{report.id}")
        return
    await answer(update)
    cards = await Cards.load(ctx.services)
    await cards.know_callins(report)
    card = cards.status_card(report, me.lang)
    if card is not None:
        await ctx.outbox.send_anew([card], ctx.now())


def button_texts(key: str) -> list[str]:
    """Returns KEY's label in every language (a reply-keyboard tap arrives as that text)."""
    return sorted({load_catalog(lang)[key] for lang in LANGUAGES})


def register(app: Application) -> None:
    app.add_handler(CommandHandler("me", show_me, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("my", show_my, filters=NEW_PRIVATE))
    report_button = filters.Text(button_texts("resident.button_report"))
    my_button = filters.Text(button_texts("resident.button_my"))
    app.add_handler(MessageHandler(NEW_PRIVATE & report_button, report_flow.start_report))
    app.add_handler(MessageHandler(NEW_PRIVATE & my_button, show_my))
    app.add_handler(CallbackQueryHandler(on_me, pattern=r"^me:"))
    app.add_handler(CallbackQueryHandler(on_my, pattern=r"^my:"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    ("phone", "contact"): receive_contact,
}
