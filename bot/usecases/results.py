"""What a use case returns: Done with its value, or Refused with the catalog key that says why.

A use case never talks to the presser (no Update, no chat): the handler renders a Refused with
handlers/kit/reply.py `say(ctx, me, refused.key, **refused.params)`, or answers the press with
it. A refusal by a named rule (bot/domain/access.py) is recorded for /audit by `refuse`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from bot.domain.access import Rule
from bot.services import Services
from storage.refusals import Refusal

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """The use case did its work; VALUE is what it made or changed."""

    value: T


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing changed; KEY (a catalog key) with PARAMS says why. RULE: the named rule that
    refused, if one did (recorded for /audit)."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    rule: Rule | None = None


Outcome = Done[T] | Refused


async def refuse(
    services: Services,
    who: int,
    rule: Rule,
    target: str | None,
    action: str,
    *,
    at: datetime,
    key: str = "common.not_allowed",
    **params: object,
) -> Refused:
    """Records that RULE refused WHO the ACTION ("noun:verb" or "/command") on TARGET (ids only:
    "wish:12") and returns the Refused to render.

    A failure to record is logged (ids only) and never fails the update: the refusal stands.
    """
    try:
        await services.store.refusals.record(Refusal(who, action, rule.value, target, at))
    except Exception:
        log.warning("could not record a refusal by rule %s", rule.value, exc_info=True)
    return Refused(key, dict(params), rule)
