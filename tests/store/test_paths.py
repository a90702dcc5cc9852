"""Where the data lives: override, then $DESKCHAT_DATA_DIR, then the OS folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from deskchat.store import Store, data_dir, database_path, settings_path


def test_override_wins_over_env(tmp_path: Path) -> None:
    assert data_dir(tmp_path / "x") == tmp_path / "x"


def test_env_is_used(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DESKCHAT_DATA_DIR", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert database_path() == tmp_path / "env" / "deskchat.sqlite3"
    assert settings_path() == tmp_path / "env" / "settings.json"


def test_platform_default(monkeypatch) -> None:
    monkeypatch.delenv("DESKCHAT_DATA_DIR")
    assert data_dir() == Path(platformdirs.user_data_dir("DeskChat", appauthor=False))


def test_nothing_is_created_until_the_store_opens(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DESKCHAT_DATA_DIR", str(tmp_path / "later"))
    assert not data_dir().exists()
    with Store() as s:
        assert s.path == tmp_path / "later" / "deskchat.sqlite3"
    assert (tmp_path / "later" / "deskchat.sqlite3").is_file()


def test_pragmas(store: Store) -> None:
    conn = store.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
