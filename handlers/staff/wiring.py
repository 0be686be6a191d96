"""The staff features' flows: moving a person walks the unit picker (the rest of their buttons
carry their state).

bot/app.py merges each feature's FLOWS into one table (handlers/kit/flows.py); a feature adds
its modules' STEPS, IDLE and PLACES here, never in bot/app.py."""

from __future__ import annotations

from handlers.kit.flows import Table
from handlers.staff import manage

FLOWS = Table(places=manage.PLACES)
