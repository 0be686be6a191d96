"""Charts are drawn in a short-lived child process, so matplotlib and numpy never load in the bot.

matplotlib with numpy is ~44 MB of RSS the first time a chart is drawn, and Python never unloads
a module: a bot that had sent one weekly summary kept it for the rest of its life (bench/README.md
section 6). `call(name, *args)` sends the drawing to one child (`python -m bot.chart_process`),
started on first use and reused while calls keep coming; the child exits by itself once it has
been idle IDLE seconds, or when the bot exits (its stdin closes). Calls are serialised (one child,
one drawing at a time), which is what the sweeps did anyway.

Failures are the caller's as before: an exception raised while drawing in the child is raised
again here (its own type and message), and a child that dies or hangs raises ChartError. Nothing
but charts goes through it: the names the child runs are the fixed table FUNCTIONS.
"""

from __future__ import annotations

import importlib
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

IDLE = 30.0  # seconds the child waits for the next drawing before it exits (GRIDDESK_CHART_IDLE)
TIMEOUT = 300.0  # seconds one drawing may take before the child is killed
FUNCTIONS = {
    "summary": ("bot.chart", "draw"),
    "font": ("bot.chart", "find_cjk_font"),
    "appraisal": ("bot.appraisal_chart", "draw"),
}
_HEADER = struct.Struct(">I")


class ChartError(RuntimeError):
    """The chart process died, hung, or failed with an exception that cannot be sent back."""


_lock = threading.Lock()
_child: subprocess.Popen[bytes] | None = None


def call(name: str, *args: Any) -> Any:
    """Runs FUNCTIONS[NAME](*ARGS) in the chart process and returns its result."""
    if name not in FUNCTIONS:
        raise ValueError(f"no chart function {name!r}")
    request = pickle.dumps((name, args))
    with _lock:
        for attempt in (1, 2):
            child = _running()
            try:
                assert child.stdin is not None and child.stdout is not None
                _write(child.stdin, request)
                ok, value = pickle.loads(_read(child.stdout.fileno(), TIMEOUT))
            except (OSError, EOFError, TimeoutError) as error:
                # It exited while idle just as this call came (the next attempt starts a fresh
                # one), or it died or hung drawing this chart.
                _stop(child)
                if attempt == 2 or isinstance(error, TimeoutError):
                    raise ChartError(f"the chart process failed: {error!r}") from error
                continue
            if ok:
                return value
            raise value
    raise AssertionError("unreachable")


def child_pid() -> int | None:
    """Returns the running chart process's id, or None (for tests and diagnostics)."""
    child = _child
    return child.pid if child is not None and child.poll() is None else None


def _running() -> subprocess.Popen[bytes]:
    global _child
    if _child is not None and _child.poll() is None:
        return _child
    if _child is not None:
        _stop(_child)
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    _child = subprocess.Popen(
        [sys.executable, "-m", "bot.chart_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        bufsize=0,
    )
    return _child


def _stop(child: subprocess.Popen[bytes]) -> None:
    global _child
    if child.poll() is None:
        child.kill()
    child.wait()
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            pipe.close()
    if _child is child:
        _child = None


def _write(pipe: IO[bytes], data: bytes) -> None:
    pipe.write(_HEADER.pack(len(data)) + data)
    pipe.flush()


def _read_exact(fd: int, size: int, timeout: float | None) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        if timeout is not None:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise TimeoutError(f"no answer within {timeout:.0f} s")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read(fd: int, timeout: float | None) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, timeout))
    return _read_exact(fd, size, timeout)


def _answer(name: str, args: tuple[Any, ...]) -> bytes:
    module, function = FUNCTIONS[name]
    try:
        value = getattr(importlib.import_module(module), function)(*args)
        return pickle.dumps((True, value))
    except Exception as error:
        try:
            return pickle.dumps((False, error))
        except Exception:
            return pickle.dumps((False, ChartError(repr(error))))


def main() -> None:
    """The child: answers drawings on stdin until it has been idle IDLE seconds or stdin closes."""
    requests = sys.stdin.buffer.fileno()
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print (Python's or a library's) must not corrupt the answers
    sys.stdout = sys.stderr
    idle = float(os.environ.get("GRIDDESK_CHART_IDLE") or IDLE)
    while True:
        ready, _, _ = select.select([requests], [], [], idle)
        if not ready:
            return
        try:
            name, args = pickle.loads(_read(requests, None))
        except EOFError:
            return
        _write(answers, _answer(name, args))


if __name__ == "__main__":
    main()
