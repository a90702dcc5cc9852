"""``python bench/_startup_marks.py [deskchat args]``: the console script's ``main()`` with marks.

(``--bare``: the bare window of _bare_window.py instead, with its own marks.)

What ``deskchat`` does (``from deskchat.cli.main import main``), with a line
``DESKCHAT_MARK <what> <perf_counter>`` on stderr as each start-up step begins
and ends. perf_counter is CLOCK_MONOTONIC on Linux, the clock the parent
(_startup_profile.py) reads when it spawns this and when the window maps, so
the marks fall on the same time line as spawn → mapped.

Steps that no longer exist under their name are skipped (the code is being
reshaped); ``DESKCHAT_PROFILE_OUT=path`` also profiles, with pyinstrument, from
here until the window's ``show()`` returns (pyinstrument on PYTHONPATH).
"""

from __future__ import annotations

import sys
import time

_UP = time.perf_counter()

import inspect  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402


def mark(what: str, when: float | None = None) -> None:
    stamp = time.perf_counter() if when is None else when
    sys.stderr.write(f"DESKCHAT_MARK {what} {stamp:.6f}\n")
    sys.stderr.flush()


mark("python ready (site, .pth files; this script starts)", _UP)

_profiler: Any = None
if os.environ.get("DESKCHAT_PROFILE_OUT"):
    from pyinstrument import Profiler

    _profiler = Profiler(interval=0.0005)
    _profiler.start()


# Frames shown in the tree (the rest are folded into "[N frames hidden]").
_SHOW = (
    r".*(deskchat|aiohttp|PySide6|shiboken|qasync|markdown_it|pygments|keyring|platformdirs|"
    r"asyncio|ssl|_startup_marks|_bare_window).*"
)


def _stop_profile() -> None:
    global _profiler
    if _profiler is None:
        return
    _profiler.stop()
    with open(os.environ["DESKCHAT_PROFILE_OUT"], "w") as out:
        out.write(
            _profiler.output_text(
                unicode=False,
                color=False,
                # Every library frame shown (PySide6, aiohttp...), small ones pruned.
                processor_options={"show_regex": _SHOW, "filter_threshold": 0.004},
            )
        )
        out.write("\n\nself time per function (flat), top:\n\n")
        flat = _profiler.output_text(unicode=False, color=False, flat=True)
        out.write("\n".join(flat.splitlines()[:60]))
    _profiler = None


def _wrap(owner: Any, name: str, label: str, after: Any = None) -> None:
    """Mark the start and end of ``owner.name`` (a function, method or coroutine function)."""
    original = getattr(owner, name, None)
    if original is None:
        return
    # No functools.wraps: reading a PySide6 method's __doc__ loads shiboken's whole
    # signature module (~70 ms), which DeskChat itself does not do.
    if inspect.iscoroutinefunction(original):

        async def coro(*args: Any, **kwargs: Any) -> Any:
            mark(f"{label} begins")
            try:
                return await original(*args, **kwargs)
            finally:
                mark(f"{label} ends")

        setattr(owner, name, coro)
        return

    def plain(*args: Any, **kwargs: Any) -> Any:
        mark(f"{label} begins")
        try:
            return original(*args, **kwargs)
        finally:
            mark(f"{label} ends")
            if after is not None:
                after()

    setattr(owner, name, plain)


def _instrument_gui() -> None:
    """Import the window's module (Qt, aiohttp, the widgets) and wrap its steps."""
    mark("import deskchat.gui.app begins")
    import deskchat.gui.app as app

    mark("import deskchat.gui.app ends")
    _wrap(app, "configure_logging", "configure_logging")
    _wrap(app, "install_excepthook", "install_excepthook")
    # app_icon is the first call after QApplication() is made (a class: not wrapped).
    _wrap(app, "app_icon", "app_icon")
    _wrap(app, "_run", "the async start")
    settings = getattr(app, "Settings", None)
    if settings is not None:
        # A classmethod: wrap the bound method, keep it a callable attribute.
        load = settings.load

        def loaded(*args: Any, **kwargs: Any) -> Any:
            mark("Settings.load begins")
            try:
                return load(*args, **kwargs)
            finally:
                mark("Settings.load ends")

        settings.load = loaded
    _wrap(app, "move_proxy_password", "move_proxy_password")
    _wrap(app, "effective_options", "effective_options")
    _wrap(app, "make_provider", "make_provider")
    _wrap(app, "open_history", "open_history (store open)")
    _wrap(app, "LocalServers", "LocalServers()")
    window = getattr(app, "MainWindow", None)
    if window is not None:
        _wrap(window, "__init__", "MainWindow()")
        for step in ("_build", "_build_actions", "_connect_signals", "_refresh_conversations"):
            _wrap(window, step, f"MainWindow.{step}")
        _wrap(window, "apply_settings", "MainWindow.apply_settings")
        _wrap(window, "show", "window.show()", after=_stop_profile)
        _wrap(window, "start", "window.start()")


def bare() -> int:
    mark("import _bare_window (PySide6) begins")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _bare_window

    def step(what: str) -> None:
        mark(what)
        if what == "window.show() returned":
            _stop_profile()
            quit_after = os.environ.get("DESKCHAT_QUIT_AFTER_MS")
            if quit_after:  # As DeskChat's smoke hook does.
                from PySide6.QtCore import QTimer
                from PySide6.QtWidgets import QApplication

                QTimer.singleShot(int(quit_after), QApplication.quit)

    return _bare_window.main(step)


def main() -> int:
    if sys.argv[1:] == ["--bare"]:
        return bare()
    mark("import deskchat.cli.main begins")
    import deskchat.cli.main as cli

    mark("import deskchat.cli.main ends")
    original = cli._run_gui

    def run_gui(args: Any) -> int:
        _instrument_gui()
        return int(original(args))

    cli._run_gui = run_gui  # type: ignore[assignment]
    return int(cli.main())


if __name__ == "__main__":
    sys.exit(main())
