"""并单 in the 随手拍 flow: once category and place are known, open reports of the same kind
close by are offered before the summary — "👍 me too" follows one instead of opening a new
report; "no, mine is new" goes on to the summary.

newreport:metoo:<nonce>:<report id> / newreport:new:<nonce> (the flow's nonce: an older prompt's
press is stale). Nothing of another resident is shown: number, category, place, status, age.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.context import GridContext
from bot.domain.people import Person
from bot.notices.buttons import button, keyboard
from bot.notices.reports import Cards
from bot.texts import Raw
from bot.usecases import duplicates
from bot.usecases.results import Refused
from handlers.reports.tasks import age
from handlers.reports.worker_press import tell
from storage.drafts import Draft
from storage.outbox import Outgoing

STEP = "dupes"


def wants_offer(data: dict) -> bool:
    """Tells whether the draft still has to be offered the open reports like it (a resident's
    own report, not a 代报 — its resident cannot follow anything in chat)."""
    return data.get("for") == "self" and not data.get("dupes_done")


async def find(ctx: GridContext, me: Person, draft: Draft) -> bool:
    """Looks for open reports like the draft's; keeps their ids in the draft (a press on any
    other is stale) and tells whether there are any. None found: the offer is done."""
    data = draft.data
    found = await duplicates.candidates(
        ctx.services,
        category=data["category"],
        unit=data["unit"],
        lat=data.get("lat"),
        lon=data.get("lon"),
        by=me.user_id,
    )
    data["offered"] = [c.report.id for c in found]
    data["metres"] = {
        str(c.report.id): round(c.distance_m) for c in found if c.distance_m is not None
    }
    if not found:
        data["dupes_done"] = True
    return bool(found)


async def offer(ctx: GridContext, me: Person, draft: Draft, n: str) -> tuple[str, dict | None]:
    """The prompt: each offered report in one line (no one's personal data) and its button."""
    cards, lang = await Cards.load(ctx.services), me.lang
    found = await ctx.reports.get_many(draft.data.get("offered") or [])
    metres = draft.data.get("metres") or {}
    lines, rows = [], []
    for report in found:
        away = metres.get(str(report.id))
        distance = ctx.texts("merge.distance", lang, metres=away) if away is not None else ""
        lines.append(
            ctx.texts(
                "merge.offer_line",
                lang,
                number=report.number,
                category=cards.category_name(report.category, lang),
                place=cards.place(report),
                status=cards.status_name(report, lang),
                created=age(ctx.now() - report.created_at, lang, ctx.texts),
                distance=Raw(distance),
            )
        )
        label = ctx.texts("merge.me_too", lang, number=report.number)
        rows.append([button(label, "newreport", "metoo", n, report.id)])
    rows.append([button(ctx.texts("merge.not_these", lang), "newreport", "new", n)])
    text = ctx.texts("merge.offer", lang, count=len(found), lines=Raw("\n".join(lines)))
    return text, keyboard(rows)


async def me_too(
    ctx: GridContext, me: Person, draft: Draft, arg: str, *, done: Sequence[Outgoing]
) -> None:
    """👍: the resident follows the report; the draft (and its photos) goes in the same commit.

    If it cannot be followed any more, says why and goes on to the summary of their own."""
    outcome = await duplicates.follow(
        ctx.services, int(arg), by=me.user_id, at=ctx.now(), extra=done
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome)
        await mine_is_new(ctx, me, draft, arg, done=done)


async def mine_is_new(
    ctx: GridContext, me: Person, draft: Draft, arg: str, *, done: Sequence[Outgoing]
) -> None:
    """No, mine is new: on to the summary."""
    from handlers.reports.submit_prompts import advance

    draft.data["dupes_done"] = True
    await ctx.drafts.put(draft, ctx.now(), [*done, *await advance(ctx, me, draft)])


VERBS: dict[str, Callable[..., Awaitable[None]]] = {"metoo": me_too, "new": mine_is_new}


def fits(draft: Draft, verb: str, arg: str) -> bool:
    """Tells whether a metoo press names one of the reports this prompt offered."""
    if verb != "metoo":
        return True
    return arg.isdigit() and int(arg) in (draft.data.get("offered") or [])
