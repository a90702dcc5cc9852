"""Options shared by the window and the command line.

Each option comes from, in order: the command line, a ``DESKCHAT_*``
environment variable, the saved settings (:func:`effective_options`), then the
default. The command line is parsed once; :attr:`Options.given` remembers which
options the user actually typed (or set in the environment), so one equal to
its default still wins over the saved settings.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from deskchat import provider
from deskchat.i18n import _

if TYPE_CHECKING:
    import aiohttp

    from deskchat.store import Settings

__all__ = [
    "DEFAULT_PROVIDER",
    "Options",
    "add_common_arguments",
    "effective_options",
    "make_provider",
    "parse_header",
    "resolve",
]

DEFAULT_PROVIDER = "auto"
"""Choose by :func:`deskchat.chat.auto.find_route`: a server found running, else a model on disk."""

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
        given: the names of the options the user gave on the command line or as
            ``DESKCHAT_*`` variables (not compared: two equal option sets are equal).
    """

    provider: str = DEFAULT_PROVIDER
    base_url: str | None = None
    proxy: str | None = None
    model: str | None = None
    data_dir: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    given: frozenset[str] = field(default=frozenset(), compare=False)


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
            _(
                "A header must be written as 'Name: value', with a name of letters, "
                "digits or dashes."
            )
        )
    return name, value


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every mode takes, with the environment variable in the help."""
    parser.add_argument(
        "--provider",
        metavar="ID",
        help=_(
            "auto, or one of: {join} (default {DEFAULT_PROVIDER}: a model server "
            "found running, else a model on disk; env {_ENV})"
        ).format(
            join=", ".join(provider.provider_ids()),
            DEFAULT_PROVIDER=DEFAULT_PROVIDER,
            _ENV=_ENV["provider"],
        ),
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help=_("server address, e.g. a mirror or a local server (env {_ENV})").format(
            _ENV=_ENV["base_url"]
        ),
    )
    parser.add_argument(
        "--proxy",
        metavar="URL",
        help=_("HTTP proxy, e.g. http://host:3128 (env {_ENV})").format(_ENV=_ENV["proxy"]),
    )
    parser.add_argument(
        "--model",
        help=_(
            "model name or alias; for the built-in engine also OWNER/REPO:QUANT (as "
            "pulled) or a path to a .gguf file (default: the provider's; env {_ENV})"
        ).format(_ENV=_ENV["model"]),
    )
    parser.add_argument(
        "--header",
        action="append",
        metavar="'NAME: VALUE'",
        help=_("an extra HTTP header for every request (repeatable), e.g. 'X-Title: DeskChat'"),
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=_("where history and settings are kept (env {_ENV})").format(_ENV=_ENV["data_dir"]),
    )


def resolve(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Options:
    """Merge parsed arguments over the environment over the defaults.

    ``args`` comes from a parser with ``argument_default=argparse.SUPPRESS``
    (see :func:`add_common_arguments`), so an option is in it only if typed.
    """
    values: dict[str, Any] = {}
    given: set[str] = set()
    for name, env_name in _ENV.items():
        typed = getattr(args, name, None)
        value = typed or environ.get(env_name) or None
        if value is not None:
            values[name] = value
            given.add(name)
    headers = getattr(args, "header", None) or ()
    if headers:
        values["extra_headers"] = tuple(parse_header(h) for h in headers)
        given.add("extra_headers")
    return Options(**values, given=frozenset(given))


_MERGED = ("provider", "base_url", "proxy", "model")
"""Options the saved settings fill in when neither the command line nor the environment did."""


def effective_options(options: Options, settings: Settings) -> Options:
    """The saved settings, with what the user gave for this run on top.

    An option counts as given when it is in :attr:`Options.given` (typed, even
    if equal to its default: ``--provider chatgptfree`` over a saved provider)
    or when it differs from its default (set by whoever built ``options``).
    """
    defaults = Options()
    merged: dict[str, Any] = {}
    for name in _MERGED:
        if name in options.given or getattr(options, name) != getattr(defaults, name):
            continue  # given for this run: it wins
        saved = getattr(settings, name)
        if saved:
            merged[name] = saved
    if not options.extra_headers and settings.extra_headers:
        merged["extra_headers"] = tuple(settings.extra_headers.items())
    known = {f.name for f in fields(Options)}
    return replace(options, **{k: v for k, v in merged.items() if k in known})


def make_provider(
    options: Options,
    session: aiohttp.ClientSession | None = None,
    *,
    secret_headers: Iterable[str] = (),
    keyring_key: bool | None = None,
) -> provider.Provider:
    """Build the provider the options name, sharing ``session``.

    Args:
        secret_headers: names of ``options.extra_headers`` that carry credentials
            (those kept in the keyring): they are dropped on a redirect to
            another origin and hidden in messages, as ``Authorization`` is.
        keyring_key: whether the keyring holds the provider's key (see
            :func:`deskchat.chat.stored_keys.keyring_key`); None: the provider's rule.

    Raises:
        provider.ConfigurationError: an unknown provider id (the message lists them).
    """
    return provider.create_provider(
        options.provider,
        base_url=options.base_url,
        proxy=options.proxy,
        session=session,
        extra_headers=dict(options.extra_headers) or None,
        secret_headers=secret_headers,
        keyring_key=keyring_key,
    )
