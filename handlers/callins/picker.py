"""吹哨 from the worker card (or `/callin R000123`): the holder picks parties (multi-select on
the card, kept in a draft), sends, calls 三方协同 in one press, or withdraws a party with a reason.

Every press is answered and parsed by press_of, then re-authorised by bot/usecases/callins.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import Press, button
from bot.notices.callin_lines import names
from bot.usecases import callins
from bot.usecases.callins import Choices
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, dispatch, person_of
from handlers.kit.presses import verb_presses
from handlers.kit.refusals import action_of
from handlers.kit.reply import say
from handlers.reports.worker_press import card_for, read_note, tell
from storage.drafts import Draft

FLOW = "callin"
PER_ROW = 2
NUMBER = re.compile(r"^[Rr]?0*(\d{1,9})$")


async def show_picker(
    ctx: GridContext, me: Person, found: Choices, chosen: list[str], *, anew: bool = False
) -> None:
    """Turns ME's card into the picker (parties to toggle, send, 三方协同, withdraw) and keeps
    the choice in ME's draft, in one commit."""
    report, t, lang = found.report, ctx.texts, me.lang
    parties = callins.parties_of(ctx.services)
    if not found.open and not found.live:
        await say(ctx, me, "callin.pick_none", number=report.number)
        return
    picks = [
        button(
            ("☑️ " if p.code in chosen else "") + p.name(lang), "callin", "tog", report.id, p.code
        )
        for p in found.open
    ]
    rows: list[list[InlineKeyboardButton]] = [
        picks[i : i + PER_ROW] for i in range(0, len(picks), PER_ROW)
    ]
    if found.tripartite:
        rows.append([button(t("callin.three_button", lang), "callin", "three", report.id)])
    if chosen:
        label = t("callin.send_button", lang, n=len(chosen))
        rows.append([button(label, "callin", "send", report.id)])
    for live in found.live:
        party = parties.get(live.party)
        label = t("callin.withdraw_button", lang, party=party.name(lang) if party else live.party)
        rows.append([button(label, "callin", "wd", live.id)])
    prompt = t("callin.pick", lang, number=report.number)
    if chosen:
        chosen_names = names(parties, chosen, lang, ctx.texts)
        prompt += "\n" + t("callin.pick_chosen", lang, parties=chosen_names)
    card = await card_for(ctx, report, me, prompt=prompt, choices=rows)
    draft = Draft(me.user_id, FLOW, "pick", {"report": report.id, "chosen": chosen})
    if anew:
        await ctx.drafts.put(draft, ctx.now())
        await ctx.outbox.send_anew([card], ctx.now())
    else:
        await ctx.drafts.put(draft, ctx.now(), [card])


async def pick(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """吹哨 on the worker card: the picker, nothing chosen yet."""
    found = await callins.choices(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    if isinstance(found, Refused):
        await tell(ctx, me, found)
        return
    await show_picker(ctx, me, found.value, [])


async def _picking(ctx: GridContext, me: Person, press: Press) -> list[str] | None:
    """Returns what ME has chosen so far if their picker is about the pressed report."""
    draft = await ctx.drafts.get(me.user_id)
    if draft is None or draft.flow != FLOW or draft.step != "pick":
        return None
    if draft.data.get("report") != press.int_arg(0):
        return None
    return list(draft.data.get("chosen", []))


async def toggle(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """A party's button: chosen ↔ not chosen, if it may still be called in."""
    chosen = await _picking(ctx, me, press)
    if chosen is None:
        await say(ctx, me, "common.stale_button")
        return
    found = await callins.choices(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    if isinstance(found, Refused):
        await tell(ctx, me, found)
        return
    code = press.args[1] if len(press.args) > 1 else ""
    if code not in {p.code for p in found.value.open}:
        await say(ctx, me, "common.stale_button")
        return
    chosen = [c for c in chosen if c != code] if code in chosen else [*chosen, code]
    await show_picker(ctx, me, found.value, chosen)


async def send(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """发送: calls the chosen parties in (the use case ends the picker's draft)."""
    chosen = await _picking(ctx, me, press)
    if chosen is None:
        await say(ctx, me, "common.stale_button")
        return
    outcome = await callins.call_in(
        ctx.services,
        press.int_arg(0),
        chosen,
        by=me.user_id,
        at=ctx.now(),
        attempted=action_of(update),
    )
    await _called(ctx, me, press, outcome)


async def three(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """三方协同: the unit's 物业, 居委会 and 业委会 together."""
    outcome = await callins.call_tripartite(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now()
    )
    await _called(ctx, me, press, outcome)


async def _called(ctx: GridContext, me: Person, press: Press, outcome: object) -> None:
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome)
        return
    report = await ctx.reports.get(press.int_arg(0) or 0)
    if report is not None:  # the presser's card back from the picker (a supervisor's too)
        await ctx.outbox.send([await card_for(ctx, report, me)], ctx.now())


async def ask_withdraw(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """撤回: asks the holder for the reason."""
    checked = await callins.check_withdraw(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    if isinstance(checked, Refused):
        await tell(ctx, me, checked)
        return
    callin, report = checked.value
    party = callins.parties_of(ctx.services).get(callin.party)
    prompt = ctx.texts(
        "callin.ask_reason",
        me.lang,
        party=party.name(me.lang) if party else callin.party,
        number=report.number,
    )
    draft = Draft(me.user_id, FLOW, "withdraw", {"callin": callin.id})
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, prompt)])


async def receive_reason(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the reason and withdraws the call-in."""
    me = await person_of(update, ctx)
    reason = await read_note(update, ctx, me)
    if reason is None:
        return
    outcome = await callins.withdraw(
        ctx.services,
        int(draft.data.get("callin", 0)),
        by=me.user_id,
        at=ctx.now(),
        reason=reason,
        attempted=action_of(update),
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome, end_flow=True)


async def receive_while_picking(update: Update, ctx: GridContext, draft: Draft) -> None:
    """A message while the picker is open: the picker is left, the message handled as usual."""
    await ctx.drafts.clear(draft.user_id, ctx.now())
    await dispatch(update, ctx)


async def command(update: Update, ctx: GridContext) -> None:
    """/callin R000123: the picker for that case, as a new card; /callin alone, for a party's
    member: the party's open call-in cards again."""
    me = await person_of(update, ctx)
    args = ctx.args or []
    if not args:  # a party's member: their cards again
        sent = await callins.my_cards(ctx.services, by=me.user_id, at=ctx.now())
        if isinstance(sent, Refused):
            await tell(ctx, me, sent)
        return
    match = NUMBER.match(args[0]) if len(args) == 1 else None
    if match is None:
        await say(ctx, me, "callin.command_usage")
        return
    if await ctx.reports.get(int(match.group(1))) is None:
        await say(ctx, me, "callin.no_such_case", number=args[0])
        return
    found = await callins.choices(
        ctx.services, int(match.group(1)), by=me.user_id, at=ctx.now(), attempted="/callin"
    )
    if isinstance(found, Refused):
        await tell(ctx, me, found)
        return
    await show_picker(ctx, me, found.value, [], anew=True)


VERBS = {"pick": pick, "tog": toggle, "send": send, "three": three, "wd": ask_withdraw}

STEPS = {
    (FLOW, "pick"): receive_while_picking,
    (FLOW, "withdraw"): receive_reason,
}


def register(app: Application) -> None:
    app.add_handler(CommandHandler("callin", command, filters=NEW_PRIVATE))
    app.add_handler(verb_presses("callin", VERBS))
