"""An automatic title follows the first question's latest version everywhere (the record,
search, export, a reopened file) until the title is chosen; the v7 upgrade tells them apart."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from deskchat.store import (
    SCHEMA_VERSION,
    Store,
    fts_query,
    import_file,
    to_json_data,
    to_markdown,
)
from deskchat.store.schema import MIGRATIONS, migrate


def titles_matching(store: Store, query: str) -> list[int]:
    """The conversations whose indexed title matches ``query``."""
    rows = store.connection.execute(
        "SELECT rowid FROM title_terms WHERE title_terms MATCH ?", (fts_query(query),)
    )
    return [row[0] for row in rows]


def title_hits(store: Store, query: str) -> list[int]:
    return [h.conversation_id for h in store.search(query) if h.message_id is None]


def test_editing_the_first_question_retitles_everywhere(store: Store, db_path: Path) -> None:
    conversation = store.create_conversation()
    first = store.add_message(conversation.id, "user", "How do sourdough starters work?")
    store.add_message(conversation.id, "assistant", "Yeast and bacteria.")
    assert store.get_conversation(conversation.id).title == "How do sourdough starters work?"

    store.edit_user_message(first.id, "Which flour suits a rye loaf?")

    assert store.get_conversation(conversation.id).title == "Which flour suits a rye loaf?"
    assert not store.get_conversation(conversation.id).title_chosen
    # Search shows each hit under the new title (a title hit is left out when its
    # words are a message hit too, as here).
    assert {h.title for h in store.search("rye")} == {"Which flour suits a rye loaf?"}
    assert {h.title for h in store.search("sourdough")} == {"Which flour suits a rye loaf?"}
    assert titles_matching(store, "rye") == [conversation.id]
    assert titles_matching(store, "sourdough") == []
    assert to_json_data(store)["conversations"][0]["title"] == "Which flour suits a rye loaf?"
    assert to_markdown(store).startswith("# Which flour suits a rye loaf?")
    store.close()
    with Store(db_path) as again:
        assert again.get_conversation(conversation.id).title == "Which flour suits a rye loaf?"

    # Going back to the first version is not editing: the latest version keeps the title.
    with Store(db_path) as again:
        again.select_version(first.id)
        assert again.get_conversation(conversation.id).title == "Which flour suits a rye loaf?"


def test_a_renamed_chat_keeps_its_name_through_edits(store: Store) -> None:
    conversation = store.create_conversation()
    first = store.add_message(conversation.id, "user", "Question one")
    renamed = store.rename(conversation.id, "Baking notes")
    assert renamed.title_chosen
    store.edit_user_message(first.id, "Question two")
    assert store.get_conversation(conversation.id).title == "Baking notes"
    assert title_hits(store, "baking") == [conversation.id]


def test_a_title_given_at_the_start_is_chosen(store: Store) -> None:
    conversation = store.create_conversation("Named before the first message")
    assert conversation.title_chosen
    first = store.add_message(conversation.id, "user", "Hello")
    store.edit_user_message(first.id, "Hello again")
    assert store.get_conversation(conversation.id).title == "Named before the first message"


def test_later_questions_never_retitle(store: Store) -> None:
    conversation = store.create_conversation()
    store.add_message(conversation.id, "user", "First")
    store.add_message(conversation.id, "assistant", "Answer")
    later = store.add_message(conversation.id, "user", "Second")
    store.edit_user_message(later.id, "Second, edited")
    assert store.get_conversation(conversation.id).title == "First"


def test_the_first_question_under_a_system_prompt_still_titles(store: Store) -> None:
    conversation = store.create_conversation()
    store.add_message(conversation.id, "system", "Be brief.")
    first = store.add_message(conversation.id, "user", "Old question")
    store.add_message(conversation.id, "assistant", "Answer")
    store.edit_user_message(first.id, "New question")
    assert store.get_conversation(conversation.id).title == "New question"


def test_an_imported_title_is_chosen_and_an_untitled_import_follows(
    store: Store, tmp_path: Path
) -> None:
    def message(n: str, parent: str | None, text: str) -> dict[str, object]:
        return {
            "id": n,
            "parent": parent,
            "children": [],
            "message": {
                "id": n,
                "author": {"role": "user"},
                "content": {"content_type": "text", "parts": [text]},
                "create_time": 1_700_000_000,
            },
        }

    exported = [
        {
            "title": title,
            "id": key,
            "create_time": 1_700_000_000,
            "update_time": 1_700_000_000,
            "current_node": "a",
            "mapping": {"a": message("a", None, "Imported question")},
        }
        for key, title in (("k1", "From the other app"), ("k2", ""))
    ]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    import_file(store, path)
    chosen = {c.title: c for c in store.list_conversations()}
    given = chosen["From the other app"]
    assert given.title_chosen
    untitled = next(c for c in store.list_conversations() if c.id != given.id)
    assert not untitled.title_chosen
    root = store.current_path(untitled.id)[0]
    store.edit_user_message(root.id, "Asked again")
    assert store.get_conversation(untitled.id).title == "Asked again"
    store.edit_user_message(store.current_path(given.id)[0].id, "Asked again")
    assert store.get_conversation(given.id).title == "From the other app"


def _old_database(path: Path) -> None:
    """A database as DeskChat left it at the schema before v7: three conversations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=6)  # the schema before v7
    conn.executemany(
        "INSERT INTO conversations (id, title, created_at, updated_at, source_id)"
        " VALUES (?, ?, 10, 20, ?)",
        [(1, "First version", "a"), (2, "Renamed by hand", "b"), (3, "", "c")],
    )
    rows = [
        # 1: an automatic title, then the first question was edited (a second root).
        (1, 1, None, "user", "First version"),
        (2, 1, 1, "assistant", "Answer"),
        (3, 1, None, "user", "Second version"),
        # 2: renamed, then edited.
        (4, 2, None, "user", "Some question"),
        (5, 2, None, "user", "Some question, edited"),
        # 3: untitled (an import without a title).
        (6, 3, None, "user", "Untitled question"),
    ]
    # The older version of each edited question is not the selected one.
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at,"
        " active) VALUES (?, ?, ?, ?, ?, 11, ?)",
        [(*r, int(r[0] not in (1, 4))) for r in rows],
    )
    conn.close()


def test_the_upgrade_tells_chosen_titles_from_automatic_ones(tmp_path: Path) -> None:
    assert MIGRATIONS[6].__name__ == "_chosen_titles"  # v7: upgrades from 6 to 7
    path = tmp_path / "deskchat.sqlite3"
    _old_database(path)
    with Store(path) as s:
        assert s.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        automatic, renamed, untitled = (s.get_conversation(n) for n in (1, 2, 3))
        # The automatic title catches up with the latest version of the first question.
        assert (automatic.title, automatic.title_chosen) == ("Second version", False)
        assert (renamed.title, renamed.title_chosen) == ("Renamed by hand", True)
        assert (untitled.title, untitled.title_chosen) == ("Untitled question", False)
        assert {h.title for h in s.search("second")} == {"Second version"}
        assert titles_matching(s, "second") == [1]
        # And from now on it follows edits.
        s.edit_user_message(3, "Third version")
        assert s.get_conversation(1).title == "Third version"


def test_the_upgrade_step_runs_again_harmlessly(tmp_path: Path) -> None:
    path = tmp_path / "deskchat.sqlite3"
    _old_database(path)
    with Store(path) as s:
        before = [(c.id, c.title, c.title_chosen) for c in s.list_conversations()]
        with s.transaction() as conn:
            MIGRATIONS[6](conn)
        assert [(c.id, c.title, c.title_chosen) for c in s.list_conversations()] == before


def test_a_deskchat_export_keeps_an_automatic_title_automatic(store: Store, tmp_path: Path) -> None:
    automatic = store.create_conversation()
    store.add_message(automatic.id, "user", "Automatic question")
    named = store.create_conversation()
    store.add_message(named.id, "user", "Some question")
    store.rename(named.id, "Named by hand")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(to_json_data(store)), encoding="utf-8")

    with Store(tmp_path / "other" / "deskchat.sqlite3") as other:
        import_file(other, path)
        by_title = {c.title: c for c in other.list_conversations()}
        assert not by_title["Automatic question"].title_chosen
        assert by_title["Named by hand"].title_chosen
        root = other.current_path(by_title["Automatic question"].id)[0]
        other.edit_user_message(root.id, "Asked anew")
        assert other.get_conversation(by_title["Automatic question"].id).title == "Asked anew"
