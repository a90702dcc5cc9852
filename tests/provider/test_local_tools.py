"""The built-in engine calls tools: the template gets them, the text becomes calls.

The scripted child (tests/fakes/fake_llama_worker.py, mode ``tools``) writes a
call the way Qwen2.5 does, split across its lines; the provider hands it out
as a ToolCall, and the tool loop runs it and sends the result back.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest

from deskchat.chat.conversation import ShownConversation
from deskchat.chat.session import ChatSession
from deskchat.chat.tools_loop import ChatTools, Decision
from deskchat.provider import ToolsNotSupportedError
from deskchat.provider.events import FinishEvent, TextDelta, ToolCall
from deskchat.provider.local import LocalProvider
from tests.chat.test_tools_loop import Approver, Box, no_wait

FAKE = Path(__file__).resolve().parents[1] / "fakes" / "fake_llama_worker.py"
QWEN_LIKE = (
    "{%- if tools %}<|im_start|>system\n# Tools\n<tools>{% for tool in tools %}"
    "{{ tool | tojson }}{% endfor %}</tools><|im_end|>{% endif %}"
)
GEMMA_LIKE = "{% for message in messages %}<start_of_turn>{{ message.content }}{% endfor %}"
TOOL = {
    "type": "function",
    "function": {"name": "add", "description": "Add.", "parameters": {"type": "object"}},
}


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _gguf(path: Path, template: str) -> Path:
    keys = [
        _string("general.architecture") + struct.pack("<I", 8) + _string("qwen2"),
        _string("qwen2.block_count") + struct.pack("<I", 4) + struct.pack("<I", 1),
        _string("tokenizer.chat_template") + struct.pack("<I", 8) + _string(template),
    ]
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(keys)) + b"".join(keys))
    return path


def _provider(model: Path) -> LocalProvider:
    return LocalProvider(
        model.parent,
        default_model=model.name,
        idle_unload=None,
        n_ctx=512,
        worker_command=[sys.executable, str(FAKE), "tools"],
    )


async def test_the_written_call_becomes_a_tool_call_event(tmp_path: Path) -> None:
    provider = _provider(_gguf(tmp_path / "qwen.gguf", QWEN_LIKE))
    try:
        events = [
            e
            async for e in provider.create_async_generator(
                None, [{"role": "user", "content": "2+40?"}], tools=[TOOL]
            )
        ]
    finally:
        await provider.aclose()
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert text == "Let me look.\n"
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("add", {"a": 2, "b": 40})]
    assert events[-1] == FinishEvent("tool_calls")


async def test_without_tools_a_marker_is_plain_text_and_nothing_is_offered(tmp_path: Path) -> None:
    provider = _provider(_gguf(tmp_path / "qwen.gguf", QWEN_LIKE))
    try:
        events = [
            e
            async for e in provider.create_async_generator(
                None, [{"role": "user", "content": "hi"}]
            )
        ]
    finally:
        await provider.aclose()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "No tools. 1"
    assert not [e for e in events if isinstance(e, ToolCall)]


async def test_a_template_without_tools_is_told_before_anything_is_sent(tmp_path: Path) -> None:
    provider = _provider(_gguf(tmp_path / "gemma.gguf", GEMMA_LIKE))
    try:
        with pytest.raises(ToolsNotSupportedError) as caught:
            async for _event in provider.create_async_generator(
                None, [{"role": "user", "content": "2+40?"}], tools=[TOOL]
            ):
                pass
        assert provider.worker_pid is None  # the child was never started
    finally:
        await provider.aclose()
    assert "cannot call tools" in caught.value.text()


async def test_one_round_through_the_tool_loop(tmp_path: Path) -> None:
    provider = _provider(_gguf(tmp_path / "qwen.gguf", QWEN_LIKE))
    box, approve = Box(), Approver(Decision.ONCE)
    session = ChatSession(provider, ShownConversation())
    session.retry_sleep = no_wait
    session.tools = ChatTools(box, approve)
    try:
        reply = await session.ask("2+40?")
    finally:
        await provider.aclose()
    assert reply is not None
    assert box.calls == [("add", {"a": 2, "b": 40})]
    (use,) = reply.tools
    assert (use.name, use.status, use.output) == ("add", "ok", "42")
    # The result went back as a tool message and the call's arguments as an
    # object, as chat templates write them (not JSON text inside JSON).
    assert reply.content == 'Let me look.\nResult: 42 (arguments {"a": 2, "b": 40})'


async def test_a_model_without_tools_answers_without_them_in_the_loop(tmp_path: Path) -> None:
    # Tools on (a server is enabled) and a model that cannot call them (Gemma 3's
    # template): the reply still comes, without tools, and the status line says why.
    provider = _provider(_gguf(tmp_path / "gemma.gguf", GEMMA_LIKE))
    box, approve = Box(), Approver(Decision.ONCE)
    session = ChatSession(provider, ShownConversation())
    session.retry_sleep = no_wait
    session.tools = ChatTools(box, approve)
    said: list[str] = []
    session.events.status_changed.connect(said.append)
    try:
        reply = await session.ask("2+40?")
    finally:
        await provider.aclose()
    assert reply is not None
    assert reply.reply is not None
    assert reply.reply.status == "complete", reply.reply.error
    assert reply.content
    assert box.calls == []
    assert reply.tools == []
    assert "This model cannot call tools, so it answers without them." in said
