"""Hostile model output: nothing is fetched, nothing runs, everything renders and paints.

Each hostile input is rendered and painted (whole and while streaming) inside
the test; pytest-timeout turns a hang into a failure. There are no timing
asserts: speed is measured in bench/.
"""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QPainter, QTextDocument
from PySide6.QtWidgets import QMessageBox

from deskchat.chat.conversation import ChatMessage
from deskchat.gui import markdown
from deskchat.gui.bubble_parts import InertDocument
from tests.gui.test_bubble_delegate import View

HOSTILE: dict[str, str] = {
    "script tag": "<script>alert(1)</script>",
    "event handler": '<b onmouseover="alert(1)">hover</b>',
    "raw img": '<img src="http://127.0.0.1:1/pixel.gif" width=1>',
    "markdown image": "![tracker](http://127.0.0.1:1/pixel.gif)",
    "data image": "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "file image": "![x](file:///etc/passwd)",
    "javascript link": "[click](javascript:alert(document.cookie))",
    "entity-encoded javascript": "[click](&#106;avascript:alert(1))",
    "file link": "[open](file:///C:/Windows/System32/calc.exe)",
    "custom scheme": "[run](ms-settings:privacy)",
    "reference link": "[click][1]\n\n[1]: javascript:alert(1)",
    "style block": "<style>*{display:none}</style>hidden?",
    "link tag": '<link rel="stylesheet" href="http://127.0.0.1:1/s.css">',
    "iframe": '<iframe src="http://127.0.0.1:1/"></iframe>',
    "bidi override": "file\u202egnp.exe \u2066isolate\u2069 \u202aembed\u202c",
    "C0 and C1 controls": "bell\x07 esc\x1b[31m red\x1b[0m nul\x00 del\x7f csi\x9b",
    "zero-width and joiners": "a\u200b\u200c\u200d\ufeffb",
    "zalgo": "Z" + "\u0301\u0302\u0303\u0304" * 2000,
    "one megabyte line": "x" * 1_000_000,
    "long url": "https://example.com/" + "a" * 200_000,
    "1000 nested quotes": "> " * 1000 + "deep",
    "1000 nested lists": "".join("  " * i + "- item\n" for i in range(1000)),
    "1000 inline nested lists": "- " * 1000 + "x",
    "10000 code blocks": "\n".join(f"```python\nx = {i}\n```" for i in range(10_000)),
    "huge code block": "```python\n" + "x = 'a' * 10\n" * 50_000 + "```",
    "unclosed fence": "```python\n" + "def f():\n    pass\n" * 5000,
    "wide table": "|" + "a|" * 3000 + "\n|" + "-|" * 3000 + "\n|" + "1|" * 3000,
    "tall table": "|a|b|\n|-|-|\n" + "|1|2|\n" * 5000,
    "emphasis storm": "*a" * 50_000,
    "nested emphasis": "**a *b " * 10_000,
    "bracket storm": "[" * 50_000 + "a" + "]" * 50_000,
    "many links": "[l](https://example.com/) " * 10_000,
    "backtick storm": "`" * 50_000,
    "angle storm": "<" * 100_000,
    "entity storm": "&#x202E;&amp;&#0;" * 20_000,
    "headings": "# h\n" * 10_000,
    "crlf and cr": "line\r\nline\rline\n" * 10_000,
    "tabs": "\t" * 100_000 + "end",
    "unicode planes": "😀🏳️‍🌈𝕏\U0010ffff\ue000" * 10_000,
}


def test_hostile_input_count() -> None:
    assert len(HOSTILE) == 39


def _check_html(rendered: markdown.Rendered) -> None:
    html = rendered.html
    assert "<img" not in html
    assert "<script" not in html
    assert "<iframe" not in html
    assert "<style" not in html
    assert "<link" not in html
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", html)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", html)
    assert all(markdown.is_safe_link(href) for href in rendered.links)
    hrefs = re.findall(r'<a href="([^"]*)"', html)
    assert len(hrefs) == len(rendered.links)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_renders_and_paints(qtbot, name: str) -> None:
    text = HOSTILE[name]
    _check_html(markdown.render(text))
    _check_html(markdown.render(text, dark=True))

    view = View(qtbot)
    message = view.add(text)
    assert view.measure().document is not None
    # A long reply is rendered a budget at a time, between event-loop turns.
    qtbot.waitUntil(lambda: view.measure().rendered_length == len(text), timeout=60_000)
    view.list.viewport().grab()
    view.list.scrollToBottom()
    view.list.viewport().grab()
    # The user sent it too: plain text paints as well.
    view.model.append(ChatMessage("user", text=text))
    view.list.doItemsLayout()
    view.list.scrollToBottom()
    view.list.viewport().grab()
    assert message.reply is not None


@pytest.mark.parametrize("name", ["1000 nested quotes", "emphasis storm", "10000 code blocks"])
def test_hostile_input_streams_in_pieces(qtbot, name: str) -> None:
    text = HOSTILE[name]
    view = View(qtbot)
    message = view.add("", done=False)
    reply = message.reply
    assert reply is not None
    step = max(1, len(text) // 7)
    for start in range(0, len(text), step):
        reply.handle(text[start : start + step])
        view.model.touch(message)
        view.model.flush()
        view.delegate.layouts.refresh_rows(view.model, [0])
        view.list.viewport().grab()
    reply.complete()
    qtbot.waitUntil(lambda: view.measure().rendered_length == len(text), timeout=60_000)
    view.list.viewport().grab()


class Recorder:
    """A loopback HTTP server that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        png = bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
        )
        return web.Response(body=png, content_type="image/png")


def test_the_inert_document_loads_no_local_file(qtbot, tmp_path) -> None:
    picture = tmp_path / "secret.png"
    picture.write_bytes(b"not really a png")
    url = QUrl.fromLocalFile(str(picture))
    kind = int(QTextDocument.ResourceType.ImageResource.value)
    # A plain QTextDocument reads local files named by <img src>; ours does not.
    assert QTextDocument().loadResource(kind, url) is not None
    document = InertDocument()
    document.setHtml(f'<img src="{url.toString()}">')
    assert document.loadResource(kind, url) is None
    assert document.resource(kind, url) is None


async def test_rendering_and_painting_fetch_nothing(qtbot) -> None:
    recorder = Recorder()
    server = TestServer(recorder.app, host="127.0.0.1")
    await server.start_server()
    try:
        await _fetch_nothing(qtbot, recorder, f"http://127.0.0.1:{server.port}")
    finally:
        await server.close()


async def _fetch_nothing(qtbot, recorder: Recorder, base: str) -> None:
    text = (
        f"![x]({base}/img.png)\n\n"
        f'<img src="{base}/raw.png">\n\n'
        f'<link rel="stylesheet" href="{base}/style.css">\n\n'
        f"[a link]({base}/link) and <{base}/autolink>\n\n"
        f"[![inner]({base}/inner.png)]({base}/outer)\n"
    )
    view = View.unexposed(qtbot)
    view.add(text)
    measure = view.measure()
    assert measure.document is not None
    view.list.viewport().grab()
    # Clicking the link only asks; cancelling opens nothing either.
    view.links.confirm_open(f"{base}/link")
    box = view.links.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Cancel).click()

    # Even HTML with images straight into the document loads nothing.
    document = InertDocument()
    document.setHtml(f'<p>x<img src="{base}/direct.png"><img src="file:///etc/hostname"></p>')
    image = QImage(200, 100, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    document.drawContents(painter)
    painter.end()
    kind = int(QTextDocument.ResourceType.ImageResource.value)
    assert document.loadResource(kind, QUrl(f"{base}/direct.png")) is None

    await asyncio.sleep(0.3)
    assert recorder.requests == []
    assert view.opened == []

    # The recorder does notice requests, so the empty list above means something.
    async with aiohttp.ClientSession() as session, session.get(f"{base}/probe"):
        pass
    assert recorder.requests == ["/probe"]
