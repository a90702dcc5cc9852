"""Streaming through the provider alone: ChatgptFree + LineDecoder on an asyncio loop.

Targets (issue #5): the longest gap between event-loop ticks < 16 ms while a
reply streams, and total time linear in the reply's size (100 KB, 1 MB, 4 MB
of text, sent by a local server in another process 10 bytes per write).

A ticker task sleeps 1 ms at a time and records the longest gap between its
wake-ups: that is the longest the loop was blocked (plus the 1 ms sleep).
``--profile`` writes a pyinstrument text profile of the 1 MB run to
bench/profiles/stream_provider.txt.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import aiohttp
from _common import StreamServer, emit, repeats, summary

from deskchat import provider

SIZES = {"100KB": 100_000, "1MB": 1_000_000, "4MB": 4_000_000}
TARGET_GAP_MS = 16.0
STALL_S = 0.1
MESSAGES = [{"role": "user", "content": "Write a long answer."}]


async def _ticker(gaps: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """Record (wall, CPU) seconds between wake-ups. CPU time (this thread's) leaves
    out time the OS gave other processes, e.g. the server on a 2-core machine."""
    last, last_cpu = time.perf_counter(), time.thread_time()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now, cpu = time.perf_counter(), time.thread_time()
        gaps.append((now - last, cpu - last_cpu))
        last, last_cpu = now, cpu


async def stream_once(url: str, stall_at: int = 0) -> tuple[float, float, float, int]:
    """(total seconds, longest loop gap, longest CPU-busy gap, characters received).

    With ``stall_at``, the loop is blocked once for STALL_S (sleeping, so it
    costs no CPU) after that many characters, as a slow paint or a garbage
    collection would: the bytes that pile up meanwhile are then parsed.
    """
    gaps: list[tuple[float, float]] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(gaps, stop))
    received = 0
    start = time.perf_counter()
    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as session:
        chat = provider.ChatgptFree(base_url=url, session=session)
        state = provider.ReplyState()
        async for event in provider.stream_events(chat, None, MESSAGES):
            received += len(state.handle(event) or "")
            if stall_at and received >= stall_at:
                stall_at = 0
                time.sleep(STALL_S)  # noqa: ASYNC251 - blocking on purpose
    total = time.perf_counter() - start
    stop.set()
    await ticker
    return total, max(g for g, _ in gaps), max(c for _, c in gaps), received


def measure(size: int, n: int) -> dict[str, object]:
    with StreamServer(size) as server:
        runs = [asyncio.run(stream_once(server.url)) for _ in range(n)]
    assert all(received == size for *_, received in runs), "the reply arrived incomplete"
    totals = [run[0] for run in runs]
    return {
        "total_ms": summary([t * 1000 for t in totals], 1),
        "ms_per_mb": round(min(totals) * 1000 / (size / 1e6), 1),
        "max_loop_gap_ms": summary([run[1] * 1000 for run in runs], 2),
        "max_busy_ms": summary([run[2] * 1000 for run in runs], 2),
    }


def measure_backlog(size: int, n: int) -> dict[str, object]:
    """The longest CPU-busy stall after a 100 ms block halfway through the reply."""
    with StreamServer(size) as server:
        runs = [asyncio.run(stream_once(server.url, stall_at=size // 2)) for _ in range(n)]
    return {"max_busy_ms": summary([run[2] * 1000 for run in runs], 2)}


def profile() -> None:
    from pyinstrument import Profiler

    with StreamServer(SIZES["1MB"]) as server:
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        with profiler:
            asyncio.run(stream_once(server.url))
    out = Path(__file__).with_name("profiles") / "stream_provider.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"profile written to {out}", file=sys.stderr)


def main() -> None:
    if "--profile" in sys.argv:
        profile()
        return
    n = repeats(5)
    results = {name: measure(size, n) for name, size in SIZES.items()}
    results["1MB_after_100ms_stall"] = measure_backlog(SIZES["1MB"], n)
    per_mb = [results[name]["ms_per_mb"] for name in SIZES]  # type: ignore[index]
    results["linearity"] = {
        # 1.0 = perfectly linear; each size's best ms/MB over the 1 MB one.
        name: round(r["ms_per_mb"] / results["1MB"]["ms_per_mb"], 2)  # type: ignore[index]
        for name, r in results.items()
        if name in SIZES
    }
    emit(
        "stream_provider",
        results,
        target={"max_loop_gap_ms": TARGET_GAP_MS, "time": "linear in size"},
        setup="ChatgptFree over aiohttp to 127.0.0.1, 64-char deltas, 10-byte writes",
        spread_ms_per_mb=[min(per_mb), max(per_mb)],
    )


if __name__ == "__main__":
    main()
