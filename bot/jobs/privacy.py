"""The retention sweep (registered on bot/jobs/__init__.py's one periodic pass).

- retention: raw updates and sent message bodies after [privacy] raw_days, abandoned drafts
  after draft_days, closed reports' personal fields after case_years, visit notes after
  care_note_days, refused presses (/audit) after audit_days. Runs on every tick but each kind is
  one indexed look at its oldest due row, so a pass with nothing due costs six index probes;
  at most `batch` rows of each kind per pass.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.privacy import Retention, cutoffs
from bot.services import Services
from bot.settings import PrivacySettings


def policy(settings: PrivacySettings) -> Retention:
    """Returns the retention policy of the [privacy] settings."""
    return Retention(**settings.model_dump())


async def retention(services: Services, now: datetime) -> int:
    """Prunes one batch of each kind of expired personal data; returns how many rows."""
    done = await services.privacy.prune(now, cutoffs(policy(services.settings.privacy), now))
    return sum(done.values())
