"""The group features' flows (none: group chats have no conversations).

bot/app.py merges each feature's FLOWS into one table (handlers/kit/flows.py); a feature adds
its modules' STEPS, IDLE and PLACES here, never in bot/app.py."""

from __future__ import annotations

from handlers.kit.flows import Table

FLOWS = Table()
