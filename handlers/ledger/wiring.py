"""The ledger's handlers: /export, its period buttons, the typed period step and the unit picker's
outcome."""

from __future__ import annotations

from telegram.ext import Application

from handlers.kit.flows import Table
from handlers.ledger import export

FLOWS = Table(steps=export.STEPS, places=export.PLACES)


def register(app: Application) -> None:
    export.register(app)
