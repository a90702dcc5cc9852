"""Damaged files are moved aside with a notice; files from a newer DeskChat open read-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from deskchat.store import SCHEMA_VERSION, DatabaseBusyError, ReadOnlyError, Store


def _aside(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if ".corrupt-" in p.name)


def _assert_recovered(s: Store, path: Path, original: bytes) -> None:
    moved = _aside(path)
    assert len(moved) == 1
    assert moved[0].read_bytes() == original
    assert s.recovery_notice is not None
    assert str(moved[0]) in s.recovery_notice
    assert s.recovery_notice.count(". ") == 0  # one sentence
    c = s.create_conversation()
    s.add_message(c.id, "user", "the app still works")
    assert s.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_garbage_file_is_moved_aside(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database at all \x00\xff" * 200
    db_path.write_bytes(garbage)
    with Store(db_path) as s:
        _assert_recovered(s, db_path, garbage)


def test_truncated_database_is_moved_aside(db_path: Path) -> None:
    with Store(db_path) as s:
        c = s.create_conversation()
        s.add_messages_bulk(c.id, [("user", "some words " * 50)] * 400)
    data = db_path.read_bytes()
    assert len(data) > 100_000
    half = data[: len(data) // 2]
    db_path.write_bytes(half)
    with Store(db_path) as s:
        _assert_recovered(s, db_path, half)


def test_healthy_database_gets_no_notice(db_path: Path) -> None:
    with Store(db_path) as s:
        s.create_conversation("kept")
    with Store(db_path) as s:
        assert s.recovery_notice is None
        assert [c.title for c in s.list_conversations()] == ["kept"]
    assert _aside(db_path) == []


def test_newer_database_is_read_only(db_path: Path) -> None:
    with Store(db_path) as s:
        c = s.create_conversation("from the future")
        s.add_message(c.id, "user", "hello")
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with Store(db_path) as s:
        assert s.read_only
        assert "newer version of DeskChat" in (s.read_only_reason or "")
        assert [m.content for m in s.current_path(c.id)] == ["hello"]
        with pytest.raises(ReadOnlyError) as info:
            s.add_message(c.id, "user", "more")
        assert "read-only" in info.value.text()
        with pytest.raises(ReadOnlyError):
            s.begin_reply(c.id)
        with pytest.raises(ReadOnlyError):
            s.delete_conversation(c.id)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert raw.execute("SELECT count(*) FROM messages").fetchone()[0] == 1


def test_locked_database_is_not_treated_as_damage(db_path: Path) -> None:
    with Store(db_path):
        pass
    holder = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        import deskchat.store.db as db

        original = db._BUSY_TIMEOUT_MS
        db._BUSY_TIMEOUT_MS = 50
        try:
            with pytest.raises(DatabaseBusyError, match="busy"):
                Store(db_path)
        finally:
            db._BUSY_TIMEOUT_MS = original
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _aside(db_path) == []
