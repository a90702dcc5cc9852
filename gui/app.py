"""Show the window, then run it on a qasync loop, and shut it down cleanly.

The window's first frame comes first: it is built and painted by Qt's own loop
before asyncio, qasync and the history store have loaded (~80 ms a user would
otherwise wait for, issue #9). Then the qasync loop starts, the history opens on
its worker thread and fills the sidebar, and after that the network: aiohttp,
the HTTP session, the local servers, the model library and the provider
(:class:`~deskchat.chat.connection.Connection`, made by the window after its
first paint). Until a provider is set up, Send waits. Garbage collection waits
for the first frame too (the imports before it allocate much and free little).

Environment, for smoke tests only (the test suite and screenshots use them):
    DESKCHAT_QUIT_AFTER_MS: close the window this many milliseconds after start.
    DESKCHAT_SMOKE_MESSAGE: send this message as soon as a provider is set up.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from deskchat import provider
from deskchat.chat import proxy
from deskchat.chat.auto import AUTO, LOCAL
from deskchat.chat.logs import configure_logging
from deskchat.chat.options import (
    Options,
    add_common_arguments,
    effective_options,
    resolve,
)
from deskchat.i18n import _
from deskchat.store import (
    Settings,
    StoreError,
    data_dir,
    database_path,
    settings_path,
    split_proxy_password,
)

from . import pyside_scan, translation  # noqa: F401 - pyside_scan acts on import
from .errors import install_excepthook, show_error
from .first_paint import after_first_paint
from .icon import app_icon
from .main_window import MainWindow

if TYPE_CHECKING:
    import asyncio

    from deskchat.chat.connection import Connection
    from deskchat.store import AsyncStore

    from .window_tools import WindowTools

__all__ = ["main", "move_proxy_password", "open_history", "parse_options"]

log = logging.getLogger("deskchat.gui")

EXIT_OK = 0
EXIT_CONFIG = 2


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Options from the command line, then ``DESKCHAT_*`` variables (``python -m deskchat.gui``)."""
    parser = argparse.ArgumentParser(
        prog="python -m deskchat.gui",
        description=_("Open DeskChat's window."),
        argument_default=argparse.SUPPRESS,
    )
    add_common_arguments(parser)
    return resolve(parser.parse_args(argv))


def main(argv: Sequence[str] | None = None, options: Options | None = None) -> int:
    """Open the window and run until it closes; return the exit code.

    Args:
        argv: the arguments to parse when ``options`` is None.
        options: the options the command line already parsed (``deskchat``).
    """
    gc.disable()
    try:
        if options is None:
            options = parse_options(argv)
        configure_logging()
        install_excepthook()
        app = QApplication.instance() or QApplication([sys.argv[0]])
        assert isinstance(app, QApplication)
        app.setApplicationName("DeskChat")
        app.setDesktopFileName("deskchat")
        app.setWindowIcon(app_icon())
        # The window decides when to quit: closing it mid-stream first cancels the reply.
        app.setQuitOnLastWindowClosed(False)
        settings = Settings.load(settings_path(options.data_dir))
        translation.install(app, settings.language)
        moved = move_proxy_password(settings)
        options = effective_options(options, settings)
        # The saved address has no password: the keyring's goes back in for this run.
        options = replace(options, proxy=proxy.with_password(options.proxy))
        unknown = _check_provider(options.provider)
        if unknown:
            log.error("%s", unknown)
            return EXIT_CONFIG
        window = _window(options, settings, settings.notice or moved)
        closed: list[bool] = []
        window.closed.connect(lambda: closed.append(True))
        window.show()
        _first_frame(window)
        # Not for the first frame, but before any message or key: the bubbles, and the
        # markdown parser on a worker thread.
        window.after_first_frame()
    finally:
        gc.enable()
    # What start-up made stays: later collections need not walk it again.
    gc.freeze()
    import asyncio

    # PySide6 is imported already, so qasync binds to it.
    from qasync import QEventLoop as AsyncLoop

    with asyncio.Runner(loop_factory=lambda: _async_loop(AsyncLoop(app))) as runner:
        return runner.run(_run(window, options, closed=bool(closed)))


def _async_loop(loop: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
    """``loop`` with a default executor that starts its threads as work comes (qasync's
    own starts all ten QThreads at its first job: 0.3-0.5 MiB of the window's RSS, issue
    #10); the loop's close still shuts it down and joins them."""
    from concurrent.futures import ThreadPoolExecutor

    loop.set_default_executor(ThreadPoolExecutor(max_workers=10, thread_name_prefix="deskchat"))
    return loop


def _window(options: Options, settings: Settings, notice: str | None) -> MainWindow:
    """The window, built before the loop and the history (it gets them in :func:`_run`)."""

    def connect() -> Connection:
        # After the first paint: this is where aiohttp and the model library load.
        from deskchat.chat.connection import Connection

        return Connection(options, settings)

    window = MainWindow(
        None, model_name=options.model, notice=notice, settings=settings, connect=connect
    )
    window.data_dir = data_dir(options.data_dir)
    return window


def _first_frame(window: MainWindow) -> None:
    """Run Qt's own loop until ``window`` has painted (or closed), so its first frame
    is on the screen before asyncio, qasync and the history load."""
    loop = QEventLoop()
    after_first_paint(window, loop.quit)
    window.closed.connect(loop.quit)
    loop.exec()


async def open_history(options: Options) -> tuple[AsyncStore | None, str | None]:
    """Open the history store on its worker thread; the notice to show, if any.

    A history that cannot be opened at all does not stop DeskChat: the window
    then keeps this session's chats in memory and says so.
    """
    from deskchat.store import AsyncStore

    try:
        history = await AsyncStore.open(database_path(options.data_dir))
    except (StoreError, OSError) as exc:
        said: list[str] = []
        show_error(said.append, exc, doing=_("open its chat history"))
        return None, _("{join} Chats from this session will not be kept.").format(
            join=" ".join(said)
        )
    return history, history.read_only_reason or history.recovery_notice


def move_proxy_password(settings: Settings) -> str | None:
    """Move a proxy password found in ``settings`` (an older DeskChat saved it) to the
    keyring, and save the settings without it; a sentence to show, or None."""
    if split_proxy_password(settings.proxy)[1] is None:
        return None
    kept = proxy.keep_password(settings.proxy)
    if kept.error:
        log.warning("%s", kept.error)
        return kept.error
    settings.proxy = kept.proxy
    try:
        settings.save()
    except OSError as exc:
        log.warning("cannot save settings: %s", exc)
    return kept.note


def _check_provider(provider_id: str) -> str | None:
    """The sentence saying ``provider_id`` is unknown, or None (checked before the window opens)."""
    if provider_id in (AUTO, LOCAL):
        return None
    try:
        provider.get_provider_info(provider_id)
    except provider.ProviderError as exc:
        return exc.text()
    return None


async def _run(window: MainWindow, options: Options, *, closed: bool) -> int:
    """Open the history, give it to the shown window, and run until the window closes.

    Args:
        closed: the window was closed already, before the loop ran.
    """
    import asyncio

    done = asyncio.Event()
    window.closed.connect(done.set)
    if closed:
        done.set()
    history: AsyncStore | None = None
    tools: WindowTools | None = None
    try:
        history, notice = await open_history(options)
        if not done.is_set():
            if history is not None:
                window.attach_history(history)
            if notice:
                window.statusBar().showMessage(notice)
            window.start()
            # After the first paint: mcp.json is read, no server starts until a reply needs one.
            from .window_tools import WindowTools

            tools = WindowTools.attach(window)
            _smoke_hooks(window)
        await done.wait()
    finally:
        # The window has cancelled and saved its reply before it emitted closed.
        await window.shutdown()
        if tools is not None:
            await tools.aclose()
        if history is not None:
            await history.close()
    return EXIT_OK


def _smoke_hooks(window: MainWindow) -> None:
    message = os.environ.get("DESKCHAT_SMOKE_MESSAGE")
    if message:
        sent: list[bool] = []

        def send() -> None:
            if not sent:
                sent.append(window.session.send(message))

        window.provider_ready.connect(send)
    quit_after = os.environ.get("DESKCHAT_QUIT_AFTER_MS")
    if quit_after:
        QTimer.singleShot(int(quit_after), window.close)
