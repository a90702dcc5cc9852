"""The real window under Xvfb, driven with xdotool as a person would.

The steps are tests/gui/real_window_probe.py; this runs them on a display of its own.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool"
)


def test_drag_select_copy_and_a_menu_at_the_end_of_a_1mb_reply_in_a_real_window() -> None:
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as numbers:
            display = numbers.readline().strip()
        env = {**os.environ, "DISPLAY": f":{display}", "QT_QPA_PLATFORM": "xcb"}
        done = subprocess.run(
            [sys.executable, "-m", "tests.gui.real_window_probe"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=150,
            check=False,
        )
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    said = {}
    for line in done.stdout.splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            said[name] = ast.literal_eval(value)
    assert said.get("CLIPBOARD") == "several words", done.stderr[-2000:]
    assert said["ROW_HEIGHT"] > 5 * 32_767
    assert said["MENU"] is not None
    assert "Copy" in said["MENU"]
    assert said["CLIPBOARD_END"] == "very last"
