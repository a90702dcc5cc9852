"""Run every bench, write bench/results.json, and print the README table.

    python bench/run_all.py            # everything, default repeats (~3 minutes)
    BENCH_REPEATS=2 python bench/run_all.py   # a quick pass

Each bench runs in its own process (``python bench/<name>.py``); one that
fails is recorded with its error and the rest still run. startup and
memory_idle start their own Xvfb (installed: apt-get install xvfb). Build
dist/DeskChat first (docs/building.md) to include the frozen numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import machine

HERE = Path(__file__).resolve().parent
BENCHES = [
    "startup",
    "memory_idle",
    "memory_reply",
    "stream_provider",
    "stream_gui",
    "first_chunk",
    "open_conversation",
    "search",
    "local_engine",
    "stream_memory",
    "store_scale",
]


def run(name: str) -> dict[str, Any]:
    command = [sys.executable, str(HERE / f"{name}.py")]
    env = dict(os.environ)
    print(f"running {name}...", file=sys.stderr, flush=True)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return {"bench": name, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout)


def _m(stats: dict[str, Any]) -> str:
    return f"{stats['median']} ({stats['min']}–{stats['max']})"


def table(results: dict[str, Any]) -> str:
    """The README's table: one row per target, median (min–max)."""
    rows = ["| what | target | measured: median (min–max) | met |", "|---|---|---|---|"]

    def row(what: str, target: str, stats: dict[str, Any] | None, limit: float) -> None:
        if stats is None:
            rows.append(f"| {what} | {target} | not measured | |")
            return
        met = "yes" if stats["median"] < limit else "**no**"
        rows.append(f"| {what} | {target} | {_m(stats)} | {met} |")

    def get(*keys: str) -> Any:
        node: Any = results
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    starts = get("startup", "results") or {}
    bare = get("startup", "results", "bare", "mapped_ms")
    for kind, start in starts.items():
        if not isinstance(start, dict) or "ratio_to_bare" not in start:
            continue  # the bare window itself, and the offscreen rows
        ratio = start["ratio_to_bare"]
        met = "yes" if ratio <= 1.5 else "**no**"
        rows.append(
            f"| start-up, {kind}: spawn → window mapped, Xvfb, over the bare window "
            f"| ≤ 1.5x | {ratio}x ({_m(start['mapped_ms'])} ms against "
            f"{_m(bare)} ms) | {met} |"
        )
        row(
            f"start-up, {kind}: RSS 3 s after the window mapped (MiB)",
            "< 100",
            start["rss_mib"],
            100,
        )
    row(
        "in-process first paint, source, offscreen (ms; the bench before #9)",
        "< 300",
        get("startup", "results", "offscreen_first_paint_source", "ms"),
        300,
    )
    for kind, memory in (get("memory_idle", "results") or {}).items():
        if isinstance(memory, dict) and "one_reply" in memory:
            row(
                f"idle window + 1 reply, {kind} (MiB RSS)",
                "< 100",
                memory["one_reply"]["rss_mib"],
                100,
            )
    row(
        "window 3 s after a reply from the built-in engine (MiB RSS; child apart)",
        "< 100",
        get("memory_reply", "results", "plain", "rss_3s_after_reply_mib"),
        100,
    )
    for size in ("100KB", "1MB", "4MB"):
        row(
            f"provider-only stream {size}: longest loop stall, CPU (ms)",
            "< 16",
            get("stream_provider", "results", size, "max_busy_ms"),
            16,
        )
    row(
        "provider-only stream 1MB after a 100 ms block: longest stall, CPU (ms)",
        "< 16",
        get("stream_provider", "results", "1MB_after_100ms_stall", "max_busy_ms"),
        16,
    )
    for size in ("100KB", "1MB", "4MB"):
        row(
            f"window stream {size}: longest GUI stall, CPU (ms)",
            "< 16",
            get("stream_gui", "results", size, "max_busy_ms"),
            16,
        )
    for bench in ("stream_provider", "stream_gui"):
        lin = get(bench, "results", "linearity")
        per = {s: get(bench, "results", s, "ms_per_mb") for s in ("100KB", "1MB", "4MB")}
        if lin:
            text = ", ".join(f"{s}: {per[s]} ms/MB" for s in per if per[s] is not None)
            ok = all(0.7 <= v <= 1.3 for v in lin.values())
            rows.append(
                f"| {bench}: time linear in size | ms/MB flat | {text} | "
                f"{'yes' if ok else '**no**'} |"
            )
    row(
        "first chunk, socket to paint (ms)",
        "< 16.7",
        get("first_chunk", "results", "socket_to_paint_ms"),
        16.7,
    )
    row(
        "open 10,000-message conversation to first paint (ms)",
        "< 200",
        get("open_conversation", "results", "to_first_paint_ms"),
        200,
    )
    for corpus, prefix in (("", ""), ("Russian, ", "ru: "), ("mixed, ", "mixed: ")):
        for query in ("common word", "prefix as typed", "two words", "rare word", "phrase"):
            row(
                f"FTS search, 100,000 messages, {corpus}{query} (ms)",
                "< 50",
                get("search", "results", prefix + query, "ms"),
                50,
            )
    return "\n".join(rows)


def main() -> None:
    results: dict[str, Any] = {"machine": machine()}
    for name in BENCHES:
        results[name] = run(name)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
