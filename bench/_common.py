"""Shared helpers for the bench scripts: the machine, statistics, JSON out, a local server.

Only bench scripts import this (``python bench/<name>.py`` puts bench/ on sys.path).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # So `python bench/x.py` imports the checkout's packages.

# Like the tests: headless, PySide6 for qasync, no keyring backend needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        qt = metadata.version("PySide6-Essentials")
    except metadata.PackageNotFoundError:
        qt = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "pyside6": qt,
    }


def summary(values: list[float], digits: int = 2) -> dict[str, Any]:
    """min/median/max of repeated measurements."""
    return {
        "min": round(min(values), digits),
        "median": round(statistics.median(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


def emit(name: str, results: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Print one bench's JSON on stdout (and return it)."""
    document = {"bench": name, "machine": machine(), "results": results, **extra}
    print(json.dumps(document, indent=2))
    return document


def repeats(default: int) -> int:
    """How many times to repeat (BENCH_REPEATS overrides, for quick runs)."""
    return int(os.environ.get("BENCH_REPEATS", default))


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy(seconds: float) -> float:
    """The fraction of all CPUs busy (any process) over the next ``seconds``."""
    import time

    busy0, total0 = _cpu_times()
    time.sleep(seconds)
    busy1, total1 = _cpu_times()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_quiet(max_busy: float = 0.15, max_wait: float = 180.0) -> float:
    """Wait (up to ``max_wait`` s) for a second in which other work used at most
    ``max_busy`` of the CPUs; return the last second's busy fraction.

    The machine is shared: a start-up measured while tests run on both cores
    measures them. ``BENCH_QUIET=0`` skips the wait.
    """
    import time

    if os.environ.get("BENCH_QUIET") == "0":
        return cpu_busy(0.2)
    deadline = time.monotonic() + max_wait
    while True:
        busy = cpu_busy(1.0)
        if busy <= max_busy or time.monotonic() > deadline:
            return busy


def frozen_exe() -> Path | None:
    """The PyInstaller build to measure, if one exists (DESKCHAT_FROZEN_DIR or dist/)."""
    folder = Path(os.environ.get("DESKCHAT_FROZEN_DIR", REPO / "dist" / "DeskChat"))
    exe = folder / ("DeskChat.exe" if sys.platform == "win32" else "DeskChat")
    return exe if exe.is_file() else None


@contextmanager
def served(make_app: Callable[[], Any]) -> Iterator[str]:
    """Serve an aiohttp app on 127.0.0.1 from its own thread and loop; yield its URL.

    A separate thread, so the server's work never shows up as a stall in the
    loop being measured.
    """
    from aiohttp import web

    ready = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        state["url"] = f"http://127.0.0.1:{port}"
        state["stop"] = asyncio.Event()
        state["loop"] = asyncio.get_running_loop()
        ready.set()
        await state["stop"].wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield state["url"]
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)


class StreamServer:
    """bench/_stream_server.py in a child process; ``url`` once it listens.

    Use as a context manager; ``lines()`` returns what it printed after PORT
    (e.g. ``SENT_FIRST`` timestamps).
    """

    def __init__(self, size: int, *, chunk: int = 10, delta: int = 64, pause: float = 0.0):
        import subprocess

        script = Path(__file__).with_name("_stream_server.py")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(script),
                f"--size={size}",
                f"--chunk={chunk}",
                f"--delta={delta}",
                f"--pause={pause}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().split()
        if first[:1] != ["PORT"]:
            self.process.kill()
            raise RuntimeError("the bench stream server did not start")
        self.url = f"http://127.0.0.1:{first[1]}"

    def readline(self) -> str:
        """The server's next printed line (blocks)."""
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def __enter__(self) -> StreamServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait()
