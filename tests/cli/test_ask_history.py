"""`deskchat ask` keeps its exchange in the history like the window; -c continues; --no-save."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from deskchat.chat.options import Options
from deskchat.cli.main import ask, main
from deskchat.store import Store, database_path
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving


def conversations(data_dir: Path) -> list[list[tuple[str, str]]]:
    with Store(database_path(str(data_dir))) as s:
        return [[(m.role, m.content) for m in s.current_path(c.id)] for c in s.list_conversations()]


@pytest.fixture
async def server():
    fake = FakeOpenAI()
    async with serving(fake.app, "/v1") as base:
        yield fake, Options(provider="openai-compatible", base_url=base)


async def test_ask_saves_the_question_and_the_reply(server, tmp_path: Path) -> None:
    fake, options = server
    fake.reply_with(stream_reply(sse([chunk("Saved "), chunk("answer")])))
    data = tmp_path / "data"
    out = io.StringIO()
    assert await ask(Options(**{**vars(options), "data_dir": str(data)}), "Keep me", out) == 0
    assert out.getvalue() == "Saved answer\n"
    assert conversations(data) == [[("user", "Keep me"), ("assistant", "Saved answer")]]
    with Store(database_path(str(data))) as s:
        (only,) = s.list_conversations()
        assert only.title == "Keep me"
        assert s.current_path(only.id)[1].provider == "openai-compatible"


async def test_no_save_keeps_nothing(server, tmp_path: Path) -> None:
    fake, options = server
    fake.reply_with(stream_reply(sse([chunk("gone")])))
    data = tmp_path / "data"
    out = io.StringIO()
    with_dir = Options(**{**vars(options), "data_dir": str(data)})
    assert await ask(with_dir, "forget me", out, save=False) == 0
    assert out.getvalue() == "gone\n"
    assert not database_path(str(data)).exists() or conversations(data) == []


async def test_continue_sends_the_latest_conversation_and_appends_to_it(
    server, tmp_path: Path
) -> None:
    fake, options = server
    fake.reply_with(stream_reply(sse([chunk("four")])), stream_reply(sse([chunk("eight")])))
    with_dir = Options(**{**vars(options), "data_dir": str(tmp_path / "data")})
    assert await ask(with_dir, "2+2?", io.StringIO()) == 0
    out = io.StringIO()
    assert await ask(with_dir, "and doubled?", out, continue_latest=True) == 0
    assert out.getvalue() == "eight\n"
    sent = [r for r in fake.requests if r["path"] == "/v1/chat/completions"][-1]["json"]
    assert sent["messages"] == [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "four"},
        {"role": "user", "content": "and doubled?"},
    ]
    assert conversations(tmp_path / "data") == [
        [("user", "2+2?"), ("assistant", "four"), ("user", "and doubled?"), ("assistant", "eight")]
    ]


async def test_continue_with_no_history_starts_a_new_conversation(
    server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, options = server
    fake.reply_with(stream_reply(sse([chunk("fresh")])))
    with_dir = Options(**{**vars(options), "data_dir": str(tmp_path / "data")})
    assert await ask(with_dir, "hello", io.StringIO(), continue_latest=True) == 0
    assert "no earlier conversation" in capsys.readouterr().err
    assert conversations(tmp_path / "data") == [[("user", "hello"), ("assistant", "fresh")]]


async def test_an_unreadable_history_still_answers_and_says_so(
    server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, options = server
    fake.reply_with(stream_reply(sse([chunk("answered")])))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    out = io.StringIO()
    with_dir = Options(**{**vars(options), "data_dir": str(blocker)})
    assert await ask(with_dir, "q", out) == 0
    assert out.getvalue() == "answered\n"
    err = capsys.readouterr().err
    assert "will not be kept in the history" in err
    assert err.count("\n") == 1


def test_help_names_the_history_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    text = capsys.readouterr().out
    assert "--no-save" in text
    assert "-c, --continue" in text


async def test_with_nothing_to_answer_ask_prints_the_three_ways_and_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def nothing(**_kw: object) -> list[object]:
        return []

    monkeypatch.setattr("deskchat.provider.discover_local", nothing)
    out = io.StringIO()
    assert await ask(Options(), "hi", out) == 1
    assert out.getvalue() == ""
    err = capsys.readouterr().err
    assert "Three ways to get a reply" in err
    assert "deskchat pull bartowski/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M" in err


async def test_auto_uses_a_server_found_running(
    server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake, options = server
    fake.reply_with(stream_reply(sse([chunk("from the found server")])))
    from deskchat.provider import FoundServer

    async def found(**_kw: object) -> list[FoundServer]:
        return [FoundServer("llamacpp", "llama.cpp", options.base_url, ("tiny.gguf",))]

    monkeypatch.setattr("deskchat.provider.discover_local", found)
    out = io.StringIO()
    assert await ask(Options(data_dir=str(tmp_path / "data")), "hi", out) == 0
    assert out.getvalue() == "from the found server\n"
    sent = [r for r in fake.requests if r["path"] == "/v1/chat/completions"][-1]["json"]
    assert sent["model"] == "tiny.gguf"
    with Store(database_path(str(tmp_path / "data"))) as s:
        (only,) = s.list_conversations()
        assert s.current_path(only.id)[1].provider == "llamacpp"
