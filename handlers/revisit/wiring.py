"""The 回访 feature's handlers and flow: /revisits, revisit:… presses, the note step.

bot/app.py lists `register` in HANDLERS and merges FLOWS."""

from __future__ import annotations

from telegram.ext import Application

from handlers.kit.flows import Table
from handlers.revisit import calls

FLOWS = Table(steps=calls.STEPS)


def register(app: Application) -> None:
    """/revisits and revisit:(yes|no|skip|card|page) presses."""
    calls.register(app)
