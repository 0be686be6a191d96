"""The report features' flows: the 随手拍 conversation, verification, worker steps, extensions.

bot/app.py merges each feature's FLOWS into one table (handlers/kit/flows.py); a feature adds
its modules' STEPS, IDLE and PLACES here, never in bot/app.py."""

from __future__ import annotations

from handlers.kit.flows import Table
from handlers.reports import (
    checks,
    extension,
    reject_approval,
    relay,
    submit_flow,
    verify,
    worker_steps,
)

FLOWS = Table.merge(
    Table(steps=submit_flow.STEPS, idle=submit_flow.IDLE, places=submit_flow.PLACES),
    Table(steps=verify.STEPS),
    Table(steps=worker_steps.STEPS),
    Table(steps=extension.STEPS),
    Table(steps=reject_approval.STEPS),
    Table(steps=relay.STEPS),
    Table(steps=checks.STEPS),  # 核实 / 复查 notes
)
