"""Options: flags over environment over defaults; extra headers reach the provider."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from deskchat import provider
from deskchat.chat.options import (
    Options,
    add_common_arguments,
    effective_options,
    make_provider,
    parse_header,
    resolve,
)
from deskchat.store import Settings


def _parse(*argv: str, environ: dict[str, str] | None = None) -> Options:
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    return resolve(parser.parse_args(list(argv)), environ or {})


def test_flags_win_over_the_environment() -> None:
    options = _parse(
        "--model", "a", environ={"DESKCHAT_MODEL": "b", "DESKCHAT_PROXY": "http://p:1"}
    )
    assert options.model == "a"
    assert options.proxy == "http://p:1"
    assert options.provider == "auto"  # the default: a server found running, else a model on disk


def test_headers_are_parsed_in_order() -> None:
    options = _parse("--header", "X-Title: DeskChat", "--header", "HTTP-Referer:https://e.x")
    assert options.extra_headers == (("X-Title", "DeskChat"), ("HTTP-Referer", "https://e.x"))


@pytest.mark.parametrize("bad", ["no colon", ": empty name", "Bad Name: x", "X\u00e9: y"])
def test_a_malformed_header_is_a_readable_error_that_does_not_echo_the_value(bad: str) -> None:
    with pytest.raises(provider.ConfigurationError) as caught:
        parse_header(bad)
    assert "'Name: value'" in caught.value.text()
    assert bad not in caught.value.text()


def test_make_provider_passes_extra_headers() -> None:
    built = make_provider(
        Options(provider="openai-compatible", extra_headers=(("X-Title", "DeskChat"),))
    )
    assert built.headers()["X-Title"] == "DeskChat"


def _typed(*argv: str, environ: dict[str, str] | None = None) -> Options:
    """As ``deskchat`` parses: options not typed are absent, not None."""
    parser = argparse.ArgumentParser(argument_default=argparse.SUPPRESS)
    add_common_arguments(parser)
    return resolve(parser.parse_args(list(argv)), environ or {})


def test_a_provider_given_explicitly_wins_even_when_it_is_the_default() -> None:
    settings = Settings(Path("unused.json"))
    settings.provider = "ollama"
    settings.model = "llama3"
    typed = _typed("--provider", "chatgptfree")
    assert typed.given == {"provider"}
    merged = effective_options(typed, settings)
    assert merged.provider == "chatgptfree"
    assert merged.model == "llama3"
    # Not given at all: the saved provider is used.
    assert effective_options(_typed(), settings).provider == "ollama"
    # Given through the environment counts as given too.
    from_env = _typed(environ={"DESKCHAT_PROVIDER": "chatgptfree"})
    assert from_env.given == {"provider"}
    assert effective_options(from_env, settings).provider == "chatgptfree"
