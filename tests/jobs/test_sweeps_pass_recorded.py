"""A full sweep pass on PostgreSQL is recorded in the database, where the /readyz of every
instance reads it (the followers sweep nothing themselves); one that a failure cut short is not.
On SQLite one process owns the file and nothing is written."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.jobs import run_sweeps
from bot.services import Services
from storage.faults import StorageFault
from tests.fakes import FakeClock


async def counted(services: Services, now: datetime) -> int:
    return 0


async def locked(services: Services, now: datetime) -> int:
    raise StorageFault("locked", "database is locked")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_full_pass_is_recorded_on_postgresql_only(
    services: Services, clock: FakeClock, backend: str
):
    web = services.store.web
    await run_sweeps(services, [("counted", counted)])
    recorded = await web.last_sweeps_pass()
    assert services.metrics.last_sweep == clock()
    assert recorded == (clock() if backend == "postgresql" else None)
    before = clock()
    clock.advance(seconds=60)
    await run_sweeps(services, [("counted", counted), ("locked", locked)])
    assert await web.last_sweeps_pass() == (before if backend == "postgresql" else None)
