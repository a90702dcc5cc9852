"""The data folder's one rule, shared by the store and the model library."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from deskchat import library, paths, store


def test_override_then_env_then_the_platform(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DESKCHAT_DATA_DIR", str(tmp_path / "env"))
    assert paths.data_dir(tmp_path / "x") == tmp_path / "x"
    assert paths.data_dir() == tmp_path / "env"
    monkeypatch.delenv("DESKCHAT_DATA_DIR")
    assert paths.data_dir() == Path(platformdirs.user_data_dir("DeskChat", appauthor=False))


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_override_or_variable_is_not_given(tmp_path: Path, monkeypatch, empty) -> None:
    monkeypatch.setenv("DESKCHAT_DATA_DIR", str(tmp_path / "env"))
    assert paths.data_dir(empty) == tmp_path / "env"
    monkeypatch.setenv("DESKCHAT_DATA_DIR", "")
    assert paths.data_dir(empty) == Path(platformdirs.user_data_dir("DeskChat", appauthor=False))


def test_a_home_folder_is_expanded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.data_dir("~/chats") == tmp_path / "chats"
    monkeypatch.setenv("DESKCHAT_DATA_DIR", "~/env")
    assert paths.data_dir() == tmp_path / "env"


def test_the_history_and_the_models_live_in_the_same_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DESKCHAT_DATA_DIR", str(tmp_path / "env"))
    assert store.data_dir is library.paths.data_dir is paths.data_dir
    assert store.database_path().parent == library.models_dir().parent == tmp_path / "env"
    assert library.Locations.default(tmp_path / "x").data_dir == store.data_dir(tmp_path / "x")
    assert not (tmp_path / "env").exists(), "nothing is created by asking"
