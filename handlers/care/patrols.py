"""Patrols (二巡查, 网格叮咚敲门, safety checks): /patrol logs a round; each finding can become a
report routed the usual way (handlers/reporting.submit), once."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain import patrols as domain
from bot.domain.patrols import Finding, Patrol, PatrolError, PatrolKind
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard
from bot.usecases.patrols import log_patrol, report_finding
from bot.usecases.results import Refused
from handlers.care.common import (
    PRIVATE,
    ask_kind,
    draft_at,
    kind_chosen,
    not_allowed,
    presses,
    skip_markup,
    unit_place,
)
from handlers.kit.flows import NOWHERE, Place, StepCallback, person_of, text_of
from handlers.kit.image_files import offers_photo, photo_in
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing
from storage.patrols import Patrols

FLOW = "patrol"


def patrols(ctx: GridContext) -> Patrols:
    return ctx.store.patrols


async def start_patrol(update: Update, ctx: GridContext) -> None:
    """/patrol: asks the kind of round, then the unit, a note, photos and findings. Care staff,
    and cadres sent down to a grid (下沉干部, whose rounds count toward their duties)."""
    await ask_kind(update, ctx, FLOW, PatrolKind, {"photos": []}, also=is_cadre)


async def sent_to(ctx: GridContext, user_id: int) -> list[str]:
    """Returns the grids USER_ID is sent down to as a cadre (bot/domain/cadres.py)."""
    return [a.unit for a in await ctx.store.cadres.active_of(user_id)]


async def is_cadre(ctx: GridContext, me: Person) -> bool:
    return await ctx.people.staff(me.user_id) is not None and bool(await sent_to(ctx, me.user_id))


async def patrol_reach(ctx: GridContext, me: Person, draft: Draft) -> str | None:
    """The walk's top, read on every press: care staff's own unit; for a cadre the grid they are
    sent down to (several: the lowest unit above them all)."""
    staff = await ctx.people.staff(me.user_id)
    if staff is not None and access.care_staff(staff) is None:
        return staff.unit
    grids = await sent_to(ctx, me.user_id) if staff is not None else []
    tree = await ctx.units.tree()
    grids = [g for g in grids if g in tree]
    if not grids:
        return NOWHERE
    for unit in tree.chain(grids[0]):
        if all(tree.is_within(g, unit.code) for g in grids):
            return unit.code
    return None  # grids in separate trees: the walk starts at the top


async def patrol_unit_done(
    ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
) -> None:
    """Goes on with the unit chosen if ME may patrol it (read again); else ends the flow."""
    staff = await ctx.people.staff(me.user_id)
    tree = await ctx.units.tree()
    refused = access.log_patrol(staff, code, tree, await sent_to(ctx, me.user_id))
    if refused is not None:
        await not_allowed(ctx, me, refused, f"unit:{code}", f"{draft.flow}:unit", end_flow=True)
        return
    draft.data["unit"] = code
    await unit_chosen(ctx, me, draft, messages)


async def receive_kind(ctx: GridContext, me: Person, press: Press) -> None:
    await kind_chosen(ctx, me, press, FLOW, PatrolKind)


async def unit_chosen(ctx: GridContext, me: Person, draft: Draft, done: list[Outgoing]) -> None:
    draft.step = "note"
    skip = skip_markup(ctx, me, FLOW)
    text = ctx.texts("patrol.ask_note", me.lang, limit=domain.MAX_NOTE)
    ask = outgoing.message(me.user_id, text, markup=skip)
    await ctx.drafts.put(draft, ctx.now(), [*done, ask])


async def receive_note(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the note on the round and asks for photos."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    try:
        note = domain.check_note(text_of(message) or "")
    except PatrolError as error:
        await say(ctx, me, error.key, limit=domain.MAX_NOTE)
        return
    if not note:
        await say(ctx, me, "patrol.note_text_only")
        return
    await ask_photos(ctx, me, draft, note)


async def skip_note(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "note")
    if draft is not None:
        await ask_photos(ctx, me, draft, "")


def photos_done_button(ctx: GridContext, me: Person) -> dict:
    return keyboard([[button(ctx.texts("patrol.button_photos_done", me.lang), FLOW, "photos")]])


async def ask_photos(ctx: GridContext, me: Person, draft: Draft, note: str) -> None:
    draft.data["note"], draft.step = note, "photos"
    text = ctx.texts("patrol.ask_photos", me.lang, limit=domain.MAX_PHOTOS)
    markup = photos_done_button(ctx, me)
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, text, markup=markup)])


async def receive_photo(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Collects up to five photos of the round (each photo of an album arrives on its own)."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    markup = photos_done_button(ctx, me)
    if not offers_photo(message):
        await say(ctx, me, "patrol.photo_needed", markup=markup)
        return
    photos = list(draft.data.get("photos", []))
    if len(photos) >= domain.MAX_PHOTOS:
        await say(ctx, me, "patrol.too_many_photos", limit=domain.MAX_PHOTOS, markup=markup)
        return
    photo = await photo_in(ctx, me, message)
    if photo is None:  # an image file that could not be used; already said why
        return
    photos.append(photo)
    draft.data["photos"] = photos
    text = ctx.texts("patrol.photo_added", me.lang, count=len(photos), limit=domain.MAX_PHOTOS)
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, text, markup=markup)])


def done_button(ctx: GridContext, me: Person) -> dict:
    return keyboard([[button(ctx.texts("patrol.button_done", me.lang), FLOW, "done")]])


async def photos_done(ctx: GridContext, me: Person, press: Press) -> None:
    draft = await draft_at(ctx, me, FLOW, "photos")
    if draft is None:
        return
    draft.step, draft.data["findings"] = "findings", []
    text = ctx.texts("patrol.ask_findings", me.lang, limit=domain.MAX_FINDINGS)
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=done_button(ctx, me))]
    )


async def receive_finding(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Notes one finding per message until the worker presses Done."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    markup = done_button(ctx, me)
    findings = list(draft.data.get("findings", []))
    if len(findings) >= domain.MAX_FINDINGS:
        await say(ctx, me, "patrol.too_many_findings", limit=domain.MAX_FINDINGS, markup=markup)
        return
    try:
        finding = domain.check_finding(text_of(message) or "")
    except PatrolError as error:
        low, high = domain.MIN_FINDING, domain.MAX_FINDING
        await say(ctx, me, error.key, markup=markup, low=low, high=high)
        return
    findings.append(finding)
    draft.data["findings"] = findings
    text = ctx.texts("patrol.finding_added", me.lang, count=len(findings))
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, text, markup=markup)])


async def save_patrol(ctx: GridContext, me: Person, press: Press) -> None:
    """Re-authorises and stores the round; the summary offers a report per finding."""
    draft = await draft_at(ctx, me, FLOW, "findings")
    if draft is None:
        return
    data = draft.data
    result = await log_patrol(
        ctx.services,
        by=me,
        unit=data["unit"],
        kind=PatrolKind(data["kind"]),
        note=data.get("note", ""),
        photos=data.get("photos", []),
        findings=data.get("findings", []),
        at=ctx.now(),
    )
    if isinstance(result, Refused):
        await say_refused(ctx, me, result, end_flow=True)


async def finding_of(ctx: GridContext, me: Person, press: Press) -> tuple[Patrol, Finding] | None:
    """Returns the finding the press names if ME may report it and nobody has; else says why."""
    finding_id = press.int_arg(0)
    patrol = await patrols(ctx).patrol_of_finding(finding_id) if finding_id is not None else None
    finding = next((f for f in patrol.findings if f.id == finding_id), None) if patrol else None
    staff = await ctx.people.staff(me.user_id)
    if patrol is None or finding is None:
        await say(ctx, me, "common.not_allowed")
        return None
    if (refused := access.report_finding(staff, patrol, await ctx.units.tree())) is not None:
        target, action = f"patrol:{patrol.id}", f"{press.noun}:{press.verb}"
        await not_allowed(ctx, me, refused, target, action)
        return None
    if finding.report_id is not None:
        await say(ctx, me, "patrol.already_reported", number=f"R{finding.report_id:06d}")
        return None
    return patrol, finding


async def choose_category(ctx: GridContext, me: Person, press: Press) -> None:
    found = await finding_of(ctx, me, press)
    if found is None:
        return
    _, finding = found
    rows = [
        [button(c.name(me.lang), FLOW, "cat", finding.id, c.code)]
        for c in await ctx.units.categories()
    ]
    text = ctx.texts("patrol.ask_category", me.lang, n=finding.position + 1, text=finding.text)
    await ctx.outbox.send([outgoing.message(me.user_id, text, markup=keyboard(rows))], ctx.now())


async def open_report(ctx: GridContext, me: Person, press: Press) -> None:
    """Opens a report from the finding, routed like any other; the finding is linked once."""
    found = await finding_of(ctx, me, press)
    if found is None:
        return
    patrol, finding = found
    category = await ctx.units.category(press.args[1]) if len(press.args) > 1 else None
    if category is None:
        await say(ctx, me, "common.stale_button")
        return
    result = await report_finding(ctx.services, patrol, finding, by=me, category=category.code)
    if isinstance(result, Refused):
        await say_refused(ctx, me, result)


VERBS = {
    "kind": receive_kind,
    "skip": skip_note,
    "photos": photos_done,
    "done": save_patrol,
    "find": choose_category,
    "cat": open_report,
}


def register(app: Application) -> None:
    app.add_handler(CommandHandler("patrol", start_patrol, filters=PRIVATE))
    app.add_handler(presses(FLOW, VERBS))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "note"): receive_note,
    (FLOW, "photos"): receive_photo,
    (FLOW, "findings"): receive_finding,
}

# flow → how it asks for its unit (handlers/kit/picker.py) and what it does with it
PLACES: dict[str, Place] = {
    FLOW: replace(
        unit_place(access.log_patrol, unit_chosen), done=patrol_unit_done, reach=patrol_reach
    )
}
