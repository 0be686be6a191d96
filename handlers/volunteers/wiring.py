"""The volunteer features' handlers in one place, in order, and their flows (FLOWS, merged by
bot/app.py into the one flow table of handlers/kit/flows.py)."""

from __future__ import annotations

from telegram.ext import Application

from handlers.kit.flows import Table
from handlers.volunteers import activities, points, wish_claims, wishes
from handlers.volunteers import report_help as volunteer_invites
from handlers.volunteers import review as volunteer_staff
from handlers.volunteers import signup as volunteer


def register(app: Application) -> None:
    volunteer.register(app)  # /volunteer, volreg:…
    volunteer_staff.register(app)  # /volunteers, vol:ok|no, vols:…
    volunteer_invites.register(app)  # vfind:… (a worker's "find volunteers")
    wishes.register(app)  # /wish /wishes, wishnew:…, wish:ok|no
    wish_claims.register(app)  # wish:view|claim|release|done|confirm|redo|thank
    activities.register(app)  # /activity_new /activities, actnew:…, act:…
    points.register(app)  # /points


FLOWS = Table.merge(
    Table(steps=volunteer.STEPS, places=volunteer.PLACES),
    Table(steps=wishes.STEPS, places=wishes.PLACES),
    Table(steps=wish_claims.STEPS),
    Table(steps=activities.STEPS, places=activities.PLACES),
    Table(steps=volunteer_staff.STEPS, places=volunteer_staff.PLACES),
)
