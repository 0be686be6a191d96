"""The big benchmark database: built once by bench.populate, copied for each run that writes."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.office import office, write_config
from bench.populate import NOW

DEFAULT = Path("/tmp/griddesk-bench-1m.sqlite3")


def ensure(path: Path, reports: int, units: int, due: int) -> Path:
    """Returns PATH, building it with bench.populate first if it does not exist yet."""
    if path.exists():
        conn = sqlite3.connect(path)
        try:
            stored = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        finally:
            conn.close()
        if stored != reports:
            raise SystemExit(f"{path} holds {stored} reports, not {reports}: remove it first")
        return path
    print(f"building {path} ({reports:,} reports; once, reused by later runs) …", flush=True)
    started = time.perf_counter()
    figures = build(path, reports, units, due)
    sidecar(path).write_text(json.dumps(figures), encoding="utf-8")
    print(f"built in {time.perf_counter() - started:.0f} s: {figures}", flush=True)
    return path


def build(path: Path, reports: int, units: int, due: int) -> dict[str, Any]:
    """Runs bench.populate in its own process (so its peak RSS is its own); returns its figures."""
    command = [sys.executable, "-m", "bench.populate", "--db", str(path), "--reports",
               str(reports), "--units", str(units), "--due", str(due)]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def sidecar(path: Path) -> Path:
    """Returns where bench.populate's figures for PATH are kept."""
    return Path(str(path) + ".populate.json")


def working_copy(source: Path, folder: Path) -> Path:
    """Copies SOURCE (and its WAL, if any) into FOLDER; returns the copy."""
    target = folder / source.name
    for suffix in ("", "-wal"):
        original = Path(str(source) + suffix)
        if original.exists():
            shutil.copyfile(original, str(target) + suffix)
    return target


async def open_services(database: Path, folder: Path, units: int) -> object:
    """Opens griddesk's services on DATABASE, as `griddesk run` does, with the clock at NOW."""
    from bot import settings as settings_module
    from bot.app import open_services as open_app_services

    config = write_config(folder, office(units), database=database)
    settings = settings_module.load(config)
    assert ZoneInfo(settings.timezone)
    return await open_app_services(settings, lambda: NOW)
