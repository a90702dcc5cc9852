"""A streaming reply is saved in pieces: each save writes only the new text, and every
reader (this store, another process, the next start) gets the whole text."""

from __future__ import annotations

from pathlib import Path

from deskchat.store import Store
from tests.store.conftest import FakeClock


def _reply(store: Store) -> tuple[int, int]:
    c = store.create_conversation()
    user = store.add_message(c.id, "user", "Tell me a long story")
    return c.id, store.insert_reply(c.id, user.id, "Once")


def _pieces(store: Store, message_id: int) -> list[str]:
    return [
        row[0]
        for row in store.connection.execute(
            "SELECT text FROM reply_pieces WHERE message_id = ? ORDER BY id", (message_id,)
        )
    ]


def _raw_content(store: Store, message_id: int) -> str:
    row = store.connection.execute("SELECT content FROM messages WHERE id = ?", (message_id,))
    return str(row.fetchone()[0])


def test_a_save_writes_only_the_new_text(store: Store) -> None:
    cid, mid = _reply(store)
    w = store.resume_reply(mid, interval=0.0)
    for chunk in (" upon", " a", " time"):
        w.append(chunk)
    # The row keeps what it started with; each save added its own text, not the whole reply.
    assert _raw_content(store, mid) == "Once"
    assert _pieces(store, mid) == [" upon", " a", " time"]
    assert store.get_message(mid).content == "Once upon a time"
    assert [m.content for m in store.current_path(cid)][-1] == "Once upon a time"
    assert store.path_tail(cid, 1)[0][0].content == "Once upon a time"
    assert [m.content for m in store.all_messages(cid)][-1] == "Once upon a time"
    assert [m.content for m in store.interrupted_replies()] == ["Once upon a time"]


def test_finish_writes_the_whole_text_once_and_drops_the_pieces(store: Store) -> None:
    _cid, mid = _reply(store)
    w = store.resume_reply(mid, interval=0.0)
    w.append(" upon")
    w.append(" a time")
    msg = w.finish("complete")
    assert msg is not None
    assert msg.content == "Once upon a time"
    assert _raw_content(store, mid) == "Once upon a time"
    assert _pieces(store, mid) == []
    assert [h.message_id for h in store.search("time")] == [mid]


def test_another_store_and_the_next_start_read_the_whole_text(db_path: Path) -> None:
    clock = FakeClock(0.0)
    first = Store(db_path, clock=clock)
    try:
        cid, mid = _reply(first)
        w = first.resume_reply(mid, interval=0.0)
        w.append(" upon a time")
        # Another DeskChat (the CLI, a second window) reads while it streams.
        other = Store(db_path, clock=clock)
        try:
            assert other.get_message(mid).content == "Once upon a time"
        finally:
            other.close()
    finally:
        first.close()  # a crash: the reply never finished
    again = Store(db_path, clock=clock)
    try:
        (interrupted,) = again.interrupted_replies()
        assert (interrupted.id, interrupted.content) == (mid, "Once upon a time")
        # Continue: the resumed writer goes on after the whole text.
        w = again.resume_reply(mid, interval=0.0)
        w.append(", the end.")
        msg = w.finish("complete")
        assert msg is not None
        assert msg.content == "Once upon a time, the end."
        assert _pieces(again, mid) == []
        assert again.current_path(cid)[-1].content == "Once upon a time, the end."
    finally:
        again.close()


def test_a_status_change_keeps_the_pieces_text(store: Store) -> None:
    _cid, mid = _reply(store)
    w = store.resume_reply(mid, interval=0.0)
    w.append(" upon a time")
    store.set_status(mid, "stopped")  # an interrupted reply marked stopped
    msg = store.get_message(mid)
    assert (msg.content, msg.status) == ("Once upon a time", "stopped")
    assert _raw_content(store, mid) == "Once upon a time"
    assert _pieces(store, mid) == []


def test_a_full_rewrite_replaces_the_pieces(store: Store) -> None:
    _cid, mid = _reply(store)
    store.append_reply(mid, " upon")
    store.save_reply(mid, "Twice")
    assert store.get_message(mid).content == "Twice"
    assert _pieces(store, mid) == []


def test_pieces_go_with_their_reply(store: Store) -> None:
    _cid, mid = _reply(store)
    store.append_reply(mid, " upon")
    store.delete_message(mid)
    assert _pieces(store, mid) == []
    # A save for a reply deleted meanwhile leaves nothing behind.
    store.append_reply(mid, " a time")
    assert _pieces(store, mid) == []
    other, streaming = _reply(store)
    store.append_reply(streaming, " upon")
    assert _pieces(store, streaming) == [" upon"]
    store.delete_conversation(other)
    store.purge_deleted()
    count = store.connection.execute("SELECT count(*) FROM reply_pieces").fetchone()[0]
    assert count == 0
