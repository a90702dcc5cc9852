"""The window's tool calls: the approval card (mouse and keys), Stop during it, the
collapsed lines under the reply and the calls' details."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from deskchat.chat.tools_loop import ChatTools
from deskchat.gui.main_window import MainWindow
from deskchat.gui.message_model import MessageModel
from deskchat.gui.tool_card import ARGUMENTS_HEIGHT
from deskchat.gui.window_tools import WindowTools
from deskchat.provider import FinishEvent, ToolCall
from deskchat.tools import ToolInfo, ToolOutput
from tests.chat.fakes import QueuedProvider
from tests.gui.conftest import until

HOSTILE = "<b>bold</b> <a href='https://evil.example'>click</a> **not markdown**"


class Box:
    """Two tools in memory; records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.infos = {
            "add": ToolInfo("add", "maths", "add", "Add two numbers.", {"type": "object"}),
            "show": ToolInfo("show", "maths", "show", "Shows markup.", {"type": "object"}),
        }

    async def tools(self) -> list[ToolInfo]:
        return list(self.infos.values())

    def find(self, name: str) -> ToolInfo | None:
        return self.infos.get(name)

    async def call(
        self, name: str, arguments: dict[str, Any], *, time_limit: float | None = None
    ) -> ToolOutput:
        self.calls.append((name, arguments))
        if name == "show":
            return ToolOutput(HOSTILE)
        return ToolOutput(str(arguments["a"] + arguments["b"]))


def call(name: str = "add", call_id: str = "c1", **arguments: Any) -> ToolCall:
    return ToolCall(call_id, name, json.dumps(arguments or {"a": 2, "b": 40}))


def tool_reply(*calls: ToolCall) -> list[object]:
    return ["Let me see. ", *calls, FinishEvent("tool_calls")]


@pytest.fixture
async def rig(qtbot, tmp_path: Path) -> AsyncIterator[tuple[MainWindow, WindowTools, Box]]:
    window = MainWindow(QueuedProvider(tool_reply(call()), ["It is 42."]))
    qtbot.addWidget(window)
    window.show()
    tools = WindowTools(window, folder=tmp_path)
    tools.card.arm_ms = 0
    box = Box()
    window.session.tools = ChatTools(box, tools.approver)
    try:
        yield window, tools, box
    finally:
        await window.session.aclose()


def scripted(window: MainWindow, *scripts: list[object]) -> None:
    """The next requests play ``scripts`` in order."""
    chat = window.session.chat_provider
    chat.scripts = [list(s) for s in scripts]  # type: ignore[attr-defined]
    chat.requests.clear()  # type: ignore[attr-defined]


def last_reply(window: MainWindow) -> Any:
    return window.session.conversation.messages[-1]


async def asked(tools: WindowTools) -> None:
    await until(lambda: tools.card.isVisible(), what="the approval card")


async def test_the_card_shows_the_call_and_run_once_by_mouse_runs_it(rig, qtbot) -> None:
    window, tools, box = rig
    assert window.session.send("2+40?")
    await asked(tools)
    card = tools.card
    assert "add" in card.what.text()
    assert "maths" in card.what.text()
    # The full arguments, indented, as plain text.
    assert card.arguments.toPlainText() == json.dumps({"a": 2, "b": 40}, indent=2)
    assert card.arguments.isReadOnly()
    # The card sits in the chat pane above the input box, not in a bubble.
    layout = window.chat.layout()
    assert layout.indexOf(card) >= 0
    assert card.mapTo(window.chat, card.rect().bottomLeft()).y() <= window.chat.input_box.y()
    assert card.run_button.hasFocus()
    qtbot.mouseClick(card.run_button, Qt.MouseButton.LeftButton)
    await until(lambda: not window.session.busy, what="the reply")
    assert box.calls == [("add", {"a": 2, "b": 40})]
    reply = last_reply(window)
    assert reply.content == "Let me see. It is 42."
    footer = window.message_model.data(window.message_model.index(1), MessageModel.FooterRole)
    assert footer.splitlines()[0] == "⚙ maths · add — ran"
    assert not card.isVisible()
    assert window.chat.input_box.hasFocus()


async def test_deny_by_mouse_runs_nothing_and_says_denied(rig, qtbot) -> None:
    window, tools, box = rig
    window.session.send("2+40?")
    await asked(tools)
    qtbot.mouseClick(tools.card.deny_button, Qt.MouseButton.LeftButton)
    await until(lambda: not window.session.busy, what="the reply")
    assert box.calls == []
    (use,) = last_reply(window).tools
    assert use.status == "denied"
    footer = window.message_model.data(window.message_model.index(1), MessageModel.FooterRole)
    assert "⚙ maths · add — denied" in footer


async def test_enter_runs_once_and_esc_denies(rig) -> None:
    window, tools, box = rig
    scripted(window, tool_reply(call()), ["Done."], tool_reply(call(call_id="c2")), ["No."])
    window.session.send("first")
    await asked(tools)
    QTest.keyClick(tools.card.run_button, Qt.Key.Key_Return)
    await until(lambda: not window.session.busy, what="the first reply")
    assert last_reply(window).tools[0].status == "ok"
    window.session.send("second")
    await asked(tools)
    QTest.keyClick(tools.card.run_button, Qt.Key.Key_Escape)
    await until(lambda: not window.session.busy, what="the second reply")
    assert last_reply(window).tools[0].status == "denied"
    assert len(box.calls) == 1


async def test_always_by_keyboard_is_not_asked_again_in_this_chat(rig) -> None:
    window, tools, box = rig
    scripted(window, tool_reply(call()), ["Done."], tool_reply(call(call_id="c2")), ["Again."])
    window.session.send("first")
    await asked(tools)
    QTest.keyClick(tools.card.run_button, Qt.Key.Key_Tab)
    assert tools.card.always_button.hasFocus()
    QTest.keyClick(tools.card.always_button, Qt.Key.Key_Return)
    await until(lambda: not window.session.busy, what="the first reply")
    window.session.send("second")
    await until(lambda: not window.session.busy, what="the second reply")
    # Not asked: the card never came back, and the call ran.
    assert len(box.calls) == 2
    assert last_reply(window).tools[0].status == "ok"
    # Another chat asks again.
    window.session.new_conversation()
    scripted(window, tool_reply(call(call_id="c3")), ["Third."])
    window.session.send("third")
    await asked(tools)
    tools.card.deny_button.click()
    await until(lambda: not window.session.busy, what="the third reply")


async def test_keys_typed_as_the_card_appears_approve_nothing(rig) -> None:
    window, tools, box = rig
    tools.card.arm_ms = 60_000
    window.session.send("2+40?")
    await asked(tools)
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Space, Qt.Key.Key_Escape):
        QTest.keyClick(tools.card.run_button, key)
    assert tools.card.isVisible()
    assert box.calls == []
    tools.card.deny_button.click()  # the mouse needs no arming
    await until(lambda: not window.session.busy, what="the reply")
    assert box.calls == []


async def test_stop_during_the_approval_hides_the_card_and_stops_the_call(rig) -> None:
    window, tools, box = rig
    window.session.send("2+40?")
    await asked(tools)
    reply = last_reply(window)
    before = reply.revision
    window.menus.stop_action.trigger()
    await until(lambda: not window.session.busy, what="the stop")
    assert not tools.card.isVisible()
    assert not tools.approver.waiting
    assert box.calls == []
    (use,) = reply.tools
    assert use.status == "stopped"
    assert reply.revision != before
    footer = window.message_model.data(window.message_model.index(1), MessageModel.FooterRole)
    assert footer.splitlines()[0] == "⚙ maths · add — stopped"


async def test_the_revision_changes_with_each_state_of_a_call(rig) -> None:
    window, tools, _box = rig
    window.session.send("2+40?")
    await asked(tools)
    reply = last_reply(window)
    waiting = reply.revision
    assert reply.tools[0].status == "pending"
    reply.tools[0].status = "running"
    assert reply.revision != waiting
    reply.tools[0].status = "pending"
    tools.card.run_button.click()
    await until(lambda: not window.session.busy, what="the reply")
    assert reply.revision != waiting


async def test_the_details_list_calls_collapsed_and_show_output_inert(rig, qtbot) -> None:
    window, tools, _box = rig
    scripted(window, tool_reply(call(), call("show", "c2", text="x")), ["Done."])
    window.session.send("go")
    for _n in range(2):
        await asked(tools)
        tools.card.run_button.click()
        await until(lambda: not tools.approver.waiting, what="the answer")
    await until(lambda: not window.session.busy, what="the reply")
    view = window.chat.message_view
    view.setCurrentIndex(window.message_model.index(1))
    actions = window.chat.message_actions(window.message_model.index(1))
    assert tools.calls_action in actions
    # A message without calls does not offer them.
    assert tools.calls_action not in window.chat.message_actions(window.message_model.index(0))
    tools.calls_action.trigger()
    dialog = tools.calls_dialog
    assert dialog is not None
    assert dialog.isVisible()
    first, second = dialog.sections
    assert first.header.text() == "⚙ maths · add — ran"
    assert not first.details.isVisible()
    assert not second.details.isVisible()
    qtbot.mouseClick(second.header, Qt.MouseButton.LeftButton)
    assert second.expanded
    assert second.details.isVisible()
    assert not first.details.isVisible()
    assert second.arguments.toPlainText() == json.dumps({"text": "x"}, indent=2)
    # The output is the tool's text as it is: no markup is interpreted.
    assert second.output.toPlainText() == HOSTILE
    assert second.output.isReadOnly()
    QTest.keyClick(first.header, Qt.Key.Key_Space)
    assert first.expanded
    dialog.close()


async def test_long_arguments_scroll_inside_the_card(rig) -> None:
    window, tools, _box = rig
    many = {f"key{n}": n for n in range(200)}
    scripted(window, tool_reply(call(**many)), ["Done."])
    window.session.send("long")
    await asked(tools)
    box = tools.card.arguments
    assert box.height() == ARGUMENTS_HEIGHT
    assert box.verticalScrollBar().maximum() > 0
    # Every argument is there, as plain text.
    assert box.toPlainText() == json.dumps(many, indent=2)
    tools.card.deny_button.click()
    await until(lambda: not window.session.busy, what="the reply")
