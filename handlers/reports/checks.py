"""核实 and 复查 buttons on the check and review cards (bot/notices/checks.py).

check:ok:<id> confirms a new report on site (it is dispatched); check:no:<id> asks why it is not
a problem (typed), then closes it. review:ok:<id> passes a resolved report's review (the reporter
is asked to verify); review:no:<id> asks for the review note (typed), then sends it back to its
holder. Every press and the typed note are re-authorised by bot/usecases/checks.py: a forged,
repeated or lapsed press changes nothing and says why.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain.reports import Status
from bot.notices import outgoing
from bot.usecases import checks
from bot.usecases.results import Refused
from handlers.kit.flows import StepCallback, person_of
from handlers.kit.presses import press_of
from handlers.kit.refusals import action_of
from handlers.reports.worker_press import made, read_note, tell
from storage.drafts import Draft

PATTERN = r"^(check|review):(ok|no):"
WAITS = {"check": Status.CHECKING, "review": Status.REVIEWING}
NOTE_PROMPTS = {"check": "verify.ask_dismiss_note", "review": "verify.ask_fail_note"}


async def on_press(update: Update, ctx: GridContext) -> None:
    """(check|review):(ok|no):<report id> — answered first, then re-authorised."""
    query = update.callback_query
    noun = (query.data or "").split(":", 1)[0] if query else ""
    if noun not in WAITS:
        return
    found = await press_of(update, ctx, noun=noun, verbs=("ok", "no"))
    if found is None:
        return
    me, press, _ = found
    report_id, at = press.int_arg(0), ctx.now()
    if press.verb == "ok":
        move = checks.confirm_check if noun == "check" else checks.pass_review
        await made(ctx, me, await move(ctx.services, report_id, by=me.user_id, at=at))
        return
    allowed = await checks.may_act(
        ctx.services, report_id, by=me.user_id, at=at, status=WAITS[noun]
    )
    if isinstance(allowed, Refused):
        await tell(ctx, me, allowed)
        return
    report = allowed.value
    prompt = ctx.texts(NOTE_PROMPTS[noun], me.lang, number=report.number)
    draft = Draft(me.user_id, noun, "note", {"report": report.id})
    await ctx.drafts.put(draft, at, [outgoing.message(me.user_id, prompt)])


async def receive_note(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the typed note (asked again if unusable) and makes the dismissal or the failed
    review; the flow ends either way once the move is made or refused."""
    me = await person_of(update, ctx)
    note = await read_note(update, ctx, me)
    if note is None:
        return
    move = checks.dismiss_check if draft.flow == "check" else checks.fail_review
    outcome = await move(
        ctx.services,
        int(draft.data.get("report", 0)),
        by=me.user_id,
        at=ctx.now(),
        note=note,
        attempted=action_of(update),
    )
    await made(ctx, me, outcome, end_flow=True)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=PATTERN))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    ("check", "note"): receive_note,
    ("review", "note"): receive_note,
}
