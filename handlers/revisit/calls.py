"""回访 in chat: the caller's card (satisfied / not satisfied, then a note or skip), /revisits.

Every press is re-authorised by bot/usecases/revisit (community staff over the case, never its
handlers; a recorded task changes no more). The note is a draft step, so a restart keeps it.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.domain.revisit import NOTE_LIMIT
from bot.notices import revisit as notices
from bot.notices.buttons import Press
from bot.usecases import revisit
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.presses import verb_presses
from handlers.kit.refusals import action_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft

FLOW = "revisit"


async def answer(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """满意 / 不满意: asks for the resident's words or a skip (nothing is recorded yet)."""
    checked = await revisit.check(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    if isinstance(checked, Refused):
        await say_refused(ctx, me, checked)
        return
    task, number = checked.value.about.task, checked.value.about.report.number
    satisfied = press.verb == "yes"
    prompt = notices.ask_note(
        ctx.services, me.lang, me.user_id, number, task, satisfied, NOTE_LIMIT
    )
    draft = Draft(me.user_id, FLOW, "note", {"revisit": task.id, "satisfied": int(satisfied)})
    await ctx.drafts.put(draft, ctx.now(), [prompt])


async def receive_note(update: Update, ctx: GridContext, draft: Draft) -> None:
    """The caller's note as text: the answer is recorded with it."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    note = (message.text or "").strip()
    if not note:
        await say(ctx, me, "revisit.note_text_only")
        return
    if len(note) > NOTE_LIMIT:
        await say(ctx, me, "revisit.note_too_long", limit=NOTE_LIMIT, length=len(note))
        return
    await _record(update, ctx, me, draft, note)


async def skip(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """跳过备注: records the answer without a note — only from the prompt of the draft in hand."""
    draft = await ctx.drafts.get(me.user_id)
    if draft is None or draft.flow != FLOW or draft.data.get("revisit") != press.int_arg(0):
        await say(ctx, me, "common.stale_button")
        return
    await _record(update, ctx, me, draft, None)


async def _record(
    update: Update, ctx: GridContext, me: Person, draft: Draft, note: str | None
) -> None:
    outcome = await revisit.record(
        ctx.services,
        int(draft.data.get("revisit", 0)),
        by=me.user_id,
        at=ctx.now(),
        satisfied=bool(draft.data.get("satisfied")),
        note=note,
        attempted=action_of(update),
    )
    if isinstance(outcome, Refused):  # the task is over for them: their flow ends too
        await say_refused(ctx, me, outcome, end_flow=True)


async def show_card(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """The task's card once more (from /revisits or a reminder), if BY may still call."""
    checked = await revisit.check(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    if isinstance(checked, Refused):
        await say_refused(ctx, me, checked)
        return
    card = notices.card_again(ctx.services, checked.value.about, me.user_id, me.lang)
    await ctx.outbox.send([card], ctx.now())


async def list_page(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    await _list(update, ctx, me, press.int_arg(0) or 0)


async def list_command(update: Update, ctx: GridContext) -> None:
    """/revisits: the tasks waiting for this member of staff, oldest closing first."""
    await _list(update, ctx, await person_of(update, ctx), 0)


async def _list(update: Update, ctx: GridContext, me: Person, page: int) -> None:
    found = await revisit.waiting(
        ctx.services, by=me.user_id, at=ctx.now(), page=page, attempted=action_of(update)
    )
    if isinstance(found, Refused):
        await say_refused(ctx, me, found)
        return
    shown = found.value
    message = notices.page_message(
        ctx.services,
        me.lang,
        me.user_id,
        shown.items,
        page=shown.page,
        total=shown.total,
        now=ctx.now(),
    )
    await ctx.outbox.send([message], ctx.now())


VERBS = {"yes": answer, "no": answer, "skip": skip, "card": show_card, "page": list_page}

STEPS = {(FLOW, "note"): receive_note}


def register(app: Application) -> None:
    app.add_handler(CommandHandler("revisits", list_command, filters=NEW_PRIVATE))
    app.add_handler(verb_presses("revisit", VERBS))
