"""Benchmark: the web app (handlers/web) at 1,000,000 reports: /metrics scrape time, and
/healthz and /metrics requests/s with wrk as a second process while the bot processes updates.

On a working copy of the bench database (bench.populate; an existing one is reused with --db),
griddesk's services are opened as `griddesk run` opens them (migrations included, so 0018's
index is built) with the clock at bench.populate.NOW. Then:

1. /metrics scraped N times in-process (httpx over ASGI, no socket): median and p99, and each of
   its store reads alone (reports by state and tier, overdue, backlogs) with its query plan.
2. The app served by uvicorn in this process, as `griddesk run` serves it; wrk (a second
   process) drives /healthz for a few seconds, first alone, then while this process's inbox
   processor stores and processes /start updates through the real Application (a recording
   request in place of Telegram): requests/s both ways, and updates/s with and without the web
   load (the ratio is how much the probes slow the bot: wrk floods as fast as the one event loop
   answers, far above any real probe's rate). Then wrk on /metrics (scrapes within a second
   share one refresh).

    python -m bench.web --db /tmp/griddesk-bench-1m-appraisal.sqlite3
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import common, database
from bench.populate import NOW, RESIDENT_BASE


async def scrapes(app: Any, metrics: Any, count: int) -> list[float]:
    """COUNT scrapes, each reading the store afresh (not the figures a scrape within
    FRESH_SECONDS shares)."""
    transport = httpx.ASGITransport(app=app)
    timings: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(count):
            metrics.refreshed_at = float("-inf")
            started = time.perf_counter()
            response = await client.get("/metrics")
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
    return timings


async def reads(services: Any) -> dict[str, Any]:
    web = services.store.web
    figures: dict[str, Any] = {}
    for name, call in (
        ("reports_by_state_tier", lambda: web.reports_by_state_tier()),
        ("overdue", lambda: web.overdue(NOW)),
        ("inbox_backlog", lambda: web.inbox_backlog()),
        ("outbox_backlog", lambda: web.outbox_backlog()),
    ):
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            await call()
            timings.append(time.perf_counter() - started)
        figures[f"{name}_ms"] = 1000 * common.median(timings)
    db = services.store.db
    for name, sql, params in (
        ("plan_state_tier", "SELECT status, tier, COUNT(*) FROM reports GROUP BY status, tier", ()),
        (
            "plan_overdue",
            "SELECT COUNT(*) FROM reports INDEXED BY summary_reports_overdue"
            " WHERE due_at < ? AND status IN ('open', 'accepted')",
            (NOW.isoformat(),),
        ),
    ):
        rows = await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
        figures[name] = " | ".join(str(row[3]) for row in rows)
    return figures


def wrk(url: str, seconds: int) -> dict[str, float]:
    done = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    )
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    figures = {"requests_per_s": rps}
    for label in ("50%", "99%"):
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        if match:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
            figures[f"p{label[:-1]}_ms"] = float(match.group(1)) * scale
    return figures


async def updates_per_second(services: Any, app: Any, seconds: float, first_id: int) -> float:
    """Stores and processes /start updates from 1,000 residents for SECONDS; returns updates/s."""
    from bot.poller import Poller
    from tests.updates import text

    poller = Poller(app, services)
    count = 0
    started = time.perf_counter()
    update_id = first_id
    while time.perf_counter() - started < seconds:
        batch = []
        for _ in range(20):
            payload = text(RESIDENT_BASE + update_id % 1000, "/start")
            payload["update_id"] = update_id
            update_id += 1
            batch.append(payload)
        await services.inbox.store(batch, services.clock())
        count += await poller.process_pending()
    return count / (time.perf_counter() - started)


async def run(source: Path, units: int, count: int, seconds: int) -> dict[str, Any]:
    import uvicorn

    from bot.app import build_application, build_web, initialize, shutdown
    from bot.metrics import Prometheus
    from bot.runner import _Server
    from tests.fakes import RecordingRequest

    folder = Path(tempfile.mkdtemp(prefix="griddesk-bench-web-"))
    try:
        copied = database.working_copy(source, folder)
        started = time.perf_counter()
        services: Any = await database.open_services(copied, folder, units)
        opened = time.perf_counter() - started
        settings = services.settings
        await services.store.close()
        app = build_application(
            settings, token="123456:BENCH", request=RecordingRequest(), clock=lambda: NOW
        )
        services = await initialize(app)
        try:
            metrics = Prometheus()
            services.metrics = metrics
            web = build_web(app, services, metrics, started=NOW, webhook=None, wake=lambda: None)
            figures: dict[str, Any] = {
                "reports": (await services.store.db.fetchone("SELECT COUNT(*) FROM reports"))[0],
                "open_and_migrate_s": opened,
            }
            timings = await scrapes(web, metrics, count)
            figures["metrics_scrape_ms_p50"] = 1000 * common.percentile(timings, 0.5)
            figures["metrics_scrape_ms_p99"] = 1000 * common.percentile(timings, 0.99)
            figures.update(await reads(services))

            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)
            sock.setblocking(False)
            port = sock.getsockname()[1]
            server = _Server(uvicorn.Config(web, lifespan="off", log_level="warning"))
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            await asyncio.sleep(0.5)
            base = f"http://127.0.0.1:{port}"
            alone = await asyncio.to_thread(wrk, f"{base}/healthz", seconds)
            figures.update({f"healthz_alone_{k}": v for k, v in alone.items()})
            quiet = await updates_per_second(services, app, seconds, 50_000_000)
            load = asyncio.create_task(asyncio.to_thread(wrk, f"{base}/healthz", seconds))
            busy = await updates_per_second(services, app, seconds, 60_000_000)
            loaded = await load
            figures.update({f"healthz_with_bot_{k}": v for k, v in loaded.items()})
            figures["updates_per_s_quiet"] = quiet
            figures["updates_per_s_under_healthz_load"] = busy
            figures["bot_slowdown_ratio"] = quiet / busy if busy else float("inf")
            scraped = await asyncio.to_thread(wrk, f"{base}/metrics", seconds)
            figures.update({f"metrics_wrk_{k}": v for k, v in scraped.items()})
            server.should_exit = True
            await serving
            sock.close()
        finally:
            await shutdown(app)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=database.DEFAULT)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    common.show("machine", common.machine())
    source = database.ensure(args.db, args.reports, args.units, args.due)
    common.show("web", asyncio.run(run(source, args.units, args.scrapes, args.seconds)))


if __name__ == "__main__":
    main()
