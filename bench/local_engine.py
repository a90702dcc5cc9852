"""The built-in engine: DeskChat's provider against llama.cpp called directly.

Targets (issue #10): tokens per second through ``LocalProvider`` (a child
process, JSON lines on its pipes) at least 0.95 of ``llama_cpp.Llama`` called
in-process on the same model, prompt, seed and threads; the time from request
to first token, with the model loaded, within 20 ms of the model's own.

The model is random (``tests/fakes/tiny_gguf.py``: n_embd 512, 4 layers,
f32, ~43 MB, written to a temporary folder) and "endless": it writes one ASCII
token after another and never its end token, so every run makes exactly
``max_tokens`` tokens and each token reaches the stream at once. Runs
alternate direct / provider with the same seed, so both make the same tokens.
Also measured: the first load (process start, import, load), the RSS of this
process (the provider's side) and of the child with the model loaded, and how
many tokens the child makes after a Stop arrives.

    python bench/local_engine.py [--threads N ...]   (default: 1 and the physical cores)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, emit, repeats, summary, wait_quiet

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from deskchat.provider.events import FinishEvent, LoadProgress, TextDelta, UsageEvent  # noqa: E402
from deskchat.provider.llama_sizing import physical_cores  # noqa: E402
from deskchat.provider.local import LocalProvider  # noqa: E402
from tests.fakes.tiny_gguf import write_tiny_model  # noqa: E402

TARGET_RATIO = 0.95
TARGET_FIRST_TOKEN_MS = 20.0
N_CTX = 1024
MAX_TOKENS = 200


def _messages(i: int) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": f"Tell me story number {i}, please."},
    ]


def _sampling(i: int) -> dict[str, Any]:
    return {"max_tokens": MAX_TOKENS, "seed": 1000 + i, "temperature": 0.8}


def _direct_run(llm: Any, i: int) -> dict[str, float]:
    """One streamed reply from llama.cpp in this process."""
    started = time.perf_counter()
    first = None
    finish = None
    for chunk in llm.create_chat_completion(messages=_messages(i), stream=True, **_sampling(i)):
        choice = chunk["choices"][0]
        if first is None and choice["delta"].get("content"):
            first = time.perf_counter()
        finish = choice.get("finish_reason") or finish
    ended = time.perf_counter()
    assert finish == "length", finish
    assert first is not None
    return _rates(started, first, ended, MAX_TOKENS)


async def _provider_run(provider: LocalProvider, i: int) -> dict[str, float]:
    """One reply through DeskChat's provider and its child process."""
    started = time.perf_counter()
    first = None
    tokens = 0
    finish = None
    system, user = _messages(i)
    stream = provider.create_async_generator(None, [user], system=system["content"], **_sampling(i))
    async for event in stream:
        if first is None and isinstance(event, TextDelta):
            first = time.perf_counter()
        elif isinstance(event, UsageEvent):
            tokens = event.completion_tokens or 0
        elif isinstance(event, FinishEvent):
            finish = event.reason
        elif isinstance(event, LoadProgress):
            raise AssertionError("the model should be loaded already")
    ended = time.perf_counter()
    assert finish == "length", finish
    assert tokens == MAX_TOKENS, tokens
    assert first is not None
    return _rates(started, first, ended, tokens)


def _rates(started: float, first: float, ended: float, tokens: int) -> dict[str, float]:
    return {
        "first_token_ms": (first - started) * 1000,
        # Generation speed after the first token: the prompt is read before it.
        "tokens_per_s": (tokens - 1) / (ended - first),
        "overall_tokens_per_s": tokens / (ended - started),
    }


async def _round_trips(provider: LocalProvider, llm: Any, n: int) -> dict[str, Any]:
    """One-token replies to the same prompt (read from llama.cpp's cache): the
    provider's own cost per reply, with hardly any model time in it."""
    direct: list[float] = []
    through: list[float] = []
    messages = _messages(0)[1:]
    for _ in range(n):
        started = time.perf_counter()
        for _chunk in llm.create_chat_completion(messages=messages, stream=True, max_tokens=1):
            pass
        direct.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        async for _event in provider.create_async_generator(None, messages, max_tokens=1):
            pass
        through.append((time.perf_counter() - started) * 1000)
    return {
        "direct_ms": summary(direct, 2),
        "provider_ms": summary(through, 2),
        "overhead_ms": round(statistics.median(through) - statistics.median(direct), 2),
    }


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1e6


async def _first_load(provider: LocalProvider) -> dict[str, Any]:
    started = time.perf_counter()
    progress = 0
    async for event in provider.create_async_generator(
        None, _messages(0)[1:], max_tokens=1, seed=1
    ):
        progress += isinstance(event, LoadProgress)
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "progress_events": progress,
        "context": provider.context_size,
    }


async def _stop_cost(provider: LocalProvider) -> dict[str, Any]:
    """Stop after 20 pieces: how long until the child stopped, and its tokens after the Stop."""
    provider.last_stop = None
    stream = provider.create_async_generator(None, _messages(1)[1:], max_tokens=N_CTX // 2)
    pieces = 0
    async for event in stream:
        pieces += isinstance(event, TextDelta)
        if pieces == 20:
            break
    stopped = time.perf_counter()
    await stream.aclose()
    report = await provider.wait_stopped()
    assert report is not None
    return {
        "acknowledged_ms": round((time.perf_counter() - stopped) * 1000, 1),
        "tokens_after_stop": report.after_cancel,
        "tokens_in_all": report.completion_tokens,
    }


async def measure(model: Path, threads: int, n: int) -> dict[str, Any]:
    provider = LocalProvider(
        model.parent, default_model=model.name, n_ctx=N_CTX, n_threads=threads, idle_unload=None
    )
    try:
        first_load = await _first_load(provider)
        pid = provider.worker_pid
        assert pid is not None
        memory = {
            "parent_rss_mb": round(_rss_mb(psutil.Process().pid), 1),
            "child_rss_mb": round(_rss_mb(pid), 1),
        }
        stop = await _stop_cost(provider)

        import llama_cpp

        llm = llama_cpp.Llama(
            str(model), n_ctx=N_CTX, n_threads=threads, n_threads_batch=threads, verbose=False
        )
        quiet = wait_quiet()
        direct: list[dict[str, float]] = []
        through: list[dict[str, float]] = []
        # Alternate, so that load from other work on the machine falls on both.
        for i in range(n + 1):
            d = _direct_run(llm, i)
            p = await _provider_run(provider, i)
            if i:  # the first pair warms caches up
                direct.append(d)
                through.append(p)
        round_trips = await _round_trips(provider, llm, 5 * n)
        llm.close()
    finally:
        await provider.aclose()

    def of(runs: list[dict[str, float]], key: str) -> list[float]:
        return [r[key] for r in runs]

    pairs = list(zip(direct, through, strict=True))
    ratios = [p["tokens_per_s"] / d["tokens_per_s"] for d, p in pairs]
    overheads = [p["first_token_ms"] - d["first_token_ms"] for d, p in pairs]
    return {
        "threads": threads,
        "cpu_busy_before": round(quiet, 2),
        "direct": {
            "tokens_per_s": summary(of(direct, "tokens_per_s"), 1),
            "first_token_ms": summary(of(direct, "first_token_ms"), 1),
        },
        "provider": {
            "tokens_per_s": summary(of(through, "tokens_per_s"), 1),
            "first_token_ms": summary(of(through, "first_token_ms"), 1),
            "overall_tokens_per_s": summary(of(through, "overall_tokens_per_s"), 1),
        },
        "speed_ratio": summary(ratios, 3),
        "speed_ratio_of_medians": round(
            statistics.median(of(through, "tokens_per_s"))
            / statistics.median(of(direct, "tokens_per_s")),
            3,
        ),
        "first_token_overhead_ms": summary(overheads, 1),
        "one_token_reply": round_trips,
        "first_load": first_load,
        "memory_with_model_loaded": memory,
        "stop": stop,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--threads", type=int, nargs="*", default=None)
    args = parser.parse_args()
    threads = args.threads or sorted({1, physical_cores()})
    n = repeats(8)
    with tempfile.TemporaryDirectory(prefix="deskchat-bench-") as folder:
        model = write_tiny_model(
            Path(folder) / "random-512x4.gguf", n_ctx=2048, n_embd=512, n_layer=4, endless=True
        )
        size_mb = round(model.stat().st_size / 1e6, 1)
        results = {f"threads_{t}": asyncio.run(measure(model, t, n)) for t in threads}
    emit(
        "local_engine",
        results,
        target={
            "speed_ratio_min": TARGET_RATIO,
            "first_token_overhead_ms_max": TARGET_FIRST_TOKEN_MS,
        },
        setup=(
            f"random llama n_embd 512, 4 layers, f32, {size_mb} MB; n_ctx {N_CTX}; "
            f"{MAX_TOKENS} tokens per reply; direct llama_cpp.Llama vs LocalProvider, alternating"
        ),
    )


if __name__ == "__main__":
    main()
