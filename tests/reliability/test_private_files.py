"""Issue 12, point 3: nothing DeskChat writes in its data folder is readable by other users.

Every test runs under umask 022, where files are born 0644 and folders 0755
unless DeskChat says otherwise: the data folder must be 0700 and every file
DeskChat writes there (the database and its -wal and -shm, settings.json, the
pre-upgrade copy, a damaged file moved aside) and every export 0600, and
files an older DeskChat left readable are fixed when the store opens.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskchat.store import Settings, Store, write_export
from tests.store.test_migrations import _build

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX's")


@pytest.fixture(autouse=True)
def _umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(folder: Path) -> dict[str, int]:
    return {p.name: mode(p) for p in sorted(folder.iterdir())}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _chat(s: Store) -> None:
    c = s.create_conversation()
    s.add_message(c.id, "user", "my private question")


def test_a_new_data_folder_and_database_are_private(data: Path) -> None:
    with Store(data / "deskchat.sqlite3") as s:
        _chat(s)
        # While open, the WAL and its index hold the newest messages too.
        assert modes(data) == {
            "deskchat.sqlite3": 0o600,
            "deskchat.sqlite3-shm": 0o600,
            "deskchat.sqlite3-wal": 0o600,
        }
    assert mode(data) == 0o700
    assert set(modes(data).values()) == {0o600}


def test_the_settings_file_is_private(data: Path) -> None:
    settings = Settings(data / "settings.json")
    settings.model = "gpt-4o-mini"
    settings.save()
    assert mode(data) == 0o700
    assert modes(data) == {"settings.json": 0o600}
    # Saving again replaces the file: the new one is private too.
    settings.save()
    assert modes(data) == {"settings.json": 0o600}


def test_the_copy_taken_before_an_upgrade_is_private(data: Path) -> None:
    db = data / "deskchat.sqlite3"
    _build(db, 1)
    os.chmod(db, 0o600)
    with Store(db) as s:
        assert s.backup_path is not None
        assert mode(s.backup_path) == 0o600
    assert set(modes(data).values()) == {0o600}


@pytest.mark.parametrize("name", ["chats.json", "chats.md"])
def test_exports_are_private(data: Path, tmp_path: Path, name: str) -> None:
    target = tmp_path / "exports" / name
    target.parent.mkdir()
    with Store(data / "deskchat.sqlite3") as s:
        _chat(s)
        write_export(s, target)
        assert mode(target) == 0o600
        # Over an older export that others could read: the new file is private.
        os.chmod(target, 0o644)
        write_export(s, target)
        assert mode(target) == 0o600
    assert "my private question" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in target.parent.iterdir()) == [name]


def test_files_an_older_deskchat_left_readable_are_fixed_when_the_store_opens(
    data: Path,
) -> None:
    db = data / "deskchat.sqlite3"
    _build(db, 1)
    with Store(db) as s:
        _chat(s)
    Settings(data / "settings.json").save()
    (data / "deskchat.sqlite3-wal").write_bytes(b"")
    for path in [data, *data.iterdir()]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert set(modes(data).values()) == {0o644}
    with Store(db) as s:
        assert [c.title for c in s.list_conversations()] == ["my private question", "Sourdough"]
        assert mode(data) == 0o700
        assert set(modes(data).values()) == {0o600}, modes(data)
    assert set(modes(data).values()) == {0o600}


def test_a_damaged_file_moved_aside_stays_private(data: Path) -> None:
    data.mkdir()
    db = data / "deskchat.sqlite3"
    db.write_bytes(b"not a database " * 100)
    os.chmod(db, 0o644)
    with Store(db) as s:
        assert s.recovery_notice is not None
    moved = [p for p in data.iterdir() if ".corrupt-" in p.name]
    assert len(moved) == 1
    assert set(modes(data).values()) == {0o600}


def test_a_shared_folder_such_as_tmp_keeps_its_mode(tmp_path: Path) -> None:
    """DESKCHAT_DATA_DIR=/tmp must not lock other users out of /tmp; the files are private."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with Store(shared / "deskchat.sqlite3") as s:
        _chat(s)
    assert mode(shared) == 0o1777
    assert set(modes(shared).values()) == {0o600}


def test_where_modes_mean_nothing_the_store_still_opens(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows chmod sets at most the read-only flag: DeskChat leaves modes alone there."""
    from deskchat.store import private as private_modes

    monkeypatch.setattr(private_modes, "_POSIX", False)
    calls: list[object] = []
    monkeypatch.setattr(os, "chmod", lambda *a, **_k: calls.append(a))
    monkeypatch.setattr(os, "fchmod", lambda *a, **_k: calls.append(a))
    with Store(data / "deskchat.sqlite3") as s:
        _chat(s)
        write_export(s, data / "out.json")
    Settings(data / "settings.json").save()
    assert calls == []
    assert (data / "out.json").is_file()
