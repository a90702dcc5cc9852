"""The in-memory conversation (no Qt), and how a reply's failure becomes its sentence."""

from __future__ import annotations

import asyncio

from deskchat.chat.conversation import ChatMessage, Conversation, Conversations
from deskchat.chat.session import ChatSession
from deskchat.provider import ReplyState, ServerError
from deskchat.store import make_title
from tests.chat.fakes import HANG, QueuedProvider


def reply(text: str, status: str) -> ReplyState:
    state = ReplyState()
    if text:
        state.handle(text)
    if status == "complete":
        state.complete()
    elif status == "stopped":
        state.stop()
    elif status == "error":
        state.fail(ServerError("The server failed.", status_code=500))
    return state


def test_history_leaves_out_failed_and_empty_replies() -> None:
    conversation = Conversation()
    conversation.add(ChatMessage("user", text="one"))
    conversation.add(ChatMessage("assistant", reply=reply("partial", "error")))
    conversation.add(ChatMessage("assistant", reply=reply("", "stopped")))
    conversation.add(ChatMessage("assistant", reply=reply("answer", "complete")))
    conversation.add(ChatMessage("user", text="two"))
    assert conversation.history() == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "two"},
    ]


def test_title_comes_from_the_first_message_shortened() -> None:
    conversation = Conversation()
    text = "  What is the weather " + "x" * 100 + "\nsecond line"
    conversation.add(ChatMessage("user", text=text))
    assert conversation.title.startswith("What is the weather x")
    assert conversation.title.endswith("…")
    assert len(conversation.title) <= 61
    # The same title the history store gives the chat, so a restart changes nothing.
    assert conversation.title == make_title(text)


def test_a_renamed_chat_keeps_its_title() -> None:
    conversation = Conversation(title="Mine", renamed=True)
    conversation.add(ChatMessage("user", text="Something else"))
    assert conversation.title == "Mine"


def test_new_conversations_come_first() -> None:
    conversations = Conversations()
    first = conversations.new()
    second = conversations.new()
    assert conversations.items == [second, first]
    assert conversations.by_id(first.id) is first
    assert conversations.by_id(-1) is None


async def test_cancellation_is_silent() -> None:
    session = ChatSession(QueuedProvider(["some", HANG]))
    arrived = asyncio.Event()
    session.events.text_added.connect(lambda *_args: arrived.set())
    assert session.send("q")
    message = session.conversation.messages[-1]
    await asyncio.wait_for(arrived.wait(), 5)
    session.stop()
    await session.aclose()
    assert message.reply is not None
    assert message.reply.status == "stopped"
    assert message.reply.error is None


async def test_a_provider_error_becomes_its_sentence() -> None:
    error = ServerError("example.com failed (HTTP 502); try again.", status_code=502)
    message = await ChatSession(QueuedProvider(["some", error])).ask("q")
    assert message is not None
    state = message.reply
    assert state is not None
    assert state.status == "error"
    assert state.error == "example.com failed (HTTP 502); try again."
    assert state.text == "some"


async def test_a_bug_says_it_is_an_internal_error(caplog) -> None:
    message = await ChatSession(QueuedProvider([KeyError("oops")])).ask("q")
    assert message is not None
    state = message.reply
    assert state is not None
    assert state.status == "error"
    assert state.error is not None
    assert state.error.startswith("DeskChat hit an internal error (KeyError")
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)
