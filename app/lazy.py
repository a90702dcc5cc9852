"""Names a package imports on first use: a module-level ``__getattr__`` and ``__dir__``.

A package's ``__init__`` keeps its one door (every public name, with the real
imports under ``TYPE_CHECKING`` for tools) while the modules behind the door load
only when a name is first read, off the window's path to its first paint.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["on_first_use"]


def on_first_use(
    package: str, later: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` for ``package``.

    Args:
        package: the package's ``__name__``.
        later: each lazily imported name and its module, relative to ``package``.
        namespace: the package's ``globals()``; a name read once is kept there, as a
            plain import would, so the next read costs nothing.
    """

    def __getattr__(name: str) -> object:
        module = later.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *later})

    return __getattr__, __dir__
