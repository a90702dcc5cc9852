"""The tool loop: approval, denial, always, parallel calls, limits, Stop, history, continue.

Most tests use a scripted provider and a tool box in memory; the ones marked
below run the loopback OpenAI-compatible fake (calls split at random places)
against a real MCP server written with the SDK.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from deskchat.chat.conversation import ShownConversation
from deskchat.chat.session import ChatSession
from deskchat.chat.tools_loop import ChatTools, Decision, ToolRequest
from deskchat.provider import FinishEvent, OpenAICompatible, ToolCall
from deskchat.store import AsyncStore, Store
from deskchat.tools import McpTools, ToolInfo, ToolOutput, ToolTimeoutError
from tests.chat.fakes import QueuedProvider
from tests.fakes.mcp_server import HOSTILE_DESCRIPTION
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scripted import serving
from tests.fakes.tool_streams import openai_text_reply, openai_tools_reply
from tests.tools.conftest import fake_server


async def no_wait(_seconds: float) -> None:
    return None


class Box:
    """Tools in memory: ``add`` and ``slow``; records every call."""

    def __init__(self, description: str = "Add two numbers.") -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.running = 0
        self.most_at_once = 0
        self.release = asyncio.Event()
        self.infos = {
            "add": ToolInfo("add", "maths", "add", description, {"type": "object"}),
            "slow": ToolInfo("slow", "maths", "slow", "Waits.", {"type": "object"}),
            "wait": ToolInfo("wait", "maths", "wait", "Waits for the test.", {"type": "object"}),
        }

    async def tools(self) -> list[ToolInfo]:
        return list(self.infos.values())

    def find(self, name: str) -> ToolInfo | None:
        return self.infos.get(name)

    async def call(
        self, name: str, arguments: dict[str, Any], *, time_limit: float | None = None
    ) -> ToolOutput:
        self.calls.append((name, arguments))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if name == "slow":
                raise ToolTimeoutError(f"The tool slow did not answer within {time_limit:g} s.")
            if name == "wait":
                await self.release.wait()
                return ToolOutput("waited")
            await asyncio.sleep(0.05)
            return ToolOutput(str(arguments["a"] + arguments["b"]))
        finally:
            self.running -= 1


class Approver:
    def __init__(self, *decisions: Decision) -> None:
        self.decisions = list(decisions)
        self.asked: list[ToolRequest] = []

    async def __call__(self, request: ToolRequest) -> Decision:
        self.asked.append(request)
        return self.decisions.pop(0) if len(self.decisions) > 1 else self.decisions[0]


def call(name: str = "add", call_id: str = "c1", **arguments: Any) -> ToolCall:
    return ToolCall(call_id, name, json.dumps(arguments or {"a": 2, "b": 40}))


def session_with(
    chat: Any, box: Any, approve: Any, history: AsyncStore | None = None, **limits: Any
) -> ChatSession:
    session = ChatSession(chat, ShownConversation(), history=history)
    session.retry_sleep = no_wait
    session.tools = ChatTools(box, approve, **limits)
    return session


def tool_messages(request: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in request if m["role"] == "tool"]


async def test_approved_once_the_result_goes_back_and_the_model_goes_on() -> None:
    chat = QueuedProvider(["Let me add. ", call(), FinishEvent("tool_calls")], ["It is 42."])
    box, approve = Box(), Approver(Decision.ONCE)
    session = session_with(chat, box, approve)
    reply = await session.ask("2+40?")
    assert reply is not None
    assert reply.content == "Let me add. It is 42."
    assert box.calls == [("add", {"a": 2, "b": 40})]
    (asked,) = approve.asked
    assert (asked.use.name, asked.use.server, asked.use.arguments) == (
        "add",
        "maths",
        '{"a": 2, "b": 40}',
    )
    (use,) = reply.tools
    assert (use.status, use.output, use.at) == ("ok", "42", len("Let me add. "))
    # The tools were offered, and the second request carries the call and its result.
    assert chat.params[0]["tools"][0]["function"]["name"] == "add"
    second = chat.requests[1]
    assert second[-2]["tool_calls"][0]["function"] == {"name": "add", "arguments": use.arguments}
    assert second[-2]["content"] == "Let me add. "
    assert second[-1] == {"role": "tool", "tool_call_id": "c1", "name": "add", "content": "42"}


async def test_a_denied_call_never_runs_and_the_model_is_told() -> None:
    chat = QueuedProvider([call()], ["Fine, I will not."])
    box, approve = Box(), Approver(Decision.DENY)
    session = session_with(chat, box, approve)
    reply = await session.ask("add")
    assert reply is not None
    assert box.calls == []
    assert reply.tools[0].status == "denied"
    assert tool_messages(chat.requests[1])[0]["content"] == "The user denied this tool call."
    assert reply.content == "Fine, I will not."


async def test_a_broken_approval_prompt_denies() -> None:
    async def broken(_request: ToolRequest) -> Decision:
        raise RuntimeError("no terminal")

    chat = QueuedProvider([call()], ["ok"])
    box = Box()
    session = session_with(chat, box, broken)
    reply = await session.ask("add")
    assert reply is not None
    assert box.calls == []
    assert reply.tools[0].status == "denied"


async def test_always_is_for_that_tool_in_that_chat_only() -> None:
    chat = QueuedProvider([call()], ["one"], [call(call_id="c2")], ["two"], [call()], ["three"])
    box, approve = Box(), Approver(Decision.ALWAYS, Decision.ONCE)
    session = session_with(chat, box, approve)
    await session.ask("first")
    await session.ask("second")
    assert len(approve.asked) == 1
    assert len(box.calls) == 2
    session.new_conversation()
    await session.ask("in another chat")
    assert len(approve.asked) == 2
    assert len(box.calls) == 3


async def test_parallel_calls_are_each_asked_about_then_run_together() -> None:
    calls = [call(call_id="a"), call(call_id="b", a=1, b=1), call(call_id="c", a=0, b=0)]
    chat = QueuedProvider([*calls, FinishEvent("tool_calls")], ["done"])
    box, approve = Box(), Approver(Decision.ONCE, Decision.DENY, Decision.ONCE)
    session = session_with(chat, box, approve)
    reply = await session.ask("three sums")
    assert reply is not None
    assert [r.use.id for r in approve.asked] == ["a", "b", "c"]
    assert [u.status for u in reply.tools] == ["ok", "denied", "ok"]
    assert box.most_at_once == 2
    results = tool_messages(chat.requests[1])
    assert [m["tool_call_id"] for m in results] == ["a", "b", "c"]
    assert [m["content"] for m in results][::2] == ["42", "0"]


async def test_the_step_limit_skips_calls_and_asks_for_words() -> None:
    chat = QueuedProvider([call()], [call(call_id="c2")], [call(call_id="c3")], ["Words."])
    box, approve = Box(), Approver(Decision.ONCE)
    session = session_with(chat, box, approve, steps=2)
    reply = await session.ask("loop forever")
    assert reply is not None
    assert len(box.calls) == 2
    assert [u.status for u in reply.tools] == ["ok", "ok", "skipped"]
    assert "limit of 2 rounds" in (reply.tools[2].output or "")
    assert "tools" in chat.params[2]
    assert "tools" not in chat.params[3]
    assert reply.content == "Words."


async def test_a_model_that_keeps_calling_past_the_limit_is_stopped() -> None:
    chat = QueuedProvider([call()])
    box, approve = Box(), Approver(Decision.ONCE)
    session = session_with(chat, box, approve, steps=1)
    reply = await session.ask("loop")
    assert reply is not None
    assert len(chat.requests) == 3
    assert [u.status for u in reply.tools] == ["ok", "skipped", "skipped"]
    assert reply.reply is not None
    assert reply.reply.status == "complete"


async def test_a_timeout_is_a_sentence_the_model_reads() -> None:
    chat = QueuedProvider([call("slow")], ["It was slow."])
    session = session_with(chat, Box(), Approver(Decision.ONCE), time_limit=0.5)
    reply = await session.ask("slow")
    assert reply is not None
    assert reply.tools[0].status == "timeout"
    assert tool_messages(chat.requests[1])[0]["content"] == (
        "The tool slow did not answer within 0.5 s."
    )


async def test_unknown_tools_and_bad_arguments_are_told_to_the_model() -> None:
    bad = ToolCall("c2", "add", "{not json")
    chat = QueuedProvider([call("rm_rf"), bad], ["sorry"])
    box, approve = Box(), Approver(Decision.ONCE)
    session = session_with(chat, box, approve)
    reply = await session.ask("x")
    assert reply is not None
    assert approve.asked == []
    assert box.calls == []
    first, second = tool_messages(chat.requests[1])
    assert "No tool named rm_rf" in first["content"]
    assert "not valid JSON" in second["content"]


async def test_stop_during_a_call_cancels_it_and_the_reply_and_keeps_it(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    history = await AsyncStore.open(db)
    try:
        chat = QueuedProvider(["Waiting. ", call("wait")], ["never"])
        box = Box()
        session = session_with(chat, box, Approver(Decision.ONCE), history)
        assert session.send("wait for it")
        for _ in range(200):
            if box.running:
                break
            await asyncio.sleep(0.01)
        assert box.running == 1
        session.stop()
        assert session.task is not None
        await asyncio.wait([session.task])
        reply = session.conversation.messages[-1]
        assert reply.reply is not None
        assert reply.reply.status == "stopped"
        assert reply.tools[0].status == "stopped"
        assert box.running == 0
        assert len(chat.requests) == 1
    finally:
        await history.close()
    with Store(db) as store:
        (conversation,) = store.list_conversations()
        saved = store.current_path(conversation.id)[-1]
    assert saved.status == "stopped"
    assert saved.content == "Waiting. "
    assert saved.tools[0]["status"] == "stopped"


async def test_calls_survive_a_restart_and_are_sent_again_as_history(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    history = await AsyncStore.open(db)
    try:
        chat = QueuedProvider(["Adding. ", call()], ["42."])
        session = session_with(chat, Box(), Approver(Decision.ONCE), history)
        await session.ask("2+40")
    finally:
        await history.close()
    history = await AsyncStore.open(db)
    try:
        chat = QueuedProvider(["Yes."])
        session = session_with(chat, Box(), Approver(Decision.ONCE), history)
        latest = await session.open_latest()
        assert latest is not None
        reply = latest.messages[-1]
        assert [(u.name, u.status, u.output) for u in reply.tools] == [("add", "ok", "42")]
        assert reply.content == "Adding. 42."
        await session.ask("sure?")
        sent = chat.requests[0]
        assert [m["role"] for m in sent] == ["user", "assistant", "tool", "assistant", "user"]
        assert sent[1]["content"] == "Adding. "
        assert sent[3]["content"] == "42."
    finally:
        await history.close()


async def test_a_reply_cut_off_during_a_call_asks_again_on_continue(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with Store(db) as store:
        conversation = store.create_conversation("")
        question = store.add_message(conversation.id, "user", "2+40?")
        writer = store.begin_reply(conversation.id, question.id, interval=0.0)
        writer.append("Adding. ")
        pending = {"id": "c1", "name": "add", "arguments": '{"a": 2, "b": 40}', "server": "maths"}
        writer.set_tools(json.dumps([{**pending, "status": "running", "step": 1, "at": 8}]))
        # ...and DeskChat was killed while the tool ran: the row is still 'streaming'.
    history = await AsyncStore.open(db)
    try:
        chat = QueuedProvider(["It is 42."])
        box, approve = Box(), Approver(Decision.ONCE)
        session = session_with(chat, box, approve, history)
        await session.load_history()
        for _ in range(200):
            if len(session.conversation.messages) == 2:
                break
            await asyncio.sleep(0.01)
        assert session.can_continue()
        assert session.continue_reply()
        assert session.task is not None
        await session.task
        assert len(approve.asked) == 1
        assert box.calls == [("add", {"a": 2, "b": 40})]
        sent = chat.requests[0]
        assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
        assert sent[2]["content"] == "42"
        reply = session.conversation.messages[-1]
        assert reply.content == "Adding. It is 42."
    finally:
        await history.close()
    with Store(db) as store:
        saved = store.current_path(conversation.id)[-1]
    assert saved.status == "complete"
    assert saved.tools[0]["status"] == "ok"


async def test_a_description_telling_the_model_to_skip_approval_changes_nothing() -> None:
    chat = QueuedProvider([call()], ["ok"])
    box, approve = Box(description=HOSTILE_DESCRIPTION), Approver(Decision.DENY)
    session = session_with(chat, box, approve)
    await session.ask("read it")
    assert len(approve.asked) == 1
    assert approve.asked[0].description == HOSTILE_DESCRIPTION
    assert box.calls == []


async def test_without_tools_no_tools_are_offered() -> None:
    chat = QueuedProvider(["plain"])
    session = ChatSession(chat, ShownConversation())
    await session.ask("hi")
    assert "tools" not in chat.params[0]


# -- the loopback provider and a real MCP server ------------------------------


@pytest.fixture
async def openai() -> AsyncIterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI()
    async with serving(fake.app, "/v1") as url:
        yield fake, url


@pytest.fixture
async def mcp(tmp_path: Path) -> AsyncIterator[McpTools]:
    box = McpTools([fake_server("fake", "--hostile")], log_dir=tmp_path, limit=5_000)
    try:
        yield box
    finally:
        await box.aclose()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 11])
async def test_real_server_and_streamed_calls_split_anywhere(openai, mcp, session, seed) -> None:
    fake, url = openai
    calls = [("x1", "add", {"a": 20, "b": 22}), ("x2", "echo", {"text": "héllo"})]
    fake.reply_with(
        openai_tools_reply(calls, text="Working. ", seed=seed, interleave=True),
        openai_text_reply("Both done.", seed=seed),
    )
    approve = Approver(Decision.ONCE)
    chat = ChatSession(OpenAICompatible(url, session), ShownConversation(), model_name="m")
    chat.tools = ChatTools(mcp, approve)
    reply = await chat.ask("go")
    assert reply is not None
    assert reply.content == "Working. Both done."
    assert [(u.name, u.server, u.status, u.output) for u in reply.tools] == [
        ("add", "fake", "ok", "42"),
        ("echo", "fake", "ok", "héllo"),
    ]
    sent = fake.requests[-1]["json"]
    assert {t["function"]["name"] for t in sent["tools"]} >= {"add", "echo", "read_file"}
    assert [m["content"] for m in sent["messages"] if m["role"] == "tool"] == ["42", "héllo"]


@pytest.mark.slow
async def test_real_server_crash_huge_output_and_hostile_description(openai, mcp, session) -> None:
    fake, url = openai
    fake.reply_with(
        openai_tools_reply(
            [("k", "crash", {}), ("h", "huge", {"megabytes": 2}), ("r", "read_file", {"path": "/"})]
        ),
        openai_text_reply("ok"),
    )
    approve = Approver(Decision.ONCE, Decision.ONCE, Decision.DENY)
    chat = ChatSession(OpenAICompatible(url, session), ShownConversation(), model_name="m")
    chat.tools = ChatTools(mcp, approve)
    reply = await chat.ask("go")
    assert reply is not None
    crash, huge, read = reply.tools
    assert crash.status == "error"
    assert "stopped during the call" in (crash.output or "")
    # Run together with the crash, the huge call either got its capped text or the
    # same crash; it never brings megabytes into the reply.
    assert len(huge.output or "") < 5_200
    # The description said approval was skipped: it was still asked, and denied.
    assert approve.asked[2].description == HOSTILE_DESCRIPTION
    assert read.status == "denied"
    # The crashed server starts again for the next call.
    assert (await mcp.call("add", {"a": 1, "b": 2})).text == "3"
