"""shiboken's look at each imported module answers as before and keeps no source."""

from __future__ import annotations

import linecache
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


def test_a_module_imported_after_install_gets_shibokens_answer_without_its_source_kept(
    modules: dict[str, Path],
) -> None:
    assert pyside_scan.install()
    feature = sys.modules["shibokensupport.feature"]
    uses_qt, plain = modules
    # The import statement's path: shiboken hooks builtins.__import__, not importlib.
    __import__(uses_qt)
    __import__(plain)
    assert feature.pyside_feature_dict[uses_qt] == 0  # uses PySide: features switch
    assert feature.pyside_feature_dict[plain] == -1  # ignored by feature switching
    for path in modules.values():
        assert str(path) not in linecache.cache


def test_modules_without_source_do_not_mention_pyside() -> None:
    import _json  # an extension module
    import itertools  # built in

    assert not pyside_scan.mentions_pyside(itertools)
    assert not pyside_scan.mentions_pyside(_json)
    assert pyside_scan.mentions_pyside(pyside_scan)
