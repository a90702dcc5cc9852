"""The command line never loads Qt: it must run on machines without a display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from deskchat.cli.main import main
code = main(sys.argv[1:])
qt = ('PySide6', 'qasync')
loaded = sorted(m for m in sys.modules if m.split('.')[0] in qt or m.startswith('deskchat.gui'))
print('LOADED', loaded)
sys.exit(code)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_models_does_not_import_qt() -> None:
    result = _run("models", "--provider", "chatgptfree")
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout


def test_ask_does_not_import_qt() -> None:
    result = _run("ask", "--provider", "chatgptfree", "--base-url", "http://127.0.0.1:9", "hi")
    assert result.returncode == 1
    assert "LOADED []" in result.stdout
    assert "Could not connect" in result.stderr


def test_help_does_not_import_qt() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "deskchat", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "PySide6" not in result.stderr
    assert "ask" in result.stdout
