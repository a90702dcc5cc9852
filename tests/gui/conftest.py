"""GUI tests run their coroutines on a qasync loop over the test QApplication.

Never call ``qtbot.wait*`` inside an async test: it spins a nested Qt loop
under the running qasync loop and deadlocks. Poll with :func:`until` instead.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import PySide6.QtWidgets  # noqa: F401  - before qasync, so qasync binds to PySide6
import pytest
import qasync
from PySide6.QtWidgets import QApplication

from deskchat.chat.options import Options, make_provider
from deskchat.gui.main_window import MainWindow
from deskchat.gui.theme import reset_appearance

GUI_TESTS = Path(__file__).resolve().parent


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    # As in gui.app.main: the window decides when to quit, never Qt's last-window rule.
    app.setQuitOnLastWindowClosed(False)
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict:
    """Every async test under tests/gui runs on a qasync loop."""
    return {"qasync": _qasync_loop}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # WORKAROUND: the offscreen platform plugin warns that it cannot pass size
    # hints to a window manager it does not have; that is not our warning.
    for item in items:
        if Path(str(item.fspath)).is_relative_to(GUI_TESTS):
            item.add_marker(pytest.mark.qt_log_ignore("does not support propagateSizeHints"))


@pytest.fixture(autouse=True)
def collect_qt_garbage() -> Iterator[None]:
    """Collect cyclic garbage (closed qasync loops, windows) on the main thread.

    WORKAROUND: otherwise Python may collect it later in another thread (the
    pytest-timeout timer thread), where Qt objects with timers must not die:
    "QObject::~QObject: Timers cannot be stopped from another thread", then a
    crash. Autouse here, so it runs around every GUI test.
    """
    gc.collect()
    yield
    gc.collect()


@pytest.fixture(autouse=True, scope="session")
def empty_clipboard_at_exit() -> Iterator[None]:
    """Empty the clipboard while Python still runs.

    WORKAROUND: the offscreen platform keeps the clipboard's QMimeData in a C++
    global that is deleted by the C library's exit handlers, after Python has
    finalized; a mime data object with a Python wrapper (a test's own, or the
    one a paste read) then crashes the process at exit (SIGSEGV in shiboken's
    destroy, exit status 139) although every test passed.
    """
    yield
    if QApplication.instance() is not None:
        QApplication.clipboard().clear()


@pytest.fixture(autouse=True)
def system_appearance() -> Iterator[None]:
    """Each test starts with the system's colours and font: the theme and the font-size
    setting are application-wide, and a test that set them would leave them behind."""
    yield
    reset_appearance()


async def until(condition: Callable[[], object], seconds: float = 10.0, what: str = "") -> None:
    """Let the loop run until ``condition()`` is true; fail after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.01)


@pytest.fixture
async def window(qtbot, wordpress: str) -> AsyncIterator[MainWindow]:
    """The main window talking to the fake site, shown and started."""
    async with aiohttp.ClientSession() as session:
        chat_provider = make_provider(Options(provider="chatgptfree", base_url=wordpress), session)
        main = MainWindow(chat_provider)
        qtbot.addWidget(main)
        main.show()
        main.activateWindow()
        main.start()
        await until(lambda: main.model_picker.count() > 0, what="the model list")
        try:
            yield main
        finally:
            await main.session.aclose()


@pytest.fixture
def repo_env() -> dict[str, str]:
    """An environment for ``python -m deskchat`` subprocesses, run from the repository."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = str(GUI_TESTS.parents[1])
    return env
