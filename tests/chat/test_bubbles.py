"""Bubbles for a stored path: the same replies as if they had streamed in and ended."""

from __future__ import annotations

import pytest

from deskchat.chat.conversation import bubbles
from deskchat.provider import ReplyState, TextDelta
from deskchat.store.models import Message


def _stored(role: str, content: str, status: str = "complete", **more: object) -> Message:
    return Message(
        id=more.pop("id", 1),  # type: ignore[arg-type]
        conversation_id=1,
        parent_id=None,
        role=role,  # type: ignore[arg-type]
        content=content,
        created_at=5.0,
        status=status,  # type: ignore[arg-type]
        **more,  # type: ignore[arg-type]
    )


def _streamed(text: str, end: str) -> ReplyState:
    reply = ReplyState()
    reply.handle(TextDelta(text))
    reply.stop() if end == "stopped" else reply.complete()
    return reply


def _seen(reply: ReplyState) -> tuple[object, ...]:
    """All a reader can see of a reply, its clock readings aside."""
    return (
        reply.text,
        reply.length,
        reply.reasoning,
        reply.status,
        reply.finished,
        reply.error,
        reply.prompt_tokens,
        reply.completion_tokens,
        reply.finish_reason,
        reply.tool_calls,
        reply.first_text_at is None,
        reply.finished_at is None,
    )


@pytest.mark.parametrize("end", ["complete", "stopped"])
@pytest.mark.parametrize("text", ["Plain.", "Naïve 🙂 text", "", "half \ud83d"])
def test_an_ended_reply_is_the_state_a_stream_leaves(text: str, end: str) -> None:
    built, streamed = ReplyState.ended(text, end), _streamed(text, end)  # type: ignore[arg-type]
    assert (built.first_text_at is None) == (streamed.first_text_at is None) == (not text)
    assert built.finished_at is not None
    assert built.started <= (built.first_text_at or built.started) <= built.finished_at
    assert _seen(built) == _seen(streamed)
    assert (built.text, built.length, built.status) == (streamed.text, streamed.length, end)
    assert built.handle(TextDelta("more")) == "more"  # a continued reply grows as before


def test_stored_replies_become_bubbles_by_their_status() -> None:
    path = [
        _stored("system", "Be terse.", id=1),
        _stored("user", "Hi?", id=2),
        _stored("assistant", "Hello.", id=3, prompt_tokens=4, completion_tokens=2, model="m"),
        _stored("assistant", "Cut", "streaming", id=4),
        _stored("assistant", "By me", "stopped", id=5),
        _stored("assistant", "Half", "error", id=6, error="It broke."),
    ]
    shown = bubbles(path)
    assert [b.store_id for b in shown] == [2, 3, 4, 5, 6]
    assert [b.content for b in shown] == ["Hi?", "Hello.", "Cut", "By me", "Half"]
    replies = [b.reply for b in shown[1:]]
    assert [r.status for r in replies if r is not None] == [
        "complete",
        "stopped",
        "stopped",
        "error",
    ]
    assert [b.interrupted for b in shown] == [False, False, True, False, False]
    assert replies[0] is not None
    assert replies[0].completion_tokens == 2
    assert shown[1].model == "m"
    assert shown[0].created_at == 5.0
    assert replies[3] is not None
    assert replies[3].error == "It broke."
