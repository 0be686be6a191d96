"""tests/storage runs every test on both backends: a real SQLite file and a real PostgreSQL
database (tests/pgserver.py). A test about SQLite's file alone is marked `sqlite_only` and is
not collected for PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    param: str = request.param
    return param


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dropped = [
        item
        for item in items
        if item.get_closest_marker("sqlite_only") is not None
        and getattr(getattr(item, "callspec", None), "params", {}).get("backend") == "postgresql"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        kept = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in kept]
