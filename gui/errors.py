"""The one place where an exception becomes something the user sees, and the excepthook.

Every ``except`` in the window hands its exception to :func:`show_error`,
which decides what the user reads and what the log keeps. A reply's own
failure is not shown here: the chat core puts its sentence in the reply
(:mod:`deskchat.chat.streaming`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import TracebackType

from deskchat.errors import DeskChatError
from deskchat.i18n import _

__all__ = ["install_excepthook", "show_error"]

log = logging.getLogger("deskchat.gui")


def show_error(
    show: Callable[[str], object], exc: BaseException, *, doing: str, advice: str = ""
) -> None:
    """Give ``show`` the one line the user reads about ``exc``, and log it.

    Cancellation is the user's Stop or Close, not an error: nothing is shown.
    A :class:`DeskChatError` (the network's, the server's or the settings'
    fault) shows its ``.text()``. An ``OSError`` is the system's (a full disk,
    a folder that is not writable): "DeskChat could not <doing> (<reason>)".
    Anything else is a DeskChat bug: logged with its traceback, and the line
    says DeskChat hit an internal error.

    Args:
        show: where the line goes: a status bar's ``showMessage``, a dialog's
            error label, a signal's ``emit``.
        exc: what went wrong.
        doing: what DeskChat was doing, to finish "DeskChat could not …",
            e.g. "write notes.md".
        advice: for an ``OSError``, what the user can do about it, e.g.
            "choose another folder".
    """
    if _cancelled(exc):
        return
    if isinstance(exc, DeskChatError):
        log.info("could not %s: %s", doing, exc.text())
        show(exc.text())
        return
    if isinstance(exc, OSError):
        log.warning("could not %s: %s", doing, exc)
        line = _("DeskChat could not {doing} ({value})").format(
            doing=doing, value=exc.strerror or exc
        )
        show(f"{line}; {advice}." if advice else f"{line}.")
        return
    log.error("internal error while trying to %s", doing, exc_info=exc)
    show(
        _("DeskChat hit an internal error ({name__}: {exc}) and could not {doing}.").format(
            name__=type(exc).__name__, exc=exc, doing=doing
        )
    )


def _cancelled(exc: BaseException) -> bool:
    # Read from sys.modules, not imported: the window shows its first frame
    # before asyncio loads, and a CancelledError cannot exist before it has.
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(exc, asyncio.CancelledError)


def _log_unexpected(
    kind: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    # qasync's asyncSlot hands errors of async slots to sys.excepthook: log
    # them instead of letting Qt print them or abort.
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    log.critical(_("unexpected error"), exc_info=(kind, exc, tb))


def install_excepthook() -> None:
    """Log every uncaught exception (including those of async slots)."""
    sys.excepthook = _log_unexpected
