"""The call-in feature's handlers and flows (吹哨报到): the holder's picker and the party's card.

bot/app.py lists `register` in HANDLERS and merges FLOWS."""

from __future__ import annotations

from telegram.ext import Application

from handlers.callins import party, picker
from handlers.kit.flows import Table

FLOWS = Table.merge(Table(steps=picker.STEPS), Table(steps=party.STEPS))


def register(app: Application) -> None:
    """/callin and callin:… presses (the holder's, then the party's)."""
    picker.register(app)
    party.register(app)
