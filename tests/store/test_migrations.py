"""Upgrading databases made by every earlier schema version, with a backup first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from deskchat.store import SCHEMA_VERSION, Store
from deskchat.store.schema import migrate


def _build(path: Path, version: int) -> None:
    """A database as DeskChat at schema ``version`` left it, with a little history."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn, target=version)
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, model, params)"
        " VALUES (1, 'Sourdough', 10, 20, 'gpt-4o-mini', '{\"temperature\": 0.5}')"
    )
    if version >= 3:
        # From v3 on, DeskChat gave every conversation it made a random source id.
        conn.execute("UPDATE conversations SET source_id = lower(hex(randomblob(16)))")
    rows = [
        (1, None, "user", "How do I feed a sourdough starter?", "complete", 1),
        (2, 1, "assistant", "Discard half, then add flour and water.", "complete", 0),
        (3, 1, "assistant", "Feed it equal weights of flour and water.", "complete", 1),
        (4, 3, "user", "How often?", "complete", 1),
        (5, 4, "assistant", "Once a day at room tempera", "streaming", 1),
    ]
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at,"
        " status, active) VALUES (?, 1, ?, ?, ?, 11, ?, ?)",
        rows,
    )
    conn.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_earlier_version_upgrades_with_data_intact(tmp_path: Path, version: int) -> None:
    path = tmp_path / "deskchat.sqlite3"
    _build(path, version)
    with Store(path) as s:
        assert s.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert s.backup_path == path.with_name(f"deskchat.sqlite3.bak-v{version}")
        conv = s.get_conversation(1)
        assert (conv.title, conv.model, conv.params) == (
            "Sourdough",
            "gpt-4o-mini",
            {"temperature": 0.5},
        )
        assert conv.source == "deskchat"
        assert len(conv.source_id) == 32
        path_texts = [m.content for m in s.current_path(1)]
        assert path_texts == [
            "How do I feed a sourdough starter?",
            "Feed it equal weights of flour and water.",
            "How often?",
            "Once a day at room tempera",
        ]
        assert len(s.siblings(2)) == 2
        assert [m.id for m in s.interrupted_replies()] == [5]
        # Text written before search existed is found (the index was rebuilt).
        hits = s.search("sourdough")
        assert {h.message_id for h in hits} == {1, None}
        assert s.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        s.add_message(1, "user", "Thanks")  # and it stays writable
    # The backup is the untouched old version.
    with sqlite3.connect(path.with_name(f"deskchat.sqlite3.bak-v{version}")) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == version
        assert old.execute("SELECT count(*) FROM messages").fetchone()[0] == 5


def test_fresh_database_has_no_backup(tmp_path: Path) -> None:
    with Store(tmp_path / "deskchat.sqlite3") as s:
        assert s.backup_path is None
    assert [p.name for p in tmp_path.iterdir() if ".bak" in p.name] == []


def test_conversation_source_ids_are_unique(tmp_path: Path) -> None:
    path = tmp_path / "deskchat.sqlite3"
    _build(path, 2)
    with Store(path) as s:
        s.create_conversation("second")
        ids = [c.source_id for c in s.list_conversations()]
        assert len(set(ids)) == 2
        with pytest.raises(sqlite3.IntegrityError):
            s.connection.execute(
                "UPDATE conversations SET source_id = ? WHERE title = 'second'", (ids[1],)
            )


def test_failed_upgrade_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch) -> None:
    from deskchat.store import MigrationError, db, schema

    path = tmp_path / "deskchat.sqlite3"
    _build(path, SCHEMA_VERSION)

    def broken_step(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE messages ADD COLUMN half_done TEXT")
        conn.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken_step])
    monkeypatch.setattr(db, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(MigrationError) as info:
        Store(path)
    assert "bak-v" in info.value.text()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [r[1] for r in raw.execute("PRAGMA table_info(messages)")]
        assert "half_done" not in columns
        assert raw.execute("SELECT count(*) FROM messages").fetchone()[0] == 5
