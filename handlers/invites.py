"""Staff enrolment by single-use, expiring deep links (https://t.me/<bot>?start=<token>)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import GridContext
from bot.domain.people import Person


async def redeem(update: Update, ctx: GridContext, me: Person, token: str) -> None:
    raise NotImplementedError


def register(app: Application) -> None:
    return None
