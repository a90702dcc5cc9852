"""The argv of a child process DeskChat runs from its own program (the engine, the PDF
reader, a long reply's search terms).

From source or a wheel the child is this interpreter running the child's module;
in the frozen build it is the executable itself with a hidden flag, which
``python -m deskchat`` (the executable's entry, app/__main__.py) dispatches.
"""

from __future__ import annotations

import sys

__all__ = ["child_command"]


def child_command(module: str, frozen_flag: str) -> list[str]:
    """The argv that starts ``module``'s ``main()`` in a child process."""
    if getattr(sys, "frozen", False):
        return [sys.executable, frozen_flag]
    return [sys.executable, "-m", module]
