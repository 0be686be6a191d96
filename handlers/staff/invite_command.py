"""/invite ROLE UNIT [NAME]: a single-use staff invite link made in chat, as `griddesk invite` does.

Admins may invite any role anywhere; street and district staff invite roles below their own to
units below their own. Both checks are named rules (bot/domain/access.py: staff_manage,
staff_place): anyone else is refused politely and the refusal is recorded for /audit.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.people import Role
from bot.domain.staffing import ROLE_LEVELS, example_unit, fits_level, roles_for
from bot.importer import ROLE_NAMES
from bot.usecases.staff import create_link
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.refusals import deny
from handlers.kit.reply import say
from handlers.staff.manage import manager, place, role_name

log = logging.getLogger(__name__)

TTL = timedelta(hours=72)  # as `griddesk invite` by default


def parse_role(text: str) -> Role | None:
    """Returns the role named by TEXT: its code (grid_worker) or its Chinese name (网格员)."""
    text = text.strip()
    if text.lower() in Role.__members__.values():
        return Role(text.lower())
    return ROLE_NAMES.get(text)


async def invite_command(update: Update, ctx: GridContext) -> None:
    """Replies with a new invite link, or says what is wrong with the request."""
    me = await person_of(update, ctx)
    actor = await manager(update, ctx, me)
    if actor is None:
        return
    args = list(ctx.args or [])
    # The code and the name in the reader's language: either may be typed.
    roles = ", ".join(f"{r.value} ({role_name(ctx, r, me.lang)})" for r in roles_for(actor))
    role = parse_role(args[0]) if args else None
    tree = await ctx.units.tree()
    if len(args) < 2 or role is None:
        # The example names a unit of this office that the manager may really invite to.
        offered = roles_for(actor)
        example_role = Role.GRID_WORKER if Role.GRID_WORKER in offered else offered[0]
        example = example_unit(actor, example_role, tree) or actor.unit
        await say(ctx, me, "staff.invite_usage", roles=roles, role=example_role.value, unit=example)
        return
    unit, name = args[1], " ".join(args[2:])[:64]
    if unit not in tree:
        await say(ctx, me, "staff.invite_unknown_unit", unit=unit)
        return
    if not fits_level(role, unit, tree):  # 楼栋长 on a building, 单元长 on an entrance
        level = ctx.texts(f"teams.level_{ROLE_LEVELS[role]}", me.lang)
        await say(ctx, me, "teams.wrong_level", role=role_name(ctx, role, me.lang), level=level)
        return
    if refused := access.place_staff(actor, role, unit, tree):
        await deny(
            update, ctx, me, refused, f"unit:{unit}", "staff.invite_not_allowed", roles=roles
        )
        return
    username = ctx.services.settings.telegram.bot_username or ctx.bot.username
    link, expires = await create_link(
        ctx.services, role, unit, name=name, ttl=TTL, username=username
    )
    log.info("invite created in chat: %s at %s", role.value, unit)
    await say(
        ctx,
        me,
        "staff.invite_created",
        link=link,
        role=role_name(ctx, role, me.lang),
        unit=place(tree, unit),
        until=f"{expires.astimezone(ctx.services.tz):%Y-%m-%d %H:%M}",
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite_command, filters=NEW_PRIVATE))
