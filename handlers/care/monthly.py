"""/monthly [YYYY-MM]: a unit's month for its staff — reports, 五必访 visits, patrols per worker."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain import care as domain
from bot.domain.care import HouseholdKind, Outcome
from bot.domain.patrols import PatrolKind
from bot.texts import Raw
from handlers.care.common import PRIVATE, care_staff, scope_of, store
from handlers.kit.flows import person_of
from handlers.kit.reply import say


async def show_month(update: Update, ctx: GridContext) -> None:
    """Shows the figures of the staff member's unit and below for the month asked (or this one)."""
    me = await person_of(update, ctx)
    staff = await care_staff(ctx, me, "/monthly")
    if staff is None:
        return
    tz = ctx.services.tz
    if ctx.args:
        month = domain.parse_month(ctx.args[0])
        if month is None:
            await say(ctx, me, "monthly.bad_month")
            return
    else:
        local = ctx.now().astimezone(tz)
        month = (local.year, local.month)
    start, end = domain.month_bounds(*month, tz)
    tree = await ctx.units.tree()
    units = scope_of(staff, tree)
    new, closed = await ctx.store.figures.counts(units, start, end)
    await say(
        ctx,
        me,
        "monthly.figures",
        place=tree.place_name(staff.unit),
        month=f"{month[0]:04d}-{month[1]:02d}",
        new=new,
        closed=closed,
        visits=Raw(await visit_lines(ctx, me.lang, units, start, end)),
        patrols=Raw(await patrol_lines(ctx, me.lang, units, start, end)),
    )


async def visit_lines(ctx: GridContext, lang: str, units: list[str], start, end) -> str:
    done = await store(ctx).visit_counts(units, start, end)
    missed = await store(ctx).miss_counts(units, start, end)
    lines = []
    for kind in HouseholdKind:
        visits = sum(n for (k, _), n in done.items() if k == kind.value)
        met = done.get((kind.value, Outcome.MET.value), 0)
        if visits or missed.get(kind.value):
            lines.append(
                ctx.texts(
                    "monthly.visit_line",
                    lang,
                    kind=ctx.texts(f"care.kind_{kind.value}", lang),
                    done=visits,
                    met=met,
                    missed=missed.get(kind.value, 0),
                )
            )
    return "\n".join(lines) or ctx.texts("monthly.nothing", lang)


async def patrol_lines(ctx: GridContext, lang: str, units: list[str], start, end) -> str:
    counts = await ctx.store.patrols.counts(units, start, end)
    by_worker: dict[int, dict[str, int]] = {}
    for worker_id, kind, n in counts:
        by_worker.setdefault(worker_id, {})[kind] = n
    lines = []
    for worker_id, kinds in sorted(by_worker.items(), key=lambda item: -sum(item[1].values())):
        # Staff who left since still count, under their name.
        staff = await ctx.people.staff(worker_id) or await ctx.people.former(worker_id)
        detail = ctx.texts("monthly.separator", lang).join(
            f"{ctx.texts(f'patrol.kind_{k.value}', lang)} {kinds[k.value]}"
            for k in PatrolKind
            if k.value in kinds
        )
        lines.append(
            ctx.texts(
                "monthly.patrol_line",
                lang,
                name=staff.name if staff else str(worker_id),
                total=sum(kinds.values()),
                detail=detail,
            )
        )
    return "\n".join(lines) or ctx.texts("monthly.nothing", lang)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("monthly", show_month, filters=PRIVATE))
