"""ReplyWriter: the row appears at the first chunk, saves are throttled, the end is final."""

from __future__ import annotations

import pytest

from deskchat.store import NoSuchRecordError, ReadOnlyError, Store, StoreError
from tests.store.conftest import FakeClock


def _setup(store: Store) -> int:
    c = store.create_conversation()
    store.add_message(c.id, "user", "Tell me a story")
    return c.id


def _row(store: Store, message_id: int) -> tuple[str, str]:
    """What is saved of the reply: its text (with the pieces saved while it streams) and status."""
    message = store.get_message(message_id)
    return message.content, message.status


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


# -- the Store methods a ReplyWriter writes through -----------------------------


def test_insert_reply_makes_the_selected_version_without_a_writer(store: Store) -> None:
    cid = _setup(store)
    user = store.current_leaf(cid)
    assert user is not None
    first = store.insert_reply(cid, user.id, "v1", status="complete")
    second = store.insert_reply(cid, user.id, "v2", provider="p", model="m")
    assert [m.id for m in store.current_path(cid)] == [user.id, second]
    msg = store.get_message(second)
    assert (msg.role, msg.status, msg.provider, msg.model) == ("assistant", "streaming", "p", "m")
    assert (msg.version, msg.versions) == (2, 2)
    assert store.get_message(first).active is False


def test_save_and_finish_reply_write_text_status_and_counts(store: Store) -> None:
    cid = _setup(store)
    user = store.current_leaf(cid)
    assert user is not None
    mid = store.insert_reply(cid, user.id, "Once")
    store.save_reply(mid, "Once upon")
    assert tuple(_row(store, mid)) == ("Once upon", "streaming")
    store.finish_reply(
        mid, "Once upon a time", "error", error="Cut off.", prompt_tokens=3, completion_tokens=4
    )
    msg = store.get_message(mid)
    assert (msg.content, msg.status, msg.error) == ("Once upon a time", "error", "Cut off.")
    assert (msg.prompt_tokens, msg.completion_tokens) == (3, 4)


def test_reply_methods_refuse_what_the_history_cannot_hold(store: Store) -> None:
    cid = _setup(store)
    other = store.create_conversation()
    user = store.current_leaf(cid)
    assert user is not None
    with pytest.raises(NoSuchRecordError):
        store.insert_reply(other.id, user.id, "x")
    mid = store.insert_reply(cid, user.id, "x")
    with pytest.raises(StoreError, match="status must be one of"):
        store.finish_reply(mid, "x", "done")
    store.read_only_reason = "read-only for the test."
    with pytest.raises(ReadOnlyError):
        store.save_reply(mid, "xy")
    with pytest.raises(ReadOnlyError):
        store.insert_reply(cid, user.id, "x")
