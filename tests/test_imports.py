"""What `griddesk run` loads at start: the libraries only a rare path needs stay out of memory.

Each of these is resident for the life of the process once imported (Python never unloads a
module), and an idle bot needs none of them: matplotlib and numpy draw charts (~45 MB), openpyxl
and lxml write XLSX files (~28 MB), psycopg is the PostgreSQL backend (~9 MB, not used on
SQLite), holidays has the years chinese-calendar lacks (~4 MB), Pillow re-encodes images sent as
files (~3 MB), Jinja2 renders the web pages and uvicorn serves them (~3 MB, only with [web]
listen). bench/README.md section 6 has the measured figures. Import such a library where it is
used (inside the function, `if TYPE_CHECKING:` for annotations), not at the top of a module that
start-up imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What `python -m bot run` imports before it opens the database: bot/__main__.py → bot.cli,
# whose cmd_run builds the Application (bot.app, every handler and sweep) and runs bot.runner.
STARTUP = ("bot.cli", "bot.app", "bot.runner")

LAZY = (
    "matplotlib",
    "numpy",
    "openpyxl",
    "lxml",
    "PIL",
    "psycopg",
    "holidays",
    "jinja2",
    "uvicorn",
)


def loaded_at_start(*also: str) -> set[str]:
    """Returns the top-level packages in sys.modules of a fresh interpreter that imported
    STARTUP (and ALSO)."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {[*STARTUP, *also]!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_start_up_leaves_the_heavy_libraries_unloaded() -> None:
    loaded = loaded_at_start()
    assert {"bot", "telegram", "storage", "handlers"} <= loaded  # it did import the bot
    assert loaded.isdisjoint(LAZY), f"imported at start: {sorted(loaded & set(LAZY))}"


def test_the_check_sees_a_library_imported_at_start() -> None:
    """The probe itself: a module that imports psycopg at its top (storage/pg.py, loaded only for
    a postgresql:// location) shows up."""
    loaded = loaded_at_start("storage.pg")
    assert "psycopg" in loaded & set(LAZY)
