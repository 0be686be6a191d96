"""bot/usecases/results.py: a refusal by a named rule is recorded and returned to be rendered."""

from __future__ import annotations

from bot.domain.access import Rule
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from tests.conftest import RESIDENT


async def refusal_rows(services: Services) -> list[tuple]:
    rows = await services.store.db.fetchall("SELECT user_id, action, rule, target FROM refusals")
    return [tuple(row) for row in rows]


async def test_refuse_records_the_rule_and_returns_what_to_say(services: Services):
    refused = await refuse(
        services, RESIDENT, Rule.WISH_CLAIM, "wish:12", "wish:claim", at=services.clock(), n=3
    )
    assert refused == Refused("common.not_allowed", {"n": 3}, Rule.WISH_CLAIM)
    assert await refusal_rows(services) == [(RESIDENT, "wish:claim", "wish_claim", "wish:12")]


async def test_a_refusal_that_cannot_be_recorded_still_stands(services: Services, monkeypatch):
    async def broken(refusal: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(services.store.refusals, "record", broken)
    refused = await refuse(
        services, RESIDENT, Rule.OWN_CHAT, None, "place:walk", at=services.clock(), key="x.y"
    )
    assert refused.key == "x.y" and refused.rule is Rule.OWN_CHAT


def test_done_carries_its_value():
    assert Done(5).value == 5
