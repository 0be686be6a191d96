"""A real PostgreSQL server for the tests: Debian's binaries, a cluster in a temporary folder.

One cluster per test run: the first process that needs it (the xdist controller or any worker)
creates it under `GRIDDESK_TEST_PG_DIR` (made by tests/conftest.py `pytest_configure`) while
holding a file lock; the others find it running. It listens only on a Unix socket in that
folder, with fsync off (a test database is thrown away), and is stopped by `pytest_unconfigure`
of the process that made the folder. `GRIDDESK_TEST_PG_URL` names a server to use instead.

Run alone, `python -m tests.pgserver DIR` starts one and prints its URL (stop it with
`pg_ctl -D DIR/data stop`).
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

__all__ = ["PostgresMissing", "admin_url", "create_database", "drop_database", "ensure", "stop"]


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def _bindir() -> Path:
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in [os.environ.get("GRIDDESK_PG_BINDIR", ""), *installed]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresMissing(
        "PostgreSQL's server is not installed (no initdb): `apt-get install postgresql` "
        "(what .ci/run does), or set GRIDDESK_TEST_PG_URL to a server to use"
    )


def _as_owner(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root they run as the `postgres` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _url(folder: Path) -> str:
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    return f"postgresql://{user}@/postgres?host={folder / 'socket'}&port=5432"


def ensure(folder: Path) -> str:
    """Returns the admin URL of the run's cluster in FOLDER, creating and starting it once."""
    if url := os.environ.get("GRIDDESK_TEST_PG_URL"):
        return url
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data, socket = folder / "data", folder / "socket"
        if (folder / "started").exists():
            return _url(folder)
        bindir = _bindir()
        data.mkdir(exist_ok=True)
        socket.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
            shutil.chown(data, "postgres")
            shutil.chown(socket, "postgres")
        subprocess.run(
            _as_owner([str(bindir / "initdb"), "-D", str(data), "--auth=trust", "--no-sync",
                       "--encoding=UTF8", "--locale=C", "-U", "postgres"]),
            check=True, capture_output=True,
        )  # fmt: skip
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{socket}' -c port=5432 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300 -c shared_buffers=64MB"
        )
        subprocess.run(
            _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"),
                       "-o", options, "-w", "start"]),
            check=True, capture_output=True,
        )  # fmt: skip
        (folder / "started").write_text(str(bindir))
        return _url(folder)


def stop(folder: Path) -> None:
    """Stops the cluster in FOLDER if this run started one, and removes the folder."""
    started = folder / "started"
    if started.exists():
        bindir = Path(started.read_text())
        subprocess.run(
            _as_owner([str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate",
                       "stop"]),
            capture_output=True,
        )  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)


def admin_url(folder: Path) -> str:
    return ensure(folder)


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{query}" if query else base


def create_database(url: str, *, template: str | None = None, name: str | None = None) -> str:
    """Creates a database (a copy of TEMPLATE if given) on the server at URL; returns its URL."""
    name = name or f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as conn:
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}" STRATEGY FILE_COPY'
        conn.execute(sql)
    return _with_database(url, name)


def drop_database(admin: str, url: str) -> None:
    name = url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    print(ensure(Path(sys.argv[1]).resolve()))
