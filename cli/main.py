"""``deskchat``: opens the window, or runs a command headless.

The subcommands never import Qt, so they start fast and run on machines
without a display. Only the bare ``deskchat`` (or ``deskchat gui``) loads the
window, lazily.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from importlib import metadata
from typing import TextIO

import aiohttp

import provider

from . import history
from .options import Options, add_common_arguments, make_provider, resolve

__all__ = ["configure_logging", "main", "version"]

log = logging.getLogger("deskchat.cli")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def version() -> str:
    try:
        return metadata.version("deskchat")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    add_common_arguments(common)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="log network activity to stderr"
    )
    parser = argparse.ArgumentParser(
        prog="deskchat",
        description="DeskChat: a desktop chat client for language models. "
        "Without a command it opens the window.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"DeskChat {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", parents=[common], help="open the window (the default)")
    gui.set_defaults(func=_run_gui)

    ask = commands.add_parser(
        "ask",
        parents=[common],
        help="ask one question and stream the reply to stdout",
        description="Ask one question and stream the reply to stdout as it arrives. "
        "Errors go to stderr; Ctrl+C stops.",
    )
    ask.add_argument("question", nargs="+", help='the question; "-" reads it from stdin')
    ask.add_argument("--system", metavar="TEXT", help="a system prompt to send first")
    ask.set_defaults(func=_run_ask)

    models = commands.add_parser(
        "models",
        parents=[common],
        help="list the provider's models and those of local servers found running",
        description="List the configured provider's models (PROVIDER<tab>MODEL), then the "
        "models of local servers found running (Ollama on 11434, llama.cpp on 8080, "
        "LM Studio on 1234) as PROVIDER<tab>MODEL<tab>BASE_URL.",
    )
    models.add_argument("--no-discover", action="store_true", help="do not look for local servers")
    models.set_defaults(func=_run_models)
    history.add_commands(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run DeskChat; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # The window reads the raw arguments too (which options were typed at all).
    args.argv = None if argv is None else list(argv)
    configure_logging(getattr(args, "verbose", False))
    func = getattr(args, "func", _run_gui)
    try:
        return int(func(args))
    except provider.ProviderError as exc:
        _error(exc.text())
        return EXIT_ERROR


def _run_gui(args: argparse.Namespace) -> int:
    from gui.app import main as gui_main  # Qt loads only here.

    return gui_main(argv=args.argv, options=resolve(args))


def _run_ask(args: argparse.Namespace) -> int:
    options = resolve(args)
    question = " ".join(args.question)
    if question == "-":
        question = sys.stdin.read()
    if not question.strip():
        _error("The question is empty; type one after 'ask', or pipe it in with 'ask -'.")
        return EXIT_USAGE
    messages = []
    if getattr(args, "system", None):
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": question})
    try:
        return asyncio.run(ask(options, messages, sys.stdout))
    except KeyboardInterrupt:
        # asyncio.run has cancelled the stream and closed the connection.
        _flush_quietly(sys.stdout)
        sys.stderr.write("\nStopped.\n")
        return EXIT_INTERRUPTED


async def ask(options: Options, messages: list[dict[str, str]], out: TextIO) -> int:
    """Stream one reply to ``out``; report failure on stderr. Returns the exit code."""
    state = provider.ReplyState()
    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as session:
        chat = make_provider(options, session)

        def start() -> AsyncIterator[provider.Event]:
            return provider.stream_events(chat, options.model, messages)

        async def wait(seconds: float) -> None:
            _error(f"retrying in {seconds:g} s…")
            await asyncio.sleep(seconds)

        try:
            # Retried only before the first event: never a repeated word on stdout.
            async for event in provider.with_retries(start, sleep=wait):
                piece = state.handle(event)
                if piece:
                    out.write(piece)
                    out.flush()
        except provider.ProviderError as exc:
            state.fail(exc)
        except BrokenPipeError:
            return EXIT_OK  # The reader (e.g. `head`) has seen enough.
    if state.length and not state.text.endswith("\n"):
        out.write("\n")
        out.flush()
    if state.error:
        _error(state.error)
        return EXIT_ERROR
    return EXIT_OK


def _run_models(args: argparse.Namespace) -> int:
    options = resolve(args)
    return asyncio.run(
        _models(options, sys.stdout, discover=not getattr(args, "no_discover", False))
    )


async def _models(options: Options, out: TextIO, *, discover: bool) -> int:
    """The configured provider's models, then those of local servers found running."""
    async with aiohttp.ClientSession(timeout=provider.client_timeout()) as session:
        chat = make_provider(options, session)
        found = asyncio.ensure_future(provider.discover_local(session)) if discover else None
        try:
            names = await provider.list_models(chat)
        except provider.ProviderError as exc:
            _error(exc.text())
            names = []
        default = getattr(chat, "default_model", None)
        for name in names:
            out.write(f"{options.provider}\t{name}{'  (default)' if name == default else ''}\n")
        for server in await found if found is not None else ():
            for name in server.models:
                out.write(f"{server.provider_id}\t{name}\t{server.base_url}\n")
    return EXIT_OK if names else EXIT_ERROR


def configure_logging(verbose: bool = False) -> None:
    """Log to stderr, with API keys and proxy passwords hidden, unless already set up."""
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    # On the handler, not a logger: a logger's filter misses its children's records.
    handler.addFilter(provider.RedactingFilter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler])


def _error(text: str) -> None:
    sys.stderr.write(f"deskchat: {text}\n")
    _flush_quietly(sys.stderr)


def _flush_quietly(stream: TextIO) -> None:
    try:
        stream.flush()
    except (BrokenPipeError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
