"""provider.tool_text: tool calls written as text, split anywhere in the stream."""

from __future__ import annotations

import json

import pytest

from deskchat.provider.events import TextDelta, ToolCall
from deskchat.provider.tool_text import ToolTextParser


def run(chunks: list[str]) -> tuple[str, list[tuple[str, dict[str, object] | str]], list[object]]:
    """The text and the calls (name, arguments) the parser hands out for ``chunks``."""
    parser = ToolTextParser()
    pieces: list[object] = []
    for chunk in chunks:
        pieces.extend(parser.feed(chunk))
    pieces.extend(parser.finish())
    text = "".join(p.text for p in pieces if isinstance(p, TextDelta))
    calls = []
    for p in pieces:
        if isinstance(p, ToolCall):
            try:
                arguments = json.loads(p.arguments)
            except ValueError:
                arguments = p.arguments
            calls.append((p.name, arguments))
    return text, calls, pieces


def splits(text: str) -> list[list[str]]:
    """``text`` whole, in one-character pieces, and cut in two at every position."""
    cuts = [[text], list(text)]
    cuts += [[text[:i], text[i:]] for i in range(1, len(text))]
    return cuts


CASES = [
    pytest.param(
        'Let me look.\n<tool_call>\n{"name": "weather", "arguments": {"city": "Oslo"}}\n'
        "</tool_call>",
        "Let me look.\n",
        [("weather", {"city": "Oslo"})],
        id="qwen-text-before",
    ),
    pytest.param(
        '<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>\n'
        '<tool_call>\n{"name": "b", "arguments": {"y": "}"}}\n</tool_call>',
        "",
        [("a", {"x": 1}), ("b", {"y": "}"})],
        id="qwen-two-calls",
    ),
    pytest.param(
        'Before <tool_call>{"name": "a", "arguments": {}}</tool_call> after.',
        "Before  after.",
        [("a", {})],
        id="qwen-text-before-and-after",
    ),
    pytest.param(
        "Oops <tool_call>{name: a}</tool_call> done",
        "Oops <tool_call>{name: a}</tool_call> done",
        [],
        id="qwen-invalid-json-is-text",
    ),
    pytest.param(
        'Unclosed <tool_call>{"name": "a"',
        'Unclosed <tool_call>{"name": "a"',
        [],
        id="qwen-unclosed-is-text",
    ),
    pytest.param(
        '{"name": "search", "parameters": {"q": "cats \\"and\\" {dogs}"}}',
        "",
        [("search", {"q": 'cats "and" {dogs}'})],
        id="llama-json",
    ),
    pytest.param(
        '<|python_tag|>{"name": "search", "parameters": {"q": "x"}}',
        "",
        [("search", {"q": "x"})],
        id="llama-python-tag",
    ),
    pytest.param(
        '\n{"name": "a", "parameters": {}}; {"name": "b", "parameters": {"n": 2}}',
        "",
        [("a", {}), ("b", {"n": 2})],
        id="llama-two-calls",
    ),
    pytest.param(
        '{"answer": 42, "name": "x"}',
        '{"answer": 42, "name": "x"}',
        [],
        id="json-that-is-no-call",
    ),
    pytest.param(
        'Here is JSON: {"name": "a", "parameters": {}}',
        'Here is JSON: {"name": "a", "parameters": {}}',
        [],
        id="json-mid-text-is-text",
    ),
    pytest.param(
        '{"name": "a", "parameters": {"x": 1}',
        '{"name": "a", "parameters": {"x": 1}',
        [],
        id="llama-unfinished-is-text",
    ),
    pytest.param(
        "a < b and <tool or <|python",
        "a < b and <tool or <|python",
        [],
        id="almost-markers-are-text",
    ),
    pytest.param(
        '{"name": "a", "arguments": "{\\"raw\\": true}"}',
        "",
        [("a", {"raw": True})],  # the string itself is the arguments' JSON text
        id="arguments-as-string",
    ),
]


@pytest.mark.parametrize(("stream", "text", "calls"), CASES)
def test_every_split_gives_the_same_text_and_calls(
    stream: str, text: str, calls: list[tuple[str, object]]
) -> None:
    for chunks in splits(stream):
        got_text, got_calls, _pieces = run(chunks)
        assert (got_text, got_calls) == (text, calls), chunks


def test_text_is_held_back_only_while_it_could_start_a_call() -> None:
    parser = ToolTextParser()
    assert parser.feed("Hello <tool") == [TextDelta("Hello ")]
    assert parser.feed("s are fun") == [TextDelta("<tools are fun")]
    assert parser.feed(" {not a call}") == [TextDelta(" {not a call}")]
    fresh = ToolTextParser()
    assert fresh.feed('{"na') == []  # could still be a Llama call
    assert fresh.feed("me") == []
    assert fresh.feed("s are") == [TextDelta('{"names are')]


def test_calls_get_ids_of_their_own_and_order_is_kept() -> None:
    ids = iter(["first", "second"])
    parser = ToolTextParser(new_id=lambda: next(ids))
    pieces = parser.feed(
        'A<tool_call>{"name": "x", "arguments": {}}</tool_call>B'
        '<tool_call>{"name": "y", "arguments": {}}</tool_call>'
    )
    pieces += parser.finish()
    assert pieces == [
        TextDelta("A"),
        ToolCall("first", "x", "{}"),
        TextDelta("B"),
        ToolCall("second", "y", "{}"),
    ]
    assert parser.calls == 2
