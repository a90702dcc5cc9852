"""Messages read by position (store.models.message_reader) are the dataclass's own Messages."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from deskchat.store import Store
from deskchat.store.models import Message, message_from_row, message_reader

COLUMNS = (
    "id",
    "conversation_id",
    "parent_id",
    "role",
    "content",
    "created_at",
    "provider",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "status",
    "error",
    "active",
    "tools",
    "version",
    "versions",
)
ROW = (7, 2, 5, "assistant", "Hi.", 12.5, "ollama", "m", 3, 4, "error", "It broke.", 0)
TOOLS = '[{"id": "c1", "name": "clock"}, 3]'


def test_every_field_is_read_as_the_init_would_set_it() -> None:
    message = message_reader(COLUMNS)((*ROW, TOOLS, 2, 3))
    expected = Message(
        id=7,
        conversation_id=2,
        parent_id=5,
        role="assistant",
        content="Hi.",
        created_at=12.5,
        provider="ollama",
        model="m",
        prompt_tokens=3,
        completion_tokens=4,
        status="error",
        error="It broke.",
        active=False,
        version=2,
        versions=3,
        tools=({"id": "c1", "name": "clock"},),
    )
    assert message == expected
    assert hash(dataclasses.replace(message, tools=())) == hash(
        dataclasses.replace(expected, tools=())
    )
    assert repr(message) == repr(expected)
    for field in dataclasses.fields(Message):  # each slot filled: none raises AttributeError
        assert getattr(message, field.name) == getattr(expected, field.name)
    assert message.active is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.content = "changed"  # type: ignore[misc]


def test_columns_it_lacks_read_as_the_defaults() -> None:
    message = message_reader(COLUMNS[:13])(ROW)
    assert (message.version, message.versions, message.tools, message.attachments) == (1, 1, (), ())


def test_columns_in_any_order_and_sqlite_rows() -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    order = ", ".join(f"? AS {name}" for name in reversed(COLUMNS[:13]))
    row = conn.execute(f"SELECT {order}, 99 AS id", tuple(reversed(ROW))).fetchone()
    # A name given twice reads from its first column, as sqlite3.Row does.
    assert message_from_row(row) == message_reader(COLUMNS[:13])(ROW)


def test_the_store_reads_the_same_messages_as_by_name(store: Store) -> None:
    c = store.create_conversation()
    first = store.add_message(c.id, "user", "Question")
    store.add_message(c.id, "assistant", "One")
    second = store.add_message(c.id, "assistant", "Two", parent_id=first.id)
    conn = store._conn  # noqa: SLF001  # the old way of reading, to compare with
    by_name = [
        message_from_row(row)
        for row in conn.execute("SELECT * FROM messages WHERE conversation_id = ?", (c.id,))
    ]
    path = store.current_path(c.id)
    assert [m.id for m in path] == [first.id, second.id]
    assert [(m.version, m.versions) for m in path] == [(1, 1), (2, 2)]
    assert [dataclasses.replace(m, version=1, versions=1) for m in path] == [
        by_name[0],
        by_name[2],
    ]
    assert store.get_message(second.id) == path[1]


def test_the_path_counts_versions_as_each_message_alone_does(store: Store) -> None:
    """Roots and middle messages with versions, and a version selected back."""
    c = store.create_conversation()
    other = store.create_conversation()
    store.add_message(other.id, "user", "Another chat's root: not a version here")
    q1 = store.add_message(c.id, "user", "Q")
    q2 = store.edit_user_message(q1.id, "Q, edited")
    store.edit_user_message(q1.id, "Q, edited again")
    store.select_version(q2.id)
    a1 = store.add_message(c.id, "assistant", "A")
    store.add_message(c.id, "assistant", "A2", parent_id=q2.id)
    store.select_version(a1.id)
    store.add_message(c.id, "user", "Follow-up")
    path = store.current_path(c.id)
    assert [m.content for m in path] == ["Q, edited", "A", "Follow-up"]
    assert [(m.version, m.versions) for m in path] == [(2, 3), (1, 2), (1, 1)]
    assert path == [store.get_message(m.id) for m in path]  # each counted on its own
