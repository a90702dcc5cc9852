"""The input box grows with its text up to 40 % of the window, a large paste says how large
it is before it is sent, and text files dropped on it add their text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from deskchat.gui.input_box import MAX_SHARE, InputBox
from deskchat.gui.input_note import describe
from deskchat.gui.main_window import MainWindow
from tests.gui.conftest import until
from tests.gui.fakes import ScriptedProvider

#: 2,000 lines of 41 characters and a line end: 84,000 bytes, about 21,000 tokens.
BIG = "".join(f"{n:05d} the quick brown fox jumps over dogs\n" for n in range(2000))


@pytest.fixture
def window(qtbot) -> MainWindow:
    main = MainWindow(ScriptedProvider())
    qtbot.addWidget(main)
    main.resize(900, 600)
    main.show()
    qtbot.waitExposed(main)
    return main


def settle() -> None:
    """Let the layout give the box the height it asked for (a posted layout request)."""
    for _ in range(3):
        QApplication.processEvents()


def lines(n: int) -> str:
    return "\n".join(f"line {i}" for i in range(n))


def test_the_box_grows_with_its_text_and_stops_at_two_fifths_of_the_window(
    qtbot, window: MainWindow
) -> None:
    box = window.chat.input_box
    empty = box.height()
    line = box.fontMetrics().lineSpacing()
    assert 2 * line <= empty < 4 * line
    assert box.verticalScrollBar().maximum() == 0

    box.setPlainText(lines(6))
    settle()
    six = box.height()
    assert six >= empty + 3 * line
    assert box.verticalScrollBar().maximum() == 0  # all six lines show

    box.setPlainText(lines(200))
    settle()
    capped = box.height()
    assert capped == pytest.approx(window.height() * MAX_SHARE, abs=2)
    assert box.verticalScrollBar().maximum() > 0  # the rest scrolls
    # The messages above keep the rest of the window.
    assert window.chat.message_view.height() > line * 3

    window.resize(900, 800)
    qtbot.waitUntil(lambda: box.height() > capped)
    assert box.height() == pytest.approx(window.height() * MAX_SHARE, abs=2)

    box.clear()
    settle()
    assert box.height() == empty


def test_a_long_line_grows_the_box_as_it_wraps(window: MainWindow) -> None:
    box = window.chat.input_box
    empty = box.height()
    box.setPlainText("word " * 200)
    settle()
    assert box.height() > empty


async def test_a_large_paste_says_its_size_and_tokens_before_it_is_sent(
    qtbot, window: MainWindow
) -> None:
    chat = window.chat
    note = chat.input_note
    QGuiApplication.clipboard().setText("a small paste")
    chat.input_box.paste()
    assert chat.input_box.toPlainText() == "a small paste"
    assert note.isHidden()

    chat.input_box.clear()
    QGuiApplication.clipboard().setText(BIG)
    chat.input_box.paste()
    assert chat.input_box.toPlainText() == BIG
    assert note.isVisible()
    assert note.text() == "Pasted 2,000 lines · 84.0 kB · about 21,000 tokens"
    # Under the box, and inside the window.
    assert note.geometry().top() >= chat.input_box.geometry().bottom()
    assert window.rect().contains(note.mapTo(window, note.rect().bottomRight()))

    qtbot.keyClicks(chat.input_box, " more")
    assert note.isVisible()  # still true of what is in the box
    chat.input_box.undo()
    chat.input_box.undo()
    assert note.isHidden()  # the paste is gone again

    chat.input_box.paste()
    assert note.isVisible()
    qtbot.keyClick(chat.input_box, Qt.Key.Key_Return)  # sent
    assert chat.input_box.toPlainText() == ""
    assert note.isHidden()
    await until(lambda: not window.session.busy, what="the reply")
    assert window.message_model.index(0).data() == BIG


def test_sizes_and_counts_are_written_in_the_language(russian) -> None:
    text = describe(BIG)
    assert "2\u00a0000" in text
    assert "21\u00a0000" in text
    assert "84" in text


def drop(box: InputBox, paths: list[Path]) -> None:
    """Drop ``paths`` (as a file manager does: file URLs) at the box's top left."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = QPoint(5, 5)
    action = Qt.DropAction.CopyAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where, action, data, buttons, keys)
    QApplication.sendEvent(box.viewport(), enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(where, action, data, buttons, keys)
    QApplication.sendEvent(box.viewport(), move)
    assert move.isAccepted()
    QApplication.sendEvent(box.viewport(), QDropEvent(QPointF(where), action, data, buttons, keys))


def test_a_dropped_text_file_adds_its_text(window: MainWindow, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Première ligne\r\nsecond line\n", encoding="utf-8")
    box = window.chat.input_box
    drop(box, [notes])
    assert box.toPlainText() == "Première ligne\nsecond line\n"
    assert window.chat.input_note.isHidden()  # small: nothing to say

    box.clear()
    big = tmp_path / "big.log"
    big.write_text(BIG, encoding="utf-8")
    drop(box, [big])
    assert box.toPlainText() == BIG
    assert window.chat.input_note.text() == (
        "Added 1 file: 2,000 lines · 84.0 kB · about 21,000 tokens"
    )


def test_a_binary_file_is_refused_with_a_sentence(window: MainWindow, tmp_path: Path) -> None:
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    latin1 = tmp_path / "old.txt"
    latin1.write_bytes("caf\xe9".encode("latin-1"))
    text = tmp_path / "ok.txt"
    text.write_text("fine", encoding="utf-8")
    box = window.chat.input_box
    drop(box, [picture, text, latin1])
    assert box.toPlainText() == "fine"
    note = window.chat.input_note
    assert note.isVisible()
    assert note.text() == (
        "“photo.png” is not a text file, so it was not added: only text can be dropped here. "
        "“old.txt” is not a text file, so it was not added: only text can be dropped here."
    )
    box.insertPlainText("!")
    assert note.isHidden()


def test_a_folder_is_refused(window: MainWindow, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    drop(window.chat.input_box, [folder])
    assert window.chat.input_box.toPlainText() == ""
    assert window.chat.input_note.text() == "“src” is a folder: drop text files instead."
