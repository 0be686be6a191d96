"""Staff enrolment by single-use, expiring deep links (https://t.me/<bot>?start=<token>).

`griddesk invite` creates the token; pressing the link sends `/start <token>`, which lands here.
Someone who is already staff is not re-enrolled by a second link: the link stays unused (it was
probably meant for somebody else), and role changes go through the config or a staff CSV import,
so a forwarded link can never silently move or demote a working member of staff.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application

from bot.context import GridContext
from bot.domain.people import Person, Staff
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.texts import Raw
from bot.usecases.staff import refresh_menu
from handlers.kit.reply import say
from handlers.residents import profile as resident
from storage.outbox import Outgoing
from storage.people import InviteError

log = logging.getLogger(__name__)

# What Telegram allows in a start parameter; anything else cannot be one of our tokens.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def redeem(update: Update, ctx: GridContext, me: Person, token: str) -> None:
    """Binds ME as staff from TOKEN and greets them, or says why the link is refused."""
    if me.staff is not None:
        tree = await ctx.units.tree()
        role, unit = _where(ctx, tree, me.staff, me.lang)
        await say(ctx, me, "invite.already_staff", role=role, unit=unit)
        return
    if not TOKEN.fullmatch(token):
        await say(ctx, me, "invite.unknown")
        return
    tree = await ctx.units.tree()  # reloaded if units were imported since start-up

    def greeting(staff: Staff) -> Sequence[Outgoing]:
        role, unit = _where(ctx, tree, staff, me.lang)
        text = ctx.texts(
            "invite.welcome",
            me.lang,
            help=Raw(ctx.texts("common.help_staff", me.lang)),
            name=staff.name,
            role=role,
            unit=unit,
        )
        after = Person(me.user_id, staff.name, me.lang, me.unit, me.phone, staff)
        return [outgoing.message(me.user_id, text, markup=resident.main_keyboard(ctx, after))]

    try:
        staff = await ctx.people.redeem_invite(
            token, me.user_id, me.name, ctx.now(), compose=greeting
        )
    except InviteError as refused:
        await say(ctx, me, refused.key)
        return
    await refresh_menu(ctx.services, me.user_id, at=ctx.now())
    log.info("invite redeemed: %s at %s", staff.role.value, staff.unit)


def _where(ctx: GridContext, tree: UnitTree, staff: Staff, lang: str) -> tuple[str, str]:
    """Returns STAFF's role and unit, named in LANG."""
    unit = staff.unit
    if unit in tree:
        unit = tree.path_name(unit) or tree.get(unit).name
    return ctx.texts(f"invite.roles.{staff.role.value}", lang), unit


def register(app: Application) -> None:
    """Nothing to register: /start <token> reaches `redeem` through handlers/common.start."""
    return None
