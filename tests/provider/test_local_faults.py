"""The built-in engine when its child misbehaves: hangs, garbage, exits, silence.

A scripted child (tests/fakes/fake_llama_worker.py) speaks the real protocol
without llama.cpp, so these run fast; the model files are tiny fake GGUFs
(the header is all the parent reads).
"""

from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

import pytest

from deskchat.provider.events import TextDelta
from deskchat.provider.local import EngineStoppedError, LlamaEngine, LocalProvider
from tests.provider.streams import text_of

FAKE = Path(__file__).resolve().parents[1] / "fakes" / "fake_llama_worker.py"
HELLO = [{"role": "user", "content": "hello"}]


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


@pytest.fixture
def model(tmp_path) -> Path:
    """A GGUF header with an architecture and a block count, and nothing else."""
    keys = [
        _string("general.architecture") + struct.pack("<I", 8) + _string("llama"),
        _string("llama.block_count") + struct.pack("<I", 4) + struct.pack("<I", 1),
    ]
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(keys)) + b"".join(keys))
    return path


def _provider(model: Path, mode: str, **options) -> LocalProvider:
    return LocalProvider(
        model.parent,
        default_model=model.name,
        idle_unload=None,
        n_ctx=512,
        worker_command=[sys.executable, str(FAKE), mode],
        **options,
    )


async def test_a_child_that_ignores_stop_is_killed_and_replaced(model):
    provider = _provider(model, "hang", stop_grace=0.5)
    try:
        stream = provider.create_async_generator(None, HELLO)
        async for event in stream:
            if isinstance(event, TextDelta):
                break
        await stream.aclose()
        pid = provider.worker_pid
        started = time.monotonic()
        assert await provider.wait_stopped() is None, "it never said it stopped"
        assert time.monotonic() - started < 5
        assert provider.worker_pid is None, "killed after the grace time"
        # The next reply gets a new child (which hangs too: stop it at once).
        stream = provider.create_async_generator(None, HELLO)
        async for event in stream:
            if isinstance(event, TextDelta):
                break
        assert provider.worker_pid not in (None, pid)
        await stream.aclose()
    finally:
        await provider.aclose()


async def test_garbage_on_stdout_keeps_the_text_before_it(model):
    provider = _provider(model, "garbage")
    seen = []

    async def read() -> None:
        async for event in provider.create_async_generator(None, HELLO):
            seen.append(event)

    try:
        with pytest.raises(EngineStoppedError, match="does not understand") as info:
            await read()
    finally:
        await provider.aclose()
    assert text_of(seen) == "before "
    assert "Segmentation fault" in info.value.text()


async def test_a_child_that_exits_while_loading(model):
    provider = _provider(model, "exit")
    try:
        with pytest.raises(EngineStoppedError) as info:
            async for _ in provider.create_async_generator(None, HELLO):
                pass
    finally:
        await provider.aclose()
    text = info.value.text()
    assert text.startswith("The model process stopped while loading fake;")
    assert "exited with code 7: fake: out of something" in text
    assert info.value.returncode == 7


async def test_a_child_that_never_says_ready():
    engine = LlamaEngine([sys.executable, str(FAKE), "silent"], start_timeout=0.5)
    try:
        with pytest.raises(EngineStoppedError, match="did not start within 0.5 seconds"):
            await engine.start()
    finally:
        await engine.aclose(grace=0.5)
    assert engine.returncode is not None
