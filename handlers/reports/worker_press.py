"""What every worker button and step shares: re-authorise (bot/usecases/reports.check), render a
use case's refusal, show cards, read a typed note."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, Update

from bot.context import GridContext
from bot.domain import reports as domain
from bot.domain.people import Person, Staff
from bot.domain.reports import Action, InvalidTransition, Report, Status
from bot.notices import buttons, outgoing
from bot.notices.buttons import Press
from bot.notices.reports import Cards, handlers_of, work_key
from bot.usecases import reports
from bot.usecases.results import Done, Refused
from handlers.kit.presses import answer, press_of
from handlers.kit.refusals import action_of
from handlers.kit.reply import say
from storage.drafts import Draft
from storage.outbox import Outgoing

NOTE_LIMIT = 500  # characters in a reason or note; a card must stay well under Telegram's 4096


@dataclass(frozen=True, slots=True)
class Pressed:
    """A worker-card button press, already authorised against the database."""

    me: Person
    staff: Staff
    report: Report
    verb: str
    args: tuple[str, ...]  # what follows the report id in the callback data


async def pressed(update: Update, ctx: GridContext, verbs: Collection[str]) -> Pressed | None:
    """Answers the press and returns it if the presser may act on the report; else says why."""
    found = await press_of(update, ctx, noun="report", verbs=verbs)
    if found is None:
        return None
    me, press, _ = found
    checked = await reports.check(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    if isinstance(checked, Refused):
        await tell(ctx, me, checked)
        return None
    return Pressed(me, checked.value.staff, checked.value.report, press.verb, press.args[1:])


async def report_pressed(
    update: Update,
    ctx: GridContext,
    noun: str,
    verbs: Collection[str],
    *,
    missing: str,
    answer_first: bool = True,
) -> tuple[Person, Press, Report] | None:
    """Returns the presser, the press and the report it names (its first argument) if the press
    fits (handlers/kit/presses.press_of); a report that is not there is answered with MISSING.
    Whether the presser may act on it is the caller's question."""
    found = await press_of(update, ctx, noun=noun, verbs=verbs, answer_first=answer_first)
    if found is None:
        return None
    me, press, _ = found
    report_id = press.int_arg(0)
    report = await ctx.reports.get(report_id) if report_id is not None else None
    if report is None:
        if answer_first:
            await say(ctx, me, missing)
        else:
            await answer(update, ctx.texts(missing, me.lang))
        return None
    return me, press, report


async def tell(ctx: GridContext, me: Person, refused: Refused, *, end_flow: bool = False) -> None:
    """Says why a report use case refused, in ME's language (a status is named in it)."""
    params: dict[str, Any] = dict(refused.params)
    status = params.get("status")
    if isinstance(status, Status):
        params["status"] = ctx.texts(f"status.{status.value}", me.lang)
    await say(ctx, me, refused.key, end_flow=end_flow, **params)


async def allowed(ctx: GridContext, press: Pressed, action: Action) -> bool:
    """Tells whether ACTION may be made on the report now; else tells the presser its status."""
    try:
        domain.check(press.report, action)
    except InvalidTransition:
        await tell(ctx, press.me, reports.invalid(press.report))
        return False
    return True


async def made(
    ctx: GridContext, me: Person, outcome: Done[Report] | Refused, *, end_flow: bool = False
) -> bool:
    """Renders a move's OUTCOME (the notices are queued already); tells whether it moved."""
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome, end_flow=end_flow)
        return False
    return True


async def card_for(
    ctx: GridContext,
    report: Report,
    me: Person,
    *,
    prompt: str | None = None,
    choices: list[list[InlineKeyboardButton]] | None = None,
) -> Outgoing:
    """Returns ME's worker card for REPORT; with CHOICES, the card shows them and a back button."""
    cards = await Cards.load(ctx.services)
    await cards.know_callins(report)
    reporter = await ctx.people.get(report.reporter_id) if report.reporter_id else None
    if (  # 核实 / 复查: the buttons are for whoever makes the check or the review
        choices is None
        and report.status.is_gated
        and me.user_id not in {s.user_id for s in await handlers_of(ctx.services, report)}
    ):
        text = cards.work_card_text(report, me.lang, reporter)
        return outgoing.card(me.user_id, work_key(report), text)
    if choices is None:
        return cards.work_card(report, me.user_id, me.lang, reporter)
    text = cards.work_card_text(report, me.lang, reporter)
    if prompt:
        text += "\n\n" + prompt
    back = buttons.button(ctx.texts("worker.back", me.lang), "report", "card", report.id, "back")
    markup = buttons.keyboard([*choices, [back]])
    return outgoing.card(me.user_id, work_key(report), text, markup=markup)


async def ask(
    ctx: GridContext,
    press: Pressed,
    flow: str,
    step: str,
    prompt: str,
    *,
    also: list[Outgoing] | None = None,
    **data: object,
) -> None:
    """Starts FLOW at STEP for the presser's report and sends PROMPT (and ALSO), in one commit."""
    draft = Draft(press.me.user_id, flow, step, {"report": press.report.id, **data})
    messages = [*(also or []), outgoing.message(press.me.user_id, prompt)]
    await ctx.drafts.put(draft, ctx.now(), messages)


def typed_text(update: Update) -> str | None:
    """Returns the stripped text of the message, or None if it is not text."""
    message = update.effective_message
    if message is None or message.text is None:
        return None
    return message.text.strip() or None


async def read_note(update: Update, ctx: GridContext, me: Person) -> str | None:
    """Returns the typed note if it is usable; else asks again (the step stays) and returns None."""
    note = typed_text(update)
    if note is None:
        await say(ctx, me, "worker.text_needed")
        return None
    if len(note) > NOTE_LIMIT:
        await say(ctx, me, "worker.too_long", limit=NOTE_LIMIT, length=len(note))
        return None
    return note
