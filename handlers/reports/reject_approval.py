"""退单 approval: where a rejection needs the tier above (bot/domain/duplicates.py), the holder's
reject becomes a request card to the deciders: rejreq:ok:<id>:<n> rejects the report;
rejreq:no:<id>:<n> asks the decider why (typed) and the holder keeps the report, told why.

Every step is a report event (ASK_REJECT, REJECT, DECLINE_REJECT); every press is re-checked
against the report as stored, so a forged, repeated or lapsed press changes nothing and says why.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.notices import outgoing
from bot.usecases import duplicates
from bot.usecases.results import Refused
from handlers.kit.flows import StepCallback, person_of
from handlers.kit.presses import press_of
from handlers.kit.refusals import action_of
from handlers.reports.worker_press import NOTE_LIMIT, read_note, tell
from storage.drafts import Draft

FLOW = "rejreq"
PATTERN = r"^rejreq:(ok|no):"


async def on_press(update: Update, ctx: GridContext) -> None:
    """Approve at once; decline asks why first (the request is re-checked when it comes)."""
    found = await press_of(update, ctx, noun="rejreq", verbs=("ok", "no"))
    if found is None:
        return
    me, press, _ = found
    report_id, request_id, now = press.int_arg(0), press.int_arg(1), ctx.now()
    if press.verb == "ok":
        outcome = await duplicates.decide_reject(
            ctx.services, report_id, request_id, by=me.user_id, at=now, approve=True,
            attempted=action_of(update),
        )  # fmt: skip
        if isinstance(outcome, Refused):
            await tell(ctx, me, outcome)
        return
    checked = await duplicates.reject_decider_check(
        ctx.services, report_id, request_id, by=me.user_id, at=now
    )
    if isinstance(checked, Refused):
        await tell(ctx, me, checked)
        return
    report = checked.value
    text = ctx.texts("merge.reject_ask_why", me.lang, number=report.number, limit=NOTE_LIMIT)
    draft = Draft(me.user_id, FLOW, "why", {"report": report.id, "request": request_id})
    await ctx.drafts.put(draft, now, [outgoing.message(me.user_id, text)])


async def receive_why(update: Update, ctx: GridContext, draft: Draft) -> None:
    """The decider's reason: declines the request (if it still waits); the holder is told why."""
    me = await person_of(update, ctx)
    why = await read_note(update, ctx, me)
    if why is None:
        return
    outcome = await duplicates.decide_reject(
        ctx.services,
        draft.data.get("report"),
        draft.data.get("request"),
        by=me.user_id,
        at=ctx.now(),
        approve=False,
        why=why,
        attempted=action_of(update),
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome, end_flow=True)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=PATTERN))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {(FLOW, "why"): receive_why}
