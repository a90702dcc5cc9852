"""``deskchat``: opens the window, or runs a command headless.

The subcommands never import Qt, so they start fast and run on machines
without a display. Only the bare ``deskchat`` (or ``deskchat gui``) loads the
window, lazily.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from deskchat import i18n, provider
from deskchat.chat.logs import configure_logging
from deskchat.chat.options import Options, add_common_arguments, make_provider, resolve
from deskchat.chat.version import VersionAction
from deskchat.errors import DeskChatError
from deskchat.i18n import _
from deskchat.store.settings import saved_language

from . import history, library, search, terminal
from . import tools as cli_tools

if TYPE_CHECKING:
    from deskchat.attach import Attachment
    from deskchat.chat.conversation import ChatMessage
    from deskchat.chat.session import ChatSession
    from deskchat.store import AsyncStore

__all__ = ["ask", "main"]

log = logging.getLogger("deskchat.cli")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    add_common_arguments(common)
    common.add_argument(
        "-v", "--verbose", action="store_true", help=_("log network activity to stderr")
    )
    parser = argparse.ArgumentParser(
        prog="deskchat",
        description=_(
            "DeskChat: a desktop chat client for language models. Without a command "
            "it opens the window."
        ),
        parents=[common],
    )
    parser.add_argument("--version", action=VersionAction)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", parents=[common], help=_("open the window (the default)"))
    gui.set_defaults(func=_run_gui)

    ask = commands.add_parser(
        "ask",
        parents=[common],
        help=_("ask one question and stream the reply to stdout"),
        description=_(
            "Ask one question and stream the reply to stdout as it arrives. Errors "
            "go to stderr; Ctrl+C stops."
        ),
    )
    ask.add_argument("question", nargs="+", help=_('the question; "-" reads it from stdin'))
    ask.add_argument("--system", metavar="TEXT", help=_("a system prompt to send first"))
    ask.add_argument(
        "-c",
        "--continue",
        dest="continue_latest",
        action="store_true",
        help=_("continue the latest conversation in the history instead of starting one"),
    )
    ask.add_argument(
        "--no-save",
        dest="save",
        action="store_false",
        help=_("keep neither the question nor the reply in the history"),
    )
    ask.add_argument(
        "-a",
        "--attach",
        dest="attach",
        action="append",
        default=[],
        metavar="FILE",
        help=_(
            "send a file with the question: an image (to a model that reads images), a "
            "text file or a PDF's text; repeat for more files"
        ),
    )
    ask.add_argument(
        "--partial",
        action="store_true",
        help=_("send only the beginning of a file too long for the model's context"),
    )
    cli_tools.add_ask_arguments(ask)
    terminal.add_output_arguments(ask)
    ask.set_defaults(func=_run_ask)

    models = commands.add_parser(
        "models",
        parents=[common],
        help=_("list the models: the provider's, local servers', and model files on disk"),
        description=_(
            "List the chosen provider's models (PROVIDER<tab>MODEL), then the models "
            "of local servers found running (Ollama on 11434, llama.cpp on 8080, LM "
            "Studio on 1234) as PROVIDER<tab>MODEL<tab>BASE_URL. With --provider "
            "auto (the default) or local, also the model files on this computer for "
            "the built-in engine (downloaded by DeskChat, or found in the Hugging "
            "Face cache, LM Studio, GPT4All and Ollama) as "
            "local<tab>NAME<tab>SIZE<tab>QUANT<tab>SOURCE<tab>PATH."
        ),
    )
    models.add_argument(
        "--no-discover", action="store_true", help=_("do not look for local servers")
    )
    models.set_defaults(func=_run_models)
    history.add_commands(commands, common)
    library.add_commands(commands, common)
    search.add_commands(commands, common)
    cli_tools.add_commands(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run DeskChat; return the process exit code."""
    # The language first: --help and argparse's own errors are in it too.
    i18n.setup(saved_language())
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(getattr(args, "verbose", False))
    func = getattr(args, "func", _run_gui)
    try:
        # A reader that leaves early (`deskchat export --list | head`) ends it quietly.
        return terminal.quiet_on_closed_pipe(lambda: int(func(args)))
    except DeskChatError as exc:
        _error(exc.text())
        return EXIT_ERROR


def _run_gui(args: argparse.Namespace) -> int:
    import gc

    # No collections until the first frame (gui.app.main turns them back on):
    # importing Qt and the window allocates much and frees little.
    gc.disable()
    from deskchat.gui.app import main as gui_main  # Qt loads only here.

    return gui_main(options=resolve(args))


def _run_ask(args: argparse.Namespace) -> int:
    options = resolve(args)
    question = " ".join(args.question)
    if question == "-":
        question = sys.stdin.read()
    if not question.strip():
        _error(_("The question is empty; type one after 'ask', or pipe it in with 'ask -'."))
        return EXIT_USAGE
    import asyncio  # Here, not at the top: the window's start must not wait for it.

    try:
        return asyncio.run(
            ask(
                options,
                question,
                sys.stdout,
                system=getattr(args, "system", None),
                save=getattr(args, "save", True),
                continue_latest=getattr(args, "continue_latest", False),
                output=terminal.output_mode(args),
                tools=getattr(args, "tools", False),
                yes=getattr(args, "yes", False),
                attach=getattr(args, "attach", []),
                partial=getattr(args, "partial", False),
            )
        )
    except KeyboardInterrupt:
        # asyncio.run has cancelled the reply; ask() saved it as stopped.
        _flush_quietly(sys.stdout)
        sys.stderr.write("\nStopped.\n")
        return EXIT_INTERRUPTED


async def ask(
    options: Options,
    question: str,
    out: TextIO,
    *,
    system: str | None = None,
    save: bool = True,
    continue_latest: bool = False,
    output: terminal.OutputMode = "auto",
    tools: bool = False,
    yes: bool = False,
    attach: Sequence[str] = (),
    partial: bool = False,
) -> int:
    """Stream one reply to ``out``, keeping the exchange in the history unless ``save`` is
    False; report failure on stderr. Returns the exit code.

    ``output`` says whether control characters are shown or written as they are
    (see :mod:`deskchat.cli.terminal`; auto: shown on a terminal only). ``tools``: offer
    the enabled MCP servers' tools, asking before each call (``yes``: approve them all).
    ``attach``: files to send with the question (``partial``: the start of a file too
    long for the context); one that cannot be sent stops it all with a sentence."""
    import aiohttp  # Not at import: the window's start must not wait for it.

    from deskchat.chat import routes
    from deskchat.chat.auto import NO_ROUTE_HELP
    from deskchat.chat.session import ChatSession  # Only ask pays for the core and the store.

    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as http:
        route = await routes.route_for(options)
        if route.kind == "none":
            sys.stderr.write(NO_ROUTE_HELP + "\n")
            return EXIT_ERROR
        built = routes.build(route, options, http)
        files: list[Attachment] = []
        if attach:
            from deskchat.chat.attachments import limits_for, read_attachments

            limits = limits_for(built.provider_id, allow_partial=partial)
            files = await read_attachments(attach, limits)
        history = await _open_history(options) if save else None
        session = ChatSession(
            built.chat,
            model_name=built.model,
            provider_id=built.provider_id,
            history=history,
        )
        session.system_prompt = system or ""
        box = None
        if tools:
            session.tools, box = await cli_tools.open_tools(options.data_dir, yes=yes)
        printer = _Printer(out, session, output)
        session.events.text_added.connect(printer.write)
        session.events.retrying.connect(
            lambda seconds: _error(_("retrying in {seconds:g} s…").format(seconds=seconds))
        )
        try:
            if continue_latest and await session.open_latest() is None:
                _error(_("There is no earlier conversation to continue; starting a new one."))
            message = await session.ask(question, files)
        finally:
            await session.aclose()
            if box is not None:
                await box.aclose()
            await routes.close(built.chat)
            if history is not None:
                await history.close()
    reply = message.reply if message is not None else None
    if printer.broken or reply is None:
        return EXIT_OK  # The reader (e.g. `head`) has seen enough.
    if reply.length and not reply.text.endswith("\n"):
        printer.write(message, "\n")
    if reply.error:
        _error(reply.error)
        return EXIT_ERROR
    return EXIT_OK


class _Printer:
    """Writes each piece of the reply as it arrives; a closed pipe stops the reply.

    On a terminal (or with ``--safe``) control characters are shown, not obeyed.
    """

    def __init__(
        self, out: TextIO, session: ChatSession, output: terminal.OutputMode = "auto"
    ) -> None:
        self.out = terminal.writer_for(out, output)
        self.session = session
        self.broken = False

    def write(self, _message: ChatMessage | None, piece: str) -> None:
        if self.broken:
            return
        try:
            self.out.write(piece)
            self.out.flush()
        except BrokenPipeError:
            self.broken = True
            self.session.stop()


async def _open_history(options: Options) -> AsyncStore | None:
    """The history store, or None (with a line on stderr) when it cannot be opened."""
    from deskchat.store import AsyncStore, StoreError, database_path

    try:
        history = await AsyncStore.open(database_path(options.data_dir))
    except (StoreError, OSError) as exc:
        text = exc.text() if isinstance(exc, StoreError) else str(exc)
        _error(_("{text} This exchange will not be kept in the history.").format(text=text))
        return None
    if history.read_only_reason:
        _error(
            _("{read_only_reason} This exchange will not be kept in the history.").format(
                read_only_reason=history.read_only_reason
            )
        )
        await history.close()
        return None
    return history


def _run_models(args: argparse.Namespace) -> int:
    import asyncio

    options = resolve(args)
    return asyncio.run(
        _models(
            options,
            # Model names come from servers and file names: shown, not obeyed, on a terminal.
            terminal.text_stream(sys.stdout),
            discover=not getattr(args, "no_discover", False),
        )
    )


async def _models(options: Options, out: TextIO, *, discover: bool) -> int:
    """The chosen provider's models, then those of local servers found running; with
    ``auto`` (or ``local``), the model files on this computer for the built-in engine too."""
    import asyncio

    import aiohttp

    from deskchat.chat.auto import AUTO, NO_ROUTE_HELP

    listed = 0
    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as session:
        found = asyncio.ensure_future(provider.discover_local()) if discover else None
        if options.provider not in (AUTO, "local"):
            chat = make_provider(options, session)
            try:
                names = await provider.list_models(chat)
            except provider.ProviderError as exc:
                _error(exc.text())
                names = []
            for name in names:
                mark = "  (default)" if name == chat.default_model else ""
                out.write(f"{options.provider}\t{name}{mark}\n")
            listed += len(names)
            if not names:
                if found is not None:
                    found.cancel()
                return EXIT_ERROR
        for server in await found if found is not None else ():
            for name in server.models:
                out.write(f"{server.provider_id}\t{name}\t{server.base_url}\n")
                listed += 1
    if options.provider in (AUTO, "local"):
        listed += _local_models(options, out)
    if not listed:
        sys.stderr.write(NO_ROUTE_HELP + "\n")
        return EXIT_ERROR
    return EXIT_OK


def _local_models(options: Options, out: TextIO) -> int:
    """Write the model files found on this computer; how many there were."""
    from deskchat import library as models_on_disk

    models = models_on_disk.local_models(options.data_dir)
    for line in models_on_disk.format_local_models(models):
        out.write(f"local\t{line}\n")
    return len(models)


def _error(text: str) -> None:
    """One line on stderr; control characters a server's words may hold are shown."""
    terminal.say(text)


def _flush_quietly(stream: TextIO) -> None:
    try:
        stream.flush()
    except (BrokenPipeError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
