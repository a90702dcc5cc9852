"""Options shared by the window and the command line (Qt-free).

Each option comes from, in order: the command line, a ``DESKCHAT_*``
environment variable, then the default.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

import provider

__all__ = [
    "DEFAULT_PROVIDER",
    "Options",
    "add_common_arguments",
    "make_provider",
    "parse_header",
    "resolve",
]

DEFAULT_PROVIDER = "chatgptfree"

_ENV = {
    "provider": "DESKCHAT_PROVIDER",
    "base_url": "DESKCHAT_BASE_URL",
    "proxy": "DESKCHAT_PROXY",
    "model": "DESKCHAT_MODEL",
    "data_dir": "DESKCHAT_DATA_DIR",
}


@dataclass(frozen=True)
class Options:
    """What to talk to and where to keep history.

    Attributes:
        provider: the provider id ("chatgptfree", ...).
        base_url: the server's address; None for the provider's own.
        proxy: an HTTP proxy URL, or None.
        model: a model name or alias; None for the provider's default.
        data_dir: where history and settings live; None for the platform's.
        extra_headers: (name, value) pairs sent with every request.
    """

    provider: str = DEFAULT_PROVIDER
    base_url: str | None = None
    proxy: str | None = None
    model: str | None = None
    data_dir: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()


# An HTTP field name (RFC 9110 token).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` as a pair.

    Raises:
        provider.ConfigurationError: not of that form (the value is not echoed:
            it may be a token).
    """
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _HEADER_NAME.fullmatch(name) or "\n" in value or "\r" in value:
        raise provider.ConfigurationError(
            "A header must be written as 'Name: value', with a name of letters, digits or dashes."
        )
    return name, value


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every mode takes, with the environment variable in the help."""
    parser.add_argument(
        "--provider",
        metavar="ID",
        help=f"one of: {', '.join(provider.provider_ids())} "
        f"(default {DEFAULT_PROVIDER}; env {_ENV['provider']})",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help=f"server address, e.g. a mirror or a local server (env {_ENV['base_url']})",
    )
    parser.add_argument(
        "--proxy", metavar="URL", help=f"HTTP proxy, e.g. http://host:3128 (env {_ENV['proxy']})"
    )
    parser.add_argument(
        "--model", help=f"model name or alias (default: the provider's; env {_ENV['model']})"
    )
    parser.add_argument(
        "--header",
        action="append",
        metavar="'NAME: VALUE'",
        help="an extra HTTP header for every request (repeatable), e.g. 'X-Title: DeskChat'",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"where history and settings are kept (env {_ENV['data_dir']})",
    )


def resolve(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Options:
    """Merge parsed arguments over the environment over the defaults."""
    values: dict[str, Any] = {}
    for field, env_name in _ENV.items():
        value = getattr(args, field, None) or environ.get(env_name) or None
        if value is not None:
            values[field] = value
    headers = getattr(args, "header", None) or ()
    if headers:
        values["extra_headers"] = tuple(parse_header(h) for h in headers)
    return Options(**values)


def make_provider(options: Options, session: aiohttp.ClientSession | None = None) -> Any:
    """Build the provider the options name, sharing ``session``.

    Raises:
        provider.ConfigurationError: an unknown provider id (the message lists them).
    """
    return provider.create_provider(
        options.provider,
        base_url=options.base_url,
        proxy=options.proxy,
        session=session,
        extra_headers=dict(options.extra_headers) or None,
    )
