"""What a window makes right after its first frame, before the first message (issue #11):
the bubbles, and the markdown parser's import on a worker thread. Shown any way, not only
by gui.app.main, so that a first send never imports or builds them mid-reply."""

from __future__ import annotations

import pytest

from deskchat.gui import main_window, markdown
from deskchat.gui.first_paint import FALLBACK_MS
from deskchat.gui.main_window import MainWindow


@pytest.fixture
def preloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the window's calls to start the markdown preload (the real one runs once
    per process, so an earlier test may have started it already)."""
    calls: list[str] = []
    monkeypatch.setattr(markdown, "preload_in_background", lambda: calls.append("preload"))
    assert main_window.markdown is markdown
    return calls


def delegate_name(window: MainWindow) -> str:
    return type(window.chat.message_view.itemDelegate()).__name__


def test_a_shown_window_makes_its_bubbles_and_preloads_markdown_after_its_first_paint(
    qtbot, preloads: list[str]
) -> None:
    window = MainWindow(None)
    qtbot.addWidget(window)
    # Not for the first frame: its list is empty.
    assert delegate_name(window) != "BubbleDelegate"
    assert preloads == []
    window.show()
    qtbot.waitUntil(lambda: delegate_name(window) == "BubbleDelegate")
    assert window.message_model.rowCount() == 0
    assert preloads == ["preload"]
    # Once: a later show (after a hide) does not ask again.
    window.hide()
    window.show()
    qtbot.wait(50)
    assert preloads == ["preload"]


def test_a_window_closed_before_its_first_paint_makes_nothing(qtbot, preloads: list[str]) -> None:
    window = MainWindow(None)
    qtbot.addWidget(window)
    window.show()
    window.close()
    # Past the first-paint watcher's fallback, which calls back even without a paint.
    qtbot.wait(FALLBACK_MS + 200)
    assert delegate_name(window) != "BubbleDelegate"
    assert preloads == []


def test_after_first_frame_is_idempotent(qtbot, preloads: list[str]) -> None:
    # gui.app.main calls it right after the first frame; the window's own first-paint
    # watcher then calls it again.
    window = MainWindow(None)
    qtbot.addWidget(window)
    window.after_first_frame()
    delegate = window.chat.message_view.itemDelegate()
    window.after_first_frame()
    assert window.chat.message_view.itemDelegate() is delegate
    assert type(delegate).__name__ == "BubbleDelegate"
