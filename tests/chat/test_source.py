"""The line naming where the next reply comes from, and the stand-in before any provider."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deskchat import provider
from deskchat.chat import source
from tests.fakes.hf_hub import make_gguf

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_where_replies_come_from(tmp_path: Path) -> None:
    path = tmp_path / "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"
    path.write_bytes(make_gguf(name="Qwen2.5 1.5B Instruct", file_type=15))
    assert source.reply_source("local", str(path)) == (
        "Built-in engine · Qwen2.5 1.5B Instruct Q4_K_M"
    )
    assert source.reply_source("ollama", "llama3.2", "http://127.0.0.1:11434") == (
        "Ollama (127.0.0.1:11434) · llama3.2"
    )
    assert source.reply_source("llamacpp", "tiny.gguf") == "llama.cpp (127.0.0.1:8080) · tiny.gguf"
    assert source.reply_source("openai", "gpt-4o-mini") == "OpenAI · gpt-4o-mini"
    assert source.reply_source("chatgptfree", "") == "ChatgptFree (chatgptfree.ai)"
    # A file that is not a model: its name.
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model")
    assert source.reply_source("local", str(broken)) == "Built-in engine · broken"


async def test_the_stand_in_provider_answers_with_a_sentence() -> None:
    stand_in = source.NoProvider()
    with pytest.raises(provider.ConfigurationError, match="Choose how DeskChat answers"):
        async for _ in stand_in.create_async_generator(None, []):
            pass


def test_it_is_light_enough_to_import_before_the_first_paint() -> None:
    code = (
        "import sys, deskchat.chat.source\n"
        "print([m for m in ('aiohttp', 'deskchat.library') if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
