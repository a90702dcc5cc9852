"""shiboken's look at each imported module answers as before and keeps no source."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskchat.gui import pyside_scan


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Two new modules on sys.path: one that mentions PySide6, one that does not."""
    tag = uuid.uuid4().hex[:8]
    files = {
        f"scan_uses_qt_{tag}": "# from PySide6.QtCore import QObject, one day\nX = 1\n",
        f"scan_plain_{tag}": "X = 2\n",
    }
    for name, text in files.items():
        (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield {name: tmp_path / f"{name}.py" for name in files}
    for name in files:
        sys.modules.pop(name, None)


_IN_A_FRESH_INTERPRETER = """
import linecache, sys
import PySide6.QtCore  # shiboken's import hook is in place from here on
from deskchat.gui import pyside_scan
assert pyside_scan.install()
feature = sys.modules["shibokensupport.feature"]
uses_qt, plain = sys.argv[1:3]
# The import statement's path: shiboken hooks builtins.__import__, not importlib.
__import__(uses_qt)
__import__(plain)
print(feature.pyside_feature_dict[uses_qt], feature.pyside_feature_dict[plain])
print(sorted(p for p in linecache.cache if p.startswith(sys.argv[3])))
"""


def test_a_module_imported_after_install_gets_shibokens_answer_without_its_source_kept(
    modules: dict[str, Path],
) -> None:
    # In a fresh interpreter: in the suite's own, earlier tests have wrapped or
    # replaced the import machinery shiboken hooks, and what it then records
    # depends on their order, not on this module.
    import subprocess

    uses_qt, plain = modules
    folder = str(modules[uses_qt].parent)
    done = subprocess.run(
        [sys.executable, "-c", _IN_A_FRESH_INTERPRETER, uses_qt, plain, folder],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([folder, *sys.path])},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers, kept = done.stdout.splitlines()
    assert answers == "0 -1"  # uses PySide: features switch; the other is ignored by them
    assert kept == "[]"  # neither file's lines stay in linecache


def test_modules_without_source_do_not_mention_pyside() -> None:
    import _json  # an extension module
    import itertools  # built in

    assert not pyside_scan.mentions_pyside(itertools)
    assert not pyside_scan.mentions_pyside(_json)
    assert pyside_scan.mentions_pyside(pyside_scan)
