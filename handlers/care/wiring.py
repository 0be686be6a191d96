"""The care features' flows: households, visits, patrols.

bot/app.py merges each feature's FLOWS into one table (handlers/kit/flows.py); a feature adds
its modules' STEPS, IDLE and PLACES here, never in bot/app.py."""

from __future__ import annotations

from handlers.care import households, patrols, visits
from handlers.kit.flows import Table

FLOWS = Table.merge(
    Table(steps=households.STEPS, places=households.PLACES),
    Table(steps=visits.STEPS),
    Table(steps=patrols.STEPS, places=patrols.PLACES),
)
