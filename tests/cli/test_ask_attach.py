"""`deskchat ask -a FILE`: files sent with the question, kept in the history, exported, refused."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deskchat.store import Store, database_path, import_file
from tests.attach.files import bomb_png, encrypted_pdf, png, text_pdf, write
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving


def _deskchat(*args: str, data: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in a child, as people run it (argv, stdout, stderr, exit code)."""
    env = {**os.environ, "DESKCHAT_LANGUAGE": "en"}
    return subprocess.run(
        [sys.executable, "-m", "deskchat", *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def server():
    fake = FakeOpenAI()
    async with serving(fake.app, "/v1") as base:
        yield fake, base


async def _run(*args: str, data: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # The child talks to the fake served by this loop: run it off the loop.
    return await asyncio.to_thread(_deskchat, *args, data=data, cwd=cwd)


async def test_ask_sends_the_attached_files_and_keeps_them(server, tmp_path: Path) -> None:
    fake, base = server
    fake.reply_with(stream_reply(sse([chunk("A red box and a note.")])))
    write(tmp_path, "shot.png", png(40, 30))
    write(tmp_path, "todo.txt", "buy milk\n")
    write(tmp_path, "paper.pdf", text_pdf("Abstract words"))
    data = tmp_path / "data"
    done = await _run(
        "ask",
        "--provider",
        "openai-compatible",
        "--base-url",
        base,
        "--model",
        "m",
        "-a",
        "shot.png",
        "--attach",
        "todo.txt",
        "-a",
        "paper.pdf",
        "What",
        "are these?",
        data=data,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "A red box and a note.\n"
    # Before it, the model list was asked whether "m" reads images (it did not say).
    (request,) = [r for r in fake.requests if r["path"] == "/v1/chat/completions"]
    (user,) = [m for m in request["json"]["messages"] if m["role"] == "user"]
    text, image = user["content"]
    assert text["text"] == (
        "```todo.txt\nbuy milk\n```\n\n"
        "```paper.pdf\n[Page 1]\nAbstract words\n```\n\n"
        "What are these?"
    )
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    with Store(database_path(str(data))) as store:
        (conversation,) = store.list_conversations()
        question = store.current_path(conversation.id)[0]
        assert question.content == "What are these?"
        assert [a.name for a in question.attachments] == ["shot.png", "todo.txt", "paper.pdf"]


async def test_an_exported_ask_exchange_restores_its_files(server, tmp_path: Path) -> None:
    fake, base = server
    fake.reply_with(stream_reply(sse([chunk("ok")])))
    write(tmp_path, "shot.png", png(20, 20))
    data = tmp_path / "data"
    common = ("--provider", "openai-compatible", "--base-url", base, "--model", "m")
    done = await _run("ask", *common, "-a", "shot.png", "look", data=data, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    exported = await _run("export", "-o", str(tmp_path / "all.json"), data=data, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    saved = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    (attached,) = saved["conversations"][0]["messages"][0]["attachments"]
    assert attached["name"] == "shot.png"
    assert base64.b64decode(attached["data"]).startswith(b"\x89PNG")
    with Store(tmp_path / "fresh.sqlite3") as fresh:
        (cid,) = import_file(fresh, tmp_path / "all.json").imported
        (restored,) = fresh.current_path(cid)[0].attachments
        assert restored.sha256 == attached["sha256"]


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("bomb.png", bomb_png(), "megapixels"),
        ("locked.pdf", encrypted_pdf(), "password"),
        ("blob.bin", bytes(range(256)) * 8, "neither text"),
    ],
)
async def test_a_file_that_cannot_be_sent_stops_ask_with_a_sentence(
    server, tmp_path: Path, name: str, data: bytes, says: str
) -> None:
    fake, base = server
    write(tmp_path, name, data)
    done = await _run(
        "ask",
        "--provider",
        "openai-compatible",
        "--base-url",
        base,
        "-a",
        name,
        "hi",
        data=tmp_path / "data",
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert says in done.stderr
    assert name in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert fake.requests == []


async def test_a_folder_given_to_attach_is_refused(server, tmp_path: Path) -> None:
    fake, base = server
    (tmp_path / "photos").mkdir()
    done = await _run(
        "ask",
        "--provider",
        "openai-compatible",
        "--base-url",
        base,
        "-a",
        "photos",
        "hi",
        data=tmp_path / "data",
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "“photos” is a folder" in done.stderr
    assert fake.requests == []
