"""Resident memory of an idle window holding one conversation (source and frozen).

Target (issue #5): < 100 MB RSS.

Each run starts the window with ``DESKCHAT_SMOKE_MESSAGE`` (one question, whose
reply streams from a local fake server), lets it idle for 3 s after the first
paint, then reads VmRSS (now) and VmHWM (the peak) from /proc/self/status via
the paint probe (_paint_probe.py). Linux only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _common import emit, frozen_exe, repeats, served, summary

from tests.fakes.wordpress import FakeWordPress, stream

TARGET_MB = 100.0
IDLE_MS = "3000"


SITE = FakeWordPress()
SITE.reply = stream(["Hello! ", "Here is a short answer ", "to keep the window busy."] * 20)


def rss_mb(command: list[str], url: str) -> tuple[float, float]:
    """(RSS, peak RSS) in MB of one idle window."""
    env = dict(os.environ)
    env.update(
        DESKCHAT_BENCH_PROBE="1",
        DESKCHAT_BENCH_IDLE_MS=IDLE_MS,
        DESKCHAT_SMOKE_MESSAGE="Say hello, then a few sentences.",
    )
    done = subprocess.run(
        [*command, "--base-url", url], env=env, capture_output=True, text=True, timeout=60
    )
    for line in done.stderr.splitlines():
        if line.startswith("DESKCHAT_BENCH rss_kb="):
            fields = dict(part.split("=") for part in line.split()[1:])
            return int(fields["rss_kb"]) / 1024, int(fields["hwm_kb"]) / 1024
    raise RuntimeError(f"no memory reported (exit {done.returncode}):\n{done.stderr}")


def measure(command: list[str], url: str, n: int) -> dict[str, object]:
    runs = [rss_mb(command, url) for _ in range(n)]
    return {
        "rss_mb": summary([r for r, _ in runs], 1),
        "peak_rss_mb": summary([p for _, p in runs], 1),
    }


def main() -> None:
    n = repeats(3)
    results: dict[str, object] = {}
    with served(lambda: SITE.app) as url:
        results["source"] = measure(
            [sys.executable, str(Path(__file__).with_name("_launch_probe.py"))], url, n
        )
        exe = frozen_exe()
        if exe is None:
            results["frozen"] = {"skipped": "no build in dist/DeskChat (see docs/building.md)"}
        else:
            results["frozen"] = measure([str(exe)], url, n)
    # Proof the conversation happened: one reply streamed per window.
    results["replies_streamed"] = len(SITE.posts)
    emit("memory_idle", results, target={"rss_mb": TARGET_MB})


if __name__ == "__main__":
    main()
