"""The broadcasts feature's flows (bot/app.py merges them into one table)."""

from __future__ import annotations

from handlers.broadcasts import compose
from handlers.kit.flows import Table

FLOWS = Table(steps=compose.STEPS, places=compose.PLACES)
