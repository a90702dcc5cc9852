"""The one place where an exception becomes something the user sees, and the excepthook."""

from __future__ import annotations

import asyncio
import logging
import sys
from types import TracebackType

from deskchat.provider import ProviderError, ReplyState

__all__ = ["install_excepthook", "show_error"]

log = logging.getLogger("deskchat.gui")


def show_error(reply: ReplyState, exc: BaseException) -> None:
    """Turn a failed stream into UI: the reply keeps its text and gains a sentence.

    Cancellation is the user's Stop, not an error: it stays silent. A
    ProviderError is the network's or the server's fault and is logged
    briefly; anything else is a DeskChat bug and is logged with its traceback.
    """
    if isinstance(exc, asyncio.CancelledError):
        reply.stop()
        return
    if isinstance(exc, ProviderError):
        log.warning("reply failed: %s", exc.text())
    else:
        log.error("reply failed with an internal error", exc_info=exc)
    reply.fail(exc)


def _log_unexpected(
    kind: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    # qasync's asyncSlot hands errors of async slots to sys.excepthook: log
    # them instead of letting Qt print them or abort.
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    log.critical("unexpected error", exc_info=(kind, exc, tb))


def install_excepthook() -> None:
    """Log every uncaught exception (including those of async slots)."""
    sys.excepthook = _log_unexpected
