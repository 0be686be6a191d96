"""双报告's handlers: /dualreport and its dualrep:… page buttons (no conversation steps)."""

from __future__ import annotations

from telegram.ext import Application

from handlers.dualreport import preview


def register(app: Application) -> None:
    preview.register(app)  # /dualreport, dualrep:page:…
