"""The retention sweep (registered on bot/jobs.py's one periodic pass).

- retention: raw updates and sent message bodies after [privacy] raw_days, abandoned drafts
  after draft_days, closed reports' personal fields after case_years, visit notes after
  care_note_days. Runs on every tick but each kind is one indexed look at its oldest due row, so
  a pass with nothing due costs five index probes; at most `batch` rows of each kind per pass.
"""

from __future__ import annotations

from datetime import datetime

from bot.jobs import sweep
from bot.services import Services
from bot.settings import PrivacySettings
from storage.privacy import Policy

DAYS_PER_YEAR = 365


def policy(settings: PrivacySettings) -> Policy:
    """Returns the retention policy of the [privacy] settings, in days."""
    return Policy(
        raw_days=settings.raw_days,
        draft_days=settings.draft_days,
        case_days=settings.case_years * DAYS_PER_YEAR,
        care_note_days=settings.care_note_days,
        batch=settings.batch,
    )


@sweep("retention")
async def retention(services: Services, now: datetime) -> int:
    """Prunes one batch of each kind of expired personal data; returns how many rows."""
    done = await services.privacy.prune(now, policy(services.settings.privacy))
    return sum(done.values())
