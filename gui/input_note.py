"""The line under the input box: how big a large paste or dropped file is before it is sent,
or why a dropped file was not added."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QLabel, QWidget

from deskchat.i18n import _, ngettext, number, size

from .input_box import InputBox

__all__ = ["CHARS_PER_TOKEN", "LARGE_BYTES", "InputNote", "describe"]

LARGE_BYTES = 20 * 1000
"""A paste or drop over this many bytes (UTF-8) says how big it is before it is sent."""
CHARS_PER_TOKEN = 4
"""About how many characters a model's token holds (English prose and code)."""


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _tokens(chars: int) -> str:
    tokens = chars / CHARS_PER_TOKEN
    rounded = int(round(tokens, -2)) if tokens >= 1000 else max(round(tokens), 1)
    return ngettext("about {n} token", "about {n} tokens", rounded).format(n=number(rounded))


def describe(text: str) -> str:
    """``text``'s lines, size and tokens: "2,000 lines · 84.0 kB · about 21,000 tokens"."""
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    line_count = ngettext("{n} line", "{n} lines", lines).format(n=number(lines))
    return f"{line_count} · {size(_utf8_size(text))} · {_tokens(len(text))}"


def is_large(text: str) -> bool:
    """Whether ``text`` is over :data:`LARGE_BYTES` in UTF-8."""
    # UTF-8 takes at most 4 bytes a character: short text needs no encoding to tell.
    return len(text) * 4 > LARGE_BYTES and _utf8_size(text) > LARGE_BYTES


class InputNote(QLabel):
    """Under ``box``: the size of a paste or drop over :data:`LARGE_BYTES`
    ("Pasted 2,000 lines · 84.0 kB · about 21,000 tokens"), or why a dropped file was refused.

    The size goes once the box holds less than what was added (sent, cleared,
    undone); a refusal goes with the next change to the box.

    Args:
        box: the input box it speaks about; it listens to its signals.
    """

    def __init__(self, box: InputBox, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputNote")
        self.setWordWrap(True)
        self._box = box
        self._added = 0
        """The characters added by the paste or drop described (0: a refusal)."""
        self._said_at = 0
        """The box's character count when the note was last set."""
        self.hide()
        box.pasted.connect(self.on_input_box_pasted)
        box.files_added.connect(self.on_input_box_files_added)
        box.drop_refused.connect(self.on_input_box_drop_refused)
        box.textChanged.connect(self.on_input_box_text_changed)

    @Slot(str)
    def on_input_box_pasted(self, text: str) -> None:
        if is_large(text):
            self._say(_("Pasted {what}").format(what=describe(text)), len(text))

    @Slot(str, int)
    def on_input_box_files_added(self, text: str, files: int) -> None:
        if is_large(text):
            added = ngettext("Added {n} file:", "Added {n} files:", files).format(n=number(files))
            self._say(f"{added} {describe(text)}", len(text))

    @Slot(str)
    def on_input_box_drop_refused(self, line: str) -> None:
        self._say(line, 0)

    def _say(self, line: str, added: int) -> None:
        self.setText(line)
        self.setAccessibleName(line)
        self._added = added
        self._said_at = self._box.document().characterCount()
        self.show()

    @Slot()
    def on_input_box_text_changed(self) -> None:
        if self.isHidden():
            return
        count = self._box.document().characterCount()
        if self._added == 0:
            # A drop's own insertion is told after the refusal was said (an edit block).
            if count != self._said_at:
                self.hide()
        # characterCount counts the closing paragraph separator too.
        elif count - 1 < self._added:
            self.hide()
