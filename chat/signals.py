"""A Qt-free signal: the core announces what happened; front ends connect to it.

The window's Qt adapter connects each one to a Qt signal's ``emit``; the
command line and the tests connect plain functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVarTuple, Unpack

__all__ = ["Notice"]

log = logging.getLogger("deskchat.chat")

Ts = TypeVarTuple("Ts")


class Notice(Generic[*Ts]):
    """Something that happened, with its arguments, for whoever listens.

    A listener that raises is a bug in that listener: it is logged and the
    others still hear of it, so one broken view cannot stop a reply.
    """

    def __init__(self) -> None:
        self._listeners: list[Callable[[Unpack[Ts]], object]] = []

    def connect(self, listener: Callable[[Unpack[Ts]], object]) -> None:
        """Call ``listener`` on every :meth:`emit`, in the order of connecting."""
        self._listeners.append(listener)

    def disconnect(self, listener: Callable[[Unpack[Ts]], object]) -> None:
        """Stop calling ``listener`` (no error if it was not connected)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, *args: *Ts) -> None:
        """Tell every listener."""
        for listener in list(self._listeners):
            try:
                listener(*args)
            except Exception:  # noqa: BLE001 - a listener's bug must not break the core
                log.exception("a listener of %r failed", self)
