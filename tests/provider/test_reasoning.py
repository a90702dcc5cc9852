"""Splitting <think>…</think> out of a reply's text, with the tags cut anywhere."""

from __future__ import annotations

import pytest

from deskchat.provider.events import ReasoningDelta, TextDelta
from deskchat.provider.reasoning import ReasoningSplitter

REPLY = "<think>\nThe user greets me.\n</think>\n\nHello! How can I help?"


def _run(pieces: list[str], *, inside: bool = False) -> tuple[str, str]:
    splitter = ReasoningSplitter(inside=inside)
    events = [e for piece in pieces for e in splitter.feed(piece)] + splitter.finish()
    assert all(e.text for e in events), "no empty events"
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return reasoning, text


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 100])
def test_tags_split_across_pieces(size):
    pieces = [REPLY[i : i + size] for i in range(0, len(REPLY), size)]
    assert _run(pieces) == ("\nThe user greets me.\n", "Hello! How can I help?")


def test_no_block_is_all_text():
    assert _run(["Hello", " there"]) == ("", "Hello there")


def test_a_tag_later_in_the_reply_is_text():
    """A reply that explains the tags keeps them."""
    text = "Models write <think> and </think> around their reasoning."
    assert _run([text[:14], text[14:]]) == ("", text)


def test_leading_whitespace_before_the_block():
    assert _run(["\n ", "<think>why</think>answer"]) == ("why", "answer")


def test_template_that_opens_the_block_starts_inside():
    assert _run(["I should", " greet.</th", "ink>\n", "Hi!"], inside=True) == (
        "I should greet.",
        "Hi!",
    )


def test_an_unclosed_block_is_all_reasoning():
    """A reply cut short (Stop, max_tokens) while thinking: nothing is lost."""
    assert _run(["<think>still thinking </thi"]) == ("still thinking </thi", "")


def test_a_held_back_start_that_was_not_a_tag():
    assert _run(["<th", "ought>"]) == ("", "<thought>")
    assert _run(["<"]) == ("", "<")


def test_text_after_the_block_keeps_a_later_close_tag():
    assert _run(["<think>a</think>b</think>c"]) == ("a", "b</think>c")
