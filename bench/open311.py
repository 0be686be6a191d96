"""Benchmark: GET /open311/v2/requests.json (a page of 100) at 1,000,000 reports.

A server process opens griddesk's services on a copy of the bench database (clock at
bench.populate.NOW, so the default 90-day window covers every report) and serves the Open311
routes with uvicorn on one event loop, as `griddesk run` would. A second process is the client:
wrk (Debian's `wrk`, with --latency) if it is on PATH, else a Python process with httpx.
Prints p50 / p99 latency and requests/s for: the first page, the first page of open requests,
one category's first page, and page 100 (offset 9,900), and the query plan of the page query.

    python -m bench.open311                       # reuses /tmp/griddesk-bench-1m.sqlite3
    python -m bench.open311 --db /tmp/other-1m.sqlite3 --seconds 10 --connections 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common, database

QUERIES = {
    "first_page": "page_size=100",
    "open_only": "page_size=100&status=open",
    "one_category": "page_size=100&service_code=litter",
    "page_100": "page_size=100&page=100",
}
PLAN = (
    "EXPLAIN QUERY PLAN SELECT id FROM reports WHERE created_at >= ? AND created_at <= ?"
    " AND status IN ('open', 'accepted') ORDER BY created_at DESC, id DESC LIMIT 100 OFFSET 0"
)


# The server process ------------------------------------------------------------------------


async def serve(db: Path, folder: Path, port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette

    from bot.metrics import Prometheus
    from handlers.web import open311
    from handlers.web.context import Web

    services: Any = await database.open_services(db, folder, units=1_000)
    app = Starlette(routes=open311.routes(Web(services, None, Prometheus(), services.clock())))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    try:
        await server.serve()
    finally:
        await services.store.close()


# The client processes ----------------------------------------------------------------------


def run_wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    """Runs wrk against URL; returns p50 and p99 in ms and requests/s."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for name, label in (("p50_ms", "50%"), ("p99_ms", "99%")):
        value, unit = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        figures[name] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return figures


async def client(url: str, seconds: float, connections: int) -> dict[str, float]:
    """The fallback client (run in its own process): CONNECTIONS loops of GETs for SECONDS."""
    import httpx

    latencies: list[float] = []
    bad = 0
    stop = time.perf_counter() + seconds

    async def loop(http: httpx.AsyncClient) -> None:
        nonlocal bad
        while time.perf_counter() < stop:
            started = time.perf_counter()
            answer = await http.get(url)
            latencies.append((time.perf_counter() - started) * 1000)
            bad += answer.status_code != 200

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as http:
        await asyncio.gather(*(loop(http) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": common.percentile(latencies, 0.5),
        "p99_ms": common.percentile(latencies, 0.99),
        "non_2xx": float(bad),
    }


def run_python_client(url: str, seconds: int, connections: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.open311", "--client", url, "--seconds", str(seconds),
               "--connections", str(connections)]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


# The run -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer in time")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", type=Path, default=database.DEFAULT)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve(args.db, args.folder, args.port))
        return
    if args.client:
        print(json.dumps(asyncio.run(client(args.client, args.seconds, args.connections))))
        return

    source = database.ensure(args.db, reports=1_000_000, units=1_000, due=10_000)
    figures: dict[str, Any] = {"machine": common.machine(), "database": str(source)}
    with tempfile.TemporaryDirectory(prefix="griddesk-open311-") as tmp:
        folder = Path(tmp)
        copied = database.working_copy(source, folder)  # opening it rewrites units from config
        conn = sqlite3.connect(copied)
        figures["reports"] = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        figures["plan"] = [row[3] for row in conn.execute(PLAN, ("a", "b"))]
        conn.close()
        port = free_port()
        command = [sys.executable, "-m", "bench.open311", "--serve", "--db", str(copied),
                   "--folder", str(folder), "--port", str(port)]  # fmt: skip
        server = subprocess.Popen(command)
        base = f"http://127.0.0.1:{port}/open311/v2/requests.json"
        try:
            wait_ready(f"{base}?page_size=1", server)
            import httpx

            for name, query in QUERIES.items():
                page = httpx.get(f"{base}?{query}", timeout=60)
                assert page.status_code == 200 and len(page.json()) == 100, (name, page.text[:200])
            use_wrk = shutil.which("wrk") is not None
            figures["client"] = "wrk" if use_wrk else "python httpx process"
            for name, query in QUERIES.items():
                run = run_wrk if use_wrk else run_python_client
                result = run(f"{base}?{query}", args.seconds, args.connections)
                for key, value in result.items():
                    figures[f"{name}_{key}"] = round(value, 2)
        finally:
            server.terminate()
            server.wait(30)
    common.show("open311 requests.json (page of 100) at 1,000,000 reports", figures)


if __name__ == "__main__":
    main()
