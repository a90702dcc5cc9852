"""Conversations and messages: titles, the bin, versions (branches) and the current path."""

from __future__ import annotations

import pytest

from deskchat.store import NoSuchRecordError, Store, StoreError, make_title
from tests.store.conftest import FakeClock


def _contents(store: Store, cid: int) -> list[str]:
    return [m.content for m in store.current_path(cid)]


def test_title_from_first_user_message(store: Store) -> None:
    c = store.create_conversation()
    store.add_message(c.id, "system", "You are terse.")
    store.add_message(c.id, "user", "\n  How do   I bake bread?\nWith details.")
    store.add_message(c.id, "user", "Second question")
    assert store.get_conversation(c.id).title == "How do I bake bread?"


def test_titles_are_one_short_line() -> None:
    long = "word " * 40
    title = make_title(long)
    assert len(title) <= 61
    assert title.endswith("…")
    assert "\n" not in title
    assert make_title("a\nb") == "a"
    assert make_title("   ") == ""


def test_given_title_is_kept(store: Store) -> None:
    c = store.create_conversation("Mine")
    store.add_message(c.id, "user", "Hello")
    assert store.get_conversation(c.id).title == "Mine"


def test_list_newest_first_and_bin(store: Store, clock: FakeClock) -> None:
    a = store.create_conversation("a")
    clock.advance(1)
    b = store.create_conversation("b")
    clock.advance(1)
    store.add_message(a.id, "user", "bump a")
    assert [c.title for c in store.list_conversations()] == ["a", "b"]
    store.delete_conversation(a.id)
    assert [c.title for c in store.list_conversations()] == ["b"]
    assert [c.title for c in store.deleted_conversations()] == ["a"]
    store.restore_conversation(a.id)
    assert {c.title for c in store.list_conversations()} == {"a", "b"}
    store.delete_conversation(b.id)
    assert store.purge_deleted() == 1
    with pytest.raises(NoSuchRecordError):
        store.get_conversation(b.id)


def test_purge_removes_messages(store: Store) -> None:
    c = store.create_conversation()
    store.add_message(c.id, "user", "hi")
    store.purge_conversation(c.id)
    assert store.connection.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    with pytest.raises(NoSuchRecordError):
        store.purge_conversation(c.id)


def test_rename_and_update(store: Store) -> None:
    c = store.create_conversation()
    assert store.rename(c.id, "  New\n name ").title == "New name"
    c2 = store.update_conversation(c.id, model="m", params={"temperature": 0.2})
    assert (c2.model, c2.params) == ("m", {"temperature": 0.2})
    with pytest.raises(NoSuchRecordError):
        store.rename(999, "x")


def test_edit_keeps_old_branch_and_versions_switch(store: Store) -> None:
    c = store.create_conversation()
    u1 = store.add_message(c.id, "user", "Q1")
    a1 = store.add_message(c.id, "assistant", "A1")
    store.add_message(c.id, "user", "Q2")
    store.add_message(c.id, "assistant", "A2")
    u1b = store.edit_user_message(u1.id, "Q1 edited")
    assert _contents(store, c.id) == ["Q1 edited"]
    assert (u1b.version, u1b.versions) == (2, 2)
    store.add_message(c.id, "assistant", "A1 for edit")
    assert _contents(store, c.id) == ["Q1 edited", "A1 for edit"]

    path = store.select_version(u1.id)
    assert [m.content for m in path] == ["Q1", "A1", "Q2", "A2"]
    assert (path[0].version, path[0].versions) == (1, 2)
    assert [m.content for m in store.siblings(u1.id)] == ["Q1", "Q1 edited"]

    # A regenerated reply is a sibling of the old one.
    store.add_message(c.id, "assistant", "A1 again", parent_id=u1.id)
    assert _contents(store, c.id) == ["Q1", "A1 again"]
    store.select_version(a1.id)
    assert _contents(store, c.id) == ["Q1", "A1", "Q2", "A2"]


def test_select_deep_message_from_other_branch(store: Store) -> None:
    c = store.create_conversation()
    u1 = store.add_message(c.id, "user", "Q1")
    store.add_message(c.id, "assistant", "A1")
    deep = store.add_message(c.id, "user", "Q2")
    store.edit_user_message(u1.id, "other")
    # Selecting a message whose ancestors are not current makes them current too.
    assert [m.content for m in store.select_version(deep.id)] == ["Q1", "A1", "Q2"]


def test_one_active_sibling_at_most(store: Store) -> None:
    c = store.create_conversation()
    u = store.add_message(c.id, "user", "Q")
    for text in ("a", "b", "c"):
        store.add_message(c.id, "assistant", text, parent_id=u.id)
    active = [m for m in store.siblings(store.current_leaf(c.id).id) if m.active]
    assert [m.content for m in active] == ["c"]


def test_only_user_messages_are_edited(store: Store) -> None:
    c = store.create_conversation()
    store.add_message(c.id, "user", "Q")
    a = store.add_message(c.id, "assistant", "A")
    with pytest.raises(StoreError, match="Only your own"):
        store.edit_user_message(a.id, "x")


def test_delete_message_takes_subtree_and_selects_a_sibling(store: Store) -> None:
    c = store.create_conversation()
    u = store.add_message(c.id, "user", "Q")
    store.add_message(c.id, "assistant", "old", parent_id=u.id)
    new = store.add_message(c.id, "assistant", "new", parent_id=u.id)
    store.add_message(c.id, "user", "follow-up")
    store.delete_message(new.id)
    assert _contents(store, c.id) == ["Q", "old"]
    assert len(store.all_messages(c.id)) == 2


def test_bad_role_and_foreign_parent_are_refused(store: Store) -> None:
    c = store.create_conversation()
    other = store.create_conversation()
    m = store.add_message(other.id, "user", "x")
    with pytest.raises(StoreError, match="role"):
        store.add_message(c.id, "robot", "x")
    with pytest.raises(NoSuchRecordError):
        store.add_message(c.id, "user", "x", parent_id=m.id)
    assert store.all_messages(c.id) == []


def test_bulk_add_ten_thousand(store: Store) -> None:
    c = store.create_conversation()
    pairs = [("user" if i % 2 == 0 else "assistant", f"message {i}") for i in range(10_000)]
    ids = store.add_messages_bulk(c.id, pairs)
    assert len(ids) == 10_000
    path = store.current_path(c.id)
    assert len(path) == 10_000
    assert path[-1].content == "message 9999"
    assert store.get_conversation(c.id).title == "message 0"
    more = store.add_messages_bulk(c.id, [("user", "after")])
    assert store.get_message(more[0]).parent_id == ids[-1]


def test_status_and_interrupted(store: Store) -> None:
    c = store.create_conversation()
    store.add_message(c.id, "user", "Q")
    a = store.add_message(c.id, "assistant", "part", status="streaming")
    assert [m.id for m in store.interrupted_replies()] == [a.id]
    assert store.interrupted_replies()[0].interrupted
    store.set_status(a.id, "stopped")
    assert store.interrupted_replies() == []
    with pytest.raises(StoreError, match="status"):
        store.set_status(a.id, "weird")
