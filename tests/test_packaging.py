"""Test what users install: the wheel carries every package and resources/, and runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _copy_sources(dest: Path) -> None:
    """Only what git tracks, so a stray build/ or .venv cannot hide a packaging bug."""
    try:
        files = (
            subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
            .stdout.decode()
            .split("\0")
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    for name in filter(None, files):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    out = tmp_path_factory.mktemp("wheel")
    _copy_sources(src)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
        check=True,
        timeout=600,
    )
    (built,) = out.glob("deskchat-*.whl")
    return built


def test_wheel_installs_one_top_level_name_deskchat(wheel: Path) -> None:
    """Nothing generic (``gui``, ``provider``, ``store``...) lands in site-packages."""
    archive = zipfile.ZipFile(wheel)
    (top_level,) = [n for n in archive.namelist() if n.endswith(".dist-info/top_level.txt")]
    assert archive.read(top_level).decode().split() == ["deskchat"]
    roots = {name.split("/")[0] for name in archive.namelist()}
    assert {r for r in roots if not r.endswith(".dist-info")} == {"deskchat"}


def test_wheel_carries_every_package_and_resource(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in (
        "",
        "chat/",
        "provider/",
        "gui/",
        "store/",
        "cli/",
        "resources/",
        "tools/",
        "attach/",
    ):
        assert f"deskchat/{package}__init__.py" in names, f"deskchat.{package} is missing"
    for required in (
        "deskchat/__main__.py",
        "deskchat/errors.py",
        "deskchat/chat/session.py",
        "deskchat/provider/chatgptfree.py",
        "deskchat/provider/py.typed",
        "deskchat/gui/app.py",
        "deskchat/cli/main.py",
        "deskchat/resources/icons/deskchat.svg",
        "deskchat/resources/icons/deskchat-32.png",
        "deskchat/resources/deskchat.desktop",
    ):
        assert required in names
    assert not any(n.startswith(("tests/", "bench/", "deskchat/tests/")) for n in names)


def test_wheel_installs_and_runs_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=900)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["QT_QPA_PLATFORM"] = "offscreen"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # cwd outside the checkout: only the installed wheel can be imported.
        return subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    version = run(str(venv / "bin" / "deskchat"), "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("DeskChat 0.")
    models = run(str(venv / "bin" / "deskchat"), "models", "--provider", "chatgptfree")
    assert models.returncode == 0, models.stderr
    assert "gpt-4o-mini-2024-07-18" in models.stdout
    probe = run(
        str(py),
        "-c",
        "import deskchat.gui.app, deskchat.store\n"
        "from deskchat import resources; print(resources.path('icons/deskchat.svg'))",
    )
    assert probe.returncode == 0, probe.stderr
    assert str(venv) in probe.stdout
    as_module = run(str(py), "-m", "deskchat", "--version")
    assert as_module.returncode == 0, as_module.stderr
    assert as_module.stdout == version.stdout
