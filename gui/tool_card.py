"""The approval card: the model asks for a tool, the user decides, nothing blocks.

The card sits in the chat pane above the input box. It shows the tool, its
server and the full arguments (indented JSON, plain text that scrolls when
long) and three buttons: Run once, Always for this tool in this chat, Deny.
:class:`CardApprover` is the window's ``Approver`` for the tool loop: it shows
the card and awaits a future the buttons resolve, so the loop and the window
keep running; Stop cancels the reply's task, which hides the card.

Keys: the focus moves to Run once when the card appears; Enter runs the
focused button, Esc denies, Tab moves between the buttons. Keys pressed in
the first :attr:`ToolCard.arm_ms` ms are ignored, so an Enter or a space typed
for the input box just as the card appears approves nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from deskchat.chat.tool_lines import pretty_arguments
from deskchat.chat.tools_loop import Decision
from deskchat.i18n import _

if TYPE_CHECKING:
    import asyncio

    from deskchat.chat.tools_loop import ToolRequest

__all__ = ["ARM_MS", "CardApprover", "ToolCard"]

log = logging.getLogger("deskchat.gui")

ARM_MS = 400
"""Keys pressed this soon after the card appears are ignored (they were meant for the input)."""
ARGUMENTS_HEIGHT = 180
"""The most pixels the arguments take before they scroll."""
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_ACTIVATE = (*_ENTER, Qt.Key.Key_Space)


def _plain(text: str = "") -> QLabel:
    """A label that shows ``text`` as it is: no markup, no links (it comes from the model)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ToolCard(QFrame):
    """One tool call put to the user.

    Signals:
        decided(str): the :class:`~deskchat.chat.tools_loop.Decision` chosen.

    Attributes:
        heading, what, description: the question, the tool and its server, the
            server's description of it (untrusted, plain text).
        arguments: the full arguments, read-only.
        run_button, always_button, deny_button: the three answers.
        arm_ms: keys are ignored this long after :meth:`ask` (tests set 0).
    """

    decided = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(_("Tool call approval"))
        self.arm_ms = ARM_MS
        self._shown = QElapsedTimer()
        self.heading = _plain()
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.what = _plain()
        self.description = _plain()
        self.arguments = QPlainTextEdit()
        self.arguments.setReadOnly(True)
        self.arguments.setObjectName("toolArguments")
        self.arguments.setAccessibleName(_("The tool call's arguments"))
        self.arguments.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.arguments.setTabChangesFocus(True)
        self.run_button = QPushButton(_("Run once"))
        self.run_button.setToolTip(_("Run this call (Enter)"))
        self.always_button = QPushButton(_("Always for this tool in this chat"))
        self.always_button.setToolTip(
            _("Run this call and later calls of this tool in this chat without asking")
        )
        self.deny_button = QPushButton(_("Deny"))
        self.deny_button.setToolTip(_("Do not run it; the model is told you denied it (Esc)"))
        self._build()
        for button, decision in self._answers():
            button.clicked.connect(lambda _checked=False, d=decision: self.decide(d))
            button.installEventFilter(self)
        self.arguments.installEventFilter(self)
        self.hide()

    def _answers(self) -> tuple[tuple[QPushButton, Decision], ...]:
        return (
            (self.run_button, Decision.ONCE),
            (self.always_button, Decision.ALWAYS),
            (self.deny_button, Decision.DENY),
        )

    def _build(self) -> None:
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button, _decision in self._answers():
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.heading)
        layout.addWidget(self.what)
        layout.addWidget(self.description)
        layout.addWidget(self.arguments)
        layout.addLayout(buttons)

    def ask(self, request: ToolRequest) -> None:
        """Show ``request`` and move the focus to Run once."""
        use = request.use
        self.heading.setText(_("The model wants to run a tool. Run it?"))
        server = use.server or _("no server")
        self.what.setText(
            _("Tool: {tool} · Server: {server}").format(tool=use.tool or use.name, server=server)
        )
        description = request.description.strip()
        self.description.setText(description)
        self.description.setVisible(bool(description))
        text = pretty_arguments(use.arguments)
        self.arguments.setPlainText(text)
        self._fit_arguments(text)
        self.show()
        self._shown.start()
        self.run_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fit_arguments(self, text: str) -> None:
        """As tall as the arguments' lines, up to ARGUMENTS_HEIGHT (then they scroll)."""
        lines = text.count("\n") + 1
        box = self.arguments
        frame = 2 * box.frameWidth() + 2 * int(box.document().documentMargin())
        needed = lines * box.fontMetrics().lineSpacing() + frame + 4
        self.arguments.setFixedHeight(min(ARGUMENTS_HEIGHT, needed))

    def decide(self, decision: Decision) -> None:
        if self.isVisible():
            self.decided.emit(decision.value)

    def _armed(self) -> bool:
        return self._shown.isValid() and self._shown.elapsed() >= self.arm_ms

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Escape, *_ENTER):
                # Esc denies here rather than stopping the reply; Enter is the card's.
                event.accept()
                return True
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and isinstance(event, QKeyEvent):
            return self._key(watched, event, press=kind == QEvent.Type.KeyPress)
        return super().eventFilter(watched, event)

    def _key(self, watched: QObject, event: QKeyEvent, *, press: bool) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            if press and self._armed():
                self.decide(Decision.DENY)
            return True
        if key not in _ACTIVATE:
            return False
        if not self._armed() or event.isAutoRepeat():
            return True
        if key == Qt.Key.Key_Space:
            return False  # the button's own: clicked on release
        if press:
            chosen = dict(self._answers()).get(watched)  # type: ignore[call-overload]
            self.decide(chosen if chosen is not None else Decision.ONCE)
        return True


class CardApprover:
    """The tool loop's ``Approver`` for the window: the card, awaited without blocking.

    Args:
        card: where the calls are put to the user.
        done: called after each answer (or Stop), e.g. to give the input its focus back.
    """

    def __init__(self, card: ToolCard, done: Callable[[], None] | None = None) -> None:
        self.card = card
        self._done = done
        self._future: asyncio.Future[Decision] | None = None
        card.decided.connect(self._on_decided)

    @property
    def waiting(self) -> bool:
        """True while a call waits for the user."""
        return self._future is not None and not self._future.done()

    async def __call__(self, request: ToolRequest) -> Decision:
        import asyncio

        while self.waiting:
            # One card at a time: a second question waits for the first answer.
            assert self._future is not None
            await asyncio.wait([self._future])
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._future = future
        self.card.ask(request)
        try:
            return await future
        finally:
            self._future = None
            self.card.hide()
            if self._done is not None:
                self._done()

    def _on_decided(self, value: str) -> None:
        future = self._future
        if future is not None and not future.done():
            # Hidden at once: a second click or key cannot answer the next call.
            self.card.hide()
            future.set_result(Decision(value))
