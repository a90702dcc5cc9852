"""A reader that leaves early (``deskchat … | head``) ends the command quietly (#12, point 13).

Exit code 0, as ``deskchat ask … | head`` already did: the reader has seen
what it wanted, which is no failure (a ``set -o pipefail`` script goes on),
and nothing on stderr.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from deskchat import store
from tests.child import REPO, child_env
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More conversations than a pipe holds in its buffer, listed or exported."""
    data = tmp_path_factory.mktemp("closed-pipe") / "data"
    with store.Store(store.database_path(data)) as db:
        for i in range(1500):
            conv = db.create_conversation(f"Conversation number {i} " + "x" * 40)
            db.add_message(conv.id, "user", f"question {i}")
    return data


async def _into_closed_pipe(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run ``deskchat ARGS`` writing into a pipe whose reader is already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "deskchat",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_end,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
    finally:
        os.close(write_end)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, err


@pytest.mark.parametrize(
    "args",
    [["export", "--list"], ["export"], ["export", "--format", "json"]],
    ids=["list", "markdown", "json"],
)
async def test_export_into_a_closed_pipe_is_quiet(history: Path, args: list[str]) -> None:
    code, err = await _into_closed_pipe(args, child_env(history))
    assert err == b""
    assert code == 0


async def test_export_list_piped_into_head(history: Path) -> None:
    """The issue's own command line, through a shell."""
    proc = await asyncio.create_subprocess_shell(
        f"{sys.executable} -m deskchat export --list | head -n 2; exit ${{PIPESTATUS[0]}}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(history),
        cwd=REPO,
        executable="/bin/bash",
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert b"Traceback" not in err, err
    assert err == b""
    assert len(out.splitlines()) == 2
    assert proc.returncode == 0


async def test_models_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    code, err = await _into_closed_pipe(
        ["models", "--provider", "chatgptfree", "--no-discover"], child_env(tmp_path / "data")
    )
    assert err == b""
    assert code == 0


async def test_ask_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk("a reply nobody reads")])))
    async with serving(fake.app, "/v1") as base:
        args = ["ask", "--provider", "openai-compatible", "--base-url", base, "--model", "m"]
        code, err = await _into_closed_pipe([*args, "hi"], child_env(tmp_path / "data"))
    assert err == b""
    assert code == 0


@pytest.mark.parametrize("when", [1.7e15, 1e20, float("inf")], ids=["microseconds", "1e20", "inf"])
def test_export_list_survives_a_time_no_calendar_holds(
    tmp_path: Path, when: float, capsys: pytest.CaptureFixture[str]
) -> None:
    """Kept from an import made before the store checked times: the list still shows."""
    from deskchat.cli.main import main

    data = tmp_path / "data"
    with store.Store(store.database_path(data)) as db:
        conv = db.create_conversation("Far future")
        db.connection.execute(
            "UPDATE conversations SET updated_at = ? WHERE id = ?", (when, conv.id)
        )
        db.connection.commit()
    assert main(["export", "--list", "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out == f"{conv.id}\t????-??-?? ??:??\tFar future\n"
