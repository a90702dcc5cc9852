"""``python bench/_reply_probe.py [deskchat args]``: the CLI from source, told of its first reply.

For ``memory_reply.py``. Acts only when ``DESKCHAT_BENCH_REPLY_OUT`` names a
file: the window sends ``DESKCHAT_SMOKE_MESSAGE`` as usual (gui/app.py); this
probe wraps ``ChatSession.send`` to note, just before the message goes, the
process's VmRSS and the modules loaded, and listens for the reply's end. It
then idles ``DESKCHAT_BENCH_IDLE_MS`` (3000), writes a JSON report to that file
and closes the window. Only the standard library is imported before the app's
own code, and nothing at all unless the variable is set.

``DESKCHAT_BENCH_TRACE`` adds one breakdown (each costs memory itself, so the
plain runs give the RSS and the traced runs only the shares):

* ``imports``: every module imported from the send on, with the RSS it added
  itself (its own imports subtracted, like ``-X importtime`` does for time),
  read from /proc/self/statm around ``importlib._bootstrap._load_unlocked``.
  Other threads allocating meanwhile are counted too (the markdown preload
  imports on a worker thread; each thread has its own stack).
* ``tracemalloc``: Python's allocations made since the send and still alive
  at the report, by package.

``DESKCHAT_BENCH_TRIM=1`` calls glibc's ``malloc_trim(0)`` just before the last
reading (a what-if: how much of the RSS is freed heap not yet returned).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
_OUT = os.environ.get("DESKCHAT_BENCH_REPLY_OUT")
_TRACE = os.environ.get("DESKCHAT_BENCH_TRACE", "")


def _status_kb() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            out[key] = int(value.split()[0])
    return out


def _rss_kb() -> int:
    with open("/proc/self/statm", "rb") as statm:  # noqa: PTH123 - cheapest read
        return int(statm.read().split()[1]) * _PAGE_KB


def _children_rss_kb() -> dict[int, int]:
    """VmRSS of this process's children (the engine's worker)."""
    found = {}
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rfind(")") + 2 :].split()[1]) != me:
            continue
        try:
            status = (stat.parent / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found[int(stat.parent.name)] = int(line.split()[1])
    return found


class _ImportCosts:
    """RSS each module's import added itself, by phase, from :meth:`start` on."""

    def __init__(self) -> None:
        self.costs: dict[str, dict[str, int]] = {}
        self.phase = "start"
        self._local = threading.local()

    def start(self) -> None:
        import importlib._bootstrap as bootstrap

        original = bootstrap._load_unlocked

        def load_unlocked(spec: Any) -> Any:
            stack = getattr(self._local, "stack", None)
            if stack is None:
                stack = self._local.stack = []
            stack.append(0)
            before = _rss_kb()
            try:
                return original(spec)
            finally:
                total = _rss_kb() - before
                children = stack.pop()
                self.costs.setdefault(self.phase, {})[spec.name] = total - children
                if stack:
                    stack[-1] += total

        bootstrap._load_unlocked = load_unlocked


def _group(name: str) -> str:
    """The package a module counts under: ``deskchat.<floor>``, else its top level."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "deskchat" else parts[0]


def _file_group(filename: str) -> str:
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1 :]
        return rest[0].removesuffix(".py") if rest else filename
    repo = Path(__file__).resolve().parents[1]
    try:
        rel = path.resolve().relative_to(repo)
    except ValueError:
        return "stdlib" if "python3" in filename else filename
    return f"deskchat.{rel.parts[0]}" if len(rel.parts) > 1 else str(rel)


class _Probe:
    def __init__(self, out: str) -> None:
        self.out = out
        self.report: dict[str, Any] = {"trace": _TRACE or None}
        self.modules_before: list[str] = []
        self.imports = _ImportCosts() if _TRACE == "imports" else None
        if self.imports is not None:
            self.imports.start()
        self.sent = False

    def on_start(self) -> None:
        """The window is shown and starts connecting (its survey, the provider)."""
        self.report["at_window_start"] = _status_kb()
        self.report["modules_at_window_start"] = len(sys.modules)
        if self.imports is not None:
            self.imports.phase = "connect"

    def on_send(self, session: Any) -> None:
        if self.sent:
            return
        self.sent = True
        self.modules_before = list(sys.modules)
        self.report["at_send"] = _status_kb()
        self.report["sent_at"] = time.time()
        if self.imports is not None:
            self.imports.phase = "reply"
        if _TRACE == "tracemalloc":
            import tracemalloc

            tracemalloc.start(1)
        session.events.reply_finished.connect(self.on_finished)

    def on_finished(self, how: str) -> None:
        if "finished" in self.report:
            return
        from PySide6.QtCore import QTimer

        self.report["finished"] = how
        self.report["finished_at"] = time.time()
        self.report["at_finish"] = _status_kb()
        QTimer.singleShot(int(os.environ.get("DESKCHAT_BENCH_IDLE_MS", "3000")), self.finish)

    def finish(self) -> None:
        from PySide6.QtWidgets import QApplication

        if os.environ.get("DESKCHAT_BENCH_TRIM") == "1":
            # What-if: glibc hands freed heap pages back (not something the app does).
            import ctypes

            self.report["before_trim"] = _status_kb()
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        self.report["after_idle"] = _status_kb()
        self.report["children_kb"] = _children_rss_kb()
        before = set(self.modules_before)
        added = [name for name in sys.modules if name not in before]
        self.report["modules_added"] = added
        self.report["modules_before"] = len(before)
        if self.imports is not None:
            self.report["import_kb"] = self.imports.costs
        if _TRACE == "tracemalloc":
            self.report["tracemalloc_kb"] = _tracemalloc_groups()
        Path(self.out).write_text(json.dumps(self.report))
        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "MainWindow" or type(widget).__name__ == "MainWindow":
                widget.close()


def _tracemalloc_groups() -> dict[str, int]:
    import tracemalloc

    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    groups: dict[str, int] = {}
    for stat in snapshot.statistics("filename"):
        key = _file_group(stat.traceback[0].filename)
        groups[key] = groups.get(key, 0) + stat.size
    return {k: round(v / 1024) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])}


def install(out: str) -> None:
    """Hook the window's start and the session's send, without importing either early."""
    import deskchat.cli.main as cli_main

    probe = _Probe(out)
    run_gui = cli_main._run_gui

    def hooked_run_gui(args: Any) -> int:
        from deskchat.chat.session import ChatSession
        from deskchat.gui.main_window import MainWindow

        send, start = ChatSession.send, MainWindow.start

        def hooked_send(self: Any, text: str) -> bool:
            probe.on_send(self)
            return send(self, text)

        def hooked_start(self: Any, *a: Any, **kw: Any) -> Any:
            probe.on_start()
            return start(self, *a, **kw)

        ChatSession.send = hooked_send  # type: ignore[method-assign]
        MainWindow.start = hooked_start  # type: ignore[method-assign]
        return run_gui(args)

    cli_main._run_gui = hooked_run_gui  # type: ignore[assignment]


if _OUT:
    install(_OUT)

if __name__ == "__main__":
    from deskchat.cli.main import main

    sys.exit(main(sys.argv[1:]))
