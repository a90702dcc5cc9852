"""The window's memory 3 s after its first reply from the built-in engine (Xvfb).

Budget (issue #10): the window's RSS stays < 100 MB with a model loaded in the
engine's child process (the child's memory is reported apart).

    python bench/memory_reply.py             # 3 plain runs, one per breakdown
    BENCH_REPEATS=1 python bench/memory_reply.py

Each run spawns this checkout's CLI (``.venv``'s Python, ``_reply_probe.py``,
which then runs ``deskchat.cli.main`` as the console script does) on its own
Xvfb with a new empty ``--data-dir`` and ``--provider local --model
tiny.gguf`` (``tests/fakes/tiny_gguf.py``, a few hundred KB, "endless": it
writes random ASCII until its 256-token context is full). The window sends
``DESKCHAT_SMOKE_MESSAGE`` once the provider is ready; the probe notes VmRSS
just before the send, at the reply's end and 3 s later, then closes the window.

Breakdowns, each from its own run (tracing costs memory itself):
``imports`` (the modules the reply loaded, with the RSS each added itself,
summed by package) and ``tracemalloc`` (Python objects allocated since the send
and alive at the end, by package). What imports do not explain is the
reply's data: Qt's text layout of the bubble, the history's pages, the
allocator's arenas.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import REPO, emit, repeats, summary
from _xwatch import Xvfb
from startup import app_env

TARGET_MB = 100.0
IDLE_MS = 3000
QUESTION = "Say hello, then a few sentences."
PYTHON = REPO / ".venv" / "bin" / "python"
PROBE = Path(__file__).resolve().parent / "_reply_probe.py"


def run(
    display: str, model: Path, trace: str = "", extra: list[str] | None = None
) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="deskchat-bench-")
    out = Path(folder) / "report.json"
    env = {
        **app_env(),
        "DISPLAY": display,
        "DESKCHAT_SMOKE_MESSAGE": QUESTION,
        "DESKCHAT_BENCH_REPLY_OUT": str(out),
        "DESKCHAT_BENCH_IDLE_MS": str(IDLE_MS),
        "DESKCHAT_BENCH_TRACE": trace,
    }
    command = [str(PYTHON), str(PROBE), "--data-dir", str(Path(folder) / "data")]
    command += ["--provider", "local", "--model", str(model), *(extra or [])]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        if not out.exists():
            raise RuntimeError(f"no report (exit {done.returncode}):\n{done.stderr[-3000:]}")
        report = json.loads(out.read_text())
        report["stderr"] = done.stderr[-2000:]
        return report
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _mib(kb: int) -> float:
    return round(kb / 1024, 1)


def _import_groups(costs: dict[str, int]) -> dict[str, float]:
    groups: dict[str, int] = {}
    for name, kb in costs.items():
        parts = name.split(".")
        key = ".".join(parts[:2]) if parts[0] == "deskchat" else parts[0]
        groups[key] = groups.get(key, 0) + kb
    ranked = sorted(groups.items(), key=lambda kv: -kv[1])
    return {k: _mib(v) for k, v in ranked if abs(v) >= 100}


def _plain_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def of(key: str, field: str = "VmRSS") -> dict[str, Any]:
        return summary([r[key][field] / 1024 for r in runs], 1)

    return {
        "rss_at_window_start_mib": of("at_window_start"),
        "rss_at_send_mib": of("at_send"),
        "rss_at_reply_end_mib": of("at_finish"),
        "rss_3s_after_reply_mib": of("after_idle"),
        "rss_anon_3s_after_mib": of("after_idle", "RssAnon"),
        "rss_file_3s_after_mib": of("after_idle", "RssFile"),
        "peak_rss_mib": of("after_idle", "VmHWM"),
        "added_by_reply_mib": summary(
            [(r["after_idle"]["VmRSS"] - r["at_send"]["VmRSS"]) / 1024 for r in runs], 1
        ),
        "child_rss_mib": summary([sum(r["children_kb"].values()) / 1024 for r in runs], 1),
        "reply_ms": summary([(r["finished_at"] - r["sent_at"]) * 1000 for r in runs], 0),
        "finished": sorted({r["finished"] for r in runs}),
        "modules_added": max(len(r["modules_added"]) for r in runs),
    }


def main() -> None:
    sys.path.insert(0, str(REPO))
    from tests.fakes.tiny_gguf import write_tiny_model

    n = repeats(3)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="deskchat-model-") as models, Xvfb() as xvfb:
        model = write_tiny_model(Path(models) / "tiny.gguf", name="Tiny Chat", endless=True)
        plain = []
        for i in range(n + 1):
            report = run(xvfb.display, model)
            if i:  # run 0 writes .pyc files and warms the file cache
                plain.append(report)
            print(
                f"run {i}: send {_mib(report['at_send']['VmRSS'])} MiB, "
                f"3 s after {_mib(report['after_idle']['VmRSS'])} MiB ({report['finished']})",
                file=sys.stderr,
                flush=True,
            )
        results["plain"] = _plain_row(plain)
        imports = run(xvfb.display, model, "imports")
        costs = imports["import_kb"]
        results["imports"] = {
            "window_start_to_send_mib": _mib(
                imports["at_send"]["VmRSS"] - imports["at_window_start"]["VmRSS"]
            ),
            "send_to_3s_after_reply_mib": _mib(
                imports["after_idle"]["VmRSS"] - imports["at_send"]["VmRSS"]
            ),
            **{
                f"{phase}_by_package_mib": _import_groups(costs.get(phase, {}))
                for phase in ("connect", "reply")
            },
            **{
                f"{phase}_explained_by_imports_mib": _mib(sum(costs.get(phase, {}).values()))
                for phase in ("connect", "reply")
            },
            "connect_modules": list(costs.get("connect", {})),
            "reply_modules": imports["modules_added"],
        }
        traced = run(xvfb.display, model, "tracemalloc")
        results["tracemalloc_kib"] = dict(list(traced["tracemalloc_kb"].items())[:15])
    emit(
        "memory_reply",
        results,
        target={"rss_mb": TARGET_MB},
        idle_ms=IDLE_MS,
        unit="MiB",
        setup="--provider local, tiny endless model (256 tokens), one question, Xvfb",
    )
    row = results["plain"]
    print(
        f"window RSS 3 s after the reply: {row['rss_3s_after_reply_mib']['median']} MiB "
        f"(at send {row['rss_at_send_mib']['median']}; child {row['child_rss_mib']['median']})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    if os.environ.get("DESKCHAT_BENCH_REPLY_OUT"):
        sys.exit("run bench/memory_reply.py, not inside a probed app")
    main()
