"""Runs the benchmarks in sequence, each in its own process, with modest sizes by default.

    python -m bench.all          # ~2 minutes: 100,000-report database, scaled-down runs
    python -m bench.all --full   # the default sizes: ~25 minutes (+ 2.5 min for the 1M build)

Never two at once: the machine has 2 cores and the figures are wall-clock times. Each run has
a time limit; a benchmark that overruns is stopped and reported, and the next one starts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from bench import common

SMALL_DB = ["--db", "/tmp/griddesk-bench-100k.sqlite3", "--reports", "100000", "--due", "1000"]

# (module, modest arguments, full arguments, time limit in seconds for full / modest)
RUNS: list[tuple[str, list[str], list[str], int, int]] = [
    ("bench.pipeline", ["--rounds", "1", "--reports", "200", "--seconds", "3"], [], 900, 300),
    ("bench.backlog", ["--residents", "1000"], [], 1200, 300),
    ("bench.sender", ["--messages", "900", "--chats", "60"], [], 900, 180),
    ("bench.sweep", [*SMALL_DB, "--rounds", "1"], [], 1800, 600),
    ("bench.summaries", [*SMALL_DB, "--rounds", "1", "--groups", "20"], [], 1800, 600),
    ("bench.rss", [*SMALL_DB, "--groups", "10", "--settle", "10"], [], 1800, 600),
    ("bench.web", [*SMALL_DB, "--seconds", "3", "--scrapes", "3"], [], 1800, 600),
]


def run(module: str, arguments: list[str], limit: int) -> list[dict[str, Any]]:
    """Runs MODULE, echoing its output; returns the figures it printed as JSON lines."""
    command = [sys.executable, "-m", module, *arguments]
    print(f"\n##### {' '.join(command[1:])} (limit {limit} s)", flush=True)
    figures: list[dict[str, Any]] = []
    started = time.perf_counter()
    # Its own process group: a run stopped for overrunning takes its bot processes with it.
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        assert process.stdout is not None
        watchdog = threading.Timer(limit, os.killpg, (process.pid, signal.SIGTERM))
        watchdog.start()
        try:
            for line in process.stdout:
                if line.startswith("JSON "):
                    figures.append(json.loads(line[5:]))
                else:
                    print(line, end="", flush=True)
        finally:
            watchdog.cancel()
    if time.perf_counter() - started >= limit:
        print(f"!!!!! {module} overran its {limit} s limit and was stopped", flush=True)
    elif process.returncode:
        print(f"!!!!! {module} exited with status {process.returncode}", flush=True)
    print(f"##### {module}: {time.perf_counter() - started:.0f} s", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the sizes of bench/README.md")
    parser.add_argument("--only", nargs="*", help="module names, e.g. bench.sender")
    args = parser.parse_args()
    common.show("machine", common.machine())
    collected: dict[str, dict[str, Any]] = {}
    for module, modest, full, full_limit, modest_limit in RUNS:
        if args.only and module not in args.only:
            continue
        limit = full_limit if args.full else modest_limit
        figures = run(module, full if args.full else modest, limit)
        for figure in figures:
            if figure.get("benchmark") != "machine":
                collected[figure["benchmark"]] = figure
    print("\n##### all figures")
    for name, figure in collected.items():
        common.show(name, {k: v for k, v in figure.items() if k != "benchmark"})


if __name__ == "__main__":
    main()
