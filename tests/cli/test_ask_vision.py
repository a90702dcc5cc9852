"""`deskchat ask -a image.png` to a model that reads no images: one sentence, nothing sent (#14)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from deskchat.store import Store, database_path
from tests.attach.files import png, write
from tests.fakes.openai_server import FakeOpenAI, json_reply
from tests.fakes.scripted import serving


def _deskchat(*args: str, data: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
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


async def test_ask_with_an_image_for_a_text_model_says_so_and_sends_nothing(
    tmp_path: Path,
) -> None:
    fake = FakeOpenAI()
    fake.listing = json_reply(
        {"data": [{"id": "text-model", "architecture": {"input_modalities": ["text"]}}]}
    )
    write(tmp_path, "shot.png", png(40, 30))
    data = tmp_path / "data"
    async with serving(fake.app, "/v1") as base:
        args = ("ask", "--provider", "openai-compatible", "--base-url", base)
        done = await asyncio.to_thread(
            _deskchat,
            *args,
            "--model",
            "text-model",
            "-a",
            "shot.png",
            "What is it?",
            data=data,
            cwd=tmp_path,
        )
    assert done.returncode != 0
    assert "text-model on" in done.stderr
    assert "cannot look at images" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert [r["path"] for r in fake.requests] == ["/v1/models"]
    if database_path(str(data)).exists():
        with Store(database_path(str(data))) as store:
            assert store.list_conversations() == []
