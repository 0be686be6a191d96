"""The fake Bot API server, in-process on a random port, for the e2e tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Griddesk, drop_created
from tests.fakebotapi import FakeBotApi


@pytest.fixture(scope="session", autouse=True)
def created_databases() -> Iterator[None]:
    """Drops, at the end, the PostgreSQL databases the harness made (GRIDDESK_TEST_BACKEND)."""
    yield
    drop_created()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def griddesk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Griddesk]:
    """The real bot process (not started yet); its log is printed at teardown."""
    bot = Griddesk(fake, tmp_path)
    try:
        yield bot
    finally:
        await bot.close()
        print(f"----- griddesk log ({bot.log_path}) -----")
        print(bot.log_tail(200))
