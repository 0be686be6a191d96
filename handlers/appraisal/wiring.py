"""Appraisal's handlers: /appraisal only (no conversation steps, no buttons)."""

from __future__ import annotations

from telegram.ext import Application

from handlers.appraisal import monthly


def register(app: Application) -> None:
    monthly.register(app)
