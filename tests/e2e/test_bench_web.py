"""bench.web, the web-under-load harness, at a tiny size so it cannot rot: the real
`griddesk run` on 2,000 reports, the fake Bot API's resident stream, a client process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TINY = ["--reports", "2000", "--units", "100", "--due", "20", "--rate", "5", "--scrapes", "2",
        "--drain", "60"]  # fmt: skip


def bench(tmp_path: Path, *arguments: str) -> dict[str, Any]:
    """Runs bench.web on a tiny database in TMP_PATH; returns the figures it printed."""
    command = [sys.executable, "-m", "bench.web", "--db", str(tmp_path / "tiny.sqlite3"),
               *TINY, *arguments]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = [line[5:] for line in done.stdout.splitlines() if line.startswith("JSON ")]
    figures: dict[str, Any] = json.loads(lines[-1])
    assert figures["benchmark"] == "web under load"
    return figures


def test_the_harness_measures_the_web_and_the_bot_side_by_side(tmp_path: Path) -> None:
    figures = bench(tmp_path, "--seconds", "2", "--targets", "requests,cases,metrics")

    assert figures["reports"] == 2000
    assert figures["web_settings"] == "defaults"  # the guard on: one client's flood is held back
    for target in ("requests", "metrics"):
        for phase in ("web_alone", "web_with_bot"):
            # a few served from the client's bucket, the rest answered 429 (handlers/web/guard.py)
            assert figures[f"{target}_{phase}_requests"] > figures[f"{target}_{phase}_non_2xx"] > 0
            assert figures[f"{target}_{phase}_p99_ms"] >= figures[f"{target}_{phase}_p50_ms"] > 0
        assert f"{target}_invalid" not in figures  # the checks after the phases waited out a 429
        for phase in ("bot_alone", "bot_with_web"):
            assert figures[f"{target}_{phase}_updates_queued"] >= 10  # 5/s for 2 s
            assert figures[f"{target}_{phase}_unanswered"] == 0
            assert figures[f"{target}_{phase}_updates_handled_per_s"] > 0
            # received → done on one clock (the bot's offset clock): a span, not days
            assert 0 < figures[f"{target}_{phase}_inbox_p50_ms"] < 60_000
            assert 0 < figures[f"{target}_{phase}_reply_p50_ms"] < 60_000
        assert figures[f"{target}_bot_slowdown_reply_p50_ms"] > 0
        assert figures[f"{target}_web_ratio_rps"] > 0
    # /cases is measured once the dashboard's list and the login's sessions are there; until
    # then it is skipped with the reason, never measured as a redirect to /login
    if "cases_skipped" in figures:
        assert figures["cases_skipped"]
    else:
        assert figures["cases_web_alone_requests"] > 0
        assert figures["cases_web_alone_non_2xx"] == 0
    assert figures["metrics_scrape_p50_ms"] > 0


def test_the_python_client_holds_a_web_rate(tmp_path: Path) -> None:
    figures = bench(tmp_path, "--seconds", "2", "--targets", "healthz", "--web-rate", "10")

    assert figures["client"] == "python httpx process"
    assert 10 <= figures["healthz_web_alone_requests"] <= 30  # 10/s for 2 s, not a flood
    assert figures["healthz_web_alone_non_2xx"] == 0
    assert figures["healthz_bot_alone_unanswered"] == 0
