"""The 公示 feature's flows: /grid's place walk and /contact's text step.

bot/app.py merges each feature's FLOWS into one table (handlers/kit/flows.py)."""

from __future__ import annotations

from handlers.contacts import grid, manage
from handlers.kit.flows import Table

FLOWS = Table.merge(
    Table(steps=grid.STEPS, places=grid.PLACES),
    Table(steps=manage.STEPS),
)
