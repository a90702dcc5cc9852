"""Local servers in the model picker, and replies tried again before their first word."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from deskchat.chat.local_servers import LocalServers
from deskchat.gui.main_window import MainWindow
from deskchat.provider import create_provider
from deskchat.provider.discovery import Probe
from deskchat.provider.openai_compat import parse_models
from deskchat.store import Settings
from tests.fakes.openai_server import FakeOpenAI, Reply, chunk, json_reply, sse, stream_reply
from tests.gui.conftest import until
from tests.gui.fakes import ScriptedProvider
from tests.gui.history_helpers import send


@asynccontextmanager
async def fake_openai() -> AsyncIterator[tuple[FakeOpenAI, int]]:
    """The fake OpenAI-compatible server on a free loopback port."""
    fake = FakeOpenAI()
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    try:
        assert server.port is not None
        yield fake, server.port
    finally:
        await server.close()


def chats(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["path"].endswith("/chat/completions")]


def last_reply(window: MainWindow) -> Any:
    return window.message_model.conversation.messages[-1]


async def done(window: MainWindow) -> None:
    await until(lambda: not window.session.busy, what="the end of the reply")


async def test_local_servers_join_the_model_picker_and_answer(qtbot) -> None:
    async with fake_openai() as (fake, port), aiohttp.ClientSession() as session:
        probes = [Probe("llamacpp", "llama.cpp", port, "/v1/models", "/v1", parse_models)]
        main = ScriptedProvider(["from the main provider"])
        window = MainWindow(main, local_servers=LocalServers(session, probes=probes))
        qtbot.addWidget(window)
        window.show()
        window.start()
        picker = window.model_picker
        label = f"tiny.gguf — llama.cpp (127.0.0.1:{port})"
        await until(lambda: picker.findText(label) >= 0, what="the local model")
        # The provider's own models stay first, and stay chosen.
        assert [picker.itemText(i) for i in range(2)] == ["small", "large"]
        assert picker.currentText() == "small"

        picker.setCurrentIndex(picker.findText(label))
        assert window.session.provider_id == "llamacpp"
        await send(qtbot, window, "Hello, local")
        await until(lambda: last_reply(window).content == "Hi", what="the local reply")
        await done(window)
        assert chats(fake)[-1]["json"]["model"] == "tiny.gguf"
        assert main.requests == []

        # Choosing one of the provider's own models goes back to that provider.
        picker.setCurrentIndex(picker.findText("large"))
        assert window.session.chat_provider is main
        await send(qtbot, window, "And again")
        await until(lambda: last_reply(window).content == "from the main provider")
        await done(window)
        assert len(chats(fake)) == 1
        await window.session.aclose()


async def test_nothing_found_leaves_the_picker_alone(qtbot) -> None:
    async with aiohttp.ClientSession() as session:
        # Port 9 (discard) on loopback: nothing listens there in a test run.
        probes = [Probe("llamacpp", "llama.cpp", 9, "/v1/models", "/v1", parse_models)]
        servers = LocalServers(session, probes=probes)
        window = MainWindow(ScriptedProvider(), local_servers=servers)
        qtbot.addWidget(window)
        window.show()
        window.start()
        await until(lambda: window.model_picker.count() == 2, what="the models")
        assert await servers.discover() == []
        assert [window.model_picker.itemText(i) for i in range(2)] == ["small", "large"]
        assert window.model_picker.count() == 2


async def local_window(qtbot, session: aiohttp.ClientSession, port: int) -> MainWindow:
    chat = create_provider("llamacpp", base_url=f"http://127.0.0.1:{port}/v1", session=session)
    window = MainWindow(chat)
    qtbot.addWidget(window)
    window.show()
    window.start()
    await until(lambda: window.model_picker.count() > 0, what="the models")
    return window


async def test_a_503_before_the_reply_is_retried_and_the_user_sees_it(qtbot) -> None:
    async with fake_openai() as (fake, port), aiohttp.ClientSession() as session:
        fake.reply_with(
            json_reply({"error": {"message": "busy"}}, status=503),
            stream_reply(sse([chunk("fine"), chunk(finish="stop")])),
        )
        window = await local_window(qtbot, session, port)
        seen: list[tuple[float, str]] = []

        async def sleep(seconds: float) -> None:
            seen.append((seconds, window.statusBar().currentMessage()))

        window.session.retry_sleep = sleep
        await send(qtbot, window, "Hello")
        await done(window)
        reply = last_reply(window).reply
        assert reply.status == "complete"
        assert last_reply(window).content == "fine"
        assert seen == [(0.5, "Retrying in 0.5 s…")]
        assert len(chats(fake)) == 2
        await window.session.aclose()


async def test_an_error_after_text_is_not_retried_and_the_text_stays(qtbot) -> None:
    async with fake_openai() as (fake, port), aiohttp.ClientSession() as session:
        first = sse([chunk("Partial")], done=False)
        fake.reply_with(
            # The connection drops after the first words: retryable, but text has arrived.
            Reply(chunks=[first, b"data: {"], cut_after=1),
            stream_reply(sse([chunk("should not be asked for")])),
        )
        window = await local_window(qtbot, session, port)
        seen: list[float] = []

        async def sleep(seconds: float) -> None:
            seen.append(seconds)

        window.session.retry_sleep = sleep
        await send(qtbot, window, "Hello")
        await done(window)
        message = last_reply(window)
        assert message.reply.status == "error"
        assert message.content == "Partial"
        assert message.reply.error in window.chat.delegate.layouts.measure(message).footer
        assert seen == []
        assert len(chats(fake)) == 1
        # The bar follows the task's end, one callback after the session stops being busy.
        await until(lambda: window.chat.retry_bar.isVisibleTo(window), what="the retry bar")
        await window.session.aclose()


async def test_the_fallback_provider_answers_when_the_first_keeps_failing(qtbot, tmp_path) -> None:
    async with fake_openai() as (fake, port), aiohttp.ClientSession() as session:
        fake.reply_with(json_reply({"error": {"message": "busy"}}, status=503))
        backup = ScriptedProvider(["from the fallback"])
        built: list[str] = []

        def factory(chosen: Settings) -> Any:
            built.append(chosen.provider)
            return backup

        settings = Settings(tmp_path / "settings.json")
        settings.provider = "llamacpp"
        settings.fallback_provider = "ollama"
        chat = create_provider("llamacpp", base_url=f"http://127.0.0.1:{port}/v1", session=session)
        window = MainWindow(chat, settings=settings, provider_factory=factory)
        qtbot.addWidget(window)
        window.show()
        window.start()
        assert built == ["ollama"]
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            waits.append(seconds)

        window.session.retry_sleep = sleep
        await send(qtbot, window, "Anyone?")
        await done(window)
        assert last_reply(window).content == "from the fallback"
        assert len(chats(fake)) == window.session.retry_attempts
        assert waits == [0.5, 1.0]
        assert backup.requests
        await window.session.aclose()
