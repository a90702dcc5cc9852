"""A long text's index terms come from a child process, the same as in this one."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from deskchat import children
from deskchat.store import Store, terms
from deskchat.store.terms import Terms


def _long_text() -> str:
    words = "Репликация ошибок, ёлки и **errors** in `code` [links](http://x.example) "
    text = words * (terms.ELSEWHERE // len(words) + 1)
    assert len(text) >= terms.ELSEWHERE
    return text + " последнее слово"


def _refuse_here(_text: str) -> Terms:
    raise AssertionError("indexed in the parent process")


def test_a_long_text_is_read_in_a_child_with_the_same_terms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _long_text()
    expected = terms.index_terms_here(text)
    assert "последн" in expected.stems
    monkeypatch.setattr(terms, "index_terms_here", _refuse_here)
    assert terms.index_terms(text) == expected


def test_a_short_text_is_read_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_child(_module: str, _flag: str) -> list[str]:
        raise AssertionError("a child for a short text")

    monkeypatch.setattr(children, "child_command", no_child)
    assert terms.index_terms("ёлки errors").stems == "елк error"


def test_a_child_that_fails_leaves_the_work_to_this_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(_module: str, _flag: str) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.stderr.write('no stemmer'); sys.exit(3)"]

    monkeypatch.setattr(children, "child_command", failing)
    text = _long_text()
    with caplog.at_level(logging.WARNING, logger="deskchat.store"):
        found = terms.index_terms(text)
    assert found == terms.index_terms_here(text)
    assert "no stemmer" in caplog.text


def test_a_child_that_cannot_start_leaves_the_work_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(_module: str, _flag: str) -> list[str]:
        return ["/nonexistent/deskchat-terms-worker"]

    monkeypatch.setattr(children, "child_command", missing)
    text = _long_text()
    assert terms.index_terms(text) == terms.index_terms_here(text)


def test_a_long_finished_reply_is_found_by_its_last_word(store: Store) -> None:
    c = store.create_conversation()
    user = store.add_message(c.id, "user", "Tell me everything")
    writer = store.begin_reply(c.id, user.id, interval=0.0)
    text = _long_text()
    for start in range(0, len(text), 50_000):
        writer.append(text[start : start + 50_000])
    reply = writer.finish()
    assert reply is not None
    assert [hit.message_id for hit in store.search("последнее")] == [reply.id]


def test_the_program_runs_the_child_by_its_flag_as_the_frozen_build_does() -> None:
    # The frozen build's child is `DeskChat --terms-worker`: python -m deskchat's entry.
    result = subprocess.run(
        [sys.executable, "-m", "deskchat", terms.FROZEN_FLAG],
        input="Ёлки **errors**".encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == "елки errors".encode() + terms.SEPARATOR + "елк error".encode()
