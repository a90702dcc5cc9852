"""`deskchat search QUERY` against a real history: text, TSV and JSON, and nothing found."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from deskchat import store
from deskchat.cli.main import main

WHEN = dt.datetime(2026, 11, 30, 14, 5, tzinfo=dt.UTC).timestamp()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "history"
    with store.Store(store.database_path(path), clock=lambda: WHEN) as db:
        a = db.create_conversation("Базы данных")
        db.add_message(a.id, "user", "Как настроить **репликацию**?")
        db.add_message(a.id, "assistant", "Репликация:\tсначала `wal_level`.\nПотом слот.")
        b = db.create_conversation("Errors")
        db.add_message(b.id, "user", "Why do my builds keep failing with errors?")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["search", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_for_people(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--data-dir", str(data_dir), "репликация")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    when = dt.datetime.fromtimestamp(WHEN).strftime("%Y-%m-%d %H:%M")
    # Newest first, the words in any form, the snippet plain text on one line.
    assert lines == [
        f"{when}  Базы данных",
        "    Репликация: сначала wal_level. Потом слот.",
        f"{when}  Базы данных",
        "    Как настроить репликацию?",
    ]


def test_tsv_for_scripts(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "--format", "tsv", "error")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == 2
    title, message = rows
    assert title[:2] == ["2", ""]  # the title, then its message
    assert title[3:] == ["Errors", "Errors"]
    assert message[:2] == ["2", "3"]
    assert dt.datetime.fromisoformat(message[2]).timestamp() == WHEN
    assert message[4] == "Why do my builds keep failing with errors?"


def test_json_for_scripts(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--data-dir", str(data_dir), "--format", "json", "--limit", "1", "настроить", "реп"
    )
    assert code == 0
    (hit,) = json.loads(out)
    assert hit["conversation_id"] == 1
    assert hit["message_id"] == 1
    assert hit["title"] == "Базы данных"
    assert hit["snippet"] == "Как настроить репликацию?"
    assert hit["matches"] == ["настроить", "репликацию"]
    assert dt.datetime.fromisoformat(hit["time"]).timestamp() == WHEN


def test_the_words_after_the_command_are_one_query(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "--format", "tsv", "--", "-слот", "реп")
    assert code == 0
    assert [line.split("\t")[1] for line in out.splitlines()] == ["1"]


def test_nothing_found_is_exit_1_with_a_sentence(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--data-dir", str(data_dir), "зебра")
    assert (code, out) == (1, "")
    assert err == "deskchat: Nothing in the chat history matches “зебра”.\n"


@pytest.mark.parametrize("query", ['"', "NEAR(", "*", "c++", "(", "🎄", 'AND OR "x'])
def test_any_query_is_an_answer_not_a_traceback(
    data_dir: Path, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    code, _, err = run(capsys, "--data-dir", str(data_dir), query)
    assert code in (0, 1)
    assert "Traceback" not in err
    assert err == "" or err.startswith("deskchat: Nothing in the chat history matches")


def test_help_says_what_an_empty_result_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Exits with 1" in out
    assert "--format {text,tsv,json}" in out
