"""The one place an exception becomes a line the user reads: silent, a sentence, or a bug."""

from __future__ import annotations

import asyncio
import errno
import logging
import sys

import pytest

from deskchat.gui.errors import install_excepthook, show_error
from deskchat.provider import ServerError


def test_cancellation_is_silent(caplog: pytest.LogCaptureFixture) -> None:
    shown: list[str] = []
    show_error(shown.append, asyncio.CancelledError(), doing="stream the reply")
    assert shown == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_deskchat_error_becomes_its_sentence(caplog: pytest.LogCaptureFixture) -> None:
    shown: list[str] = []
    error = ServerError("example.com failed (HTTP 502); try again.", status_code=502)
    show_error(shown.append, error, doing="list the models")
    assert shown == ["example.com failed (HTTP 502); try again."]
    # The environment's fault, not ours: no traceback in the log.
    assert not [r for r in caplog.records if r.exc_info]


def test_an_os_error_names_what_failed_and_what_to_do() -> None:
    shown: list[str] = []
    denied = PermissionError(errno.EACCES, "Permission denied", "/x/notes.md")
    show_error(shown.append, denied, doing="write notes.md", advice="choose another folder")
    assert shown == [
        "DeskChat could not write notes.md (Permission denied); choose another folder."
    ]
    show_error(shown.append, denied, doing="read notes.md")
    assert shown[-1] == "DeskChat could not read notes.md (Permission denied)."


def test_a_bug_says_it_is_an_internal_error(caplog: pytest.LogCaptureFixture) -> None:
    shown: list[str] = []
    show_error(shown.append, KeyError("oops"), doing="build the provider")
    assert shown == [
        "DeskChat hit an internal error (KeyError: 'oops') and could not build the provider."
    ]
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)


def test_the_excepthook_logs_uncaught_errors(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook()
    try:
        raise ValueError("from a slot")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert any(r.levelname == "CRITICAL" and r.exc_info for r in caplog.records)
