"""The tool calls of one reply: a collapsed line each, expanded to their arguments and output.

Opened from a reply's context menu ("Show tool calls") with ``open()``. The
arguments and the output come from the model and the servers: shown in
read-only plain-text boxes, inert exactly like model text, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deskchat.chat.tool_lines import pretty_arguments, tool_line
from deskchat.chat.tool_uses import ToolUse
from deskchat.i18n import _

__all__ = ["ToolCallSection", "ToolCallsDialog"]

TEXT_HEIGHT = 160
"""The most pixels an argument or output box takes before it scrolls."""


def _text_box(text: str, name: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setReadOnly(True)
    box.setPlainText(text)
    box.setAccessibleName(name)
    box.setMaximumHeight(TEXT_HEIGHT)
    box.setTabChangesFocus(True)
    return box


class ToolCallSection(QWidget):
    """One call: its line as a button that folds out the arguments and the output.

    Attributes:
        header: the call's line; checked when expanded.
        details: the arguments and output, hidden while collapsed.
        arguments, output: the read-only texts.
    """

    def __init__(self, use: ToolUse, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QToolButton()
        self.header.setText(tool_line(use))
        self.header.setCheckable(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setArrowType(Qt.ArrowType.RightArrow)
        self.header.setAutoRaise(True)
        self.header.toggled.connect(self.set_expanded)
        self.arguments = _text_box(pretty_arguments(use.arguments), _("Arguments"))
        output = use.output if use.output is not None else _("No output yet.")
        self.output = _text_box(output, _("Output"))
        self.details = QWidget()
        inner = QVBoxLayout(self.details)
        inner.setContentsMargins(22, 0, 0, 6)
        inner.addWidget(QLabel(_("Arguments")))
        inner.addWidget(self.arguments)
        inner.addWidget(QLabel(_("Output")))
        inner.addWidget(self.output)
        self.details.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.details)

    @property
    def expanded(self) -> bool:
        return self.header.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        if self.header.isChecked() != expanded:
            self.header.setChecked(expanded)  # toggled comes back here
            return
        arrow = Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow
        self.header.setArrowType(arrow)
        self.details.setVisible(expanded)


class ToolCallsDialog(QDialog):
    """The calls of one reply, each collapsed until its line is clicked (or Space).

    Attributes:
        sections: one :class:`ToolCallSection` per call, in order.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Tool calls"))
        self.resize(560, 420)
        self.sections: list[ToolCallSection] = []
        self._list = QWidget()
        self._rows = QVBoxLayout(self._list)
        self._rows.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)

    def show_calls(self, uses: Sequence[ToolUse]) -> None:
        """List ``uses`` (as they are now), all collapsed."""
        for section in self.sections:
            self._rows.removeWidget(section)
            section.deleteLater()
        self.sections = [ToolCallSection(use) for use in uses]
        for section in self.sections:
            self._rows.addWidget(section)
        if self.sections:
            self.sections[0].header.setFocus()
