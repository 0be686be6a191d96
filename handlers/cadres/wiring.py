"""下沉干部: the /cadres and /duty commands, the cadre:… buttons and the /cadres unit walk.

bot/app.py merges FLOWS into the one flow table and calls register among HANDLERS."""

from __future__ import annotations

from telegram.ext import Application

from handlers.cadres import duty, manage
from handlers.kit.flows import Table

FLOWS = Table(places=manage.PLACES)


def register(app: Application) -> None:
    manage.register(app)
    duty.register(app)
