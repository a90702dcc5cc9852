"""``python -m deskchat`` as a real process: starts, quits cleanly, also mid-stream."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from deskchat.store import Store, database_path
from tests.fakes.wordpress import FakeWordPress, Script, sse_body
from tests.gui.conftest import GUI_TESTS, until

REPO = GUI_TESTS.parents[1]


async def run_gui(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the window in a child process while this loop keeps serving the fake site."""
    # Popen returns at once; the child is then polled without blocking the loop.
    child = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-m", "deskchat", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await until(lambda: child.poll() is not None, seconds=60, what="python -m deskchat to exit")
    finally:
        if child.poll() is None:
            child.kill()
    stdout, stderr = child.communicate()
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Task was destroyed" not in result.stderr
    assert "Unclosed" not in result.stderr


async def run_probe(probe: Path, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a window probe script to its end and return the JSON its last line printed.

    Popen, then poll: the calling test's loop keeps serving its fake site meanwhile.
    """
    import json

    child = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, str(probe), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await until(lambda: child.poll() is not None, seconds=60, what="the window to exit")
    finally:
        if child.poll() is None:
            child.kill()
    stdout, stderr = child.communicate()
    assert_clean(subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr))
    seen: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return seen


async def test_window_starts_and_quits_with_exit_code_zero(
    repo_env: dict[str, str], wordpress: str, fake_site: FakeWordPress
) -> None:
    repo_env["DESKCHAT_QUIT_AFTER_MS"] = "300"
    result = await run_gui(repo_env, "--provider", "chatgptfree", "--base-url", wordpress)
    assert_clean(result)
    # Nothing touches the network at start-up.
    assert fake_site.page_loads == 0
    assert fake_site.posts == []


async def test_closing_mid_stream_exits_cleanly(
    repo_env: dict[str, str], wordpress: str, fake_site: FakeWordPress
) -> None:
    body = sse_body(["Still ", "going"], done=False)
    fake_site.reply = Script(
        chunks=[body], headers={"Content-Type": "text/event-stream"}, hang_after=1
    )
    repo_env["DESKCHAT_SMOKE_MESSAGE"] = "Tell me a long story"
    repo_env["DESKCHAT_QUIT_AFTER_MS"] = "1500"
    result = await run_gui(repo_env, "--provider", "chatgptfree", "--base-url", wordpress)
    assert_clean(result)
    assert len(fake_site.posts) == 1
    # The server saw the connection close when the window cancelled the reply.
    await asyncio.wait_for(fake_site.cancelled.wait(), 10)


async def test_closing_mid_stream_keeps_the_partial_reply_for_the_next_start(
    repo_env: dict[str, str], wordpress: str, fake_site: FakeWordPress
) -> None:
    body = sse_body(["Saved ", "part"], done=False)
    fake_site.reply = Script(
        chunks=[body], headers={"Content-Type": "text/event-stream"}, hang_after=1
    )
    repo_env["DESKCHAT_SMOKE_MESSAGE"] = "Begin a story"
    repo_env["DESKCHAT_QUIT_AFTER_MS"] = "1500"
    assert_clean(await run_gui(repo_env, "--provider", "chatgptfree", "--base-url", wordpress))
    with Store(database_path()) as s:
        [conversation] = s.list_conversations()
        path = s.current_path(conversation.id)
        interrupted = s.interrupted_replies()
    assert conversation.title == "Begin a story"
    # Cut short by the closed window, not stopped: the next start offers Continue (#11).
    assert [(m.role, m.content, m.status) for m in path] == [
        ("user", "Begin a story", "complete"),
        ("assistant", "Saved part", "streaming"),
    ]
    assert [m.id for m in interrupted] == [path[1].id]


async def test_unknown_provider_is_one_readable_sentence(repo_env: dict[str, str]) -> None:
    repo_env["DESKCHAT_PROVIDER"] = "nonesuch"
    result = await run_gui(repo_env)
    assert result.returncode == 2
    assert "Unknown provider 'nonesuch'" in result.stderr
    assert "Traceback" not in result.stderr
