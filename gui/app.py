"""Start the window on a qasync loop and shut it down cleanly.

Environment, for smoke tests only (the test suite and screenshots use them):
    DESKCHAT_QUIT_AFTER_MS: close the window this many milliseconds after start.
    DESKCHAT_SMOKE_MESSAGE: send this message as soon as the window is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

import aiohttp
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

# PySide6 is imported above, so qasync binds to it.
from qasync import QEventLoop  # noqa: I001

from cli.main import configure_logging
from cli.options import Options, add_common_arguments, make_provider, resolve
from provider import ProviderError
from store import (
    AsyncStore,
    Settings,
    StoreError,
    data_dir,
    database_path,
    settings_path,
    split_proxy_password,
)

from . import proxy
from .about import app_icon
from .errors import install_excepthook
from .local_servers import LocalServers
from .main_window import MainWindow

__all__ = [
    "effective_options",
    "given_options",
    "main",
    "move_proxy_password",
    "open_history",
    "parse_options",
]

log = logging.getLogger("deskchat.gui")

EXIT_OK = 0
EXIT_CONFIG = 2


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Options from the command line, then ``DESKCHAT_*`` variables, then defaults."""
    parser = argparse.ArgumentParser(prog="python -m gui", description="Open DeskChat's window.")
    add_common_arguments(parser)
    return resolve(parser.parse_args(argv))


_MERGED = ("provider", "base_url", "proxy", "model")
"""Options the saved settings fill in when neither the command line nor the environment did."""


def given_options(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> frozenset[str]:
    """The names of the options the user actually gave: on ``argv`` or as ``DESKCHAT_*``.

    ``cli.options.resolve`` fills unset options with their defaults, so an
    option equal to its default may still have been typed: this looks at
    what was typed instead.
    """
    parser = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    add_common_arguments(parser)
    # Other arguments (a subcommand, -v) are none of this function's business.
    typed, _rest = parser.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    env = os.environ if environ is None else environ
    from_env = {name for name in _MERGED if env.get(f"DESKCHAT_{name.upper()}")}
    return frozenset(vars(typed)) | from_env


def main(argv: list[str] | None = None, options: Options | None = None) -> int:
    """Open the window and run until it closes; return the exit code."""
    given = given_options(argv)
    if options is None:
        options = parse_options(argv)
    configure_logging()
    install_excepthook()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("DeskChat")
    app.setDesktopFileName("deskchat")
    app.setWindowIcon(app_icon())
    # The window decides when to quit: closing it mid-stream first cancels the reply.
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: QEventLoop(app)) as runner:
        return runner.run(_run(options, given))


def effective_options(
    options: Options, settings: Settings, given: Collection[str] | None = None
) -> Options:
    """The saved settings, with what the command line (or environment) set on top.

    Args:
        given: the options the user gave (:func:`given_options`), which win
            even when equal to their default (``--provider chatgptfree`` over
            a saved provider). None guesses: an option at its default counts
            as unset.
    """
    defaults = Options()
    merged: dict[str, Any] = {}
    for name in _MERGED:
        typed = (
            name in given
            if given is not None
            else getattr(options, name) != getattr(defaults, name)
        )
        if typed:
            continue  # the command line wins for this run
        saved = getattr(settings, name)
        if saved:
            merged[name] = saved
    if not options.extra_headers and settings.extra_headers:
        merged["extra_headers"] = tuple(settings.extra_headers.items())
    known = {f.name for f in fields(Options)}
    return replace(options, **{k: v for k, v in merged.items() if k in known})


def _provider_factory(session: aiohttp.ClientSession) -> Any:
    def build(settings: Settings) -> Any:
        chosen = Options(
            provider=settings.provider,
            base_url=settings.base_url or None,
            proxy=proxy.with_password(settings.proxy or None),
            extra_headers=tuple(settings.extra_headers.items()),
        )
        return make_provider(chosen, session)

    return build


async def open_history(options: Options) -> tuple[AsyncStore | None, str | None]:
    """Open the history store on its worker thread; the notice to show, if any.

    A history that cannot be opened at all does not stop DeskChat: the window
    then keeps this session's chats in memory and says so.
    """
    try:
        history = await AsyncStore.open(database_path(options.data_dir))
    except StoreError as exc:
        log.error("history unavailable: %s", exc.text())
        return None, f"{exc.text()} Chats from this session will not be kept."
    except OSError as exc:
        log.error("history unavailable: %s", exc)
        return None, f"DeskChat cannot open its chat history ({exc}); chats will not be kept."
    return history, history.read_only_reason or history.recovery_notice


def move_proxy_password(settings: Settings) -> str | None:
    """Move a proxy password found in ``settings`` (an older DeskChat saved it) to the
    keyring, and save the settings without it; a sentence to show, or None."""
    if split_proxy_password(settings.proxy)[1] is None:
        return None
    kept = proxy.keep_password(settings.proxy)
    if kept.error:
        log.warning("%s", kept.error)
        return kept.error
    settings.proxy = kept.proxy
    try:
        settings.save()
    except OSError as exc:
        log.warning("cannot save settings: %s", exc)
    return kept.note


async def _run(options: Options, given: Collection[str] | None = None) -> int:
    settings = Settings.load(settings_path(options.data_dir))
    moved = move_proxy_password(settings)
    options = effective_options(options, settings, given)
    # The saved address has no password: the keyring's goes back in for this run.
    options = replace(options, proxy=proxy.with_password(options.proxy))
    # The session belongs to the running loop, so it is made here, not at import.
    async with aiohttp.ClientSession() as session:
        try:
            chat_provider = make_provider(options, session)
        except ProviderError as exc:
            log.error("%s", exc.text())
            return EXIT_CONFIG
        history, notice = await open_history(options)
        try:
            window = MainWindow(
                chat_provider,
                model_name=options.model,
                history=history,
                notice=notice or settings.notice or moved,
                settings=settings,
                provider_factory=_provider_factory(session),
                local_servers=LocalServers(session),
            )
            window.data_dir = data_dir(options.data_dir)
            closed = asyncio.Event()
            window.closed.connect(closed.set)
            window.show()
            window.start()
            _smoke_hooks(window)
            await closed.wait()
        finally:
            # The window has cancelled and saved its reply before it emitted closed.
            if history is not None:
                await history.close()
    return EXIT_OK


def _smoke_hooks(window: MainWindow) -> None:
    message = os.environ.get("DESKCHAT_SMOKE_MESSAGE")
    if message:
        window.controller.send(message)
    quit_after = os.environ.get("DESKCHAT_QUIT_AFTER_MS")
    if quit_after:
        QTimer.singleShot(int(quit_after), window.close)
