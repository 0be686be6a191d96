"""码上安全 merchant self-checks: the handlers in order and the flows (FLOWS, merged by
bot/app.py into the one flow table of handlers/kit/flows.py)."""

from __future__ import annotations

from telegram.ext import Application

from handlers.kit.flows import Table
from handlers.merchants import check, staff
from handlers.merchants import register as registration


def register(app: Application) -> None:
    registration.register(app)  # /merchant, mreg:…
    check.register(app)  # mchk:… the owner's checklist
    staff.register(app)  # /merchants, merchs:…, merch:…


FLOWS = Table.merge(
    Table(steps=registration.STEPS, places=registration.PLACES),
    Table(steps=check.STEPS),
)
