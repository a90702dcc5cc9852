"""Helpers for window tests against a real history store in $DESKCHAT_DATA_DIR."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from PySide6.QtCore import Qt

from deskchat.chat.options import Options, make_provider
from deskchat.gui.app import open_history
from deskchat.gui.main_window import MainWindow
from deskchat.store import Message, Settings, Store, database_path
from tests.fakes.wordpress import Script, sse_body
from tests.gui.conftest import until


def hanging(texts: list[str]) -> Script:
    """A stream that sends ``texts`` and then keeps the connection open."""
    body = sse_body(texts, done=False)
    return Script(chunks=[body], headers={"Content-Type": "text/event-stream"}, hang_after=1)


@asynccontextmanager
async def open_window(
    qtbot,
    base_url: str,
    *,
    settings: Settings | None = None,
    factory: Callable[[Settings], Any] | None = None,
) -> AsyncIterator[MainWindow]:
    """A window over the history in $DESKCHAT_DATA_DIR, closed (and the store too) on exit."""
    history, notice = await open_history(Options(base_url=base_url))
    assert history is not None
    async with aiohttp.ClientSession() as session:
        main = MainWindow(
            make_provider(Options(provider="chatgptfree", base_url=base_url), session),
            history=history,
            notice=notice,
            settings=settings,
            provider_factory=factory,
        )
        qtbot.addWidget(main)
        main.show()
        main.start()
        await until(lambda: main.model_picker.count() > 0, what="the model list")
        try:
            yield main
        finally:
            closed: list[bool] = []
            main.closed.connect(lambda: closed.append(True))
            main.close()
            await until(lambda: closed, what="the window to close")
            await history.close()


def stored_path() -> list[Message]:
    """The current path of the newest conversation, read with a fresh Store."""
    with Store(database_path()) as s:
        conversations = s.list_conversations()
        return s.current_path(conversations[0].id) if conversations else []


def status_of(window: MainWindow) -> str:
    reply = window.message_model.conversation.messages[-1].reply
    return reply.status if reply is not None else "user"


async def send(qtbot, window: MainWindow, text: str) -> None:
    qtbot.keyClicks(window.chat.input_box, text)
    qtbot.keyClick(window.chat.input_box, Qt.Key.Key_Return)


def last_prompt(site: Any) -> str:
    """What the fake site was last asked (the flattened conversation)."""
    form = site.posts[-1]["form"]
    assert isinstance(form, dict)
    return str(form["message"])


class QueueProvider:
    """Streams whatever the test puts in :attr:`chunks`; None ends the reply."""

    name = "queue"
    display_name = "Queue"
    default_model = "small"
    models: Sequence[str] = ("small",)

    def __init__(self) -> None:
        self.chunks: asyncio.Queue[str | None] = asyncio.Queue()
        self.requests: list[list[dict[str, str]]] = []
        self.params: list[dict[str, Any]] = []

    async def create_async_generator(
        self, model: str, messages: Sequence[Any], **params: Any
    ) -> AsyncIterator[str]:
        self.requests.append([dict(m) for m in messages])
        self.params.append(params)
        while (chunk := await self.chunks.get()) is not None:
            yield chunk
