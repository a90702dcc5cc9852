"""``python bench/_bare_window.py``: the floor DeskChat's start-up is compared with.

One QMainWindow holding a list and a text box, the size DeskChat opens at,
titled "Bare window"; PySide6 imported the way gui/app.py imports it. It runs
until it is killed (startup.py measures spawn → mapped, then its RSS).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtWidgets import (
    QApplication,
    QListWidget,
    QMainWindow,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


def main(mark: Callable[[str], None] | None = None) -> int:
    """Show the window and run until killed; ``mark(step)`` after each step (profiling)."""
    step = mark or (lambda _what: None)
    step("PySide6 imported")
    app = QApplication([sys.argv[0]])
    step("QApplication() made")
    window = QMainWindow()
    window.setWindowTitle("Bare window")
    window.resize(980, 680)
    central = QWidget(window)
    layout = QVBoxLayout(central)
    layout.addWidget(QListWidget(central), 1)
    text = QPlainTextEdit(central)
    text.setMaximumHeight(120)
    layout.addWidget(text)
    window.setCentralWidget(central)
    step("window built")
    window.show()
    step("window.show() returned")
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
