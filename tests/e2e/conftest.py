"""The fake Bot API server, in-process on a random port, for the e2e tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakebotapi import FakeBotApi


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api
