"""Tool calls streamed in pieces: OpenAI-compatible servers and Ollama, over loopback."""

from __future__ import annotations

import json

import pytest

from deskchat.provider import Ollama, OpenAICompatible, ReplyState, ToolCall
from deskchat.provider.events import FinishEvent, TextDelta
from deskchat.provider.openai_compat import events_from_completion
from deskchat.provider.tool_calls import ToolCallAssembler, openai_messages_for_ollama
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI, json_reply
from tests.fakes.scripted import serving
from tests.fakes.tool_streams import ollama_tools_reply, openai_tools_reply

SEEDS = [0, 1, 2, 7, 42, 99]
CALLS = [
    ("call_a", "read_file", {"path": "/tmp/ä ö.txt"}),
    ("call_b", "add_numbers", {"a": 1, "b": [2, 3], "note": 'multi\nline "quoted"'}),
]
TOOLS = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
HELLO = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def openai():
    fake = FakeOpenAI()
    async with serving(fake.app, "/v1") as url:
        yield fake, url


@pytest.fixture
async def ollama():
    fake = FakeOllama()
    async with serving(fake.app) as url:
        yield fake, url


def _expected() -> list[ToolCall]:
    return [ToolCall(i, n, json.dumps(a)) for i, n, a in CALLS]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("interleave", [False, True])
async def test_openai_calls_in_pieces_come_out_whole(openai, session, seed, interleave) -> None:
    fake, url = openai
    fake.reply_with(
        openai_tools_reply(CALLS, text="Let me look.", seed=seed, interleave=interleave)
    )
    events = [
        e
        async for e in OpenAICompatible(url, session).create_async_generator(
            "m", HELLO, tools=TOOLS
        )
    ]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Let me look."
    assert [e for e in events if isinstance(e, ToolCall)] == _expected()
    # The calls come before the reason the reply ended.
    assert events[-1] == FinishEvent("tool_calls")
    assert fake.requests[-1]["json"]["tools"] == TOOLS


async def test_openai_tool_messages_are_sent_as_they_are(openai, session) -> None:
    fake, url = openai
    history = [
        *HELLO,
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "add", "content": "3"},
    ]
    [e async for e in OpenAICompatible(url, session).create_async_generator("m", history)]
    assert fake.requests[-1]["json"]["messages"] == history


async def test_a_whole_completion_with_calls(openai, session) -> None:
    fake, url = openai
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "x", "type": "function", "function": {"name": "add", "arguments": '{"a":1}'}}
        ],
    }
    fake.reply_with(json_reply({"choices": [{"message": message, "finish_reason": "tool_calls"}]}))
    events = [e async for e in OpenAICompatible(url, session).create_async_generator("m", HELLO)]
    assert events == [ToolCall("x", "add", '{"a":1}'), FinishEvent("tool_calls")]


def test_calls_without_index_or_id_still_assemble() -> None:
    calls = ToolCallAssembler()
    calls.feed([{"id": "p", "function": {"name": "one", "arguments": '{"a":'}}])
    calls.feed([{"function": {"arguments": "1}"}}])
    calls.feed([{"id": "q", "function": {"name": "two"}}])
    calls.feed("not a list")
    calls.feed([{"function": {"arguments": 5}}])  # junk is ignored
    assert calls.flush() == [ToolCall("p", "one", '{"a":1}'), ToolCall("q", "two", "{}")]
    assert calls.flush() == []


def test_a_call_with_no_name_is_dropped_and_ids_are_made_up() -> None:
    calls = ToolCallAssembler()
    calls.feed([{"index": 0, "function": {"arguments": "{}"}}])
    calls.feed([{"index": 1, "function": {"name": "f"}}])
    assert calls.flush() == [ToolCall("call_1", "f", "{}")]


def test_calls_before_done_without_a_finish_reason() -> None:
    from deskchat.provider.openai_compat import ChatCompletionStreamParser

    parser = ChatCompletionStreamParser("x")
    delta = {"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}]}
    body = "data: " + json.dumps({"choices": [{"delta": delta}]}) + "\n\ndata: [DONE]\n\n"
    assert parser.feed(body.encode()) == [ToolCall("c", "f", "{}")]


def test_a_whole_completion_without_an_assembler_hands_calls_out() -> None:
    chunk = {"choices": [{"message": {"tool_calls": [{"function": {"name": "f"}}]}}]}
    assert events_from_completion(chunk) == [ToolCall("call_1", "f", "{}")]


def test_reply_state_keeps_calls_until_taken() -> None:
    state = ReplyState()
    state.handle(ToolCall("a", "f"))
    assert state.status == "streaming"
    assert state.text == ""
    assert state.take_tool_calls() == [ToolCall("a", "f")]
    assert state.take_tool_calls() == []


@pytest.mark.parametrize("seed", SEEDS)
async def test_ollama_calls(ollama, session, seed) -> None:
    fake, url = ollama
    fake.reply_with(ollama_tools_reply(CALLS, seed=seed))
    events = [e async for e in Ollama(url, session).create_async_generator("m", HELLO, tools=TOOLS)]
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [(n, a) for _i, n, a in CALLS]
    assert len({c.id for c in calls}) == 2
    assert fake.requests[-1]["json"]["tools"] == TOOLS


def test_tool_messages_in_ollama_shape() -> None:
    history = [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c", "name": "f", "content": "ok"},
    ]
    assert openai_messages_for_ollama(history) == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}],
        },
        {"role": "tool", "content": "ok", "tool_name": "f"},
    ]
