"""bench.pipeline and bench.backlog on PostgreSQL beside SQLite, and bench.backlog's several
instances on one database, at tiny sizes so the options cannot rot: `--db-url` (the test run's
server, fresh databases made on it) and `--postgresql` (a durable cluster of the bench's own)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def bench(module: str, *arguments: str) -> dict[str, dict[str, Any]]:
    """Runs `python -m MODULE ARGUMENTS`; returns the figures it printed, by title."""
    command = [sys.executable, "-m", module, *arguments]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found: dict[str, dict[str, Any]] = {}
    for line in done.stdout.splitlines():
        if line.startswith("JSON "):
            figures = json.loads(line[5:])
            found[figures.pop("benchmark")] = figures
    return found


def test_the_pipeline_runs_on_sqlite_and_postgresql_beside_the_echo_baseline(
    pg_admin: str,
) -> None:
    printed = bench(
        "bench.pipeline", "--db-url", pg_admin, "--units", "100", "--reports", "6",
        "--concurrency", "3", "--rate", "3", "--seconds", "1", "--think", "0", "--rounds", "1",
    )  # fmt: skip

    throughput = printed["pipeline throughput round 1"]
    for prefix in ("", "pg_"):  # the same residents, the same echo run: per-update ratios
        assert throughput[f"{prefix}updates_per_s"] > 0
        assert throughput[f"{prefix}ms_cpu_per_update"] > 0
        assert throughput[f"{prefix}cost_ratio_cpu"] > 0
        assert throughput[f"{prefix}messages_per_report"] >= 5
    assert throughput["echo_ms_cpu_per_update"] > 0
    assert throughput["pg_vs_sqlite_updates_per_s"] > 0
    # a server of --db-url: its CPU is not seen from here, and the figures say so
    assert math.isnan(throughput["pg_server_ms_cpu_per_update"])
    latency = printed["pipeline latency round 1 at 3/s"]
    for prefix in ("", "pg_"):
        assert latency[f"{prefix}acked"] == latency[f"{prefix}offered_reports"] > 0
        assert latency[f"{prefix}timed_out"] == 0
        assert latency[f"{prefix}ack_p50_ms"] > 0
    summary = printed["pipeline (medians)"]
    assert summary["postgresql"] == "--db-url server"
    assert summary["throughput_pg_updates_per_s"] == throughput["pg_updates_per_s"]


def test_the_backlog_runs_on_one_and_two_instances_of_a_postgresql_cluster_it_starts() -> None:
    printed = bench(
        "bench.backlog", "--postgresql", "--residents", "15", "--instances", "1,2",
        "--sqlite-too", "--timeout", "300",
    )  # fmt: skip

    runs = {name: printed[f"backlog round 1 {name}"] for name in
            ("sqlite_1", "postgresql_1", "postgresql_2")}  # fmt: skip
    for name, figures in runs.items():
        assert figures["updates"] == 30, name  # 15 residents × (photo, text)
        assert figures["inbox"] == "done=30", name
        assert figures["replies_queued"] >= 30, name
        assert figures["updates_per_s"] > 0, name
    assert runs["sqlite_1"]["backend"] == "sqlite"
    assert runs["postgresql_2"]["instances"] == 2
    per_process = runs["postgresql_2"]["bot_cpu_ms_per_update_per_process"].split(",")
    assert len(per_process) == 2
    claimed = [int(n) for n in runs["postgresql_2"]["updates_claimed_per_process"].split(",")]
    assert sum(claimed) == 30  # every update claimed by one of the two, none twice
    # the cluster was started by the bench: its server CPU is counted
    assert runs["postgresql_1"]["server_cpu_ms_per_update"] > 0
    assert runs["postgresql_2"]["cpu_ms_per_update_total"] > 0
    ratios = printed["backlog round 1 ratios"]
    assert ratios["postgresql_2_vs_postgresql_1_speed"] > 0
    assert ratios["postgresql_2_vs_postgresql_1_cpu_per_update_total"] > 0
    versus_sqlite = ratios["postgresql_1_vs_sqlite_1_bot_cpu_per_update"]
    if runs["sqlite_1"]["bot_cpu_ms_per_update"] > 0:
        assert versus_sqlite > 0
    else:  # 30 updates can take less than the CPU clock's 10 ms tick on SQLite: no ratio
        assert math.isnan(versus_sqlite)
