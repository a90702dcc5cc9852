"""``python bench/startup.py --profile [--python PY]``: where DeskChat's start-up goes.

Writes bench/profiles/startup.txt with three views of one installed DeskChat
(``--python``: the interpreter of the venv to profile; default this one):

1. A time line, spawn → window mapped, median of 5 starts under Xvfb:
   ``_startup_marks.py`` prints a mark as each step begins and ends, and the
   X watcher (_xwatch.py) adds the MapNotify and the first drawing.
2. ``-X importtime`` of one start (``DESKCHAT_QUIT_AFTER_MS=1``): the import
   tree pruned to imports of >= 2 ms, and self time summed per package.
   importtime's own bookkeeping inflates these numbers (about 10-20 %).
3. A pyinstrument profile from the console script's first line to the return
   of ``window.show()`` (pyinstrument importable by that interpreter, or
   ``BENCH_PYINSTRUMENT_PATH`` naming a folder that holds it).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import served, wait_quiet
from _xwatch import Launch, Xvfb, launch

from tests.fakes.wordpress import FakeWordPress

HERE = Path(__file__).resolve().parent
MARKS = HERE / "_startup_marks.py"
OUT = HERE / "profiles" / "startup.txt"
RUNS = 5


def _env(display: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "xcb"
    for name in ("PYTHON_KEYRING_BACKEND", "PYTHONDONTWRITEBYTECODE", "DESKCHAT_BENCH_PROBE"):
        env.pop(name, None)
    if display:
        env["DISPLAY"] = display
    return env


def _marks(run: Launch) -> dict[str, float]:
    out = {}
    for line in run.stderr.splitlines():
        if line.startswith("DESKCHAT_MARK "):
            what, _, stamp = line[len("DESKCHAT_MARK ") :].rpartition(" ")
            out.setdefault(what, (float(stamp) - run.spawned_at) * 1000)
    out["WINDOW MAPPED (X MapNotify)"] = run.mapped_ms
    if run.drawn_ms is not None:
        out["window first drawn (X DAMAGE)"] = run.drawn_ms
    return out


def _command(python: str, folder: str, url: str, bare: bool) -> list[str]:
    if bare:
        return [python, str(MARKS), "--bare"]
    return [python, str(MARKS), "--data-dir", folder, "--base-url", url]


def timeline(python: str, display: str, url: str, *, bare: bool = False) -> str:
    runs = []
    title = "^Bare window$" if bare else "^DeskChat$"
    for _ in range(RUNS):
        wait_quiet()
        with tempfile.TemporaryDirectory(prefix="deskchat-prof-") as folder:
            runs.append(
                launch(display, _command(python, folder, url, bare), title, _env(), idle_s=0.5)
            )
    marks = [_marks(r) for r in runs]
    names = sorted(marks[0], key=lambda n: statistics.median(m.get(n, 0) for m in marks))
    lines = [
        f"ms since spawn, median of {RUNS} (min-max); busy = CPU share of the machine "
        f"while starting (one start alone ~0.50): " + ", ".join(f"{r.cpu_busy:.2f}" for r in runs),
        "",
        f"{'ms':>7}  {'(min-max)':>15}  {'+ms':>6}  step",
    ]
    previous = 0.0
    for name in names:
        values = [m[name] for m in marks if name in m]
        median = statistics.median(values)
        spread = f"({min(values):.0f}-{max(values):.0f})"
        lines.append(f"{median:7.1f}  {spread:>15}  {median - previous:6.1f}  {name}")
        previous = median
    return "\n".join(lines)


_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def importtime(python: str, display: str, url: str) -> str:
    with tempfile.TemporaryDirectory(prefix="deskchat-prof-") as folder:
        env = _env(display)
        env["DESKCHAT_QUIT_AFTER_MS"] = "1"
        done = subprocess.run(
            [python, "-X", "importtime", "-m", "deskchat", "--data-dir", folder, "--base-url", url],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    rows = []  # (self_us, cumulative_us, depth, name) in the order Python printed them
    for line in done.stderr.splitlines():
        found = _IMPORT.match(line)
        if found:
            depth = len(found.group(3)) // 2
            rows.append((int(found.group(1)), int(found.group(2)), depth, found.group(4)))
    # importtime prints a module after its imports (post-order), indented by depth;
    # pending[d] holds, in pre-order, the finished subtrees at depth d not yet claimed
    # by their parent (the next row at depth d - 1).
    pending: list[list[tuple[int, int, int, str]]] = [[]]
    for row in rows:
        depth = row[2]
        while len(pending) <= depth + 1:
            pending.append([])
        children, pending[depth + 1] = pending[depth + 1], []
        pending[depth] += [row, *children]
    tree = pending[0]
    total = sum(r[1] for r in rows if r[2] == 0)
    lines = [
        f"every import of one start, {total / 1000:.0f} ms cumulative at the top level "
        "(pruned below 2 ms; self / cumulative ms; indented = imported by the line above)",
        "",
    ]
    for self_us, cumulative_us, depth, name in tree:
        if cumulative_us >= 2000 and depth <= 5:
            lines.append(f"{self_us / 1000:7.1f} {cumulative_us / 1000:7.1f}  {'  ' * depth}{name}")
    per_package: dict[str, int] = {}
    for self_us, _, _, name in rows:
        head = name.split(".")[0]
        if head == "deskchat":
            head = ".".join(name.split(".")[:2])
        per_package[head] = per_package.get(head, 0) + self_us
    lines += ["", "self time summed per package (ms), top 25:"]
    for head, us in sorted(per_package.items(), key=lambda kv: -kv[1])[:25]:
        lines.append(f"{us / 1000:7.1f}  {head}")
    return "\n".join(lines)


def pyinstrument(python: str, display: str, url: str, *, bare: bool = False) -> str:
    out = Path(tempfile.mkstemp(suffix=".txt")[1])
    env = _env(display)
    env["DESKCHAT_PROFILE_OUT"] = str(out)
    env["DESKCHAT_QUIT_AFTER_MS"] = "1"
    env["DISPLAY"] = display
    extra = os.environ.get("BENCH_PYINSTRUMENT_PATH")
    if extra:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="deskchat-prof-") as folder:
        done = subprocess.run(
            _command(python, folder, url, bare),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    text = out.read_text()
    out.unlink()
    if not text:
        return f"(no profile: {done.stderr.strip().splitlines()[-1:]})"
    return text


def main(args: list[str]) -> None:
    python = sys.executable
    if "--python" in args:
        python = args[args.index("--python") + 1]
    sections = [
        f"DeskChat start-up profile: {python}\n"
        "(bench/startup.py --profile; the fresh data folder and the local fake site as in "
        "startup.py)"
    ]
    with Xvfb() as xvfb, served(lambda: FakeWordPress().app) as url:
        display = xvfb.display
        sections.append(
            "== 1. time line: spawn -> window mapped ==\n\n" + timeline(python, display, url)
        )
        sections.append(
            "== 1b. the bare window (_bare_window.py), same time line ==\n\n"
            + timeline(python, display, url, bare=True)
        )
        wait_quiet()
        sections.append("== 2. -X importtime ==\n\n" + importtime(python, display, url))
        wait_quiet()
        sections.append(
            "== 3. pyinstrument: script start -> window.show() returned ==\n\n"
            + pyinstrument(python, display, url)
        )
        wait_quiet()
        sections.append(
            "== 3b. pyinstrument, the bare window: script start -> window.show() returned ==\n\n"
            + pyinstrument(python, display, url, bare=True)
        )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n\n".join(sections) + "\n")
    print(f"profile written to {OUT}", file=sys.stderr)
