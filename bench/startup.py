"""Cold start to the window's first paint, from source and (if built) frozen.

Target (issue #5): < 300 ms from process spawn to first paint.

Each run spawns a fresh process with ``DESKCHAT_BENCH_PROBE=1`` (see
_paint_probe.py) and ``DESKCHAT_QUIT_AFTER_MS`` so the window closes itself.
"Cold" means a new interpreter; the OS file cache is warm after the first run
(run 1 is reported separately). The window talks to a local fake server so
the start never waits on the internet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, emit, frozen_exe, repeats, served, summary

from tests.fakes.wordpress import FakeWordPress

TARGET_MS = 300.0


def first_paint_ms(command: list[str], env: dict[str, str]) -> float:
    """Milliseconds from spawning ``command`` to its first paint."""
    start = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    for line in done.stderr.splitlines():
        if line.startswith("DESKCHAT_BENCH first_paint="):
            return (float(line.split("=", 1)[1]) - start) * 1000
    raise RuntimeError(f"no first paint reported (exit {done.returncode}):\n{done.stderr}")


def measure(command: list[str], url: str, n: int) -> dict[str, object]:
    env = dict(os.environ)
    env.update(DESKCHAT_BENCH_PROBE="1", DESKCHAT_QUIT_AFTER_MS="300")
    runs = [first_paint_ms([*command, "--base-url", url], env) for _ in range(n + 1)]
    return {"first_run_ms": round(runs[0], 1), "ms": summary(runs[1:], 1)}


def profile() -> None:
    """A pyinstrument profile of one source start, to bench/profiles/startup.txt."""
    out = Path(__file__).with_name("profiles") / "startup.txt"
    env = dict(os.environ)
    env.update(DESKCHAT_BENCH_PROBE="1", DESKCHAT_QUIT_AFTER_MS="1")
    with served(lambda: FakeWordPress().app) as url:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pyinstrument",
                "--interval=0.0005",
                "-r",
                "text",
                "--no-color",
                "--no-unicode",
                "-o",
                str(out),
                str(Path(__file__).with_name("_launch_probe.py")),
                "--base-url",
                url,
            ],
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
    print(f"profile written to {out}", file=sys.stderr)


def main() -> None:
    if "--profile" in sys.argv:
        profile()
        return
    n = repeats(10)
    results: dict[str, object] = {}
    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    with served(lambda: FakeWordPress().app) as url:
        results["source"] = measure(
            [sys.executable, str(Path(__file__).with_name("_launch_probe.py"))], url, n
        )
        exe = frozen_exe()
        if exe is None:
            results["frozen"] = {"skipped": "no build in dist/DeskChat (see docs/building.md)"}
        else:
            frozen = measure([str(exe)], url, n)
            frozen["exe"] = str(exe.relative_to(REPO) if exe.is_relative_to(REPO) else exe)
            results["frozen"] = frozen
    emit("startup", results, target={"first_paint_ms": TARGET_MS}, qt_platform=platform)


if __name__ == "__main__":
    main()
