"""随手拍: photos → description → category → place → summary → submit; 代报 for staff.

The draft holds what was given so far; `next_step` asks for the first thing still missing, so a
photo may start the flow, a caption may be the description, and staff are asked 代报 first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Document, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.usecases.reports import submit as submit_report
from handlers.kit.flows import NEW_PRIVATE, IdleCallback, Place, StepCallback, person_of
from handlers.kit.image_files import photo_from_file
from handlers.kit.limits import report_refused
from handlers.kit.picker import renew
from handlers.kit.presses import press_of
from handlers.kit.reply import say
from handlers.reports import me_too
from handlers.reports.submit_prompts import CONTACT_LIMIT, advance, may_be_anonymous
from handlers.residents.place import (
    answer,
    ask,
    location_row,
    main_keyboard,
    receive_location,
    walk_messages,
)
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "report"
MAX_FILE = 20 * 1024 * 1024  # Telegram's getFile limit for bots: bigger files cannot be used


@dataclass(frozen=True, slots=True)
class Input:
    """What a message offers the flow: photo, image_file, text, too_big, not_image, not_photo."""

    kind: str
    value: str = ""
    caption: str | None = None
    album: str | None = None
    size_mb: float = 0.0
    document: Document | None = None


PHOTOS = ("photo", "image_file")


def classify(message: Message) -> Input:
    """Returns what MESSAGE offers; an image sent as a file is taken as a photo once re-encoded."""
    caption, album = message.caption, message.media_group_id
    if message.photo:
        largest = message.photo[-1]
        if (largest.file_size or 0) > MAX_FILE:
            return Input("too_big", size_mb=(largest.file_size or 0) / 2**20)
        return Input("photo", largest.file_id, caption, album)
    attachments: list[object] = [message.animation, message.video, message.video_note]
    attachments += [message.voice, message.audio, message.sticker, message.document]
    size = max((getattr(a, "file_size", None) or 0 for a in attachments), default=0)
    if size > MAX_FILE:
        return Input("too_big", size_mb=size / 2**20)
    if message.document and not message.animation:
        if (message.document.mime_type or "").startswith("image/"):
            return Input("image_file", "", caption, album, document=message.document)
        return Input("not_image")
    if message.text is not None:
        return Input("text", message.text.strip())
    return Input("not_photo")


def new_draft(me: Person, tree: UnitTree) -> Draft:
    data: dict[str, Any] = {"photos": [], "for": None if me.is_staff else "self"}
    if me.unit is not None and me.unit in tree:
        data["home"] = me.unit
    return Draft(me.user_id, FLOW, "photos", data)


# Messages --------------------------------------------------------------------------------


async def start_report(update: Update, ctx: GridContext) -> None:
    """/report or the 随手拍 button: a new report (staff are asked whether it is 代报)."""
    me = await person_of(update, ctx)
    if await report_refused(ctx, me):
        return
    current = await ctx.drafts.get(me.user_id)
    if current is not None and current.flow == FLOW and begun(current.data):
        await ctx.drafts.put(current, ctx.now(), [ask_again(ctx, me, current)])
        return
    draft = new_draft(me, await ctx.units.tree())
    await ctx.drafts.put(draft, ctx.now(), await advance(ctx, me, draft))


def begun(data: dict[str, Any]) -> bool:
    """True if the report being composed holds something the user gave (not just its start)."""
    return bool(data.get("photos") or data.get("description") or data.get("contact"))


def ask_again(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Asks whether a new report drops the one being composed or that one goes on."""
    n = renew(draft)  # the old prompt's buttons become stale until the answer
    rows = [
        [button(ctx.texts("report_again.over", me.lang), "newreport", "over", n)],
        [button(ctx.texts("report_again.keep", me.lang), "newreport", "keep", n)],
    ]
    text = ctx.texts("report_again.ask", me.lang, count=len(draft.data.get("photos") or []))
    return outgoing.message(me.user_id, text, markup=keyboard(rows))


async def photo_starts_report(update: Update, ctx: GridContext, me: Person) -> bool:
    """A photo sent outside any flow starts a report with it."""
    assert update.effective_message is not None
    got = classify(update.effective_message)
    if got.kind not in PHOTOS:
        return False
    if await report_refused(ctx, me):
        return True
    await take_photo(ctx, me, new_draft(me, await ctx.units.tree()), got)
    return True


async def take_photo(ctx: GridContext, me: Person, draft: Draft, got: Input) -> None:
    """Adds the photo (up to the limit; an album's extras are dropped with one note).

    An image file is first re-encoded without EXIF/GPS; its original file_id is never kept.
    """
    photos, limit = draft.data["photos"], ctx.services.settings.reports.max_photos
    if got.kind == "image_file" and len(photos) < limit:
        document = got.document
        assert document is not None
        photo = await photo_from_file(ctx, me, document)
        if photo is None:
            return
        got = Input("photo", photo, got.caption, got.album)
    dropped: dict[str, int] = draft.data.setdefault("dropped", {})
    if len(photos) < limit:
        photos.append(got.value)
    elif got.album is None:
        await say(ctx, me, "report_flow.too_many_photos", limit=limit)
        return
    else:
        dropped[got.album] = dropped.get(got.album, 0) + 1
    notes = []
    if got.album in dropped:
        notes.append(
            ctx.texts("report_flow.album_trimmed", me.lang, limit=limit, dropped=dropped[got.album])
        )
    if got.caption and not draft.data.get("description"):
        problem = describe(ctx, me, draft, got.caption)
        notes += [problem] if problem else []
    await ctx.drafts.put(draft, ctx.now(), await advance(ctx, me, draft, notes, got.album))


def describe(ctx: GridContext, me: Person, draft: Draft, text: str) -> str | None:
    """Takes TEXT as the description; returns why not if it is too short or too long."""
    text, limits = text.strip(), ctx.services.settings.reports
    if len(text) > limits.max_description:
        return ctx.texts(
            "report_flow.too_long", me.lang, limit=limits.max_description, length=len(text)
        )
    if len(text) < limits.min_description:
        return ctx.texts("report_flow.too_short", me.lang, minimum=limits.min_description)
    draft.data["description"] = text
    return None


async def refuse(ctx: GridContext, me: Person, got: Input, draft: Draft) -> None:
    """Explains why this input does not fit the step; the step stays."""
    if got.kind == "too_big":
        await say(ctx, me, "report_flow.too_big", size=f"{got.size_mb:.0f}")
    elif got.kind == "not_image":
        await say(ctx, me, "report_flow.not_image")
    elif draft.step == "photos" and not draft.data["photos"]:
        await say(ctx, me, "report_flow.photo_first")
    elif draft.step == "photos":
        await say(ctx, me, "report_flow.photo_or_text")
    elif draft.step == "contact":
        await say(ctx, me, "proxy_report.contact_text")
    else:
        await say(ctx, me, "report_flow.use_buttons")


async def receive_photo_or_text(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes more photos, or the description once there is a photo."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    got = classify(message)
    if got.kind in PHOTOS:
        await take_photo(ctx, me, draft, got)
    elif got.kind != "text" or not draft.data["photos"]:
        await refuse(ctx, me, got, draft)
    elif problem := describe(ctx, me, draft, got.value):
        await ctx.outbox.send([outgoing.message(me.user_id, problem)], ctx.now())
    else:
        await ctx.drafts.put(draft, ctx.now(), await advance(ctx, me, draft))


async def receive_contact(update: Update, ctx: GridContext, draft: Draft) -> None:
    """代报: takes the resident's name / phone as free text (or a photo, kept for later)."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    got = classify(message)
    if got.kind in PHOTOS:
        await take_photo(ctx, me, draft, got)
    elif got.kind != "text" or not got.value:
        await refuse(ctx, me, got, draft)
    elif len(got.value) > CONTACT_LIMIT:
        await say(
            ctx, me, "proxy_report.contact_too_long", limit=CONTACT_LIMIT, length=len(got.value)
        )
    else:
        draft.data["contact"] = got.value
        await ctx.drafts.put(draft, ctx.now(), await advance(ctx, me, draft))


async def receive_at_buttons(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Steps answered with buttons: a photo is still taken before the summary."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    got = classify(message)
    if got.kind in PHOTOS and draft.step != "confirm":
        await take_photo(ctx, me, draft, got)
    else:
        await refuse(ctx, me, got, draft)


# Buttons ---------------------------------------------------------------------------------

STEP_OF = {
    "for": "kind",
    "skip": "contact",
    "cat": "category",
    "home": "place",
    "else": "place",
    "send": "confirm",
    "drop": "confirm",
    "anon": "confirm",
    "metoo": me_too.STEP,
    "new": me_too.STEP,
}


# Where "start over / continue" may be answered: whatever step the draft waits at.
ANY_STEP = (
    "kind",
    "contact",
    "photos",
    "category",
    "place",
    "walk",
    "locate",
    me_too.STEP,
    "confirm",
)
# verb → the steps where a press of it counts (handlers/kit/presses.press_of)
STEPS_OF = {**{verb: (step,) for verb, step in STEP_OF.items()}, "over": ANY_STEP, "keep": ANY_STEP}


async def on_button(update: Update, ctx: GridContext) -> None:
    """newreport:<verb>:<nonce>[:<arg>] — a choice on the current prompt of the report."""
    assert update.callback_query is not None
    found = await press_of(
        update, ctx, verbs=STEPS_OF, nonce=True, own_chat=True, answer_first=False
    )
    if found is None:
        return
    me, press, draft = found
    assert draft is not None
    arg = press.args[1] if len(press.args) > 1 else ""
    codes = {c.code for c in await ctx.units.categories()}
    fits = {"for": arg in ("self", "resident"), "cat": arg in codes}.get(press.verb, True)
    fits = fits and me_too.fits(draft, press.verb, arg)
    await answer(update, None if fits else ctx.texts("common.stale_button", me.lang))
    if not fits:
        return
    if press.verb in ("cat", "over", "keep", "anon", *me_too.VERBS):  # the prompt loses its buttons
        message = update.callback_query.message
        shown = _unbutton(me, message.message_id if message is not None else None)
        if press.verb in me_too.VERBS:
            await me_too.VERBS[press.verb](ctx, me, draft, arg, done=shown)
        elif press.verb == "anon":
            await toggle_anonymous(ctx, me, draft, done=shown)
        elif press.verb == "cat":
            await choose(ctx, me, draft, press.verb, arg, done=shown)
        else:
            await again(ctx, me, draft, start_over=press.verb == "over", done=shown)
        return
    await ACTIONS.get(press.verb, choose)(ctx, me, draft, press.verb, arg)


async def again(
    ctx: GridContext, me: Person, draft: Draft, *, start_over: bool, done: list[Outgoing]
) -> None:
    """Starts a new report (the one being composed is dropped) or asks again where it was."""
    if start_over:
        draft = new_draft(me, await ctx.units.tree())
    await ctx.drafts.put(draft, ctx.now(), [*done, *await advance(ctx, me, draft)])


async def choose(
    ctx: GridContext,
    me: Person,
    draft: Draft,
    verb: str,
    arg: str,
    *,
    done: Sequence[Outgoing] = (),
) -> None:
    """Records who it is for, the skipped contact, the category or the default place.

    DONE (the chosen prompt's edit) goes out before the next prompt, in the same commit."""
    data = draft.data
    if verb == "for":
        data["for"] = arg
        if arg == "resident":
            data.pop("home", None)  # 代报: the place is always chosen
    elif verb == "skip":
        data["contact"] = None
    elif verb == "cat":
        data["category"] = arg
    elif verb == "home":
        data["unit"] = data["home"]
    await ctx.drafts.put(draft, ctx.now(), [*done, *await advance(ctx, me, draft)])


async def toggle_anonymous(
    ctx: GridContext, me: Person, draft: Draft, *, done: Sequence[Outgoing]
) -> None:
    """Turns "report anonymously" on or off; the summary is shown again with the choice."""
    category = await ctx.units.category(draft.data.get("category") or "")
    if may_be_anonymous(draft.data, category):
        draft.data["anonymous"] = not draft.data.get("anonymous")
    await ctx.drafts.put(draft, ctx.now(), [*done, *await advance(ctx, me, draft)])


def _unbutton(me: Person, message_id: int | None) -> list[Outgoing]:
    """Removes the buttons of the prompt MESSAGE_ID once its choice is made (none if unknown)."""
    if message_id is None:
        return []
    params: dict[str, Any] = {"message_id": message_id, "reply_markup": {"inline_keyboard": []}}
    return [Outgoing(me.user_id, "editMessageReplyMarkup", params)]


async def elsewhere(ctx: GridContext, me: Person, draft: Draft, verb: str, arg: str) -> None:
    await ctx.drafts.put(draft, ctx.now(), await walk_messages(ctx, me, draft))


async def drop(ctx: GridContext, me: Person, draft: Draft, verb: str, arg: str) -> None:
    text = ctx.texts("common.cancelled", me.lang)
    message = outgoing.message(me.user_id, text, markup=main_keyboard(ctx, me))
    await ctx.drafts.clear(me.user_id, ctx.now(), [message])


async def place_chosen(
    ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
) -> None:
    """The walk ended on CODE: the report's place; the main keyboard comes back if it went."""
    draft.data["unit"] = code
    if draft.data.get("located"):
        text = ctx.texts("report_flow.place_noted", me.lang)
        messages.append(outgoing.message(me.user_id, text, markup=main_keyboard(ctx, me)))
    await ctx.drafts.put(draft, ctx.now(), messages + await advance(ctx, me, draft))


async def submit(ctx: GridContext, me: Person, draft: Draft, verb: str, arg: str) -> None:
    """Routes and stores the report; its number goes out only after the commit.

    Over a flood limit nothing is stored and the draft stays, so 提交 works again later.
    """
    if await report_refused(ctx, me):
        return
    data, proxy = draft.data, draft.data["for"] == "resident"
    category = await ctx.units.category(data["category"])
    if data.get("anonymous") and not may_be_anonymous(data, category):
        data["anonymous"] = False  # the office turned it off meanwhile: the resident decides
        note = ctx.texts("anonymous.no_longer", me.lang)
        await ctx.drafts.put(
            draft, ctx.now(), [outgoing.message(me.user_id, note), *await advance(ctx, me, draft)]
        )
        return
    await submit_report(
        ctx.services,
        reporter_id=None if proxy else me.user_id,
        entered_by=me.user_id if proxy else None,
        category=data["category"],
        unit=data["unit"],
        description=data["description"],
        photos=data["photos"],
        contact=data.get("contact") if proxy else None,
        lat=data.get("lat"),
        lon=data.get("lon"),
        clear_draft_of=me.user_id,
        extra={"anonymous": True} if data.get("anonymous") else None,
    )


ACTIONS = {"send": submit, "drop": drop, "else": elsewhere}


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", start_report, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^newreport:"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "photos"): receive_photo_or_text,
    (FLOW, "contact"): receive_contact,
    (FLOW, "kind"): receive_at_buttons,
    (FLOW, "category"): receive_at_buttons,
    (FLOW, "confirm"): receive_at_buttons,
    (FLOW, me_too.STEP): receive_at_buttons,
    (FLOW, "place"): receive_location,
    (FLOW, "walk"): receive_location,
    (FLOW, "locate"): receive_location,
}

# offered a message outside any flow (handlers/kit/flows.py, in the order of bot/app.py)
IDLE: tuple[IdleCallback, ...] = (photo_starts_report,)

# flow → what to do with the unit the place picker ended on
PLACES: dict[str, Place] = {
    FLOW: Place(done=place_chosen, ask=ask, here="register.whole", rows=location_row, skip=True)
}
