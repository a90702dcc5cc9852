"""The layering in CONTRIBUTING.md, checked from the code: floors, no cycles, Qt only in gui."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from stage import package_dirs  # noqa: E402

sys.path.remove(str(REPO / "scripts"))

PACKAGES = package_dirs()
"""Import name -> source folder, as pyproject.toml maps them."""
FOLDERS = {path.name for path in PACKAGES.values()}


def _modules() -> dict[str, Path]:
    """Every module of deskchat by its dotted name."""
    found: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.glob("*.py"):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found[name] = path
    return found


MODULES = _modules()


def _runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run: everything but ``if TYPE_CHECKING:`` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped:
            yield node


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The dotted names ``node`` imports, relative imports resolved."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].stem == "__init__" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    # `from pkg import sub` imports the submodule when there is one.
    return {f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names}


def _graph(*, runtime_only: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        nodes = (
            _runtime_imports(tree)
            if runtime_only
            else (n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom))
        )
        graph[module] = {t for n in nodes for t in _targets(module, n)}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_another_in_a_circle() -> None:
    """Between packages and inside them, counting every import that runs."""
    assert _cycles(_graph(runtime_only=True)) == []


def _package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


# The packages above the bottom floor (deskchat.errors and the readers beside it).
_ABOVE_THE_BOTTOM = {
    "deskchat.cli",
    "deskchat.gui",
    "deskchat.chat",
    "deskchat.provider",
    "deskchat.store",
    "deskchat.library",
    "deskchat.tools",
    "deskchat.attach",
}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("deskchat.gui", {"deskchat.cli"}),
        ("deskchat.chat", {"deskchat.cli", "deskchat.gui"}),
        (
            "deskchat.provider",
            {"deskchat.cli", "deskchat.gui", "deskchat.chat", "deskchat.store", "deskchat.attach"},
        ),
        (
            "deskchat.store",
            {
                "deskchat.cli",
                "deskchat.gui",
                "deskchat.chat",
                "deskchat.provider",
                "deskchat.attach",
            },
        ),
        (
            "deskchat.library",
            {"deskchat.cli", "deskchat.gui", "deskchat.chat", "deskchat.store", "deskchat.attach"},
        ),
        (
            "deskchat.attach",
            {
                "deskchat.cli",
                "deskchat.gui",
                "deskchat.chat",
                "deskchat.provider",
                "deskchat.store",
                "deskchat.library",
                "deskchat.tools",
            },
        ),
        (
            "deskchat.tools",
            {
                "deskchat.cli",
                "deskchat.gui",
                "deskchat.chat",
                "deskchat.provider",
                "deskchat.store",
                "deskchat.library",
            },
        ),
        ("deskchat.gguf", {*_ABOVE_THE_BOTTOM, "deskchat.paths"}),
        ("deskchat.paths", {*_ABOVE_THE_BOTTOM, "deskchat.gguf", "deskchat.errors"}),
        ("deskchat.errors", {*_ABOVE_THE_BOTTOM, "deskchat.gguf", "deskchat.paths"}),
        (
            "deskchat.i18n",
            {*_ABOVE_THE_BOTTOM, "deskchat.gguf", "deskchat.paths", "deskchat.errors"},
        ),
    ],
)
def test_each_floor_imports_only_downward(package: str, forbidden: set[str]) -> None:
    """Also inside functions and TYPE_CHECKING blocks, where a quick look would miss it."""
    graph = _graph(runtime_only=False)
    for module, targets in graph.items():
        if _package_of(module) == package:
            assert not {_package_of(t) for t in targets} & forbidden, module


@pytest.mark.parametrize(
    "package",
    [
        "deskchat.attach",
        "deskchat.chat",
        "deskchat.library",
        "deskchat.provider",
        "deskchat.store",
        "deskchat.tools",
        "deskchat.errors",
        "deskchat.gguf",
        "deskchat.i18n",
        "deskchat.paths",
    ],
)
def test_qt_free_packages_never_import_qt(package: str) -> None:
    graph = _graph(runtime_only=False)
    for module, targets in graph.items():
        if _package_of(module) == package:
            assert not {t.split(".")[0] for t in targets} & {"PySide6", "qasync"}, module


def test_nothing_imports_bench_or_a_bare_folder_name() -> None:
    """Everything is deskchat.*: `import gui` works only by accident, from the checkout."""
    for module, targets in _graph(runtime_only=False).items():
        roots = {t.split(".")[0] for t in targets}
        assert "bench" not in roots, module
        assert not roots & FOLDERS, f"{module} imports {roots & FOLDERS} by its folder name"


def test_import_linter_contracts_hold(tmp_path: Path) -> None:
    beside = Path(sys.executable).parent / "lint-imports"
    exe = str(beside) if beside.exists() else shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install '.[test]')")
    staged = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "stage.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = subprocess.run(
        [exe, "--config", str(REPO / "pyproject.toml")],
        cwd=tmp_path,
        env={"PYTHONPATH": staged.stdout.strip(), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
