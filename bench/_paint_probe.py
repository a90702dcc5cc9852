"""Report when DeskChat's window first paints, for the startup and memory benches.

Acts only when ``DESKCHAT_BENCH_PROBE=1``. Used two ways:
  * from source, ``bench/_launch_probe.py`` imports it before running the CLI;
  * frozen, build.spec lists it as a PyInstaller runtime hook (it runs before
    the app's own code and does nothing unless the variable is set).

It wraps ``cli.main._run_gui`` so Qt is only touched once the window is about
to open, then swaps in a QApplication subclass whose event filter sees the
first Paint event of any widget. It writes ``DESKCHAT_BENCH first_paint=<unix
time>`` to stderr; with ``DESKCHAT_BENCH_IDLE_MS=N`` it then idles N ms, writes
``DESKCHAT_BENCH rss_kb=<VmRSS> hwm_kb=<VmHWM>`` and closes the window.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any


def _rss() -> str:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()[0] if value.split() else ""
    return f"rss_kb={fields.get('VmRSS')} hwm_kb={fields.get('VmHWM')}"


def _install_qt_probe() -> None:
    from PySide6 import QtWidgets
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        """Event filter on the application: every widget's events pass through it."""

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and isinstance(watched, QtWidgets.QWidget):
                now = time.time()
                app = QtWidgets.QApplication.instance()
                if app is not None:
                    app.removeEventFilter(self)
                sys.stderr.write(f"DESKCHAT_BENCH first_paint={now:.6f}\n")
                sys.stderr.flush()
                idle = os.environ.get("DESKCHAT_BENCH_IDLE_MS")
                if idle:
                    window = watched.window()
                    QTimer.singleShot(int(idle), lambda: _report_and_close(window))
            return False

    def _report_and_close(window: Any) -> None:
        sys.stderr.write(f"DESKCHAT_BENCH {_rss()}\n")
        sys.stderr.flush()
        window.close()

    base = QtWidgets.QApplication

    class ProbeApplication(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self._first_paint = FirstPaint()
            self.installEventFilter(self._first_paint)

    # gui.app does `from PySide6.QtWidgets import QApplication` on import, after this.
    QtWidgets.QApplication = ProbeApplication  # type: ignore[misc]


def install() -> None:
    """Hook the window's start (no Qt import until the window opens)."""
    import deskchat.cli.main as cli_main

    original = cli_main._run_gui

    def run_gui(args: Any) -> int:
        _install_qt_probe()
        return original(args)

    cli_main._run_gui = run_gui  # type: ignore[assignment]


if os.environ.get("DESKCHAT_BENCH_PROBE") == "1":
    install()
