"""Button presses: answering one, and the one guard every press goes through first.

Clients can forge callback data and press buttons of old messages, so a press is re-checked
against the database: it must parse, name a known verb, fit where the presser's conversation
stands (the draft step, the prompt's nonce) and, for personal prompts, come from the presser's
own chat. Whether the object it names may be touched is the use case's answer, not the guard's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection, Mapping

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.people import Person
from bot.notices.buttons import Press, parse
from storage.db import after_commit
from storage.drafts import Draft

MAX_ANSWER = 190  # a callback answer shows at most 200 characters


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answers the button press, with TEXT as a short notice (ALERT: a dialog the user
    dismisses). The one direct Bot API call a handler makes: inside the poller's batch it is
    made after the batch commits (no network inside an open transaction); its errors are
    ignored: the press is handled all the same."""
    query = update.callback_query
    if query is None:
        return
    notice = text[:MAX_ANSWER] if text else None

    async def call() -> None:
        with contextlib.suppress(TelegramError):
            await query.answer(notice, show_alert=alert or None)

    await after_commit(call)


async def press_of(
    update: Update,
    ctx: GridContext,
    *,
    noun: str | None = None,
    verbs: Collection[str] | Mapping[str, Collection[str]] = (),
    flow: str | None = None,
    steps: Collection[str] = (),
    nonce: bool = False,
    own_chat: bool = False,
    answer_first: bool = True,
) -> tuple[Person, Press, Draft | None] | None:
    """Returns (presser, press, their draft) if the press fits; else answers why and returns None.

    NOUN: the press's noun must be it. VERBS: the known verbs; as a mapping verb → the draft
    steps it belongs to. FLOW / STEPS: the presser's draft must be in FLOW / at one of STEPS.
    NONCE: the press's first argument must be the nonce of the draft's current prompt
    (draft.data["n"]). OWN_CHAT: pressed in the presser's own private chat (a refusal is
    recorded). The draft is loaded only when one of FLOW, STEPS, NONCE or a verb mapping asks
    for it. With ANSWER_FIRST the press is answered (without a notice) before anything else;
    otherwise only a refused press is answered here and the caller answers the others.
    """
    # kit/flows, kit/refusals and kit/reply import this module (answer): imported here
    from handlers.kit.flows import person_of
    from handlers.kit.refusals import deny
    from handlers.kit.reply import say

    query = update.callback_query
    assert query is not None
    if answer_first:
        await answer(update)
    me = await person_of(update, ctx)
    press = parse(query.data)
    if own_chat:
        chat_id = query.message.chat.id if query.message is not None else None
        if (refused := access.own_chat(me.user_id, chat_id)) is not None:
            await deny(update, ctx, me, refused, None)
            return None
    fits = (
        press is not None
        and (noun is None or press.noun == noun)
        and (not verbs or press.verb in verbs)
    )
    draft: Draft | None = None
    needs_draft = flow is not None or bool(steps) or nonce or isinstance(verbs, Mapping)
    if fits and needs_draft:
        assert press is not None
        draft = await ctx.drafts.get(me.user_id)
        wanted = verbs.get(press.verb, ()) if isinstance(verbs, Mapping) else ()
        fits = (
            draft is not None
            and (flow is None or draft.flow == flow)
            and (not steps or draft.step in steps)
            and (not wanted or draft.step in wanted)
            and (not nonce or (bool(press.args) and draft.data.get("n") == press.args[0]))
        )
    if not fits or press is None:
        if answer_first:  # the press is answered already: say it in the chat
            await say(ctx, me, "common.stale_button")
        else:
            await answer(update, ctx.texts("common.stale_button", me.lang))
        return None
    return me, press, draft


# What a verb does with a press that passed the guard
PressVerb = Callable[[Update, GridContext, Person, Press], Awaitable[None]]


def verb_presses(noun: str, verbs: Mapping[str, PressVerb]) -> CallbackQueryHandler:
    """The handler of NOUN:<verb>:… presses for the verbs of VERBS: each press goes through
    press_of, then VERBS[verb] runs it (and re-authorises through its use case)."""

    async def on_press(update: Update, ctx: GridContext) -> None:
        found = await press_of(update, ctx, noun=noun, verbs=tuple(verbs))
        if found is None:
            return
        me, press, _ = found
        await verbs[press.verb](update, ctx, me, press)

    return CallbackQueryHandler(on_press, pattern=rf"^{noun}:({'|'.join(verbs)}):")
