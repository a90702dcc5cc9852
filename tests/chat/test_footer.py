"""The footer under a reply (FooterRole): waiting, speed and time, honest without token counts."""

from __future__ import annotations

from deskchat.chat.conversation import ChatMessage
from deskchat.chat.footer import INTERRUPTED, STOPPED, WAITING, footer
from deskchat.provider import ReplyState, ServerError, UsageEvent


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def live(reply: ReplyState) -> ChatMessage:
    return ChatMessage("assistant", reply=reply, live=True)


def test_waiting_then_nothing_while_streaming() -> None:
    clock = Clock()
    reply = ReplyState(clock=clock)
    assert footer(live(reply)) == WAITING
    reply.handle("Hel")
    assert footer(live(reply)) == ""


def test_tokens_per_second_when_the_server_counts_them() -> None:
    clock = Clock()
    reply = ReplyState(clock=clock)
    clock.now = 101.0
    reply.handle("Hello there")
    reply.handle(UsageEvent(prompt_tokens=5, completion_tokens=40))
    clock.now = 103.0
    reply.complete()
    assert footer(live(reply)) == "40 tokens · 20.0 tokens/s · 3.0 s"


def test_characters_per_second_when_the_server_counts_nothing() -> None:
    clock = Clock()
    reply = ReplyState(clock=clock)
    clock.now = 100.5
    reply.handle("x" * 300)
    clock.now = 102.5
    reply.complete()
    text = footer(live(reply))
    assert text == "300 characters · 150 characters/s · 2.5 s"
    assert "token" not in text


def test_a_continued_reply_counts_only_the_new_characters() -> None:
    clock = Clock()
    reply = ReplyState(clock=clock)
    reply.handle("old text ")
    clock.now = 101.0
    reply.handle("new")
    reply.complete()
    message = ChatMessage("assistant", reply=reply, live=True, prefix=len("old text "))
    assert footer(message).startswith("3 characters · ")


def test_stopped_error_interrupted_and_stored_replies() -> None:
    stopped = ReplyState()
    stopped.handle("part")
    stopped.stop()
    assert footer(live(stopped)) == STOPPED
    failed = ReplyState()
    failed.fail(ServerError("The server failed (HTTP 500); try again.", status_code=500))
    assert "The server failed (HTTP 500); try again." in footer(live(failed))
    cut = ReplyState()
    cut.handle("half")
    cut.stop()
    assert footer(ChatMessage("assistant", reply=cut, interrupted=True)) == INTERRUPTED
    done = ReplyState()
    done.handle("old")
    done.complete()
    # Read back from the history: no timing is known, so none is shown.
    assert footer(ChatMessage("assistant", reply=done)) == ""
    assert footer(ChatMessage("user", text="hi")) == ""


def test_a_finished_reply_names_the_model_that_wrote_it() -> None:
    clock = Clock()
    reply = ReplyState(clock=clock)
    reply.handle("hi")
    reply.handle(UsageEvent(completion_tokens=4))
    clock.now += 2.0
    reply.complete()
    message = ChatMessage("assistant", reply=reply, live=True, model="qwen2.5:1.5b")
    assert footer(message).startswith("qwen2.5:1.5b · 4 tokens · ")
    # Read back from the history: the model alone when nothing else is known.
    stored = ChatMessage("assistant", reply=reply, model="llama3.2")
    assert footer(stored) == "llama3.2 · 4 tokens"


def test_a_model_file_is_named_by_its_file_name() -> None:
    reply = ReplyState()
    reply.handle("hi")
    reply.complete()
    message = ChatMessage(
        "assistant", reply=reply, model="/home/me/models/Qwen2.5-0.5B-Q4_K_M.gguf"
    )
    assert footer(message) == "Qwen2.5-0.5B-Q4_K_M"
