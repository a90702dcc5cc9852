"""DeskChat's version, as installed (a source checkout without metadata says so).

Read only when asked for (``--version``, Help → About): :mod:`importlib.metadata`
costs ~10 ms the window's start need not wait for.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from deskchat.i18n import _

__all__ = ["VersionAction", "version"]


def version() -> str:
    """The installed release, e.g. ``"0.1.0"``; ``"0.1.0+source"`` when not installed."""
    from importlib import metadata

    try:
        return metadata.version("deskchat")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"


class VersionAction(argparse._VersionAction):
    """``--version`` printing ``DeskChat <version>``, the version read only when it is given.

    ``parser.add_argument("--version", action=VersionAction)``: argparse's own
    ``"version"`` action, which wants the text when the parser is built.
    """

    def __init__(self, option_strings: Sequence[str], **kwargs: Any) -> None:
        kwargs.setdefault("help", _("show DeskChat's version and exit"))
        super().__init__(option_strings, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        self.version = f"DeskChat {version()}"
        super().__call__(parser, namespace, values, option_string)
