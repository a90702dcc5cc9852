"""The built-in engine against a real llama.cpp child process and tiny random models.

The models' output is random tokens: these tests check the protocol (events,
usage, finish, stop, errors, the child's life), never the words. The main one
is "endless" (see ``write_tiny_model``): it writes ASCII, each token streamed
at once, and never ends by itself, so a reply runs until stopped or cut.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from deskchat.gguf import read_gguf_info
from deskchat.provider import llama_protocol as lp
from deskchat.provider.events import FinishEvent, LoadProgress, ReasoningDelta, UsageEvent
from deskchat.provider.llama_sizing import MemoryReading, estimate_memory
from deskchat.provider.local import (
    ContextFullError,
    CorruptModelError,
    EngineStoppedError,
    LlamaEngine,
    LlamaNotInstalledError,
    LocalProvider,
    ModelFileNotFoundError,
    ModelLoadError,
    NotAGGUFError,
    NotEnoughMemoryError,
    worker_command,
)
from tests.provider.streams import text_of

psutil = pytest.importorskip("psutil")
pytest.importorskip("llama_cpp", reason="pip install 'deskchat[local]' for the built-in engine")
gguf = pytest.importorskip("gguf", reason="pip install gguf to write the test models")
from tests.fakes.tiny_gguf import write_tiny_model  # noqa: E402

pytestmark = pytest.mark.slow

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    write_tiny_model(folder / "tiny.gguf", n_ctx=16384, name="Tiny Test", endless=True)
    write_tiny_model(folder / "other.gguf", n_ctx=512, seed=1)
    write_tiny_model(
        folder / "thinker.gguf",
        chat_template="{% for m in messages %}{{ m['content'] }}\n{% endfor %}<think>\n",
        endless=True,
    )
    # Slower to read a prompt: 256 wide, 2 layers.
    write_tiny_model(folder / "slow.gguf", n_ctx=8192, n_embd=256, n_layer=2, endless=True)
    return folder


@pytest.fixture
async def local(models):
    provider = LocalProvider(models, default_model="tiny.gguf", idle_unload=None)
    yield provider
    await provider.aclose()


async def _reply(
    provider: LocalProvider, model: str | None = None, messages=HELLO, **params
) -> list:
    return [e async for e in provider.create_async_generator(model, messages, **params)]


def _loads(events: list) -> list[LoadProgress]:
    return [e for e in events if isinstance(e, LoadProgress)]


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def _until(condition, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.05)


# -- a reply -----------------------------------------------------------------


async def test_first_reply_loads_with_progress_then_streams(local):
    events = await _reply(local, max_tokens=8, seed=1)
    loads = _loads(events)
    assert loads[0] == LoadProgress("Tiny Test", 0.0)
    assert loads[-1] == LoadProgress("Tiny Test", 1.0, done=True)
    fractions = [e.fraction for e in loads]
    assert fractions == sorted(fractions)
    assert len(loads) > 2, "real progress from llama.cpp, not only start and end"
    assert events.index(loads[-1]) < min(
        i for i, e in enumerate(events) if not isinstance(e, LoadProgress)
    )
    assert text_of(events)
    assert isinstance(events[-2], UsageEvent)
    assert events[-2].prompt_tokens > 0
    assert events[-2].completion_tokens == 8
    assert events[-1] == FinishEvent("length")
    assert local.loaded_model == (local.models_dir / "tiny.gguf").resolve()


async def test_the_model_stays_loaded_between_replies(local):
    await _reply(local, max_tokens=2)
    pid = local.worker_pid
    events = await _reply(local, max_tokens=2)
    assert _loads(events) == []
    assert local.worker_pid == pid


async def test_a_reply_that_ends_by_itself_says_stop(local):
    # Not the endless model, and its end token favoured.
    events = await _reply(local, "other.gguf", seed=3, logit_bias={2: 5.0})
    assert events[-1] == FinishEvent("stop")


async def test_the_system_prompt_is_sent_through_the_template(local):
    plain = await _reply(local, max_tokens=1)
    with_system = await _reply(local, max_tokens=1, system="You are a terse assistant.")
    assert with_system[-2].prompt_tokens > plain[-2].prompt_tokens


async def test_temperature_and_seed_apply(local):
    greedy = [text_of(await _reply(local, max_tokens=12, temperature=0.0, seed=s)) for s in (1, 2)]
    assert greedy[0] == greedy[1]
    hot = {text_of(await _reply(local, max_tokens=12, temperature=2.0, seed=s)) for s in (1, 2, 3)}
    assert len(hot) > 1
    again = text_of(await _reply(local, max_tokens=12, temperature=2.0, seed=1))
    assert again in hot


async def test_models_lists_the_folder(local):
    assert await local.models() == ["other.gguf", "slow.gguf", "thinker.gguf", "tiny.gguf"]


async def test_a_path_works_as_well_as_a_name(local, models):
    events = await _reply(local, str(models / "other.gguf"), max_tokens=1)
    assert events[-1].type == "finish"
    assert local.loaded_model == (models / "other.gguf").resolve()


async def test_a_template_that_opens_think_makes_the_reply_reasoning(local):
    events = await _reply(local, "thinker.gguf", max_tokens=6)
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    assert reasoning
    assert text_of(events) == "", "no </think> came, so nothing is the answer yet"


# -- settings ------------------------------------------------------------------


async def test_context_setting_and_its_cap(models):
    provider = LocalProvider(models, n_ctx=100_000, idle_unload=None)
    try:
        await _reply(provider, "other.gguf", max_tokens=1)
        assert provider.context_size == 512, "never above the trained context"
        await _reply(provider, "other.gguf", max_tokens=1, n_ctx=256)
        assert provider.context_size == 256
    finally:
        await provider.aclose()


async def test_the_default_context_fits_the_memory(models):
    info = read_gguf_info(models / "tiny.gguf")
    fixed = estimate_memory(info, 0).total
    # Half of what is left after the weights may go to the cache: 1024 tokens' worth.
    little = MemoryReading(available=fixed + 2 * 1024 * info.kv_bytes_per_token, total=8 * 10**9)
    provider = LocalProvider(models, memory=lambda: little, idle_unload=None)
    try:
        await _reply(provider, "tiny.gguf", max_tokens=1)
        assert provider.context_size == 1024
    finally:
        await provider.aclose()


async def test_a_conversation_longer_than_the_context(local):
    long = [{"role": "user", "content": "hello chat " * 400}]
    with pytest.raises(ContextFullError) as info:
        async for _ in local.create_async_generator("other.gguf", long, n_ctx=256):
            pass
    assert "256 tokens" in info.value.text()
    assert "new chat" in info.value.text()


# -- stop ------------------------------------------------------------------------


async def test_stop_mid_reply_stops_the_child_computing(local):
    stream = local.create_async_generator(None, HELLO)
    pieces = 0
    async for event in stream:
        pieces += event.type == "text.delta"
        if pieces == 3:
            break
    await stream.aclose()
    pid = local.worker_pid
    stop = await local.wait_stopped()
    assert stop is not None
    # Unstopped, it would go on for ~16000 tokens (the context); the child looks
    # for a Stop before each token.
    assert stop.after_cancel <= 2
    assert stop.completion_tokens < 400
    await asyncio.sleep(0.3)
    before = _cpu_seconds(pid)
    await asyncio.sleep(0.6)
    assert _cpu_seconds(pid) - before < 0.1, "the child is idle after the Stop"
    # And it answers the next reply at once, with the model still loaded.
    events = await _reply(local, max_tokens=3)
    assert _loads(events) == []
    assert events[-1] == FinishEvent("length")


async def test_cancelling_the_task_stops_the_child_too(local):
    await _reply(local, max_tokens=1)
    started = asyncio.Event()

    async def consume() -> None:
        async for event in local.create_async_generator(None, HELLO):
            if event.type == "text.delta":
                started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stop = await local.wait_stopped()
    assert stop is not None
    assert stop.after_cancel <= 2


async def test_stop_while_reading_a_long_prompt_interrupts_llama_cpp(local):
    """The prompt is read in batches with no token between them: Stop must cut in."""
    await _reply(local, "slow.gguf", max_tokens=1)
    started = time.monotonic()
    await _reply(
        local, "slow.gguf", [{"role": "user", "content": "hello chat " * 500}], max_tokens=1
    )
    full = time.monotonic() - started
    stream = local.create_async_generator(
        "slow.gguf", [{"role": "user", "content": "chat hello " * 500}], max_tokens=1
    )
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(min(0.3, full / 4))
    assert not waiting.done(), "still reading the prompt"
    waiting.cancel()
    stopped = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    stop = await local.wait_stopped()
    took = time.monotonic() - stopped
    assert stop is not None
    assert stop.completion_tokens == 0
    assert took < full / 3, f"stopped in {took:.2f} s; the whole prompt takes {full:.2f} s"


async def test_stop_while_loading_leaves_the_engine_usable(local):
    stream = local.create_async_generator(None, HELLO, max_tokens=2)
    first = await anext(stream)
    assert isinstance(first, LoadProgress)
    await stream.aclose()
    events = await _reply(local, max_tokens=2)
    assert events[-1] == FinishEvent("length")


# -- the child dies ------------------------------------------------------------


async def test_killed_mid_reply_keeps_the_text_and_the_next_reply_starts_again(local):
    seen: list = []

    async def read_and_kill() -> None:
        async for event in local.create_async_generator(None, HELLO):
            seen.append(event)
            if len(text_of(seen)) >= 3 and local.worker_pid is not None:
                os.kill(local.worker_pid, signal.SIGKILL)

    with pytest.raises(EngineStoppedError) as info:
        await read_and_kill()
    assert len(text_of(seen)) >= 3, "the text before the kill was handed out"
    message = info.value.text()
    assert message.startswith("The model process stopped; it may have run out of memory.")
    assert "SIGKILL" in message
    assert info.value.returncode == -signal.SIGKILL
    assert local.worker_pid is None
    events = await _reply(local, max_tokens=2)
    assert _loads(events), "a new child loads the model again"
    assert events[-1] == FinishEvent("length")


# -- files that are not models -------------------------------------------------


async def test_not_a_gguf_is_refused_before_anything_starts(local, tmp_path):
    page = tmp_path / "model.gguf"
    page.write_bytes(b"<!DOCTYPE html><title>404</title>")
    with pytest.raises(NotAGGUFError, match="is not a GGUF model file"):
        await _reply(local, str(page))
    assert local.worker_pid is None


async def test_a_download_cut_short_is_a_damaged_file(local, models, tmp_path):
    cut = tmp_path / "cut.gguf"
    cut.write_bytes((models / "tiny.gguf").read_bytes()[:300])
    with pytest.raises(CorruptModelError, match="Download it again"):
        await _reply(local, str(cut))


async def test_a_missing_file(local):
    with pytest.raises(ModelFileNotFoundError, match="There is no model file at"):
        await _reply(local, "nowhere.gguf")


async def test_a_model_llama_cpp_cannot_load_says_why(local, tmp_path):
    strange = tmp_path / "strange.gguf"
    writer = gguf.GGUFWriter(str(strange), "nonesuch")
    writer.add_block_count(1)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelLoadError) as info:
        await _reply(local, str(strange))
    assert "nonesuch" in info.value.text()
    # The child survived the refusal and still serves.
    assert (await _reply(local, max_tokens=1))[-1].type == "finish"


# -- memory ----------------------------------------------------------------------


async def test_too_little_memory_is_said_before_loading_with_the_numbers(models):
    reading = MemoryReading(available=50_000_000, total=8_000_000_000)
    provider = LocalProvider(models, memory=lambda: reading, n_ctx=4096, idle_unload=None)
    try:
        with pytest.raises(NotEnoughMemoryError) as info:
            await _reply(provider, "tiny.gguf")
        assert provider.loaded_model is None
    finally:
        await provider.aclose()
    error = info.value
    text = error.text()
    assert text.startswith("Tiny Test needs about ")
    assert "(0.3 MB for the model, 1.0 MB for a 4096-token context," in text
    assert "only 50 MB of this computer's 8.0 GB are free" in text
    assert error.estimate.total > reading.available
    assert error.memory == reading


async def test_a_model_bigger_than_the_machine(models):
    reading = MemoryReading(available=50_000_000, total=60_000_000)
    provider = LocalProvider(models, memory=lambda: reading, idle_unload=None)
    try:
        with pytest.raises(NotEnoughMemoryError, match="this computer has 60 MB in all"):
            await _reply(provider, "tiny.gguf")
    finally:
        await provider.aclose()


# -- llama-cpp-python missing ------------------------------------------------------


async def test_llama_cpp_python_missing(models, tmp_path):
    stub = tmp_path / "stub" / "llama_cpp"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError('No module named llama_cpp (simulated)')")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(stub.parent), *sys.path])}
    provider = LocalProvider(models, worker_env=env, idle_unload=None)
    try:
        with pytest.raises(LlamaNotInstalledError) as info:
            await _reply(provider, "tiny.gguf")
    finally:
        await provider.aclose()
    text = info.value.text()
    assert text.startswith("The built-in engine needs llama-cpp-python, which is not installed")
    assert "pip install" in text
    assert provider.worker_pid is None


# -- the child's life ------------------------------------------------------------


async def test_idle_unload_ends_the_child_and_the_next_reply_loads_again(models):
    provider = LocalProvider(models, default_model="tiny.gguf", idle_unload=0.3)
    try:
        await _reply(provider, max_tokens=1)
        pid = provider.worker_pid
        assert pid is not None
        await _until(lambda: provider.worker_pid is None)
        await _until(lambda: not psutil.pid_exists(pid) or _is_zombie(pid))
        assert provider.loaded_model is None
        events = await _reply(provider, max_tokens=1)
        assert _loads(events)
        assert provider.worker_pid not in (None, pid)
    finally:
        await provider.aclose()


def _is_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_switching_models_unloads_the_first_before_loading_the_second(local, monkeypatch):
    await _reply(local, "tiny.gguf", max_tokens=1)
    pid = local.worker_pid
    engine = local._engine
    sent: list[str] = []
    original = engine.send

    async def spy(request):
        sent.append(request.type)
        await original(request)

    monkeypatch.setattr(engine, "send", spy)
    events = await _reply(local, "other.gguf", max_tokens=1)
    assert sent == ["unload", "load", "chat"]
    assert _loads(events)[-1].done
    assert local.loaded_model == (local.models_dir / "other.gguf").resolve()
    assert local.worker_pid == pid


async def test_aclose_ends_the_child(models):
    provider = LocalProvider(models, default_model="tiny.gguf")
    await _reply(provider, max_tokens=1)
    pid = provider.worker_pid
    await provider.aclose()
    assert provider.worker_pid is None
    assert not psutil.pid_exists(pid) or _is_zombie(pid)


async def test_the_frozen_entry_runs_the_child(monkeypatch):
    """`DeskChat --llama-worker` (here `python -m deskchat --llama-worker`) is the child."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert worker_command() == [sys.executable, "--llama-worker"]
    monkeypatch.delattr(sys, "frozen")
    engine = LlamaEngine([sys.executable, "-m", "deskchat", "--llama-worker"])
    try:
        ready = await engine.start()
    finally:
        await engine.aclose()
    assert ready.version
    assert engine.returncode == 0


async def test_the_child_exits_when_its_stdin_closes():
    """The window dying closes the pipe: the child must not linger."""
    engine = LlamaEngine()
    await engine.start()
    engine._process.stdin.close()
    async with asyncio.timeout(10):
        assert await engine._process.wait() == 0
    await engine.aclose()


async def test_a_chat_before_any_load_is_refused_by_the_child():
    engine = LlamaEngine()
    await engine.start()
    try:
        channel = engine.channel(1)
        await engine.send(lp.Chat(1, HELLO, {}))
        message = await channel.receive()
    finally:
        await engine.aclose()
    assert message == lp.Failed(1, "generate", "No model is loaded.")
