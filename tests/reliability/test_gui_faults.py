"""The window under faults: one sentence in the bubble, the partial reply kept, no freeze.

A representative subset of ``test_faults.py``'s faults, played by the fake
chatgptfree site behind a real window on the qasync loop. For each: the reply
bubble ends in the error state with one sentence, the text that arrived
before the fault stays in the bubble, a QTimer keeps ticking all the while
(the window never blocks), and the next message gets a complete reply.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from PySide6.QtCore import Qt, QTimer

from deskchat.chat.conversation import ChatMessage
from deskchat.chat.footer import footer as footer_text
from deskchat.gui.main_window import MainWindow
from deskchat.provider import ChatgptFree
from tests.fakes.wordpress import FakeWordPress, Script, sse_body, stream
from tests.gui.conftest import until
from tests.reliability.test_faults import CHALLENGE, RAW_NAMES

IDLE = 0.3
PARTIAL = ["Partial ", "text"]


def last(window: MainWindow) -> ChatMessage:
    return window.message_model.conversation.messages[-1]


def status_of(window: MainWindow) -> str:
    reply = last(window).reply
    return reply.status if reply is not None else "user"


def partial(**kwargs: object) -> Script:
    body = sse_body(PARTIAL, done=False, comment=False, role_first=False)
    return Script(
        chunks=[body, b"data: more"], headers={"Content-Type": "text/event-stream"}, **kwargs
    )  # type: ignore[arg-type]


def bad_json() -> Script:
    body = sse_body(PARTIAL, done=False, comment=False, role_first=False)
    return Script(chunks=[body, b"data: {oops\n\n"], headers={"Content-Type": "text/event-stream"})


def arm_cloudflare(site: FakeWordPress) -> None:
    site.page_status = 403
    site.page_html = CHALLENGE.decode()
    site.page_headers = {"cf-ray": "8f0000000000-AMS", "Server": "cloudflare"}


FAULTS = {
    "cut-mid-stream": (
        lambda site: setattr(site, "reply", [partial(cut_after=1), stream(["All good"])]),
        "Partial text",
    ),
    "http-500": (
        lambda site: setattr(
            site, "reply", [Script(status=500, chunks=[b"boom"]), stream(["All good"])]
        ),
        "",
    ),
    "idle-timeout": (
        lambda site: setattr(site, "reply", [partial(hang_after=1), stream(["All good"])]),
        "Partial text",
    ),
    "invalid-json": (
        lambda site: setattr(site, "reply", [bad_json(), stream(["All good"])]),
        "Partial text",
    ),
    "cloudflare": (arm_cloudflare, ""),
}


@pytest.fixture
async def window(qtbot, wordpress: str) -> AsyncIterator[MainWindow]:
    """The main window on the fake site, with the short idle limit."""
    async with aiohttp.ClientSession() as session:
        main = MainWindow(ChatgptFree(wordpress, session=session, idle_timeout=IDLE))
        # One try: these tests are about the error the user sees when a try fails
        # (retries before the first byte are tested in tests/gui/test_local_servers.py).
        main.session.retry_attempts = 1
        qtbot.addWidget(main)
        main.show()
        main.activateWindow()
        main.start()
        await until(lambda: main.model_picker.count() > 0, what="the model list")
        try:
            yield main
        finally:
            await main.session.aclose()


async def send(qtbot, window: MainWindow, text: str) -> None:
    qtbot.keyClicks(window.chat.input_box, text)
    qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Return)


@pytest.mark.parametrize("name", list(FAULTS))
async def test_fault_in_the_window(
    qtbot, window: MainWindow, fake_site: FakeWordPress, name: str
) -> None:
    arm, kept = FAULTS[name]
    arm(fake_site)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    try:
        await send(qtbot, window, "Hello?")
        await until(lambda: status_of(window) == "error", what="the error")
        during = len(ticks)
        failed = last(window)
        assert failed.reply is not None
        error = failed.reply.error
        assert error
        assert "\n" not in error
        assert len(error) < 400
        assert RAW_NAMES.search(error) is None, error
        assert error.rstrip().endswith((".", "!", "?")), error
        assert not error.startswith("DeskChat hit an internal error")
        # The bubble shows the text that arrived, marked with the error.
        assert failed.content == kept
        assert error in footer_text(failed)
        assert window.session.can_retry()
        # The loop kept turning: Qt timers fired while the server was silent,
        # and fire on after the failure.
        if name == "idle-timeout":
            assert during > 0
        await until(lambda: len(ticks) > during + 2, what="the timer after the error")

        # The next message works.
        fake_site.page_status = 200
        fake_site.page_html = None
        fake_site.page_headers = {}
        fake_site.reply = stream(["All good"])
        await until(lambda: window.chat.send_button.text() == "Send", what="the Send button")
        await send(qtbot, window, "Again")
        await until(lambda: status_of(window) == "complete", what="the next reply")
        assert last(window).content == "All good"
        assert len(ticks) > during
    finally:
        timer.stop()
