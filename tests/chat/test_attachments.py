"""Files sent with a message: the exact request, the history, and Retry, Regenerate, Edit."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from deskchat.attach import Attachment
from deskchat.chat.attachments import limits_for, read_attachments
from deskchat.chat.session import ChatSession
from deskchat.provider import ImagesNotSupportedError, OpenAICompatible
from deskchat.store import AsyncStore, Store
from tests.attach.files import GPS_MAKER, jpeg_with_gps, text_pdf, write
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import Reply, serving

NOTES = "# Notes\n\nThe answer is ``42``.\n"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeOpenAI, str]]:
    server = FakeOpenAI()
    async with serving(server.app, "/v1") as base:
        yield server, base


@pytest.fixture
async def files(tmp_path: Path) -> list[Attachment]:
    paths = [
        write(tmp_path, "photo.jpg", jpeg_with_gps(3000, 1500)),
        write(tmp_path, "notes.md", NOTES),
        write(tmp_path, "report.pdf", text_pdf("Quarterly revenue rose")),
    ]
    return await read_attachments(paths, limits_for("openai-compatible"))


def answer(text: str) -> Reply:
    return stream_reply(sse([chunk(text, finish="stop")]))


async def settle(session: ChatSession) -> None:
    assert session.task is not None
    await asyncio.wait([session.task])


def chats(server: FakeOpenAI) -> list[dict[str, Any]]:
    """The chat requests (an image is preceded by a look-up at /v1/models, #14)."""
    return [r for r in server.requests if r["path"] == "/v1/chat/completions"]


def user_turns(request: dict[str, Any]) -> list[Any]:
    return [m["content"] for m in request["json"]["messages"] if m["role"] == "user"]


def check_sent(content: Any) -> None:
    """The user turn as sent: the files' blocks and the question, then the image."""
    from PIL import Image

    text, image = content
    assert text["type"] == "text"
    assert text["text"] == (
        f"```notes.md\n{NOTES}```\n\n"
        "```report.pdf\n[Page 1]\nQuarterly revenue rose\n```\n\n"
        "What do these say?"
    )
    assert image["type"] == "image_url"
    url = image["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    data = base64.b64decode(url.split(",", 1)[1])
    decoded = Image.open(io.BytesIO(data))
    assert decoded.size == (2048, 1024)
    assert not decoded.getexif()
    assert GPS_MAKER.encode() not in data


async def test_files_are_sent_kept_and_sent_again_after_a_restart(
    fake: tuple[FakeOpenAI, str], files: list[Attachment], tmp_path: Path
) -> None:
    server, base = fake
    server.reply_with(answer("Three things."), answer("Still three."))
    db = tmp_path / "deskchat.sqlite3"
    async with aiohttp.ClientSession() as http:
        history = await AsyncStore.open(db)
        session = ChatSession(
            OpenAICompatible(base, http), model_name="m", provider_id="openai", history=history
        )
        assert session.send("What do these say?", files)
        await settle(session)
        await session.aclose()
        await history.close()
        check_sent(user_turns(chats(server)[0])[0])

        # A restart: the conversation comes back with its files, and a follow-up sends them.
        history = await AsyncStore.open(db)
        session = ChatSession(
            OpenAICompatible(base, http), model_name="m", provider_id="openai", history=history
        )
        latest = await session.open_latest()
        assert latest is not None
        first = latest.messages[0]
        assert [a.name for a in first.attachments] == ["photo.jpg", "notes.md", "report.pdf"]
        assert [a.sha256 for a in first.attachments] == [a.sha256 for a in files]
        assert session.send("And now?")
        await settle(session)
        await session.aclose()
        await history.close()
    first_turn, second_turn = user_turns(chats(server)[1])
    check_sent(first_turn)
    assert second_turn == "And now?"


async def test_regenerate_retry_and_edit_keep_the_files(
    fake: tuple[FakeOpenAI, str], files: list[Attachment], tmp_path: Path
) -> None:
    server, base = fake
    broken = Reply(chunks=[b'{"error": {"message": "overloaded"}}'], status=400)
    server.reply_with(answer("one"), answer("two"), broken, answer("three"), answer("four"))
    db = tmp_path / "deskchat.sqlite3"
    async with aiohttp.ClientSession() as http:
        history = await AsyncStore.open(db)
        session = ChatSession(
            OpenAICompatible(base, http), model_name="m", provider_id="openai", history=history
        )
        session.retry_attempts = 1
        assert session.send("What do these say?", files)
        await settle(session)
        assert session.regenerate(1)
        await settle(session)
        # The next answer fails; Retry sends the files again.
        assert session.regenerate(1)
        await settle(session)
        assert session.retry()
        await settle(session)
        assert session.edit_message(0, "What do these say?")
        await settle(session)
        await session.aclose()
        await history.close()
    assert len(chats(server)) == 5
    for request in chats(server):
        check_sent(user_turns(request)[0])
    with Store(db) as store:
        (conversation,) = store.list_conversations()
        questions = [m for m in store.all_messages(conversation.id) if m.role == "user"]
        assert len(questions) == 2  # the edit is a second version
        assert all(len(q.attachments) == 3 for q in questions)
        blobs = store.connection.execute("SELECT count(*) FROM attachment_blobs").fetchone()[0]
        assert blobs == 3  # stored once, however often sent


async def test_images_for_a_provider_without_vision_are_refused_before_anything(
    files: list[Attachment], tmp_path: Path
) -> None:
    history = await AsyncStore.open(tmp_path / "deskchat.sqlite3")
    try:
        async with aiohttp.ClientSession() as http:
            provider = OpenAICompatible("http://127.0.0.1:9/v1", http)
            session = ChatSession(provider, provider_id="chatgptfree", history=history)
            with pytest.raises(ImagesNotSupportedError) as exc:
                session.send("look", files)
            assert "cannot look at images" in exc.value.text()
            assert session.conversation.messages == []
            assert not session.busy
            # Text files alone are fine for it.
            assert session.send("read", [f for f in files if not f.is_image])
            session.stop()
            await session.aclose()
    finally:
        await history.close()
