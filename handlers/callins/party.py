"""A called party's card: 报到 (acknowledge), then report its part done with a photo or a note.

Only the party's members may press (bot/usecases/callins re-authorises every press); the
photo-or-note step is a draft, so a restart keeps it.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import GridContext
from bot.domain.callins import State
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import Press
from bot.usecases import callins
from bot.usecases.results import Refused
from handlers.kit.flows import person_of
from handlers.kit.image_files import offers_photo, photo_in
from handlers.kit.presses import verb_presses
from handlers.kit.refusals import action_of
from handlers.kit.reply import say
from handlers.reports.worker_press import tell
from storage.drafts import Draft

FLOW = "callin"


async def acknowledge(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """报到: the card turns to 'report done' and the holder is told."""
    outcome = await callins.acknowledge(ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now())
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome)


async def ask_proof(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """报告完成: asks for a photo or a note."""
    checked = await callins.check_answer(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    if isinstance(checked, Refused):
        await tell(ctx, me, checked)
        return
    callin, report, _ = checked.value
    if callin.state is State.CALLED:
        await say(ctx, me, "callin.ack_first", number=report.number)
        return
    if callin.state is not State.ACKED:
        key = "callin.was_withdrawn" if callin.state is State.WITHDRAWN else "callin.was_done"
        await say(ctx, me, key, number=report.number)
        return
    prompt = ctx.texts("callin.ask_proof", me.lang, number=report.number)
    draft = Draft(me.user_id, FLOW, "proof", {"callin": callin.id})
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, prompt)])


async def receive_proof(update: Update, ctx: GridContext, draft: Draft) -> None:
    """A photo (its caption the note) or a typed note: the party's part is done."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    photo: str | None = None
    if offers_photo(message):
        photo = await photo_in(ctx, me, message)
        if photo is None:  # an image file that could not be used; already said why
            return
        note = (message.caption or "").strip() or None
    elif message.text is not None and message.text.strip():
        note = message.text.strip()
    else:
        await say(ctx, me, "callin.proof_only")
        return
    if note is not None and len(note) > callins.NOTE_LIMIT:
        await say(ctx, me, "callin.too_long", limit=callins.NOTE_LIMIT, length=len(note))
        return
    outcome = await callins.finish(
        ctx.services,
        int(draft.data.get("callin", 0)),
        by=me.user_id,
        at=ctx.now(),
        note=note,
        photo=photo,
        attempted=action_of(update),
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome, end_flow=True)


VERBS = {"ack": acknowledge, "done": ask_proof}

STEPS = {(FLOW, "proof"): receive_proof}


def register(app: Application) -> None:
    app.add_handler(verb_presses("callin", VERBS))
