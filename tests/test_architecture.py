"""The layering in CONTRIBUTING.md, checked: Qt stays in gui/, provider/ is the bottom floor."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    beside = Path(sys.executable).parent / "lint-imports"
    exe = str(beside) if beside.exists() else shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install '.[test]')")
    result = subprocess.run(
        [exe, str(REPO / "pyproject.toml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", ["provider", "store"])
def test_qt_free_packages_never_import_qt(package: str) -> None:
    """Also inside functions, where a lazy import would hide from a quick look."""
    for path in sorted((REPO / package).rglob("*.py")):
        roots = _imported_roots(path)
        assert not roots & {"PySide6", "qasync", "gui", "cli"}, path


def test_nothing_imports_bench() -> None:
    for package in ("provider", "store", "gui", "cli", "resources"):
        for path in (REPO / package).rglob("*.py"):
            assert "bench" not in _imported_roots(path), path
