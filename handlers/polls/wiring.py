"""The polls feature's flows (bot/app.py merges them into one table)."""

from __future__ import annotations

from handlers.kit.flows import Table
from handlers.polls import create

FLOWS = Table(steps=create.STEPS, places=create.PLACES)
