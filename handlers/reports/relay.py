"""Anonymous reports in chat (bot/usecases/relay.py): 💬 ask the resident on the worker card
(report:ask:<id>, re-authorised like every worker button) asks for the question; ↩️ reply under a
relayed question (report:reply:<id>, only the anonymous reporter) asks for the answer. Each is
typed in a flow of its own and passed on in one commit; a forged or old press changes nothing."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain.reports import RELAY_LIMIT
from bot.notices import outgoing
from bot.usecases import relay
from bot.usecases.results import Refused
from handlers.kit.flows import StepCallback, person_of
from handlers.kit.presses import answer
from handlers.kit.refusals import action_of
from handlers.kit.reply import say
from handlers.reports.worker_press import Pressed, ask, read_note, report_pressed, tell, typed_text
from storage.drafts import Draft

FLOW = "relay"
PATTERN = r"^report:reply:"


async def start_ask(ctx: GridContext, press: Pressed) -> None:
    """💬 on an anonymous report's worker card: asks for the question."""
    if not press.report.anonymous:
        await say(ctx, press.me, "anonymous.not_anonymous", number=press.report.number)
        return
    prompt = ctx.texts("anonymous.ask_prompt", press.me.lang, limit=RELAY_LIMIT)
    await ask(ctx, press, FLOW, "ask", prompt)


async def receive_question(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    text = await read_note(update, ctx, me)
    if text is None:
        return
    outcome = await relay.ask_reporter(
        ctx.services,
        draft.data.get("report"),
        by=me.user_id,
        at=ctx.now(),
        text=text,
        attempted=action_of(update),
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome, end_flow=True)


async def on_reply(update: Update, ctx: GridContext) -> None:
    """↩️ under a relayed question: only the anonymous reporter, only while the case is open."""
    found = await report_pressed(
        update, ctx, "report", ("reply",), missing="anonymous.gone", answer_first=False
    )
    if found is None:
        return
    me, _, report = found
    checked = await relay.reply_check(
        ctx.services, report.id, by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    await answer(update, None)
    if isinstance(checked, Refused):
        await tell(ctx, me, checked)
        return
    prompt = ctx.texts("anonymous.reply_prompt", me.lang, number=report.number, limit=RELAY_LIMIT)
    draft = Draft(me.user_id, FLOW, "reply", {"report": report.id})
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, prompt)])


async def receive_reply(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    text = typed_text(update)
    if text is None:
        await say(ctx, me, "anonymous.text_needed")
        return
    if len(text) > RELAY_LIMIT:
        await say(ctx, me, "anonymous.too_long", limit=RELAY_LIMIT, length=len(text))
        return
    outcome = await relay.reply_to_holder(
        ctx.services,
        draft.data.get("report"),
        by=me.user_id,
        at=ctx.now(),
        text=text,
        attempted=action_of(update),
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome, end_flow=True)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_reply, pattern=PATTERN))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "ask"): receive_question,
    (FLOW, "reply"): receive_reply,
}
