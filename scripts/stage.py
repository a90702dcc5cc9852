"""Copy the sources into DEST/deskchat/... as they install, for tools that cannot follow
setuptools' package-dir mapping (mypy, import-linter).

    python scripts/stage.py DEST

The mapping is read from pyproject.toml, so there is one list of packages.
Prints the folder to put on PYTHONPATH / MYPYPATH (DEST itself).
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def package_dirs() -> dict[str, Path]:
    """Import name -> source folder, e.g. ``"deskchat.gui" -> REPO / "gui"``."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {name: REPO / folder for name, folder in mapping.items()}


def stage(dest: Path) -> Path:
    """Lay the packages out under ``dest`` as they install; return ``dest``."""
    root = dest / "deskchat"
    if root.exists():
        shutil.rmtree(root)
    for name, source in sorted(package_dirs().items()):
        target = dest.joinpath(*name.split("."))
        target.mkdir(parents=True, exist_ok=True)
        for path in source.glob("*.py"):
            shutil.copy2(path, target / path.name)
        if (source / "py.typed").exists():
            shutil.copy2(source / "py.typed", target / "py.typed")
    return dest


if __name__ == "__main__":
    sys.stdout.write(f"{stage(Path(sys.argv[1]).resolve())}\n")
