"""Staff enrolment by single-use, expiring deep links (https://t.me/<bot>?start=<token>).

`griddesk invite` creates the token; pressing the link sends `/start <token>`, which lands here
and goes to bot/usecases/staff.py `redeem_invite`.
Someone who is already staff is not re-enrolled by a second link: the link stays unused (it was
probably meant for somebody else), and role changes go through the config or a staff CSV import,
so a forwarded link can never silently move or demote a working member of staff.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import GridContext
from bot.domain.people import Person
from bot.usecases.results import Refused
from bot.usecases.staff import redeem_invite
from handlers.kit.reply import say_refused


async def redeem(update: Update, ctx: GridContext, me: Person, token: str) -> None:
    """Binds ME as staff from TOKEN and greets them, or says why the link is refused."""
    done = await redeem_invite(
        ctx.services, token, by=me.user_id, name=me.name, lang=me.lang, at=ctx.now()
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)


def register(app: Application) -> None:
    """Nothing to register: /start <token> reaches `redeem` through handlers/common.start."""
    return None
