"""Formulas drawn as images (ziamath, QtSvg), math that is not math, and Mermaid kept as code."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument

from deskchat.gui import markdown
from deskchat.gui.bubble_select import end_spot, start_spot, text_between
from deskchat.gui.math_render import draw

from .test_bubble_delegate import View


def ALWAYS(_formula: markdown.Formula) -> bool:  # noqa: N802
    return True


def images(document: QTextDocument) -> list[QImage]:
    found = []
    for number in range(len(document.formulas)):
        image = document.resource(
            QTextDocument.ResourceType.ImageResource.value,
            QUrl(f"{markdown.MATH_SCHEME}:{number}"),
        )
        assert isinstance(image, QImage)
        found.append(image)
    return found


@pytest.mark.parametrize(
    ("text", "formulas"),
    [
        ("Energy: $E=mc^2$.", [("E=mc^2", False)]),
        ("$$\\int_0^1 x\\,dx$$", [("\\int_0^1 x\\,dx", True)]),
        ("a \\(x^2\\) b \\[y_1\\] c", [("x^2", False), ("y_1", True)]),
        ("$$\na+b\n$$", [("\na+b\n", True)]),
    ],
)
def test_math_delimiters_are_found_and_their_tex_kept_exactly(text, formulas) -> None:
    rendered = markdown.render(text, math=ALWAYS)
    assert [(f.source, f.display) for f in rendered.formulas] == formulas
    assert rendered.html.count(f'src="{markdown.MATH_SCHEME}:') == len(formulas)


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 and $6 with tax.",
        "From $20,000 to $30,000.",
        "A lone $ sign, and $ spaced $ too.",
        "Escaped \\$x\\$ stays.",
        "`$x$` is code.",
    ],
)
def test_money_and_code_are_not_math(text) -> None:
    assert markdown.render(text, math=ALWAYS).formulas == ()


def test_a_formula_that_cannot_be_drawn_shows_as_code_exactly_as_written() -> None:
    for source in ("\\frac{1}{", "x^", "\\notacommand{x}"):
        assert draw(source, False, "#000000", 13.0) is None
        rendered = markdown.render(
            f"Broken: ${source}$ here.",
            math=lambda f: draw(f.source, f.display, "#000", 13) is not None,
        )
        assert rendered.formulas == ()
        assert "<code" in rendered.html
        assert f"${source}$".replace("&", "&amp;") in rendered.html
    # Without a renderer, math is shown as written too: "x\,dx" keeps its backslash.
    assert "x\\,dx" in markdown.render("$$\\int_0^1 x\\,dx$$").html


def test_formulas_are_drawn_as_images_in_the_text_colour(qtbot) -> None:
    view = View(qtbot)
    view.add("Einstein: $E=mc^2$ and\n\n$$\\int_0^1 x\\,dx = \\frac{1}{2}$$\n")
    document = view.measure().document
    assert document is not None
    assert "E=mc" not in document.toPlainText()
    drawn = images(document)
    assert len(drawn) == 2
    ink = QColor(markdown.theme(view.delegate.layouts.dark()).code_text)
    for image in drawn:
        assert not image.isNull()
        inked = [
            image.pixelColor(x, y)
            for x in range(image.width())
            for y in range(image.height())
            if image.pixelColor(x, y).alpha() > 200
        ]
        assert inked
        for colour in inked:
            assert abs(colour.lightness() - ink.lightness()) < 40
    # The display formula is taller than a line of text.
    assert drawn[1].height() / drawn[1].devicePixelRatio() > view.list.fontMetrics().height()


def test_copying_a_selection_over_a_formula_gives_its_tex(qtbot) -> None:
    view = View(qtbot)
    view.add("So $E=mc^2$ holds.")
    measure = view.measure()
    assert text_between(measure, start_spot(measure), end_spot(measure)) == "So $E=mc^2$ holds."
    assert markdown.plain("So $E=mc^2$ and \\(x\\).") == "So $E=mc^2$ and \\(x\\)."


def test_mermaid_is_labelled_as_a_diagram_and_kept_as_code() -> None:
    code = "graph TD; A-->B\n"
    rendered = markdown.render(f"```mermaid\n{code}```\n", math=ALWAYS)
    assert "Mermaid diagram (shown as code)" in rendered.html
    assert rendered.code_blocks[0].code == code
    assert rendered.code_blocks[0].language == "mermaid"


def test_ziamath_is_imported_only_for_a_message_with_math() -> None:
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from tests.gui.test_bubble_delegate import View\n"
        "from deskchat.gui.bubble_layouts import BubbleLayouts\n"
        "from PySide6.QtWidgets import QListView\n"
        "from deskchat.gui.bubble_delegate import BubbleDelegate\n"
        "from deskchat.gui.message_model import MessageModel\n"
        "from deskchat.chat.conversation import ChatMessage\n"
        "from deskchat.provider import ReplyState\n"
        "view = QListView(); model = MessageModel(); view.setModel(model)\n"
        "delegate = BubbleDelegate(view); view.setItemDelegate(delegate)\n"
        "def reply(text):\n"
        "    r = ReplyState(); r.handle(text); r.complete()\n"
        "    m = ChatMessage('assistant', reply=r); model.append(m); return m\n"
        "delegate.layouts.measure(reply('Costs $5 and $6, **bold** and `$x$`.'))\n"
        "print('ziamath' in sys.modules)\n"
        "delegate.layouts.measure(reply('Then $E=mc^2$.'))\n"
        "print('ziamath' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert out == ["False", "True"]
