"""The GUI fault tests run on a qasync loop, as tests/gui's do; the rest on asyncio's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

GUI_FAULTS = Path(__file__).resolve().parent / "test_gui_faults.py"


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """A qasync loop over the test QApplication for the window tests only."""
    if Path(str(item.fspath)) == GUI_FAULTS:
        # Imported here: the other reliability tests never load Qt.
        from tests.gui.conftest import _qasync_loop

        return {"qasync": _qasync_loop}
    return {"asyncio": asyncio.new_event_loop}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # WORKAROUND (as in tests/gui): the offscreen platform cannot pass size hints
    # to a window manager it does not have; that warning is not ours.
    for item in items:
        if Path(str(item.fspath)) == GUI_FAULTS:
            item.add_marker(pytest.mark.qt_log_ignore("does not support propagateSizeHints"))
