"""/wish: post a 微心愿 (residents, or staff for someone without Telegram); staff review; /wishes.

Steps: [whose wish (staff)] → [phone] → [unit] → text → photo (optional) → kind → confirm.
A step whose answer is already known (a resident's registered place and phone) is skipped.
Buttons "wishnew:<verb>:<arg>" act only on the step the draft is at; "wish:ok|no:<id>" review.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import wishes as domain
from bot.domain.people import Person, Role, Staff
from bot.domain.units import UnitTree
from bot.domain.volunteers import (
    InvalidInput,
    clean_name,
    clean_phone,
    subtree,
)
from bot.domain.wishes import OTHER, Wish, WishStatus
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.volunteers import area
from bot.notices.wishes import kind_name
from bot.services import Services
from bot.texts import Raw
from bot.usecases.wishes import post_wish, review_wish
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, Place, StepCallback, person_of
from handlers.kit.image_files import offers_photo, photo_in
from handlers.kit.presses import answer, press_of
from handlers.kit.reply import say, tell
from handlers.volunteers.common import (
    render,
    typed,
    unit_card,
    unit_place,
    walk_top,
)
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "wish"
NOUN = "wishnew"
ORDER = (
    ("who", "name"),
    ("phone", "phone"),
    ("unit", "unit"),
    ("text", "text"),
    ("photo", "photo"),
    ("kind", "kind"),
)


async def poster_staff(ctx: GridContext, me: Person) -> Staff | None:
    staff = await ctx.people.staff(me.user_id)
    allowed = staff is not None and staff.role is not Role.PARTNER and not staff.role.is_helper
    return staff if allowed else None


async def start(update: Update, ctx: GridContext) -> None:
    """Starts a wish: staff post for someone; residents for themselves."""
    me = await person_of(update, ctx)
    data: dict = {"card": f"wishnew:{int(ctx.now().timestamp())}"}
    if await poster_staff(ctx, me) is not None:
        data["staff"] = True
    else:
        data["name"] = me.name
        if me.phone:
            data["phone"] = me.phone
        if me.unit:
            data["unit"] = me.unit
    await advance(ctx, me, Draft(me.user_id, FLOW, "", data))


def next_step(data: dict) -> str:
    for name, key in ORDER:
        if key not in data:
            return name
    return "confirm"


async def advance(ctx: GridContext, me: Person, draft: Draft) -> None:
    """Moves the draft to its first unanswered step and asks for it, in one commit."""
    draft = replace(draft, step=next_step(draft.data))
    await ctx.drafts.put(draft, ctx.now(), [await prompt(ctx, me, draft)])


async def prompt(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    t, lang, data = ctx.texts, me.lang, draft.data
    skip = t("volunteer.skip", lang)
    if draft.step == "who":
        return outgoing.message(me.user_id, t("wish.ask_who", lang))
    if draft.step == "phone":
        if data.get("staff"):
            keyboard = outgoing.reply_keyboard([[skip]], one_time=True)
        else:
            keyboard = outgoing.reply_keyboard(
                [[t("volunteer.share_phone", lang)], [skip]], one_time=True
            )
            keyboard["keyboard"][0][0]["request_contact"] = True
        return outgoing.message(me.user_id, t("wish.ask_phone", lang), markup=keyboard)
    if draft.step == "text":
        return outgoing.message(
            me.user_id,
            t("wish.ask_text", lang, limit=domain.MAX_TEXT),
            markup=outgoing.remove_keyboard(),
        )
    if draft.step == "photo":
        keyboard = outgoing.reply_keyboard([[skip]], one_time=True)
        return outgoing.message(me.user_id, t("wish.ask_photo", lang), markup=keyboard)
    tree = await ctx.units.tree()
    if draft.step == "unit":
        return await unit_card(ctx, me, draft)
    if draft.step == "kind":
        config = ctx.services.settings.volunteers
        options = [
            button(o.en if lang == "en" else o.zh, NOUN, "kind", o.code) for o in config.skills
        ]
        options.append(button(t("wish.kind_other", lang), NOUN, "kind", OTHER))
        rows = [options[i : i + 2] for i in range(0, len(options), 2)]
        return outgoing.card(
            me.user_id, data["card"], t("wish.ask_kind", lang), markup=buttons.keyboard(rows)
        )
    wish = draft_wish(me, data, ctx.now())
    text = t(
        "wish.confirm",
        lang,
        kind=kind_name(ctx.services, wish, lang),
        text=wish.text,
        place=tree.place_name(wish.unit),
        name=wish.contact_name or t("wish.no_name", lang),
        phone=wish.contact_phone or t("volunteer.no_phone", lang),
        photo=t("wish.with_photo" if wish.photo else "wish.without_photo", lang),
    )
    rows = [
        [
            button(t("wish.post", lang), NOUN, "post"),
            button(t("volunteer.restart", lang), NOUN, "restart"),
        ]
    ]
    return outgoing.card(me.user_id, data["card"], text, markup=buttons.keyboard(rows))


def draft_wish(me: Person, data: dict, at: datetime) -> Wish:
    return Wish(
        posted_by=me.user_id,
        resident_id=None if data.get("staff") else me.user_id,
        unit=data.get("unit", ""),
        category=data.get("kind", OTHER),
        text=data.get("text", ""),
        created_at=at,
        contact_name=data.get("name") or "",
        contact_phone=data.get("phone"),
        photo=data.get("photo"),
    )


# Text and photo steps ------------------------------------------------------------------------


def _is_skip(ctx: GridContext, text: str | None) -> bool:
    return text is not None and text.strip() in ctx.texts.all_values("volunteer.skip")


async def receive_who(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    try:
        draft.data["name"] = clean_name(typed(update))
    except InvalidInput as bad:
        await say(ctx, me, bad.key)
        return
    await advance(ctx, me, draft)


async def receive_phone(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    text = typed(update)
    try:
        if message.contact is not None and message.contact.user_id == me.user_id:
            draft.data["phone"] = clean_phone(message.contact.phone_number)
        elif _is_skip(ctx, text):
            draft.data["phone"] = None
        else:
            draft.data["phone"] = clean_phone(text)
    except InvalidInput as bad:
        await say(ctx, me, bad.key)
        return
    await advance(ctx, me, draft)


async def receive_text(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    try:
        draft.data["text"] = domain.clean_wish_text(typed(update))
    except InvalidInput as bad:
        await say(ctx, me, bad.key, limit=domain.MAX_TEXT)
        return
    await advance(ctx, me, draft)


async def receive_photo(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    if offers_photo(message):
        photo = await photo_in(ctx, me, message)
        if photo is None:  # an image file that could not be used; already said why
            return
        draft.data["photo"] = photo
    elif _is_skip(ctx, typed(update)):
        draft.data["photo"] = None
    else:
        await say(ctx, me, "wish.photo_or_skip")
        return
    removed = outgoing.message(
        me.user_id, ctx.texts("wish.photo_noted", me.lang), markup=outgoing.remove_keyboard()
    )
    draft = replace(draft, step=next_step(draft.data))
    await ctx.drafts.put(draft, ctx.now(), [removed, await prompt(ctx, me, draft)])


async def receive_text_at_button_step(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    await say(ctx, me, "volunteer.use_buttons")


# Buttons of the posting flow -----------------------------------------------------------------

_STEP_OF = {"kind": "kind", "post": "confirm", "restart": "confirm"}


_STEPS = {verb: (step,) for verb, step in _STEP_OF.items()}


async def on_press(update: Update, ctx: GridContext) -> None:
    found = await press_of(update, ctx, noun=NOUN, verbs=_STEPS, flow=FLOW, answer_first=False)
    if found is None:
        return
    me, press, draft = found
    assert draft is not None
    arg = press.args[0] if press.args else ""
    if press.verb == "kind":
        skills = {o.code for o in ctx.services.settings.volunteers.skills}
        if arg not in skills and arg != OTHER:
            await tell(update, ctx, me, "common.stale_button")
            return
        await answer(update)
        draft.data["kind"] = arg
        await advance(ctx, me, draft)
    elif press.verb == "restart":
        await answer(update)
        await start(update, ctx)
    else:
        await answer(update)
        await post(ctx, me, draft)


async def post(ctx: GridContext, me: Person, draft: Draft) -> None:
    """Stores the wish; staff's own wishes are approved at once, others go to staff for review."""
    data = draft.data
    await post_wish(
        ctx.services,
        by=me.user_id,
        at=ctx.now(),
        unit=data.get("unit", ""),
        category=data.get("kind", OTHER),
        text=data.get("text", ""),
        contact_name=data.get("name") or "",
        contact_phone=data.get("phone"),
        photo=data.get("photo"),
        for_someone=bool(data.get("staff")),
        card=data["card"],
    )


# Review ------------------------------------------------------------------------------------


async def on_review(update: Update, ctx: GridContext) -> None:
    """Approves (and announces) or declines a pending wish; re-authorised on every press."""
    found = await press_of(update, ctx, noun="wish", verbs=("ok", "no"), answer_first=False)
    if found is None:
        return
    me, press, _ = found
    result = await review_wish(
        ctx.services, press.int_arg(0) or 0, by=me.user_id, at=ctx.now(), approve=press.verb == "ok"
    )
    await render(update, ctx, me, result)


# /wishes -----------------------------------------------------------------------------------


async def list_command(update: Update, ctx: GridContext) -> None:
    """Lists the user's wishes (posted or claimed) and, for staff, those in their area."""
    me = await person_of(update, ctx)
    services = ctx.services
    tree = await ctx.units.tree()
    wishes = services.store.wishes
    mine = await wishes.mine(me.user_id)
    lines = [line(services, w, me.lang, tree) for w in mine]
    text = ctx.texts(
        "wish.list_mine", me.lang, lines=Raw("\n".join(lines) or ctx.texts("wish.none", me.lang))
    )
    staff = await poster_staff(ctx, me)
    if staff is not None:
        units = [u.code for u in tree] if staff.role is Role.ADMIN else subtree(staff.unit, tree)
        active = await wishes.in_units(
            units, [WishStatus.PENDING, WishStatus.OPEN, WishStatus.CLAIMED, WishStatus.DONE]
        )
        area_lines = [line(services, w, me.lang, tree) for w in active]
        text += "\n\n" + ctx.texts(
            "wish.list_area",
            me.lang,
            lines=Raw("\n".join(area_lines) or ctx.texts("wish.none", me.lang)),
        )
    await ctx.outbox.send([outgoing.message(me.user_id, text)], ctx.now())


def line(services: Services, wish: Wish, lang: str, tree: UnitTree) -> str:
    return services.texts(
        "wish.line",
        lang,
        number=wish.number,
        status=services.texts(f"wish.status_{wish.status.value}", lang),
        kind=kind_name(services, wish, lang),
        area=area(tree, wish.unit),
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("wish", start, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("wishes", list_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=buttons.pattern(NOUN)))
    app.add_handler(CallbackQueryHandler(on_review, pattern=r"^wish:(ok|no):"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "who"): receive_who,
    (FLOW, "phone"): receive_phone,
    (FLOW, "text"): receive_text,
    (FLOW, "photo"): receive_photo,
    (FLOW, picker.STEP): receive_text_at_button_step,
    (FLOW, "kind"): receive_text_at_button_step,
    (FLOW, "confirm"): receive_text_at_button_step,
}


async def poster_reach(ctx: GridContext, me: Person, draft: Draft) -> str | None:
    """Returns the unit a poster's walk is bounded by (read again on every press)."""
    return walk_top(await poster_staff(ctx, me))


# flow → how it asks for the wish's unit (handlers/kit/picker.py) and what it does with it
PLACES: dict[str, Place] = {FLOW: unit_place("wish.ask_unit", advance, reach=poster_reach)}
