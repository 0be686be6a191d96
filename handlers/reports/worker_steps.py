"""Worker moves that need typing: resolve (after-photo, note), refer up (reason), reject (note).

Each is a draft (handlers/flows), so a restart keeps it; the report is re-read and the worker
re-authorised when the last input arrives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Message, Update

from bot.context import GridContext
from bot.domain.people import Person
from bot.domain.reports import Action, RejectReason, Report
from bot.domain.routing import refer_target
from bot.notices import outgoing
from bot.usecases import callins, duplicates, echo, reports
from bot.usecases.results import Done, Refused
from handlers.kit.flows import StepCallback, dispatch, person_of
from handlers.kit.image_files import offers_photo, photo_in
from handlers.kit.refusals import action_of
from handlers.kit.reply import say
from handlers.reports.worker_press import (
    NOTE_LIMIT,
    Pressed,
    allowed,
    ask,
    card_for,
    made,
    read_note,
)
from storage.drafts import Draft

# Resolve (完成) -------------------------------------------------------------------------------


async def start_resolve(ctx: GridContext, press: Pressed) -> None:
    """完成: asks for the after-photo, which is required (its caption may be the note)."""
    if await allowed(ctx, press, Action.RESOLVE) and not await parts_open(ctx, press):
        prompt = ctx.texts("resolve_flow.ask_photo", press.me.lang, number=press.report.number)
        if echo.is_on(ctx.services):  # the note is the official reply the 回音壁 shows
            prompt += "\n" + ctx.texts("echo.note_is_public", press.me.lang)
        await ask(ctx, press, "resolve", "photo", prompt)


async def parts_open(ctx: GridContext, press: Pressed) -> bool:
    """Tells the holder, and returns True, while parties called in (吹哨) have not finished:
    the report is resolved or returned only after them (bot/usecases/reports.resolve checks
    again when the move is made)."""
    if not await callins.live_parts(ctx.services, press.report.id or 0):
        return False
    await say(ctx, press.me, "callin.parts_open", number=press.report.number)
    return True


async def resolved(
    update: Update,
    ctx: GridContext,
    draft: Draft,
    photos: list[str],
    note: str,
    *,
    album: bool = False,
) -> bool:
    """Resolves the draft's report (bot/usecases/reports.resolve); tells whether it moved."""
    me = await person_of(update, ctx)
    outcome = await reports.resolve(
        ctx.services,
        int(draft.data.get("report", 0)),
        by=me.user_id,
        at=ctx.now(),
        photo=photos[0],
        note=note,
        more_photos=photos[1:],
        album=album,
        attempted=action_of(update),
    )
    return await made(ctx, me, outcome, end_flow=True)


async def refuse_non_photo(ctx: GridContext, me: Person, message: Message) -> None:
    """Explains why a text, file or sticker is not an after-photo; the step stays."""
    if message.document is not None:
        await say(ctx, me, "resolve_flow.not_a_file")
    elif message.text is not None:
        await say(ctx, me, "resolve_flow.photo_required")
    else:
        await say(ctx, me, "resolve_flow.photo_only")


async def receive_after_photo(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the first after-photo; resolves at once if its caption is the note, else asks for
    one (more photos may come first: receive_resolve_note keeps them)."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    if not offers_photo(message):
        await refuse_non_photo(ctx, me, message)
        return
    photo, note = await photo_in(ctx, me, message), (message.caption or "").strip()
    if photo is None:  # an image file that could not be used; already said why
        return
    album = message.media_group_id
    if not note or len(note) > NOTE_LIMIT:
        draft.step, draft.data["photos"], draft.data["album"] = "note", [photo], album
        key = "resolve_flow.ask_note" if not note else "resolve_flow.caption_too_long"
        prompt = ctx.texts(key, me.lang, limit=NOTE_LIMIT, most=max_after_photos(ctx))
        await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, prompt)])
        return
    report = int(draft.data.get("report", 0))
    if await resolved(update, ctx, draft, [photo], note, album=bool(album)) and album:
        await absorb_album(ctx, me, album, report)


def max_after_photos(ctx: GridContext) -> int:
    return ctx.services.settings.reports.max_photos


def draft_photos(draft: Draft) -> list[str]:
    """The after-photos taken so far (a draft from before several were allowed holds one)."""
    photos = draft.data.get("photos")
    if isinstance(photos, list):
        return [str(p) for p in photos]
    return [str(draft.data["photo"])] if draft.data.get("photo") else []


async def receive_resolve_note(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the note and resolves. A photo sent before it is one more after-photo (the rest of
    an album silently; another photo is acknowledged with the count), up to max_photos."""
    message = update.effective_message
    assert message is not None
    me = await person_of(update, ctx)
    if offers_photo(message):
        await more_after_photo(ctx, me, message, draft)
        return
    note = await read_note(update, ctx, me)
    if note is not None:
        await resolved(update, ctx, draft, draft_photos(draft), note)


async def more_after_photo(ctx: GridContext, me: Person, message: Message, draft: Draft) -> None:
    photos, album = draft_photos(draft), draft.data.get("album")
    same_album = bool(album) and message.media_group_id == album
    if len(photos) >= max_after_photos(ctx):
        if not same_album:  # an album says it once, not once per photo
            await say(ctx, me, "resolve_flow.too_many_photos", most=max_after_photos(ctx))
        return
    photo = await photo_in(ctx, me, message)
    if photo is None:  # an image file that could not be used; already said why
        return
    draft.data["photos"] = [*photos, photo]
    draft.data.pop("photo", None)
    draft.data["album"] = message.media_group_id or album
    said = []
    if not same_album:
        text = ctx.texts(
            "resolve_flow.photo_added", me.lang, count=len(photos) + 1, most=max_after_photos(ctx)
        )
        said.append(outgoing.message(me.user_id, text))
    await ctx.drafts.put(draft, ctx.now(), said)


async def absorb_album(ctx: GridContext, me: Person, album: str, report: int) -> None:
    """Keeps the rest of an after-photo album (it arrives photo by photo) from starting a report:
    each of its photos is added to the resolved report's after-photos."""
    data = {"album": album, "report": report}
    await ctx.drafts.put(Draft(me.user_id, "resolve", "album_tail", data), ctx.now())


async def receive_album_tail(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Adds the rest of the after-photo album to the report; anything else is handled as if no
    flow were on."""
    message = update.effective_message
    assert message is not None
    if message.photo and message.media_group_id == draft.data.get("album"):
        if draft.data.get("report"):
            await reports.add_after_photos(
                ctx.services,
                int(draft.data["report"]),
                by=draft.user_id,
                photos=[message.photo[-1].file_id],
            )
        return
    await ctx.drafts.clear(draft.user_id, ctx.now())
    await dispatch(update, ctx)


# Refer up (上报) ------------------------------------------------------------------------------


async def start_refer(ctx: GridContext, press: Pressed) -> None:
    """上报: names the unit above and asks for the reason; at the top of the tree, says so."""
    if not await allowed(ctx, press, Action.REFER_UP):
        return
    report, lang = press.report, press.me.lang
    tree = await ctx.units.tree()
    staff = await ctx.people.along(tree, report.holder_unit)
    target = refer_target(report.holder_unit, tree, staff, report.category)
    if target is None:
        await say(ctx, press.me, "refer.top", number=report.number)
        return
    unit = tree.get(target.unit).name
    prompt = ctx.texts("refer.ask_reason", lang, number=report.number, unit=unit)
    await ask(ctx, press, "refer", "reason", prompt)


async def receive_refer_reason(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the reason and refers the report to the next tier that has staff."""
    await with_note(update, ctx, draft, reports.refer_up, "reason")


# Reject (退回) -------------------------------------------------------------------------------


async def start_reject_note(ctx: GridContext, press: Pressed) -> None:
    """Takes the chosen reason, restores the card and asks for a note for the reporter."""
    try:
        reason = RejectReason(press.args[0] if press.args else "")
    except ValueError:
        await say(ctx, press.me, "worker.forged")
        return
    if not await allowed(ctx, press, Action.REJECT):
        return
    lang = press.me.lang
    label = ctx.texts(f"reject.{reason.value}", lang)
    prompt = ctx.texts("reject_flow.ask_note", lang, number=press.report.number, reason=label)
    if await duplicates.reject_needs_approval(ctx.services, press.report, press.staff):
        prompt += "\n\n" + ctx.texts("merge.reject_will_ask", lang)  # 退单 approval
    card = await card_for(ctx, press.report, press.me)
    await ask(ctx, press, "reject", "note", prompt, also=[card], reason=reason.value)


async def receive_reject_note(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the note and returns the report to the reporter with the reason."""
    reason = RejectReason(draft.data["reason"])
    await with_note(update, ctx, draft, duplicates.reject_or_ask, "note", reason=reason)


async def with_note(
    update: Update,
    ctx: GridContext,
    draft: Draft,
    move: Callable[..., Awaitable[Done[Report] | Refused]],
    field: str,
    **more: object,
) -> None:
    """Reads the typed note (asked again if unusable) and makes MOVE (a use case of
    bot/usecases/reports.py) on the draft's report with it as FIELD; the flow ends."""
    me = await person_of(update, ctx)
    note = await read_note(update, ctx, me)
    if note is None:
        return
    report_id = int(draft.data.get("report", 0))
    outcome = await move(
        ctx.services,
        report_id,
        by=me.user_id,
        at=ctx.now(),
        attempted=action_of(update),
        **{field: note},
        **more,
    )
    await made(ctx, me, outcome, end_flow=True)


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    ("resolve", "photo"): receive_after_photo,
    ("resolve", "note"): receive_resolve_note,
    ("resolve", "album_tail"): receive_album_tail,
    ("refer", "reason"): receive_refer_reason,
    ("reject", "note"): receive_reject_note,
}
