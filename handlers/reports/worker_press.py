"""What every worker button and step shares: re-authorise, make a move, say why not, show cards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, Update

from bot.context import GridContext
from bot.domain import access
from bot.domain import reports as domain
from bot.domain.people import Person, Staff
from bot.domain.reports import Action, InvalidTransition, Report, ReportEvent
from bot.notices import buttons, outgoing
from bot.notices.reports import Cards, work_key
from bot.usecases.reports import save_move
from handlers.kit.flows import person_of
from handlers.kit.presses import answer
from handlers.kit.refusals import action_of, record
from handlers.kit.reply import say
from storage.drafts import Draft
from storage.outbox import Outgoing
from storage.reports import StaleReport

NOTE_LIMIT = 500  # characters in a reason or note; a card must stay well under Telegram's 4096

Move = Callable[[Report], tuple[Report, ReportEvent]]
StaffMove = Callable[[Report, Staff], tuple[Report, ReportEvent]]


class Refused(Exception):
    """A move that cannot be made for a reason the presser is told (a catalog KEY)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Pressed:
    """A worker-card button press, already authorised against the database."""

    me: Person
    staff: Staff
    report: Report
    verb: str
    args: tuple[str, ...]  # what follows the report id in the callback data


async def pressed(update: Update, ctx: GridContext) -> Pressed | None:
    """Answers the press and returns it if the presser may act on the report; else says why."""
    query = update.callback_query
    assert query is not None
    await answer(update)
    me = await person_of(update, ctx)
    press = buttons.parse(query.data)
    report_id = press.int_arg(0) if press else None
    report = await ctx.reports.get(report_id) if report_id is not None else None
    if press is None or report is None:
        await say(ctx, me, "worker.forged")
        return None
    staff = await authorised(update, ctx, me, report)
    if staff is None:
        return None
    return Pressed(me, staff, report, press.verb, press.args[1:])


async def authorised(
    update: Update, ctx: GridContext, me: Person, report: Report, *, end_flow: bool = False
) -> Staff | None:
    """Returns ME's staff record if they may act on REPORT now (access.handle_report); else
    says why, records the refusal and returns None."""
    staff = await ctx.people.staff(me.user_id)
    refused = access.handle_report(staff, report, await ctx.units.tree())
    if refused is None:
        return staff
    await record(ctx, me.user_id, refused, f"report:{report.id}", action_of(update))
    had_card = staff is not None and me.user_id in await ctx.outbox.card_chats(work_key(report))
    key = "worker.moved_on" if had_card else "worker.not_allowed"
    await say(ctx, me, key, end_flow=end_flow, number=report.number)
    return None


async def allowed(ctx: GridContext, press: Pressed, action: Action) -> bool:
    """Tells whether ACTION may be made on the report now; else tells the presser its status."""
    try:
        domain.check(press.report, action)
    except InvalidTransition:
        await say_status(ctx, press.me, press.report)
        return False
    return True


async def say_status(
    ctx: GridContext, me: Person, report: Report, *, end_flow: bool = False
) -> None:
    status = ctx.texts(f"status.{report.status.value}", me.lang)
    await say(ctx, me, "worker.invalid", end_flow=end_flow, number=report.number, status=status)


async def make_move(
    ctx: GridContext, me: Person, report: Report, move: Move, *, end_flow: bool = False
) -> Report | None:
    """Makes MOVE and stores it with every notice (compare-and-set); else says why not."""
    try:
        after, event = move(report)
        return await save_move(
            ctx.services, report, after, event, clear_draft_of=me.user_id if end_flow else None
        )
    except InvalidTransition:
        await say_status(ctx, me, report, end_flow=end_flow)
    except StaleReport:
        await say(ctx, me, "worker.stale", end_flow=end_flow, number=report.number)
    except Refused as refused:
        await say(ctx, me, refused.key, end_flow=end_flow, number=report.number)
    return None


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
    reporter = await ctx.people.get(report.reporter_id) if report.reporter_id else None
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


async def finish(update: Update, ctx: GridContext, draft: Draft, move: StaffMove) -> bool:
    """Ends the DRAFT's flow with MOVE on its report, re-authorised now; tells whether it moved."""
    me = await person_of(update, ctx)
    report = await ctx.reports.get(int(draft.data.get("report", 0)))
    if report is None:
        await say(ctx, me, "worker.forged", end_flow=True)
        return False
    staff = await authorised(update, ctx, me, report, end_flow=True)
    if staff is None:
        return False
    moved = await make_move(ctx, me, report, lambda r: move(r, staff), end_flow=True)
    return moved is not None
