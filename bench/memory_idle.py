"""Resident memory of the installed ``deskchat`` idling 3 s after its window mapped (Xvfb).

Budget (issues #5, #9): < 100 MB RSS.

    python bench/memory_idle.py                     # .venv/bin/deskchat (+ dist/DeskChat if built)
    python bench/memory_idle.py [LABEL=]SCRIPT ...  # other console scripts

Measured the way startup.py starts the app (spawned console script, new empty
``--data-dir``, the local fake site, Xvfb; see its docstring), two ways:
``fresh`` (nothing asked: what a user's window holds at rest after opening)
and ``one_reply`` (``--provider chatgptfree`` and ``DESKCHAT_SMOKE_MESSAGE``:
one question asked as the window opens, its reply streamed from the fake site
within the 3 s; ``replies_streamed`` counts them). VmRSS and VmHWM
(the peak) come from /proc/PID/status of the process that owns the window;
``rss_tree_mib`` adds its parent for a frozen build. The bare window's RSS is
the floor. MiB (1024 KiB) throughout. Linux only.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import emit, repeats, served, summary
from _xwatch import Launch, Xvfb, launch
from startup import IDLE_S, app_env, default_targets, parse_targets, run_bare

from tests.fakes.wordpress import FakeWordPress, stream

TARGET_MB = 100.0
QUESTION = "Say hello, then a few sentences."

SITE = FakeWordPress()
SITE.reply = stream(["Hello! ", "Here is a short answer ", "to keep the window busy."] * 20)


def run(display: str, script: Path, url: str, env: dict[str, str], extra: list[str]) -> Launch:
    folder = tempfile.mkdtemp(prefix="deskchat-bench-")
    try:
        return launch(
            display,
            [str(script), "--data-dir", folder, "--base-url", url, *extra],
            "^DeskChat$",
            env,
            idle_s=IDLE_S,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _mib(kb: int | None) -> float:
    return (kb or 0) / 1024


def rows(runs: list[Launch]) -> dict[str, Any]:
    return {
        "rss_mib": summary([_mib(r.rss_kb) for r in runs], 1),
        "peak_rss_mib": summary([_mib(r.hwm_kb) for r in runs], 1),
        "rss_tree_mib": summary([_mib(r.tree_rss_kb) for r in runs], 1),
    }


def main() -> None:
    args = sys.argv[1:]
    targets = parse_targets(args) if args else default_targets()
    n = repeats(3)
    fresh_env = app_env()
    reply_env = {**fresh_env, "DESKCHAT_SMOKE_MESSAGE": QUESTION}
    runs: dict[str, list[Launch]] = {"bare": []}
    with Xvfb() as xvfb, served(lambda: SITE.app) as url:
        for _ in range(n):
            # Memory does not depend on other load the way time does: no quiet wait.
            runs["bare"].append(run_bare(xvfb.display, fresh_env))
            for label, script in targets:
                for kind, env, extra in (
                    ("fresh", fresh_env, []),
                    # The provider named: under `auto` (the default now) --base-url is unused.
                    ("one_reply", reply_env, ["--provider", "chatgptfree"]),
                ):
                    runs.setdefault(f"{label}/{kind}", []).append(
                        run(xvfb.display, script, url, env, extra)
                    )
    results: dict[str, Any] = {"bare": rows(runs["bare"])}
    for label, script in targets:
        results[label] = {
            "script": str(script),
            "fresh": rows(runs[f"{label}/fresh"]),
            "one_reply": rows(runs[f"{label}/one_reply"]),
        }
    # Proof the conversations happened: one reply streamed per one_reply window.
    results["replies_streamed"] = len(SITE.posts)
    results["one_reply_windows"] = n * len(targets)
    emit("memory_idle", results, target={"rss_mb": TARGET_MB}, idle_s=IDLE_S, unit="MiB")


if __name__ == "__main__":
    main()
