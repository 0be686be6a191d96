"""The dependency direction of issue 8, checked on the source (ast), so a wrong import fails here.

handlers/*, bot/jobs/* → bot/usecases/* → bot/domain/* ← storage/*; bot/notices/* is called by
use cases and jobs; only bot/app.py (the wiring module) imports handlers; no aiosqlite, raw
connection, Database or `.db` attribute (services.db, store.db) outside storage/; nothing
registers itself at import time.

Today's remaining violations are listed below, one allow-list per step of issue 8 (R, C, V, G).
Each step deletes its own entries as it fixes them; an entry that no longer matches a violation
fails too, so the lists only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("bot", "handlers", "storage")

Violation = tuple[str, str]  # (path, what)

# Step R (reports).
ALLOWED_REPORTS: set[Violation] = set()

# Step C (care, patrols)
ALLOWED_CARE: set[Violation] = set()

# Step V (volunteers, wishes, activities, points)
ALLOWED_VOLUNTEERS: set[Violation] = set()

# Step G (residents, privacy, groups, summaries, staff)
ALLOWED_G: set[Violation] = set()

# Justified for good: none. bot/app.py and `griddesk summary` open the database through
# storage/uow.py open_store, the sender, poller and backup go through store methods
# (Store.load_file, Store.on_commit, …); an exception would be listed here with its reason.
ALLOWED_DB: set[Violation] = set()


def modules() -> Iterator[tuple[str, ast.Module]]:
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            yield rel, ast.parse(path.read_text(encoding="utf-8"), rel)


def imported(tree: ast.Module) -> Iterator[str]:
    """Every module TREE imports, at any depth (lazy imports inside functions count)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return "?"


def violations() -> set[Violation]:
    found: set[Violation] = set()
    for rel, tree in modules():
        names = set(imported(tree))
        in_storage = rel.startswith("storage/")
        only_wiring = rel.startswith("bot/") and rel != "bot/app.py"
        if only_wiring and any(under(n, "handlers") for n in names):
            found.add((rel, "imports handlers"))
        if rel.startswith("bot/domain/"):
            for n in names:
                if under(n, "telegram", "aiosqlite", "sqlite3", "storage", "handlers") or (
                    under(n, "bot") and not under(n, "bot.domain")
                ):
                    found.add((rel, f"domain imports {n.split('.')[0]}"))
        if in_storage and any(
            (under(n, "bot") and not under(n, "bot.domain")) or under(n, "handlers") for n in names
        ):
            found.add((rel, "storage imports bot or handlers"))
        if rel.startswith(("bot/usecases/", "bot/notices/")) and "bot.app" in names:
            found.add((rel, "imports bot.app"))
        if rel.startswith("handlers/") and any(under(n, "bot.jobs") for n in names):
            found.add((rel, "imports bot.jobs"))
        if not in_storage:
            if any(under(n, "aiosqlite") for n in names):
                found.add((rel, "imports aiosqlite"))
            if any(under(n, "storage.db.Database") for n in names):
                found.add((rel, "opens a Database"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute):
                    text = dotted(node)
                    if text.endswith("services.db"):
                        found.add((rel, "uses services.db"))
                    if text.endswith(".db.transaction"):
                        found.add((rel, "opens a raw transaction"))
                    # The database is the store's own (storage/uow.py Store.db): reaching it
                    # from bot/ or handlers/ (store.db, ctx.store.db.fetchall, …) is SQL by
                    # another door.
                    if node.attr == "db" or text.startswith("db.") or ".db." in text:
                        found.add((rel, "reaches the database (.db)"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    if dotted(decorator).split(".")[-1] in ("step", "idle", "sweep"):
                        found.add((rel, f"registers at import time (@{dotted(decorator)})"))
            # module-level registries filled by other modules (register.FINISH[flow] = …,
            # outbox.MIGRATION_HOOKS.append): bot/app.py passes these explicitly now
            if isinstance(node, ast.Subscript) and dotted(node.value).endswith("FINISH"):
                found.add((rel, "fills the global FINISH"))
            if isinstance(node, ast.Name) and node.id == "MIGRATION_HOOKS" and rel != "bot/app.py":
                found.add((rel, "uses the global MIGRATION_HOOKS"))
    return found


ALLOWED = ALLOWED_REPORTS | ALLOWED_CARE | ALLOWED_VOLUNTEERS | ALLOWED_G | ALLOWED_DB


def test_the_layers_are_kept():
    assert sorted(violations() - ALLOWED) == []


def test_every_allowed_violation_still_exists():
    """A fixed violation is deleted from its allow-list, so the lists only shrink."""
    assert sorted(ALLOWED - violations()) == []


def test_the_checks_see_a_violation(tmp_path, monkeypatch):
    """The walk itself works: a handler import in bot/ and an @sweep are found."""
    fake = ast.parse("from handlers.kit import flows\n@sweep('x')\nasync def f(): ...\n")
    monkeypatch.setattr("tests.test_layers.modules", lambda: iter([("bot/jobs/fake.py", fake)]))
    assert violations() == {
        ("bot/jobs/fake.py", "imports handlers"),
        ("bot/jobs/fake.py", "registers at import time (@sweep)"),
    }


@pytest.mark.parametrize(
    "source",
    [
        "async def f(services): await services.db.fetchall('SELECT 1')",
        "async def f(ctx): await ctx.store.db.fetchone('SELECT 1')",
        "def f(store): return store.db",
        "from storage.db import Database",
    ],
)
def test_reaching_the_database_outside_storage_is_a_violation(source, monkeypatch):
    """services.db, store.db and opening a Database are seen in bot/ and handlers/, not in
    storage/."""
    fake = ast.parse(source)
    monkeypatch.setattr(
        "tests.test_layers.modules",
        lambda: iter([("handlers/fake.py", fake), ("storage/fake.py", fake)]),
    )
    found = violations()
    assert found and {path for path, _ in found} == {"handlers/fake.py"}
