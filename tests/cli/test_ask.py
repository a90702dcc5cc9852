"""`deskchat ask`: streams to stdout, errors on stderr, Ctrl+C stops cleanly."""

from __future__ import annotations

import asyncio
import io
import signal
import sys

import pytest

from deskchat.chat.options import Options
from deskchat.cli.main import ask
from tests.child import REPO, child_env
from tests.fakes.scripted import serving
from tests.fakes.wordpress import FakeWordPress, Script, sse_body, stream


async def test_ask_prints_the_reply(wordpress: str, fake_site: FakeWordPress) -> None:
    fake_site.reply = stream(["Привет", ", ", "мир 🌍"], seed=7, newline="\r\n")
    out = io.StringIO()
    code = await ask(Options(provider="chatgptfree", base_url=wordpress), "hi", out)
    assert code == 0
    assert out.getvalue() == "Привет, мир 🌍\n"
    assert fake_site.posts[0]["form"]["message"] == "hi"


async def test_ask_error_goes_to_stderr_with_partial_text_kept(
    wordpress: str, fake_site: FakeWordPress, capsys: pytest.CaptureFixture[str]
) -> None:
    body = sse_body(["partial "], done=False)
    fake_site.reply = Script(chunks=[body, b"more"], cut_after=1)
    out = io.StringIO()
    code = await ask(Options(provider="chatgptfree", base_url=wordpress), "hi", out)
    assert code == 1
    assert out.getvalue() == "partial \n"
    err = capsys.readouterr().err
    assert err.startswith("deskchat: ")
    assert "dropped in the middle of the reply" in err
    assert err.count("\n") == 1


async def test_ask_unknown_model_lists_models(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    code = await ask(
        Options(provider="chatgptfree", base_url="http://127.0.0.1:9", model="gpt-9"), "hi", out
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "no model named 'gpt-9'" in err
    assert "gpt-4o-mini-2024-07-18" in err


# `python -m deskchat ARGS` with SIGINT back at its default. A child inherits an ignored
# SIGINT (suites started under nohup, `cmd &` or some CI wrappers), and Python installs
# its KeyboardInterrupt handler only when SIGINT is at the default; exec keeps SIG_DFL.
_DEFAULT_SIGINT_THEN_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, '-m', 'deskchat', *sys.argv[1:]])"
)


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _DEFAULT_SIGINT_THEN_EXEC,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(),
        cwd=REPO,
    )


async def test_ask_streams_before_the_reply_ends_and_ctrl_c_stops(
    wordpress: str, fake_site: FakeWordPress
) -> None:
    """The first words show while the server is still sending; SIGINT exits 130."""
    fake_site.reply = Script(chunks=[sse_body(["first words"], done=False)], hang_after=1)
    proc = await _spawn("ask", "--provider", "chatgptfree", "--base-url", wordpress, "hi")
    assert proc.stdout is not None
    assert proc.stderr is not None
    try:
        seen = await asyncio.wait_for(proc.stdout.readexactly(len("first words")), 30)
        assert seen == b"first words"
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:  # a failed assertion must not leave it hanging
            proc.kill()
            await proc.wait()
    err = (await proc.stderr.read()).decode()
    assert code == 130
    assert "Stopped." in err
    assert "Traceback" not in err
    await asyncio.wait_for(fake_site.cancelled.wait(), 10)


async def test_ask_subprocess_error_exit_code(wordpress: str, fake_site: FakeWordPress) -> None:
    fake_site.page_html = "<html><body>No chat here</body></html>"
    proc = await _spawn("ask", "--provider", "chatgptfree", "--base-url", wordpress, "hi")
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert out == b""
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "no chat widget" in lines[0]


async def test_models_lists_the_default() -> None:
    proc = await _spawn("models", "--provider", "chatgptfree", "--no-discover")
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err
    assert out.decode().splitlines() == ["chatgptfree\tgpt-4o-mini-2024-07-18  (default)"]


async def test_empty_question_is_a_usage_error() -> None:
    proc = await _spawn("ask", "   ")
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "question is empty" in err.decode()


async def test_ask_openai_compatible_streams_from_a_local_server() -> None:
    """The issue's acceptance command, against a real loopback server."""
    from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply

    fake = FakeOpenAI()
    fake.reply_with(
        stream_reply(sse([chunk(role="assistant"), chunk("Hel"), chunk("lo ✓")]), seed=5)
    )
    async with serving(fake.app, "/v1") as base:
        proc = await _spawn("ask", "--provider", "openai-compatible", "--base-url", base, "hi")
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err
    assert out.decode() == "Hello ✓\n"
    sent = fake.requests[-1]["json"]
    assert sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "hi"}]


async def test_ask_retries_a_503_before_the_reply_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.fakes.openai_server import FakeOpenAI, chunk, json_reply, sse, stream_reply

    fake = FakeOpenAI()
    fake.reply_with(
        json_reply({"error": {"message": "overloaded"}}, status=503),
        stream_reply(sse([chunk("after the retry")])),
    )
    async with serving(fake.app, "/v1") as base:
        options = Options(provider="openai-compatible", base_url=base)
        out = io.StringIO()
        code = await ask(options, "hi", out)
    assert code == 0
    assert out.getvalue() == "after the retry\n"
    chats = [r for r in fake.requests if r["path"] == "/v1/chat/completions"]
    assert len(chats) == 2
    assert "retrying in 0.5 s" in capsys.readouterr().err


async def test_ask_does_not_retry_after_text_arrived(
    wordpress: str, fake_site: FakeWordPress, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_site.reply = Script(chunks=[sse_body(["partial"], done=False), b"x"], cut_after=1)
    out = io.StringIO()
    code = await ask(Options(provider="chatgptfree", base_url=wordpress), "hi", out)
    assert code == 1
    assert out.getvalue() == "partial\n"
    assert len(fake_site.posts) == 1
    assert "retrying" not in capsys.readouterr().err
