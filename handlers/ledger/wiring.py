"""The ledger's handlers: /export, its period buttons and the typed period step."""

from __future__ import annotations

from telegram.ext import Application

from handlers.kit.flows import Table
from handlers.ledger import export

FLOWS = Table(steps=export.STEPS)


def register(app: Application) -> None:
    export.register(app)
