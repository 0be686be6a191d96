"""The booking handlers in one place, in order, and their flows (FLOWS, merged by bot/app.py)."""

from __future__ import annotations

from telegram.ext import Application

from handlers.bookings import book, manage
from handlers.kit.flows import Table


def register(app: Application) -> None:
    book.register(app)  # /book, bknew:… (the resident's steps)
    manage.register(app)  # /bookings, book:… (staff decide, the booker cancels or accepts)


FLOWS = Table.merge(Table(steps=book.STEPS), Table(steps=manage.STEPS))
