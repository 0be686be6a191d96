"""Grid workers: the worker card's buttons, resolve / transfer / refer up / reject, /tasks, 代报."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:
    return None
