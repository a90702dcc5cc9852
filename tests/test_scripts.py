"""scripts/setup.sh sets up only when the checkout changed; scripts/check names what failed.

Both run in a copy of the scripts with stand-ins for .venv's tools (a python that records
pip's arguments, a mypy that prints staged paths), so nothing is installed and the only
network is a loopback server standing in for the package index.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("app", "chat", "cli", "gui", "library", "provider", "resources", "store")

# .venv/bin/python: answers the version question, records pip, runs anything else for real.
FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$1" = -I ]; then echo "3.11.0 (stand-in)"; exit 0; fi
if [ "$1" = -m ] && [ "$2" = pip ]; then
  echo "pip ${*:3}" >>"$FAKE_LOG"
  if [ -n "${FAKE_PIP_FAILS:-}" ] && [[ " ${*:3} " == *"$FAKE_PIP_FAILS"* ]]; then exit 1; fi
  exit 0
fi
exec "$REAL_PYTHON" "$@"
"""


def _write_tool(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


class _Index(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def index() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()


@pytest.fixture
def unreachable() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/simple"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The scripts, pyproject.toml and a module per package folder, with stand-in tools."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    for name in ("setup.sh", "check", "stage.py"):
        shutil.copy2(REPO / "scripts" / name, root / "scripts" / name)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    for folder in FOLDERS:
        (root / folder).mkdir()
        (root / folder / "__init__.py").write_text('"""stand-in"""\n', encoding="utf-8")
    _write_tool(root / ".venv" / "bin" / "python", FAKE_PYTHON)
    _write_tool(root / ".venv" / "bin" / "deskchat", "#!/bin/sh\necho 'DeskChat 0.1.0'\n")
    # Every system package counts as installed; apt must not be reached.
    fake_bin = tmp_path / "bin"
    _write_tool(fake_bin / "dpkg-query", "#!/bin/sh\necho 'install ok installed'\n")
    for name in ("apt-get", "sudo"):
        _write_tool(fake_bin / name, f'#!/bin/sh\necho "{name} $*" >>"$FAKE_LOG"\nexit 1\n')
    return root


def _setup(checkout: Path, index: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        "PATH": f"{checkout.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(checkout.parent),  # no pip cache: llama-cpp-python counts as a build
        "PYTHON": sys.executable,
        "REAL_PYTHON": sys.executable,
        "PIP_INDEX_URL": index,
        "FAKE_LOG": str(checkout.parent / "calls.log"),
        **env,
    }
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "setup.sh"), *args],
        cwd=checkout,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _calls(checkout: Path) -> list[str]:
    log = checkout.parent / "calls.log"
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def test_setup_installs_once_then_skips_until_a_source_changes(checkout: Path, index: str) -> None:
    first = _setup(checkout, index, "--if-changed")
    assert first.returncode == 0, first.stderr
    assert "pip install -q .[local]" in _calls(checkout)
    assert "compiles llama-cpp-python" in first.stdout
    assert (checkout / ".venv" / ".deskchat-setup").read_text().endswith("extras: local\n")

    again = _setup(checkout, index, "--if-changed")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert _calls(checkout) == []

    (checkout / "gui" / "window.py").write_text("x = 1\n", encoding="utf-8")
    changed = _setup(checkout, index, "--if-changed")
    assert changed.returncode == 0, changed.stderr
    assert "pip install -q .[local]" in _calls(checkout)


def test_setup_for_the_tests_adds_extras_and_keeps_them(checkout: Path, index: str) -> None:
    assert _setup(checkout, index, "--if-changed").returncode == 0
    _calls(checkout)
    tests = _setup(checkout, index, "--test", "--if-changed")
    assert tests.returncode == 0, tests.stderr
    assert "pip install -q .[integration,local,test]" in _calls(checkout)
    # The app's extras are a subset of what is installed now: nothing to do.
    app = _setup(checkout, index, "--if-changed")
    assert (app.returncode, app.stdout) == (0, "")
    assert _calls(checkout) == []


def test_setup_by_hand_always_sets_up(checkout: Path, index: str) -> None:
    """Without --if-changed (scripts/setup.sh run by hand) it always sets up."""
    assert _setup(checkout, index).returncode == 0
    assert _setup(checkout, index).returncode == 0
    assert _calls(checkout).count("pip install -q .[local]") == 2


def test_offline_with_a_matching_stamp_starts_without_a_word(
    checkout: Path, index: str, unreachable: str
) -> None:
    assert _setup(checkout, index, "--if-changed").returncode == 0
    _calls(checkout)
    offline = _setup(checkout, unreachable, "--if-changed")
    assert (offline.returncode, offline.stdout, offline.stderr) == (0, "", "")
    assert _calls(checkout) == []


def test_offline_after_a_change_says_so_in_one_line_and_refreshes_from_the_checkout(
    checkout: Path, index: str, unreachable: str
) -> None:
    assert _setup(checkout, index, "--if-changed").returncode == 0
    _calls(checkout)
    (checkout / "chat" / "session.py").write_text("x = 1\n", encoding="utf-8")
    offline = _setup(checkout, unreachable, "--if-changed")
    assert offline.returncode == 0
    assert offline.stderr.count("\n") == 1
    assert "Cannot reach the package index" in offline.stderr
    assert _calls(checkout) == ["pip install -q --no-deps --no-build-isolation --no-index ."]


def test_offline_with_nothing_installed_fails_clearly(checkout: Path, unreachable: str) -> None:
    (checkout / ".venv" / "bin" / "deskchat").unlink()
    offline = _setup(checkout, unreachable, "--if-changed")
    assert offline.returncode == 1
    assert "cannot be installed offline" in offline.stderr


def test_when_llama_cpp_cannot_build_the_app_still_installs(checkout: Path, index: str) -> None:
    result = _setup(checkout, index, "--if-changed", FAKE_PIP_FAILS=".[local]")
    assert result.returncode == 0, result.stderr
    assert _calls(checkout)[-2:] == ["pip install -q .[local]", "pip install -q ."]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "llama-cpp-python could not be built" in warnings[0]
    assert "DeskChat is installed" in result.stdout
    # Not tried again at every launch: the stamp holds.
    assert _setup(checkout, index, "--if-changed").stdout == ""


def _check(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "check"), *args],
        cwd=checkout,
        env={**os.environ, "REAL_PYTHON": sys.executable, "FAKE_LOG": os.devnull},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def tools(checkout: Path) -> Path:
    """Passing ruff and lint-imports, and a mypy that fails with staged paths."""
    bin_ = checkout / ".venv" / "bin"
    _write_tool(bin_ / "ruff", '#!/bin/sh\necho "ruff $*"\n')
    _write_tool(bin_ / "lint-imports", '#!/bin/sh\necho "lint-imports in $PWD"\n')
    _write_tool(
        bin_ / "mypy",
        "#!/bin/sh\n"
        "[ -f deskchat/gui/__init__.py ] || { echo 'not the staged package'; exit 3; }\n"
        "echo 'deskchat/gui/window.py:3: error: boom  [misc]'\n"
        "echo 'deskchat/errors.py:1: note: see deskchat/chat/session.py:9'\n"
        "exit 1\n",
    )
    return bin_


def test_check_runs_all_four_and_names_the_one_that_failed(checkout: Path, tools: Path) -> None:
    result = _check(checkout)
    assert result.returncode == 1
    for title in ("--- ruff check", "--- ruff format --check", "--- mypy", "--- import-linter"):
        assert title in result.stdout
    assert "ruff check ." in result.stdout
    assert "ruff format --check ." in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "scripts/check: FAILED: mypy"


def test_check_points_mypy_at_the_source_files(checkout: Path, tools: Path) -> None:
    out = _check(checkout, "mypy").stdout
    assert "gui/window.py:3: error: boom" in out
    assert "app/errors.py:1: note: see chat/session.py:9" in out
    assert "deskchat/" not in out


def test_check_runs_only_the_checks_named(checkout: Path, tools: Path) -> None:
    result = _check(checkout, "imports")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lint-imports in" in result.stdout
    assert "--- mypy" not in result.stdout
    assert _check(checkout, "pylint").returncode == 2
