"""ReplyWriter: the row appears at the first chunk, saves are throttled, the end is final."""

from __future__ import annotations

import pytest

from deskchat.store import ReadOnlyError, Store
from tests.store.conftest import FakeClock


def _setup(store: Store) -> int:
    c = store.create_conversation()
    store.add_message(c.id, "user", "Tell me a story")
    return c.id


def _row(store: Store, message_id: int) -> tuple[str, str]:
    return store.connection.execute(
        "SELECT content, status FROM messages WHERE id = ?", (message_id,)
    ).fetchone()[:]


def test_row_created_at_first_chunk_and_saved_every_interval(store: Store) -> None:
    cid = _setup(store)
    clock = FakeClock(0.0)
    w = store.begin_reply(cid, provider="p", model="m", clock=clock, interval=0.2)
    assert w.message_id is None
    assert len(store.all_messages(cid)) == 1
    w.append("Once")
    assert w.message_id is not None
    assert tuple(_row(store, w.message_id)) == ("Once", "streaming")
    clock.advance(0.1)
    w.append(" upon")
    assert tuple(_row(store, w.message_id)) == ("Once", "streaming")  # throttled
    clock.advance(0.1)
    w.append(" a time")
    assert tuple(_row(store, w.message_id)) == ("Once upon a time", "streaming")
    msg = w.finish("complete", prompt_tokens=5, completion_tokens=4)
    assert msg is not None
    assert (msg.content, msg.status, msg.prompt_tokens, msg.completion_tokens) == (
        "Once upon a time",
        "complete",
        5,
        4,
    )
    assert (msg.provider, msg.model, msg.role) == ("p", "m", "assistant")
    assert w.saves == 3
    assert store.interrupted_replies() == []


def test_error_keeps_partial_text_and_sentence(store: Store) -> None:
    cid = _setup(store)
    w = store.begin_reply(cid, clock=FakeClock(0.0))
    w.append("Half a")
    msg = w.finish("error", error="The server went away.")
    assert msg is not None
    assert (msg.content, msg.status, msg.error) == ("Half a", "error", "The server went away.")


def test_error_before_any_text_still_recorded(store: Store) -> None:
    cid = _setup(store)
    msg = store.begin_reply(cid).finish("error", error="No connection.")
    assert msg is not None
    assert (msg.content, msg.status, msg.error) == ("", "error", "No connection.")


def test_stop_before_any_text_leaves_nothing(store: Store) -> None:
    cid = _setup(store)
    assert store.begin_reply(cid).finish("stopped") is None
    assert len(store.all_messages(cid)) == 1


def test_regenerate_is_a_sibling(store: Store) -> None:
    cid = _setup(store)
    user = store.current_leaf(cid)
    assert user is not None
    first = store.begin_reply(cid)
    first.append("v1")
    first.finish()
    second = store.begin_reply(cid, parent_id=user.id)
    second.append("v2")
    msg = second.finish()
    assert msg is not None
    assert (msg.version, msg.versions) == (2, 2)
    assert [m.content for m in store.current_path(cid)] == ["Tell me a story", "v2"]


def test_finish_twice_is_a_bug(store: Store) -> None:
    cid = _setup(store)
    w = store.begin_reply(cid)
    w.append("x")
    w.finish()
    with pytest.raises(RuntimeError):
        w.finish()
    with pytest.raises(RuntimeError):
        w.append("y")


def test_read_only_store_refuses_a_reply(store: Store) -> None:
    cid = _setup(store)
    store.read_only_reason = "read-only for the test."
    with pytest.raises(ReadOnlyError):
        store.begin_reply(cid)
