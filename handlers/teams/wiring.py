"""1+1+1+N grid teams' handlers: /building and its bldg:… buttons, /teamreport (a conversation)
and /teamreports with their teamrep:… buttons."""

from __future__ import annotations

from telegram.ext import Application

from handlers.kit.flows import Table
from handlers.teams import building, monthly


def register(app: Application) -> None:
    building.register(app)
    monthly.register(app)


FLOWS = Table(steps=monthly.STEPS)
