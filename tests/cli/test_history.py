"""`deskchat export` and `deskchat import` against a real history database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskchat import store
from deskchat.cli.main import main


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A history with two conversations, one with an edited (branched) question."""
    path = tmp_path / "history"
    with store.Store(store.database_path(path)) as db:
        first = db.create_conversation()
        db.add_message(first.id, "user", "What is WAL?")
        db.add_message(first.id, "assistant", "Write-ahead logging.")
        second = db.create_conversation()
        question = db.add_message(second.id, "user", "Say hi")
        db.add_message(second.id, "assistant", "Hi!")
        db.edit_user_message(question.id, "Say hello")
    return path


def test_list_shows_ids_and_titles(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--list", "--data-dir", str(data_dir)]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    # The edited first question titles its chat (#11): the list shows the latest version.
    assert [row[2] for row in rows] == ["Say hello", "What is WAL?"]


def test_markdown_to_stdout(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "What is WAL?" in out
    assert "Write-ahead logging." in out


def test_json_round_trip_keeps_branches_and_skips_duplicates(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "all.json"
    assert main(["export", "--data-dir", str(data_dir), "-o", str(exported)]) == 0
    data = json.loads(exported.read_text())
    assert data["format"] == "deskchat"
    fresh = tmp_path / "fresh"
    assert main(["import", "--data-dir", str(fresh), str(exported)]) == 0
    assert "Imported 2 conversations; skipped 0" in capsys.readouterr().out
    assert main(["import", "--data-dir", str(fresh), str(exported)]) == 0
    assert "Imported 0 conversations; skipped 2" in capsys.readouterr().out
    with store.Store(store.database_path(fresh)) as db:
        convs = {c.title: c for c in db.list_conversations()}
        path = db.current_path(convs["Say hello"].id)
        assert path[0].content == "Say hello"
        assert len(db.siblings(path[0].id)) == 2


def test_unknown_id_is_one_readable_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--data-dir", str(data_dir), "--id", "999"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deskchat: ")
    assert "999" in err
    assert err.count("\n") == 1


def test_bad_import_file_changes_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "deskchat", "version": 1, "conversations": [{"title": 5}]}')
    assert main(["import", "--data-dir", str(data_dir), str(bad)]) == 1
    assert capsys.readouterr().err.startswith("deskchat: ")
    with store.Store(store.database_path(data_dir)) as db:
        assert len(db.list_conversations()) == 2
