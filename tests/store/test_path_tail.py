"""The last messages of a conversation's path, read first when a long chat opens."""

from __future__ import annotations

from pathlib import Path

from deskchat.store import AsyncStore, Store


def test_the_tail_is_the_end_of_the_current_path_with_its_length(store: Store) -> None:
    c = store.create_conversation()
    pairs = [("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(500)]
    store.add_messages_bulk(c.id, pairs)
    path = store.current_path(c.id)
    tail, total = store.path_tail(c.id, 30)
    assert total == 500
    assert tail == path[-30:]
    assert [m.content for m in tail][:2] == ["m470", "m471"]


def test_a_short_path_is_read_whole_and_an_empty_one_is_nothing(store: Store) -> None:
    c = store.create_conversation()
    assert store.path_tail(c.id, 10) == ([], 0)
    store.add_message(c.id, "user", "one")
    store.add_message(c.id, "assistant", "two")
    tail, total = store.path_tail(c.id, 10)
    assert (tail, total) == (store.current_path(c.id), 2)
    assert store.path_tail(c.id, 0) == (store.current_path(c.id)[-1:], 2)


def test_the_tail_follows_the_chosen_versions_and_counts_them(store: Store) -> None:
    c = store.create_conversation()
    q = store.add_message(c.id, "user", "question")
    store.add_message(c.id, "assistant", "first answer")
    second = store.add_message(c.id, "assistant", "second answer", parent_id=q.id)
    store.add_message(c.id, "user", "after the second")
    tail, total = store.path_tail(c.id, 2)
    assert total == 3
    assert [(m.content, m.version, m.versions) for m in tail] == [
        ("second answer", 2, 2),
        ("after the second", 1, 1),
    ]
    store.select_version(store.siblings(second.id)[0].id)
    tail, total = store.path_tail(c.id, 2)
    assert (total, [(m.content, m.version, m.versions) for m in tail]) == (
        2,
        [("question", 1, 1), ("first answer", 1, 2)],
    )
    assert tail == store.current_path(c.id)


async def test_the_async_store_reads_the_tail_on_its_worker(db_path: Path) -> None:
    async with await AsyncStore.open(db_path) as history:
        c = await history.create_conversation()
        await history.add_messages_bulk(c.id, [("user", "a"), ("assistant", "b"), ("user", "c")])
        tail, total = await history.path_tail(c.id, 2)
    assert ([m.content for m in tail], total) == (["b", "c"], 3)
