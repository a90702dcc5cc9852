"""Save screenshots of tool calls: docs/screenshot-tools-card.png (the approval card) and
docs/screenshot-tools-result.png (the reply's calls, one expanded to its output).

Run from the repository: ``QT_QPA_PLATFORM=offscreen python -m tests.gui.make_tools_screenshot``.
The model is scripted and the tool is the real SDK server of tests/fakes/mcp_server.py,
started from a temporary mcp.json: no network is used.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from PySide6.QtCore import QPoint  # noqa: E402
from PySide6.QtGui import QPainter  # noqa: E402

from deskchat.gui.main_window import MainWindow  # noqa: E402
from deskchat.gui.window_tools import WindowTools  # noqa: E402
from deskchat.provider import FinishEvent, ToolCall  # noqa: E402
from deskchat.tools import save_servers  # noqa: E402
from tests.chat.fakes import QueuedProvider  # noqa: E402
from tests.gui.conftest import until  # noqa: E402
from tests.gui.make_screenshot import application, log, run  # noqa: E402
from tests.tools.conftest import fake_server  # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs"
NOTE = "Proof overnight at 4 °C.\nBake at 250 °C: 20 min covered, 25 min uncovered."
ARGUMENTS = {"text": NOTE}


async def shoot() -> None:
    folder = Path(tempfile.mkdtemp(prefix="deskchat-tools-"))
    save_servers(folder / "mcp.json", [fake_server("notes")])
    chat = QueuedProvider(
        [
            "I'll save that note for you. ",
            ToolCall("call_1", "echo", json.dumps(ARGUMENTS)),
            FinishEvent("tool_calls"),
        ],
        ["Saved. The note says to proof overnight and bake covered first."],
    )
    window = MainWindow(chat)  # type: ignore[arg-type]
    window.data_dir = folder
    window.resize(1040, 700)
    window.show()
    tools = WindowTools.attach(window)
    try:
        window.session.send("Save a note: proof overnight, bake at 250 °C covered then uncovered.")
        await until(lambda: tools.card.isVisible(), seconds=30, what="the approval card")
        await asyncio.sleep(0.2)
        window.grab().save(str(DOCS / "screenshot-tools-card.png"))
        log.info("saved the approval card")
        tools.card.run_button.click()
        await until(lambda: not window.session.busy, seconds=30, what="the reply")
        view = window.chat.message_view
        view.setCurrentIndex(window.message_model.index(1))
        tools.calls_action.trigger()
        dialog = tools.calls_dialog
        assert dialog is not None
        dialog.resize(600, 400)
        dialog.sections[0].set_expanded(True)
        await asyncio.sleep(0.2)
        shot = window.grab()
        painter = QPainter(shot)
        inner = dialog.grab()
        painter.drawPixmap(
            QPoint(shot.width() - inner.width() - 30, shot.height() - inner.height() - 70),
            inner,
        )
        painter.end()
        shot.save(str(DOCS / "screenshot-tools-result.png"))
        log.info("saved the expanded tool result")
        dialog.close()
    finally:
        await tools.aclose()
        await window.session.aclose()
        window.close()


def main() -> int:
    return run(shoot(), application())


if __name__ == "__main__":
    sys.exit(main())
