"""The residents' flows: place, phone, household erasure.

bot/app.py merges each feature's FLOWS into one table (handlers/kit/flows.py); a feature adds
its modules' STEPS, IDLE and PLACES here, never in bot/app.py."""

from __future__ import annotations

from handlers.kit.flows import Table
from handlers.residents import place, privacy, profile

FLOWS = Table.merge(
    Table(steps=place.STEPS, places=place.PLACES),
    Table(steps=profile.STEPS),
    Table(steps=privacy.STEPS),
)
